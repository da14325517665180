"""The main menu and the language picker."""

from collections.abc import Iterable
from functools import lru_cache

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.commands import MENU
from bot.i18n import current_language
from db.models import Role

LANGUAGE_NAMES = {"uz": "🇺🇿 Oʻzbekcha", "ru": "🇷🇺 Русский", "en": "🇬🇧 English"}


class LanguageCb(CallbackData, prefix="lang"):
    code: str


def main_menu(roles: Iterable[Role], *, app: bool) -> ReplyKeyboardMarkup:
    """The reply keyboard of these roles in the current language (2 columns); `app`: with
    the "📱 Open app" entry (settings.webapp.enabled).

    Sent with almost every greeting and /cancel, so it is built once per language and set
    of roles: aiogram's keyboard builder deep-copies every button on each build.
    """
    return _main_menu(current_language(), frozenset(roles), app)


@lru_cache(maxsize=256)
def _main_menu(language: str, roles: frozenset[Role], app: bool) -> ReplyKeyboardMarkup:
    labels = [
        str(entry.label)
        for entry in MENU
        if (not entry.roles or entry.roles & roles) and (app or not entry.webapp)
    ]
    rows = [
        [KeyboardButton(text=label) for label in labels[i : i + 2]]
        for i in range(0, len(labels), 2)
    ]
    return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, is_persistent=True)


def language_picker(current: str | None = None) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code, name in LANGUAGE_NAMES.items():
        mark = "✅ " if code == current else ""
        builder.button(text=f"{mark}{name}", callback_data=LanguageCb(code=code))
    builder.adjust(1)
    return builder.as_markup()
