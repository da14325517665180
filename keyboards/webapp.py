"""The Mini App's entry points: an inline `web_app` button (a Mini App opened from a reply
keyboard's button gets no signed initData, so the app is always opened from an inline one)."""

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot.i18n import _


def open_app_button(url: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("📱 Open app"), web_app=WebAppInfo(url=url))


def open_app_keyboard(url: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[open_app_button(url)]])
