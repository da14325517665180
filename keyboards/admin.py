"""Admin keyboards."""

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import _


class AdminCb(CallbackData, prefix="adm"):
    action: str


def admin_panel() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🔄 Refresh"), callback_data=AdminCb(action="home"))
    return builder.as_markup()
