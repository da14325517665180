"""The HTTP session the bot talks to Telegram with.

aiogram parses every answer as `Response[<method's result type>]`, a pydantic generic
model. pydantic caches those classes in a WeakValueDictionary, and a class lives in
reference cycles, so the garbage collector drops it between requests and the next
request builds it again (a few milliseconds each time, about one update in ten under
load). Keeping a strong reference to each one used makes it a dictionary lookup.
"""

from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import Response
from aiogram.methods import TelegramMethod

_pinned: dict[Any, type] = {}


def pin_response_model(returning: Any) -> None:
    if returning not in _pinned:
        _pinned[returning] = Response[returning]


class PinnedResponses:
    """Mixin for an aiogram session: answers are parsed by models that stay alive."""

    def check_response(
        self, bot: Bot, method: TelegramMethod[Any], status_code: int, content: str
    ) -> Response[Any]:
        pin_response_model(method.__returning__)
        return super().check_response(bot, method, status_code, content)  # type: ignore[misc]


class TelegramSession(PinnedResponses, AiohttpSession):
    pass
