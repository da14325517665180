"""The broadcast runner: delivers a broadcast's pending deliveries through the `Sender`.

Each worker reserves ONE due delivery (pending, or retrying whose next attempt is due),
waits for its slot in the pace, then claims it (`sending`, committed) right before the
call, copies the message (no transaction open while Telegram is asked), and records the
outcome with the broadcast's counter in one short transaction. So a crash leaves at most
one delivery per worker in `sending`, and only one whose call had gone out: `recover`
turns those into `unknown` and they are never sent again, while reservations (never
sent) and the pending and retrying ones simply continue in the next run.

A transient failure (5xx, a network error, 429) is not final: the delivery becomes
`retrying` with its next attempt stored on the row (a backoff doubling from
`RetryPolicy.first` up to `longest`, or a 429's own retry_after), for up to `window`
after its first failure; only then, or on a permanent refusal (403, 400), is it settled
as failed or blocked. The broadcast is done when nothing is pending, retrying or in
flight.

One message in the author's chat shows the progress (edited at most every few seconds,
never with the same text twice) and becomes the final report.
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from weakref import WeakKeyDictionary

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import Claimant, Limiter, Outcome, Recipient, Sender, Sent
from bot.i18n import _, use_language
from bot.services import broadcasts as broadcast_service
from bot.services import consent as consent_service
from db.base import utcnow
from db.models import Broadcast, BroadcastStatus, DeliveryStatus, User
from db.repositories import broadcasts as repo
from keyboards.broadcasts import progress_markup, report_markup

CONCURRENCY = 8  # deliveries in flight at once; the Sender paces them
PROGRESS_INTERVAL = 3.0  # seconds between two edits of the progress message
# A claim covers one call to Telegram, which ends within the Bot API session's timeout
# (60 s): a delivery another run left `sending` for longer than this was left by a dead
# process. This instance's own previous runs' claims are settled at once (`recover`).
STALE_AFTER = timedelta(minutes=5)
# A reservation covers the pacing wait (a 429 pause included); an older one may be taken.
RESERVATION_LEASE = timedelta(minutes=2)
IDLE_CHECK = 30.0  # seconds at most between two looks for a due retry
STATUS_OF = {
    Outcome.SENT: DeliveryStatus.SENT,
    Outcome.BLOCKED: DeliveryStatus.BLOCKED,
    Outcome.FAILED: DeliveryStatus.FAILED,
}


# --- texts ---------------------------------------------------------------------------------


def duration_text(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return _("{seconds} s").format(seconds=seconds)
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return _("{minutes} min {seconds} s").format(minutes=minutes, seconds=rest)
    hours, minutes = divmod(minutes, 60)
    return _("{hours} h {minutes} min").format(hours=hours, minutes=minutes)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When a delivery Telegram failed for a while is tried again, and for how long."""

    first: float = 15.0  # seconds before the second attempt; then twice as long each time
    longest: float = 300.0  # seconds between two attempts at most
    window: float = 45 * 60.0  # seconds after the first failure; then it is failed

    def delay(self, attempts: int, retry_after: float | None) -> float:
        if retry_after is not None:  # 429: Telegram said how long
            return max(float(retry_after), 0.0)
        return min(self.first * 2 ** max(0, attempts - 1), self.longest)


DEFAULT_RETRY = RetryPolicy()


def left_of(broadcast: Broadcast) -> int:
    """Not tried yet (the retrying ones are counted apart)."""
    done = (
        broadcast.sent
        + broadcast.failed
        + broadcast.blocked
        + broadcast.unknown
        + broadcast.cancelled
        + broadcast.retrying
    )
    return max(0, broadcast.total - done)


def counts_lines(broadcast: Broadcast) -> list[str]:
    lines = [
        _("👥 Recipients: {total}").format(total=broadcast.total),
        _("✅ Sent: {sent}").format(sent=broadcast.sent),
        _("⚠️ Failed: {failed}").format(failed=broadcast.failed),
        _("🚫 Blocked the bot: {blocked}").format(blocked=broadcast.blocked),
    ]
    if broadcast.retrying:
        lines.append(
            _("🔁 Retrying (Telegram did not answer, tried again later): {retrying}").format(
                retrying=broadcast.retrying
            )
        )
    if broadcast.unknown:
        lines.append(
            _("❔ Unknown (in flight at a restart, not resent): {unknown}").format(
                unknown=broadcast.unknown
            )
        )
    if broadcast.cancelled:
        lines.append(
            _("✋ Not sent (cancelled): {cancelled}").format(cancelled=broadcast.cancelled)
        )
    return lines


def title_text(broadcast: Broadcast) -> str:
    if broadcast.incident:
        return _("🚨 Incident notice #{id}").format(id=broadcast.id)
    return _("📣 Broadcast #{id}").format(id=broadcast.id)


def progress_text(broadcast: Broadcast, eta_seconds: float | None) -> str:
    lines = [_("⏳ <b>{title}: sending</b>").format(title=title_text(broadcast)), ""]
    lines += counts_lines(broadcast)
    left = left_of(broadcast)
    lines.append(_("📬 Left: {left}").format(left=left))
    if left and eta_seconds is not None:
        lines.append(_("🕘 About {time} to go").format(time=duration_text(eta_seconds)))
    return "\n".join(lines)


def report_text(broadcast: Broadcast) -> str:
    if broadcast.status == BroadcastStatus.CANCELLED:
        head = _("❌ <b>{title}: cancelled</b>")
    else:
        head = _("✅ <b>{title}: finished</b>")
    lines = [head.format(title=title_text(broadcast)), ""]
    lines += counts_lines(broadcast)
    if broadcast.started_at and broadcast.finished_at:
        took = (broadcast.finished_at - broadcast.started_at).total_seconds()
        lines.append(_("⏱ Took {time}").format(time=duration_text(took)))
    return "\n".join(lines)


# --- the run -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Source:
    broadcast_id: int
    chat_id: int
    message_id: int
    category: str


class Progress:
    """The progress message: edited no more often than `interval`, never with the same text."""

    def __init__(
        self,
        bot: Bot,
        chat_id: int | None,
        message_id: int | None,
        language: str,
        *,
        rate: float,
        clock: Callable[[], float],
        limiter: Limiter | None = None,
    ) -> None:
        self.bot, self.chat_id, self.message_id = bot, chat_id, message_id
        # The edits count against the bot's rate like the copies: they take a slot too.
        self.limiter = limiter
        self.language, self.rate, self.clock = language, rate, clock
        self.started = clock()
        self.first_left: int | None = None
        self.last_text: str | None = None

    def eta(self, broadcast: Broadcast) -> float:
        left = left_of(broadcast)
        if self.first_left is None:
            self.first_left = left
        elapsed = self.clock() - self.started
        done = self.first_left - left
        rate = done / elapsed if done > 0 and elapsed > 1 else self.rate
        return left / max(rate, 0.1)

    async def show(self, broadcast: Broadcast, *, final: bool = False) -> None:
        with use_language(self.language):
            if final:
                text, markup = report_text(broadcast), report_markup(broadcast.id)
            else:
                text, markup = (
                    progress_text(broadcast, self.eta(broadcast)),
                    progress_markup(broadcast.id),
                )
        if text == self.last_text or self.chat_id is None:
            return
        self.last_text = text
        if self.limiter is not None:
            await self.limiter.acquire(self.chat_id)
        try:
            if self.message_id is None:
                message = await self.bot.send_message(self.chat_id, text, reply_markup=markup)
                self.message_id = message.message_id
            else:
                await self.bot.edit_message_text(
                    text, chat_id=self.chat_id, message_id=self.message_id, reply_markup=markup
                )
        except TelegramAPIError as error:  # a deleted message, a 429: the sending goes on
            logger.info("broadcast {}: progress not shown ({})", broadcast.id, error)
            if final and self.message_id is not None and "not modified" not in str(error):
                self.message_id = None
                await self._send_anew(text, markup, broadcast.id)

    async def _send_anew(self, text: str, markup: object, broadcast_id: int) -> None:
        try:
            await self.bot.send_message(self.chat_id, text, reply_markup=markup)  # type: ignore[arg-type]
        except TelegramAPIError as error:
            logger.warning("broadcast {}: the report could not be sent ({})", broadcast_id, error)


async def _unsendable(
    session: AsyncSession, user: User | None, category: str, policy_version: str
) -> tuple[DeliveryStatus | None, str | None]:
    if user is None or user.telegram_id is None or user.deleted_at or not user.is_active:
        return DeliveryStatus.BLOCKED, "inactive"
    kind = broadcast_service.consent_category(category)
    if not await consent_service.may_send(session, user.id, kind, policy_version):
        return DeliveryStatus.CANCELLED, "no consent"
    return None, None


async def recover(
    session_factory: async_sessionmaker[AsyncSession], claimant: Claimant, now: datetime
) -> list[int]:
    """Settle the claims dead runs left: this instance's previous runs' at once (this run
    is their restart), anyone else's once older than STALE_AFTER; never this run's."""
    async with session_factory() as session:
        return await broadcast_service.recover(
            session,
            now,
            current=claimant.id,
            cutoff=now - STALE_AFTER,
            previous_runs_of=claimant.previous_runs,
        )


async def settle_previous_run(
    session_factory: async_sessionmaker[AsyncSession], sender: Sender
) -> list[int]:
    """At start-up, on every process (the broadcast job runs on the leader only)."""
    return await recover(session_factory, sender.claimant, utcnow())


@dataclass(frozen=True, slots=True)
class Held:
    reserved: repo.Reserved
    recipient: Recipient


NOTHING_DUE = "nothing due"


async def _reserve(
    session_factory: async_sessionmaker[AsyncSession],
    source: Source,
    policy_version: str,
    claimant: Claimant,
) -> Held | str | None:
    """Reserve the next due delivery. NOTHING_DUE: none is due now; None: one was settled
    without sending (a person no longer reachable, or without consent)."""
    async with session_factory() as session:
        now = utcnow()
        reserved = await repo.reserve_next(
            session, source.broadcast_id, claimant.id, now, now - RESERVATION_LEASE
        )
        if reserved is None:
            await session.rollback()
            return NOTHING_DUE
        user = await repo.delivery_user(session, reserved.id)
        status, error = await _unsendable(session, user, source.category, policy_version)
        if status is not None:
            await repo.settle(
                session,
                source.broadcast_id,
                reserved.id,
                status,
                now,
                error,
                reserved=reserved,
                claimant=claimant.id,
            )
            await session.commit()
            return None
        await session.commit()
        assert user is not None and user.telegram_id is not None
        return Held(reserved, Recipient(user.id, user.telegram_id, user.language))


async def _claim(
    session_factory: async_sessionmaker[AsyncSession],
    broadcast_id: int,
    reserved: repo.Reserved,
    claimant: Claimant,
) -> bool:
    async with session_factory() as session:
        claimed = await repo.claim(session, broadcast_id, reserved, claimant.id, utcnow())
        await session.commit()
        return claimed


async def _unclaim(
    session_factory: async_sessionmaker[AsyncSession],
    broadcast_id: int,
    reserved: repo.Reserved,
    claimant: Claimant,
) -> None:
    async with session_factory() as session:
        await repo.unclaim(session, broadcast_id, reserved, claimant.id, utcnow())
        await session.commit()


async def _record(
    session_factory: async_sessionmaker[AsyncSession],
    broadcast_id: int,
    reserved: repo.Reserved,
    sent: Sent,
    retry: RetryPolicy,
) -> None:
    now = utcnow()
    async with session_factory() as session:
        if sent.outcome is Outcome.RETRY:
            failing_since = reserved.failing_since or now
            if (now - failing_since).total_seconds() < retry.window:
                delay = retry.delay(reserved.attempts + 1, sent.retry_after)
                await repo.retry_later(
                    session,
                    broadcast_id,
                    reserved.id,
                    now,
                    now + timedelta(seconds=delay),
                    sent.error or "retry",
                )
                await session.commit()
                return
            status, error = DeliveryStatus.FAILED, f"gave up: {sent.error}"
        else:
            status, error = STATUS_OF[sent.outcome], sent.error
        await repo.settle(session, broadcast_id, reserved.id, status, now, error)
        await session.commit()


async def _wait_for_a_retry(
    session_factory: async_sessionmaker[AsyncSession], broadcast_id: int, stop: asyncio.Event
) -> bool:
    """Nothing is due now: wait until the earliest retry is (False: none is retrying)."""
    async with session_factory() as session:
        due = await repo.next_retry_at(session, broadcast_id)
    if due is None:
        return False
    wait = (due - utcnow()).total_seconds()
    if wait <= 0:  # due, but another runner holds it for now
        wait = 1.0
    try:
        await asyncio.wait_for(stop.wait(), timeout=min(wait, IDLE_CHECK))
    except TimeoutError:
        pass
    return True


async def _worker(
    bot: Bot,
    session_factory: async_sessionmaker[AsyncSession],
    sender: Sender,
    source: Source,
    policy_version: str,
    stop: asyncio.Event,
    retry: RetryPolicy,
) -> None:
    claimant = sender.claimant
    while not stop.is_set():  # a stopping process finishes its current delivery, no more
        held = await _reserve(session_factory, source, policy_version, claimant)
        if held == NOTHING_DUE:
            if await _wait_for_a_retry(session_factory, source.broadcast_id, stop):
                continue
            return
        if not isinstance(held, Held):
            continue
        reserved = held.reserved
        # Cancelled while the call is out: the row stays `sending` and becomes unknown.
        sent = await sender.copy_once(
            bot,
            held.recipient,
            source.chat_id,
            source.message_id,
            claim=partial(_claim, session_factory, source.broadcast_id, reserved, claimant),
            unclaim=partial(_unclaim, session_factory, source.broadcast_id, reserved, claimant),
        )
        if sent is not None:
            await _record(session_factory, source.broadcast_id, reserved, sent, retry)


async def _load(
    session_factory: async_sessionmaker[AsyncSession], broadcast_id: int
) -> tuple[Broadcast | None, str]:
    async with session_factory() as session:
        broadcast = await repo.get(session, broadcast_id)
        language = "uz"
        if broadcast is not None and broadcast.author_id is not None:
            author = await session.get(User, broadcast.author_id)
            if author is not None:
                language = author.language
                if broadcast.progress_chat_id is None and author.telegram_id is not None:
                    broadcast.progress_chat_id = author.telegram_id
        return broadcast, language


async def _remember_progress(
    session_factory: async_sessionmaker[AsyncSession], broadcast_id: int, progress: Progress
) -> None:
    async with session_factory() as session:
        broadcast = await repo.get(session, broadcast_id)
        if broadcast is not None and broadcast.progress_message_id is None:
            broadcast.progress_chat_id = progress.chat_id
            broadcast.progress_message_id = progress.message_id
            await session.commit()


async def run_broadcast(
    broadcast_id: int,
    *,
    bot: Bot,
    session_factory: async_sessionmaker[AsyncSession],
    sender: Sender,
    settings: Settings,
    concurrency: int = CONCURRENCY,
    progress_interval: float = PROGRESS_INTERVAL,
    clock: Callable[[], float] = time.monotonic,
    stop: asyncio.Event | None = None,
    retry: RetryPolicy | None = None,
) -> None:
    """Deliver what is pending and retry what failed for a while; mark the broadcast done
    and report when nothing is left.

    Setting `stop` (a graceful shutdown) lets each worker finish the delivery in hand and
    leaves the rest pending (or retrying) for the next process.
    """
    retry = retry or DEFAULT_RETRY
    stop = stop or asyncio.Event()
    broadcast, language = await _load(session_factory, broadcast_id)
    if broadcast is None or broadcast.status != BroadcastStatus.SENDING:
        return
    source = Source(
        broadcast.id, broadcast.source_chat_id, broadcast.source_message_id, broadcast.category
    )
    progress = Progress(
        bot,
        broadcast.progress_chat_id,
        broadcast.progress_message_id,
        language,
        rate=settings.runtime.send_rate,
        clock=clock,
        limiter=sender.limiter,
    )
    await progress.show(broadcast)
    if broadcast.progress_message_id is None and progress.message_id is not None:
        await _remember_progress(session_factory, broadcast_id, progress)
    version = settings.centre.policy_version
    workers = [
        asyncio.create_task(_worker(bot, session_factory, sender, source, version, stop, retry))
        for _ in range(max(1, concurrency))
    ]
    reporter = asyncio.create_task(
        _report_progress(session_factory, broadcast_id, progress, progress_interval)
    )
    try:
        await asyncio.gather(*workers)
    finally:
        reporter.cancel()
        for worker in workers:
            worker.cancel()
    await _finish(session_factory, broadcast_id, progress)


async def _report_progress(
    session_factory: async_sessionmaker[AsyncSession],
    broadcast_id: int,
    progress: Progress,
    interval: float,
) -> None:
    while True:
        await asyncio.sleep(interval)
        async with session_factory() as session:
            broadcast = await repo.get(session, broadcast_id)
        if broadcast is None or broadcast.status != BroadcastStatus.SENDING:
            return
        await progress.show(broadcast)


async def _finish(
    session_factory: async_sessionmaker[AsyncSession], broadcast_id: int, progress: Progress
) -> None:
    async with session_factory() as session:
        done = await broadcast_service.finish_if_done(session, broadcast_id, utcnow())
        broadcast = await repo.get(session, broadcast_id)
    if broadcast is None:
        return
    if done or broadcast.status == BroadcastStatus.CANCELLED:
        logger.info(
            "broadcast {} {}: sent {}, failed {}, blocked {}, unknown {}, cancelled {}",
            broadcast_id,
            broadcast.status,
            broadcast.sent,
            broadcast.failed,
            broadcast.blocked,
            broadcast.unknown,
            broadcast.cancelled,
        )
        await progress.show(broadcast, final=True)


# --- one launcher per sender (that is, per process) ----------------------------------------


class Launcher:
    """Runs each broadcast at most once at a time in this process, in the background."""

    def __init__(self) -> None:
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.stopping = asyncio.Event()

    def running(self, broadcast_id: int) -> bool:
        task = self.tasks.get(broadcast_id)
        return task is not None and not task.done()

    def launch(
        self,
        broadcast_id: int,
        *,
        bot: Bot,
        session_factory: async_sessionmaker[AsyncSession],
        sender: Sender,
        settings: Settings,
        **options: object,
    ) -> bool:
        if self.running(broadcast_id) or self.stopping.is_set():
            return False
        task = asyncio.create_task(
            run_broadcast(
                broadcast_id,
                bot=bot,
                session_factory=session_factory,
                sender=sender,
                settings=settings,
                stop=self.stopping,
                **options,  # type: ignore[arg-type]
            ),
            name=f"broadcast-{broadcast_id}",
        )
        self.tasks[broadcast_id] = task
        task.add_done_callback(lambda done: self._forget(broadcast_id, done))
        return True

    def _forget(self, broadcast_id: int, task: asyncio.Task[None]) -> None:
        if self.tasks.get(broadcast_id) is task:
            del self.tasks[broadcast_id]
        if not task.cancelled() and task.exception() is not None:
            logger.opt(exception=task.exception()).error("broadcast {} stopped", broadcast_id)

    async def wait(self) -> None:
        while self.tasks:
            await asyncio.gather(*list(self.tasks.values()), return_exceptions=True)

    async def drain(self) -> None:
        """Graceful stop: no new broadcast, each worker ends after its current delivery."""
        self.stopping.set()
        await self.wait()


_launchers: "WeakKeyDictionary[Sender, Launcher]" = WeakKeyDictionary()


def launcher_for(sender: Sender) -> Launcher:
    launcher = _launchers.get(sender)
    if launcher is None:
        launcher = _launchers[sender] = Launcher()
    return launcher
