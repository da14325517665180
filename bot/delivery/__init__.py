"""The one way out to Telegram for every message the bot starts itself.

Receipts, reminders, notices and broadcasts all go through a `Sender`: it paces sending
(about `SEND_RATE` messages per second overall, one per second per chat), pauses every
send for `retry_after` when Telegram answers 429 (and looks at that pause once more right
before each call goes out), marks a user who blocked the bot (403, or a chat that no
longer exists) inactive, and retries server and network errors a bounded number of times
with backoff. Broadcast deliveries use `copy_once` instead: one call, claimed in the
database right before it goes, and a transient failure handed back to the caller, which
retries it later from the database (minutes, across restarts). It never raises for a
Telegram refusal, so one unreachable person never stops a loop over many, and it never
holds a database transaction open while waiting for Telegram: callers commit first and
send afterwards.
Whether a person may receive a message at all is asked before, through
`bot.services.recipients` (re-exported here).
"""

import asyncio
import platform
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InputFile
from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.limiter import Limiter, MemoryLimiter, Sleep, default_sleep
from bot.i18n import use_language
from bot.services import users as users_service
from bot.services.recipients import Recipient, recipients, staff_recipients

__all__ = [
    "Claimant",
    "Limiter",
    "MemoryLimiter",
    "Outcome",
    "Recipient",
    "Sender",
    "Sent",
    "recipients",
    "staff_recipients",
]

# Worth another try later: Telegram's 5xx, no answer at all, or a page that is not the Bot
# API's (a proxy in front of it answering 502 with HTML).
TRANSIENT = (TelegramServerError, TelegramNetworkError, ClientDecodeError)
# Bad Request descriptions that mean the person cannot be reached at all.
UNREACHABLE = ("chat not found", "user is deactivated", "peer_id_invalid", "bot was kicked")


class Outcome(StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"
    RETRY = "retry"  # transient (5xx, network, 429): not sent, try again later


@dataclass(frozen=True, slots=True)
class Sent:
    outcome: Outcome
    message_id: int | None = None
    error: str | None = None
    retry_after: float | None = None  # from a 429


def instance_name(webhook_listen: str | None = None) -> str:
    """The same for every run of one bot process slot: the host, and the address its
    webhook server listens on (polling: one process per bot, Telegram allows no second)."""
    return f"{platform.node()}:{webhook_listen or 'polling'}"


class Claimant:
    """Who claims deliveries: this run of a process. `id` (name and a run id) is stored
    on the rows it holds, so a restart of the same instance recognises its previous
    run's claims as dead, and never takes another live process's for its own."""

    def __init__(self, name: str | None = None) -> None:
        self.name = (name or instance_name())[:48]
        self.id = f"{self.name}#{uuid.uuid4().hex[:12]}"

    @property
    def previous_runs(self) -> str:
        """The prefix of every run's id of this instance."""
        return f"{self.name}#"


class Sender:
    """Sends on the bot's own initiative within Telegram's limits; one per process.

    `attempts` bounds tries on 5xx and network errors (waiting `backoff`, then twice as
    long each time); `max_throttled` bounds how many 429s one message may meet before it
    is given up as failed (each one pauses every send for its `retry_after`).
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession] | None,
        *,
        rate: float = 25,
        per_chat_interval: float = 1.0,
        attempts: int = 4,
        backoff: float = 0.5,
        max_throttled: int = 10,
        limiter: Limiter | None = None,
        sleep: Sleep = default_sleep,
        claimant: Claimant | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.claimant = claimant or Claimant()
        self.limiter = limiter or MemoryLimiter(rate, per_chat_interval, sleep=sleep)
        self.attempts = attempts
        self.backoff = backoff
        self.max_throttled = max_throttled
        self._sleep = sleep
        self._background: set[asyncio.Future[None]] = set()

    def in_background(self, work: Awaitable[None]) -> None:
        """Run `work` (notices a handler sends after answering) without keeping the update
        in flight: the person who acted can go on while the pace lets the notices out. A
        graceful stop waits for it (`wait_background`)."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Future[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.opt(exception=task.exception()).error("sending in the background failed")

    async def wait_background(self) -> None:
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    async def notify(
        self,
        bot: Bot,
        recipient: Recipient,
        render: Callable[[], str],
        reply_markup: Callable[[], Any] | None = None,
    ) -> Sent:
        """Render the text (and keyboard) in the recipient's language, then send it."""
        with use_language(recipient.language):
            text = render()
            markup = reply_markup() if reply_markup else None
        return await self.send_text(bot, recipient, text, markup)

    async def send_text(
        self, bot: Bot, recipient: Recipient, text: str, reply_markup: Any = None
    ) -> Sent:
        return await self._deliver(
            recipient,
            lambda: bot.send_message(recipient.telegram_id, text, reply_markup=reply_markup),
        )

    async def reply_text(
        self, bot: Bot, recipient: Recipient, text: str, reply_markup: Any = None
    ) -> Sent:
        """An answer to what the person just did: it goes at once, outside the pace (as
        every reply does); only when Telegram answers 429 does it wait, pausing every
        send, and go again the way `send_text` does. Other errors are the caller's."""
        try:
            message = await bot.send_message(recipient.telegram_id, text, reply_markup=reply_markup)
        except TelegramRetryAfter as error:
            logger.warning("Telegram asked to wait {} s (429)", error.retry_after)
            await self.limiter.pause(error.retry_after)
            return await self.send_text(bot, recipient, text, reply_markup)
        return Sent(Outcome.SENT, message_id=message.message_id)

    async def copy(
        self,
        bot: Bot,
        recipient: Recipient,
        from_chat_id: int,
        message_id: int,
        reply_markup: Any = None,
    ) -> Sent:
        """copyMessage: the original's formatting and media, without a "forwarded" header."""
        return await self._deliver(
            recipient,
            lambda: bot.copy_message(
                recipient.telegram_id, from_chat_id, message_id, reply_markup=reply_markup
            ),
        )

    async def send_file(
        self,
        bot: Bot,
        recipient: Recipient,
        file: str | InputFile,
        *,
        photo: bool = False,
        caption: str | None = None,
    ) -> Sent:
        """sendPhoto or sendDocument: a file Telegram keeps (by its id) or an upload."""
        send = bot.send_photo if photo else bot.send_document
        return await self._deliver(
            recipient, lambda: send(recipient.telegram_id, file, caption=caption)
        )

    async def copy_once(
        self,
        bot: Bot,
        recipient: Recipient,
        from_chat_id: int,
        message_id: int,
        *,
        claim: Callable[[], Awaitable[bool]],
        unclaim: Callable[[], Awaitable[None]],
    ) -> Sent | None:
        """One copyMessage for a broadcast delivery: wait for the slot, `claim` the row,
        look at the pause once more, send. None when the claim was lost (another runner
        has the row): nothing was sent. A pause found after the claim hands the row back
        (`unclaim`) before waiting, so a claim is only ever held across the call itself."""
        claimed = False
        while True:
            await self.limiter.acquire(recipient.telegram_id)
            if not claimed:
                if not await claim():
                    return None
                claimed = True
            if await self.limiter.paused_for() > 0:  # a 429 met elsewhere meanwhile
                await unclaim()
                claimed = False
                continue
            try:
                result = await bot.copy_message(recipient.telegram_id, from_chat_id, message_id)
            except TelegramRetryAfter as error:
                logger.warning("Telegram asked to wait {} s (429)", error.retry_after)
                await self.limiter.pause(error.retry_after)
                return Sent(Outcome.RETRY, error="429", retry_after=error.retry_after)
            except TRANSIENT as error:
                logger.warning(
                    "message to user {} not delivered yet: {}",
                    recipient.user_id,
                    type(error).__name__,
                )
                return Sent(Outcome.RETRY, error=type(error).__name__)
            except TelegramAPIError as error:
                return await self._refused(recipient, error)
            return Sent(Outcome.SENT, message_id=getattr(result, "message_id", None))

    async def _refused(self, recipient: Recipient, error: TelegramAPIError) -> Sent:
        """A permanent refusal: blocked, gone, or a request Telegram will never take."""
        if isinstance(error, TelegramForbiddenError):
            return await self._unreachable(recipient, "403")
        if isinstance(error, TelegramBadRequest) and any(
            sign in error.message.lower() for sign in UNREACHABLE
        ):
            return await self._unreachable(recipient, "400")
        return self._failed(recipient, error)

    async def _deliver(self, recipient: Recipient, call: Callable[[], Awaitable[Any]]) -> Sent:
        failures = throttled = 0
        while True:
            await self.limiter.acquire(recipient.telegram_id)
            try:
                result = await call()
            except TelegramRetryAfter as error:
                throttled += 1
                logger.warning("Telegram asked to wait {} s (429)", error.retry_after)
                await self.limiter.pause(error.retry_after)
                if throttled >= self.max_throttled:
                    return Sent(Outcome.FAILED, error="429")
            except TelegramForbiddenError:
                return await self._unreachable(recipient, "403")
            except TelegramBadRequest as error:
                if any(sign in error.message.lower() for sign in UNREACHABLE):
                    return await self._unreachable(recipient, "400")
                return self._failed(recipient, error)
            except TRANSIENT as error:
                failures += 1
                if failures >= self.attempts:
                    return self._failed(recipient, error)
                await self._sleep(self.backoff * 2 ** (failures - 1))
            except TelegramAPIError as error:
                return self._failed(recipient, error)
            else:
                return Sent(Outcome.SENT, message_id=getattr(result, "message_id", None))

    async def _unreachable(self, recipient: Recipient, code: str) -> Sent:
        logger.info("user {} cannot be reached ({}); marked inactive", recipient.user_id, code)
        if self.session_factory is not None:
            async with self.session_factory() as session:
                await users_service.set_reachable(session, recipient.telegram_id, False)
        return Sent(Outcome.BLOCKED, error=code)

    @staticmethod
    def _failed(recipient: Recipient, error: Exception) -> Sent:
        logger.warning("message to user {} failed: {}", recipient.user_id, type(error).__name__)
        return Sent(Outcome.FAILED, error=type(error).__name__)
