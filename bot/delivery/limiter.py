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
    """Every backend checks the pause last: `acquire` returns only at a moment no pause is
    on, however long ago the slot was reserved, and `paused_for` lets a sender look once
    more right before its call goes out (a 429 met by another sender, or another process,
    while this one waited or wrote its claim)."""

    async def acquire(self, chat_id: int) -> None:
        """Wait until a message to `chat_id` may go."""

    async def pause(self, seconds: float) -> None:
        """Hold every send for `seconds` (Telegram's retry_after)."""

    async def paused_for(self) -> float:
        """Seconds left of the pause now on; 0 when there is none."""


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

    async def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._clock())

    def _forget_idle_chats(self, now: float) -> None:
        if len(self._next_in_chat) > 10_000:
            self._next_in_chat = {c: t for c, t in self._next_in_chat.items() if t > now}


# KEYS: next slot, pause end, the chat's next slot. ARGV: interval, per-chat interval (ms).
# Returns how many ms to wait; Redis's own clock, so every process agrees on "now".
_RESERVE = """
local t = redis.call('time')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local start = math.max(now, tonumber(redis.call('get', KEYS[1]) or 0),
  tonumber(redis.call('get', KEYS[2]) or 0), tonumber(redis.call('get', KEYS[3]) or 0))
local interval = tonumber(ARGV[1])
local per_chat = tonumber(ARGV[2])
redis.call('set', KEYS[1], start + interval, 'px', math.max(start + interval - now, 1) + 60000)
if per_chat > 0 then
  redis.call('set', KEYS[3], start + per_chat, 'px', start + per_chat - now + 1000)
end
return start - now
"""
_PAUSE = """
local t = redis.call('time')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local until_ms = now + tonumber(ARGV[1])
if until_ms > tonumber(redis.call('get', KEYS[1]) or 0) then
  redis.call('set', KEYS[1], until_ms, 'px', tonumber(ARGV[1]) + 60000)
end
return until_ms
"""
# KEYS: pause end. Returns how many ms of the pause are left (0: none), by Redis's clock.
_PAUSE_LEFT = """
local t = redis.call('time')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
return math.max(0, tonumber(redis.call('get', KEYS[1]) or 0) - now)
"""


class RedisLimiter:
    """The same pacing shared by every process of the bot (issue: several processes
    together must stay under Telegram's per-bot limit)."""

    def __init__(
        self,
        redis,
        rate: float,
        per_chat_interval: float = 1.0,
        *,
        prefix: str = "educrm:send",
        sleep: Sleep = default_sleep,
    ) -> None:
        self.redis = redis
        self.interval_ms = max(1, round(1000 / rate))
        self.per_chat_ms = round(per_chat_interval * 1000)
        self.prefix = prefix
        self._sleep = sleep

    async def acquire(self, chat_id: int) -> None:
        keys = (f"{self.prefix}:next", f"{self.prefix}:paused", f"{self.prefix}:chat:{chat_id}")
        while True:
            wait_ms = await self.redis.eval(_RESERVE, 3, *keys, self.interval_ms, self.per_chat_ms)
            if int(wait_ms) > 0:
                await self._sleep(int(wait_ms) / 1000)
            # A 429 met by any process while this slot waited: a new slot after the pause
            # (the reservation above starts no earlier than the pause's end).
            if await self.paused_for() <= 0:
                return

    async def pause(self, seconds: float) -> None:
        await self.redis.eval(_PAUSE, 1, f"{self.prefix}:paused", round(seconds * 1000))

    async def paused_for(self) -> float:
        return int(await self.redis.eval(_PAUSE_LEFT, 1, f"{self.prefix}:paused")) / 1000
