"""The /recompute_balances keyboard (owners)."""

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import ngettext
from keyboards.ids import Number


class RecomputeCb(CallbackData, prefix="rcb"):
    differences: Number  # how many the owner saw: the fix is refused when it no longer matches


def fix_button(differences: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=ngettext(
            "🛠 Fix {count} balance from the ledger",
            "🛠 Fix {count} balances from the ledger",
            differences,
        ).format(count=differences),
        callback_data=RecomputeCb(differences=differences),
    )
    return builder.as_markup()
