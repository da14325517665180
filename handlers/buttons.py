"""What every handler answers about a button whose data does not hold."""

from collections.abc import Callable
from typing import TypeVar

from aiogram.types import CallbackQuery, InlineKeyboardMarkup

from bot.telegram import edit_or_send
from bot.wording import stale_button_text

T = TypeVar("T")


async def parsed_or_stale(
    callback: CallbackQuery, parse: Callable[[str], T], value: str
) -> T | None:
    """What a button carries, parsed; a value that does not parse (forged, or from an older
    version of the bot) gets the stale-button answer, and None."""
    try:
        return parse(value)
    except ValueError:
        await callback.answer(stale_button_text())
        return None


async def show_screen(
    callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """The screen a button leads to, in place of the message it was pressed on; the button
    is answered (its spinner stops) with nothing more to say."""
    await edit_or_send(callback, text, markup)
    await callback.answer()
