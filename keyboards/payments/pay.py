"""The 💳 Pay button (Telegram Payments), under a balance and under payment reminders.

Shown only when PAYMENT_PROVIDER_TOKEN is set: callers ask `online_payments_on(settings)`
first. The student named in the button is re-checked on every press.
"""

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.config import Settings
from bot.i18n import _
from keyboards.ids import Id


class PayCb(CallbackData, prefix="py"):
    student_id: Id


def online_payments_on(settings: Settings) -> bool:
    token = settings.telegram.payment_provider_token
    return token is not None and bool(token.get_secret_value())


def pay_button(student_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("💳 Pay"), callback_data=PayCb(student_id=student_id).pack())


def pay_keyboard(student_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[pay_button(student_id)]])
