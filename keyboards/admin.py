"""Admin keyboards."""

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import _
from keyboards.reports import ReportCb


class AdminCb(CallbackData, prefix="adm"):
    action: str


def admin_panel(reports: bool = False) -> InlineKeyboardMarkup:
    """🔄 Refresh; 📊 Reports for those who may read them (permission `reports`)."""
    builder = InlineKeyboardBuilder()
    if reports:
        builder.button(text=_("📊 Reports"), callback_data=ReportCb(action="menu"))
    builder.button(text=_("🔄 Refresh"), callback_data=AdminCb(action="home"))
    builder.adjust(1)
    return builder.as_markup()
