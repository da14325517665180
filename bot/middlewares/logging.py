"""One INFO line per handled update: update id, user id, role, handler, duration.

The outer middleware puts an `UpdateTrace` into the event data; later middlewares
fill in the role and the handler name. Text, phones and tokens never appear here.
"""

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.types import TelegramObject, Update
from aiogram.types.update import UpdateTypeLookupError
from loguru import logger

from bot.middlewares import EventData, Handler

# time.monotonic() when the last update was handled; the health check reports its age
last_update_at: float | None = None


@dataclass(slots=True)
class UpdateTrace:
    update_id: int
    user_id: int | None = None
    role: str = "-"
    handler: str = "-"
    outcome: str = "ok"
    denial: Any = None  # bot.filters.access.Denial when a role guard refused the event


def note_outcome(data: EventData, outcome: str) -> None:
    """Name, for the update's log line, why it ended before (or without) a handler."""
    trace: UpdateTrace | None = data.get("trace")
    if trace is not None:
        trace.outcome = outcome


class UpdateLoggingMiddleware(BaseMiddleware):
    async def __call__(self, handler: Handler, event: TelegramObject, data: EventData) -> Any:
        assert isinstance(event, Update)
        user = data.get("event_from_user")
        trace = UpdateTrace(update_id=event.update_id, user_id=user.id if user else None)
        data["trace"] = trace
        started = time.perf_counter()
        try:
            return await handler(event, data)
        except Exception:
            trace.outcome = "error"
            raise
        except asyncio.CancelledError:
            trace.outcome = "cancelled"  # given up at a stop: Telegram delivers it again
            raise
        finally:
            global last_update_at
            last_update_at = time.monotonic()
            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.info(
                "update={} type={} user={} role={} handler={} outcome={} ms={:.1f}",
                trace.update_id,
                _event_type(event),
                trace.user_id,
                trace.role,
                trace.handler,
                trace.outcome,
                elapsed_ms,
            )


def _event_type(update: Update) -> str:
    """An update of a type this aiogram does not know (a newer Bot API) is logged, not raised."""
    try:
        return update.event_type
    except UpdateTypeLookupError:
        return "unknown"


class HandlerNameMiddleware(BaseMiddleware):
    """Inner middleware: records which handler took the event."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: EventData) -> Any:
        trace: UpdateTrace | None = data.get("trace")
        handler_object: HandlerObject | None = data.get("handler")
        if trace is not None and handler_object is not None:
            callback = handler_object.callback
            trace.handler = getattr(callback, "__qualname__", repr(callback))
        return await handler(event, data)
