"""Forged button data with numbers no database can hold is refused before any handler.

A CallbackData field typed `int` accepts any size, and `rd:18446744073709551616` would
reach a query as an id that overflows the driver (an error instead of a refusal). One
check here covers every button of the bot.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, TelegramObject

BIGGEST = 2**63 - 1  # BIGINT in PostgreSQL, INTEGER in SQLite


def out_of_range(data: CallbackData) -> bool:
    return any(
        isinstance(value, int) and not -BIGGEST <= value <= BIGGEST
        for value in data.model_dump().values()
    )


class CallbackIdGuard(BaseMiddleware):
    def __init__(self, refusal: Callable[[], str]) -> None:
        self.refusal = refusal

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        callback_data = data.get("callback_data")
        if isinstance(callback_data, CallbackData) and out_of_range(callback_data):
            assert isinstance(event, CallbackQuery)
            await event.answer(self.refusal())
            return None
        return await handler(event, data)
