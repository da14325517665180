"""Flood control per user: a burst is allowed, then one "too fast" reply, then silence.

Counts live in memory for one process, or in Redis (shared by every process) when
REDIS_URL is set. A fixed window keeps it to one INCR per update.
"""

import time
from collections.abc import Callable
from typing import Any, Protocol

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, TelegramObject, Update
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import _, use_language
from bot.middlewares import EventData, Handler
from bot.middlewares.logging import note_outcome
from db.repositories import users as users_repo


class HitCounter(Protocol):
    async def hit(self, key: int) -> int:
        """Count one event for `key` in the current window and return the count so far."""


class MemoryHitCounter:
    def __init__(self, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.clock = clock
        self._windows: dict[int, tuple[float, int]] = {}

    async def hit(self, key: int) -> int:
        now = self.clock()
        started, count = self._windows.get(key, (now, 0))
        if now - started >= self.window:
            started, count = now, 0
        count += 1
        self._windows[key] = (started, count)
        if len(self._windows) > 10_000:
            self._forget_old(now)
        return count

    def _forget_old(self, now: float) -> None:
        for key in [
            k for k, (began, _count) in self._windows.items() if now - began >= self.window
        ]:
            del self._windows[key]


class RedisHitCounter:
    def __init__(self, redis: Redis, window: float, prefix: str = "educrm:throttle") -> None:
        self.redis = redis
        self.window_ms = max(1, int(window * 1000))
        self.prefix = prefix

    async def hit(self, key: int) -> int:
        name = f"{self.prefix}:{key}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.pexpire(name, self.window_ms, nx=True)
            count, _ = await pipe.execute()
        return int(count)


class ThrottlingMiddleware(BaseMiddleware):
    def __init__(
        self,
        counter: HitCounter,
        rate: int,
        session_factory: async_sessionmaker[AsyncSession],
        default_language: str,
    ) -> None:
        self.counter = counter
        self.rate = rate
        self.session_factory = session_factory
        self.default_language = default_language

    async def __call__(self, handler: Handler, event: TelegramObject, data: EventData) -> Any:
        user = data.get("event_from_user")
        if (
            user is None
            or not isinstance(event, Update)
            or not (event.message or event.callback_query)
            # money already taken by Telegram: never dropped (handlers/common/payments.py)
            or (event.message is not None and event.message.successful_payment is not None)
        ):
            return await handler(event, data)
        count = await self.counter.hit(user.id)
        if count <= self.rate:
            return await handler(event, data)
        note_outcome(data, "throttled")
        await self._refuse(event, user.id, first=count == self.rate + 1)
        return None

    async def _refuse(self, update: Update, telegram_id: int, *, first: bool) -> None:
        callback: CallbackQuery | None = update.callback_query
        if not first:
            if callback is not None:
                await callback.answer()  # silent, but the button stops spinning
            return
        # Rare path: only here do we read the language, the DB session comes later.
        async with self.session_factory() as session:
            user = await users_repo.get_by_telegram_id(session, telegram_id)
        with use_language(user.language if user else self.default_language):
            text = _("⏳ Too fast. Please wait a couple of seconds and try again.")
        if callback is not None:
            await callback.answer(text, show_alert=False)
        elif update.message is not None:
            await update.message.answer(text)
