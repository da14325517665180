"""Update middlewares, registered in `bot.startup.app` in the order DESIGN.md gives."""

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.types import TelegramObject

# What a middleware's `__call__(handler, event, data)` is given: the next step of the chain
# (the next middleware or the handler) and the event data the steps share.
EventData = dict[str, Any]
Handler = Callable[[TelegramObject, EventData], Awaitable[Any]]
