"""Each update handled once, and every update in flight known (for a graceful stop).

Telegram re-sends a webhook update it believes failed, and with several bot processes
behind one address the copy may reach another process. The first process to see an
update_id marks it (in Redis when there is one, shared by every process; in memory
otherwise) and handles it; any later copy is dropped before any other middleware runs.
An update given up before it finished (a stop cancelled it) has its mark removed, so the
copy Telegram delivers again, to this process at its next start or to another, is handled.
"""

import asyncio
from collections import OrderedDict
from typing import Any, Protocol

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from loguru import logger
from redis.asyncio import Redis

from bot.middlewares import EventData, Handler

SEEN_FOR = 24 * 3600  # seconds; Telegram keeps an undelivered update for 24 hours


class SeenUpdates(Protocol):
    async def first_time(self, update_id: int) -> bool:
        """Mark the update as seen; False when it had been seen before."""

    async def forget(self, update_id: int) -> None:
        """Remove the mark: the update was not handled after all."""


class MemorySeenUpdates:
    """The latest `size` update ids of this process."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._seen: OrderedDict[int, None] = OrderedDict()

    async def first_time(self, update_id: int) -> bool:
        if update_id in self._seen:
            return False
        self._seen[update_id] = None
        if len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True

    async def forget(self, update_id: int) -> None:
        self._seen.pop(update_id, None)


class RedisSeenUpdates:
    """Shared by every process of the bot: SET NX is atomic, so exactly one wins."""

    def __init__(self, redis: Redis, bot_id: int | str, prefix: str = "educrm") -> None:
        self.redis = redis
        self.prefix = f"{prefix}:update:{bot_id}:"

    async def first_time(self, update_id: int) -> bool:
        return bool(await self.redis.set(self.prefix + str(update_id), 1, nx=True, ex=SEEN_FOR))

    async def forget(self, update_id: int) -> None:
        await self.redis.delete(self.prefix + str(update_id))


class UpdateGate(BaseMiddleware):
    """Drops repeated updates and counts the ones being handled."""

    def __init__(self, seen: SeenUpdates) -> None:
        self.seen = seen
        self.in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: EventData) -> Any:
        assert isinstance(event, Update)
        if not await self.seen.first_time(event.update_id):
            logger.debug("update {} was handled already; dropped", event.update_id)
            return None
        self.in_flight += 1
        self._idle.clear()
        try:
            return await handler(event, data)
        except asyncio.CancelledError:
            await self._forget(event.update_id)
            raise
        finally:
            self.in_flight -= 1
            if self.in_flight == 0:
                self._idle.set()

    async def _forget(self, update_id: int) -> None:
        try:
            await self.seen.forget(update_id)
        except Exception:
            logger.exception("update {} stays marked as seen; a copy will be dropped", update_id)

    async def wait_idle(self) -> None:
        """Return once no update is being handled (the caller bounds the wait)."""
        await self._idle.wait()
