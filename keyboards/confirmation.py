"""A question's two answers, one under the other: do it, or go back and leave it as it is."""

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder


def confirmation(
    yes: str, yes_data: CallbackData, keep: str, keep_data: CallbackData
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=yes, callback_data=yes_data)
    builder.button(text=keep, callback_data=keep_data)
    builder.adjust(1)
    return builder.as_markup()
