"""What every handler answers about a button whose data does not hold."""

from collections.abc import Callable
from typing import TypeVar

from aiogram.types import CallbackQuery

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
