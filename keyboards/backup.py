"""The /backup keyboard."""

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import _


class BackupCb(CallbackData, prefix="bk"):
    name: str  # the backup file's name, e.g. educrm-20261125T030000Z.db.gz.enc


def send_file_button(name: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📦 Send me the file"), callback_data=BackupCb(name=name))
    return builder.as_markup()
