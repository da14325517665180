"""/mydata and /export keyboards."""

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import _
from bot.services.mydata import PersonRef
from keyboards.ids import Id
from keyboards.person_buttons import add_person_buttons


class MyDataCb(CallbackData, prefix="md"):
    action: str  # home, child, name, phone, email, lang, export
    user: Id = 0  # child / export: whose data (re-checked on every press)


def own_card(own_id: int, children: Sequence[PersonRef]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✏️ Name"), callback_data=MyDataCb(action="name"))
    builder.button(text=_("📱 Phone"), callback_data=MyDataCb(action="phone"))
    builder.button(text=_("✉️ Email"), callback_data=MyDataCb(action="email"))
    builder.button(text=_("🌐 Language"), callback_data=MyDataCb(action="lang"))
    add_person_buttons(
        builder, children, _("👤 {name}"), lambda child_id: MyDataCb(action="child", user=child_id)
    )
    builder.button(
        text=_("📦 Download a copy"), callback_data=MyDataCb(action="export", user=own_id)
    )
    builder.adjust(2, 2, *([1] * (len(children) + 1)))
    return builder.as_markup()


def child_card(child_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("📦 Download a copy"), callback_data=MyDataCb(action="export", user=child_id)
    )
    builder.button(text=_("⬅ Back"), callback_data=MyDataCb(action="home"))
    builder.adjust(1)
    return builder.as_markup()


def export_choice(own_id: int, children: Sequence[PersonRef]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📦 My data"), callback_data=MyDataCb(action="export", user=own_id))
    add_person_buttons(
        builder, children, _("📦 {name}"), lambda child_id: MyDataCb(action="export", user=child_id)
    )
    builder.adjust(1)
    return builder.as_markup()


def share_contact() -> ReplyKeyboardMarkup:
    """Only Telegram's own contact button proves the number belongs to the account."""
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=_("📱 Share my phone number"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
