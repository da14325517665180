"""Outbound pacing: Telegram allows about 30 messages per second per bot and one per second
per chat, and answers 429 with `retry_after` when a bot goes faster."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


async def default_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


class Limiter(Protocol):
    async def acquire(self, chat_id: int) -> None:
        """Wait until a message to `chat_id` may go."""

    async def pause(self, seconds: float) -> None:
        """Hold every send for `seconds` (Telegram's retry_after)."""


class MemoryLimiter:
    """One process's pacing: each send reserves the next free slot overall and in its chat.

    Slots are handed out under a lock, so concurrent senders queue fairly instead of all
    waking at once; a pause moves every slot not yet used past its end.
    """

    def __init__(
        self,
        rate: float,
        per_chat_interval: float = 1.0,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = default_sleep,
    ) -> None:
        self.interval = 1 / rate
        self.per_chat_interval = per_chat_interval
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._next_slot = 0.0
        self._next_in_chat: dict[int, float] = {}
        self._paused_until = 0.0

    async def acquire(self, chat_id: int) -> None:
        while True:
            async with self._lock:
                now = self._clock()
                start = max(
                    now, self._next_slot, self._paused_until, self._next_in_chat.get(chat_id, 0.0)
                )
                self._next_slot = start + self.interval
                self._next_in_chat[chat_id] = start + self.per_chat_interval
                self._forget_idle_chats(now)
            if start > now:
                await self._sleep(start - now)
            # A 429 met by another send while this one waited pauses this one too.
            if self._clock() >= self._paused_until:
                return

    async def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _forget_idle_chats(self, now: float) -> None:
        if len(self._next_in_chat) > 10_000:
            self._next_in_chat = {c: t for c, t in self._next_in_chat.items() if t > now}
