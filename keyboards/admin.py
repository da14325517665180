"""Admin keyboards."""

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import _
from keyboards.reports import ReportCb
from keyboards.webapp import open_app_button


class AdminCb(CallbackData, prefix="adm"):
    action: str


def admin_panel(reports: bool = False, app_url: str | None = None) -> InlineKeyboardMarkup:
    """🔄 Refresh; 📊 Reports for those who may read them (permission `reports`); 📱 Open app
    when the Mini App is on (`app_url`: WEBAPP_URL)."""
    builder = InlineKeyboardBuilder()
    if app_url is not None:
        builder.add(open_app_button(app_url))
    if reports:
        builder.button(text=_("📊 Reports"), callback_data=ReportCb(action="menu"))
    builder.button(text=_("🔄 Refresh"), callback_data=AdminCb(action="home"))
    builder.adjust(1)
    return builder.as_markup()
