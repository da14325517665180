"""/delete keyboards."""

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import _


class DeletionCb(CallbackData, prefix="del"):
    action: str  # yes, no


def deletion_confirmation() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🗑 Yes, delete my data"), callback_data=DeletionCb(action="yes"))
    builder.button(text=_("❌ No, keep my data"), callback_data=DeletionCb(action="no"))
    builder.adjust(1)
    return builder.as_markup()
