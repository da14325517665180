"""Consent, policy pages and /settings keyboards."""

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import _
from bot.services.consent import OPTIONAL_CATEGORIES, Category, Choices
from bot.services.policy import Document
from keyboards.common import LANGUAGE_NAMES
from keyboards.ids import Number
from keyboards.labels import toggle_mark
from keyboards.paging import page_row


class ConsentCb(CallbackData, prefix="cs"):
    action: str  # lang, pick, read, accept, decline
    value: str = ""


class PolicyCb(CallbackData, prefix="pol"):
    doc: Document
    page: Number


class SettingsCb(CallbackData, prefix="st"):
    action: str  # home, lang, toggle, digest, withdraw, withdraw_yes
    value: str = ""


def category_labels() -> dict[Category, str]:
    return {
        Category.REMINDERS: _("Reminders: payments and classes"),
        Category.ANNOUNCEMENTS: _("Announcements and news"),
        Category.ANALYTICS: _("Usage statistics"),
    }


def consent_language_picker() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code, name in LANGUAGE_NAMES.items():
        builder.button(text=name, callback_data=ConsentCb(action="lang", value=code))
    builder.adjust(1)
    return builder.as_markup()


def consent_request(choices: Choices) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    labels = category_labels()
    for category in OPTIONAL_CATEGORIES:
        builder.button(
            text=f"{toggle_mark(choices.allows(category))} {labels[category]}",
            callback_data=ConsentCb(action="pick", value=choices.toggled(category).as_bits()),
        )
    builder.button(
        text=_("📄 Privacy policy"), callback_data=ConsentCb(action="read", value="privacy")
    )
    builder.button(text=_("📄 Terms of use"), callback_data=ConsentCb(action="read", value="terms"))
    builder.button(
        text=_("✅ Accept"), callback_data=ConsentCb(action="accept", value=choices.as_bits())
    )
    builder.button(text=_("❌ Decline"), callback_data=ConsentCb(action="decline"))
    builder.adjust(1, 1, 1, 2, 2)
    return builder.as_markup()


def policy_pager(document: Document, page: int, total: int) -> InlineKeyboardMarkup | None:
    row = page_row(page, total, lambda number: PolicyCb(doc=document, page=number))
    return InlineKeyboardMarkup(inline_keyboard=[row]) if row else None


def settings_menu(
    language: str, choices: Choices, digest: bool | None = None
) -> InlineKeyboardMarkup:
    """`digest`: an owner's monthly digest on or off (None: not an owner, no button)."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("🌐 Language: {language}").format(language=LANGUAGE_NAMES[language]),
        callback_data=SettingsCb(action="lang"),
    )
    labels = category_labels()
    for category in OPTIONAL_CATEGORIES:
        builder.button(
            text=f"{toggle_mark(choices.allows(category))} {labels[category]}",
            callback_data=SettingsCb(action="toggle", value=category.value),
        )
    if digest is not None:
        label = _("Monthly digest on the 1st (owners)")
        builder.button(
            text=f"{toggle_mark(digest)} {label}",
            callback_data=SettingsCb(action="digest"),
        )
    builder.button(text=_("🚫 Withdraw consent"), callback_data=SettingsCb(action="withdraw"))
    builder.adjust(1)
    return builder.as_markup()


def withdraw_confirmation() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("🚫 Withdraw my consent"), callback_data=SettingsCb(action="withdraw_yes")
    )
    builder.button(text=_("Keep my consent"), callback_data=SettingsCb(action="home"))
    builder.adjust(1)
    return builder.as_markup()
