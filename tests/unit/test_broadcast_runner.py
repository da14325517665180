"""The broadcast runner survives a crash: killed mid-way and started again over the same
database, nobody gets the message twice, the delivery whose call was out is `unknown` (at
once, when the same instance restarts), the ones waiting for their slot and the pending
ones continue; two runners at once never take the same delivery; a short outage drops
nobody (retried from the database, across a restart); only 403 and 400 are final."""

import asyncio
from datetime import timedelta

from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import CopyMessage, EditMessageText
from sqlalchemy import select, update

from bot.config import Settings
from bot.delivery import Claimant, Sender
from bot.i18n import use_language
from bot.jobs.broadcasts import broadcast_tick
from bot.notices.broadcast import (
    STALE_AFTER,
    Launcher,
    RetryPolicy,
    launcher_for,
    progress_text,
    recover,
    run_broadcast,
    settle_previous_run,
)
from bot.services import broadcasts as service
from bot.services.broadcasts import Audience, Draft
from bot.startup.app import create_bot
from db.base import utcnow
from db.models import AudienceType, Broadcast, Delivery, User
from tests.chat import Person
from tests.conftest import make_settings
from tests.factories import make_user
from tests.fake_bot_api import FakeBotApi
from tests.handlers.test_broadcasts import copies
from tests.mocked_bot import MockedBot, MockedSession, QueuedError

PEOPLE = 20


def quick_sender(session_factory) -> Sender:
    return Sender(session_factory, rate=10_000, per_chat_interval=0, backoff=0)


async def audience_of(session, owner: Person, settings: Settings) -> int:
    author = await make_user(session, owner)
    for number in range(PEOPLE):
        await make_user(session, Person(id=6_000_000 + number, first_name=f"P{number}"))
    draft = Draft(owner.id, 77, "Hi", Audience(AudienceType.ALL), "announcement")
    progress = (owner.id, 1)  # not a real message: its edits fail and are only logged
    broadcast = await service.send_now(
        session, author.id, draft, settings, utcnow(), progress=progress
    )
    assert broadcast.total == PEOPLE + 1
    return broadcast.id


async def statuses(session, broadcast_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(Delivery.status).where(Delivery.broadcast_id == broadcast_id)
    )
    counted: dict[str, int] = {}
    for (status,) in rows:
        counted[status] = counted.get(status, 0) + 1
    return counted


class CrashingSession(MockedSession):
    """Kills the runner's task right after Telegram accepted the `crash_after`-th copy."""

    def __init__(self, crash_after: int) -> None:
        super().__init__()
        self.crash_after = crash_after
        self.task: asyncio.Task | None = None

    async def make_request(self, bot, method, timeout=None):
        result = await super().make_request(bot, method, timeout)
        if (
            isinstance(method, CopyMessage)
            and sum(isinstance(call, CopyMessage) for call in self.requests) == self.crash_after
        ):
            assert self.task is not None
            self.task.cancel()
            await asyncio.sleep(0)  # the cancellation lands here: the copy went, unrecorded
        return result


async def test_killed_mid_way_and_restarted_nobody_gets_it_twice(
    session, session_factory, settings, owner
):
    broadcast_id = await audience_of(session, owner, settings)
    bot = MockedBot()
    crashing = CrashingSession(crash_after=7)
    bot.session = crashing
    first = asyncio.create_task(
        run_broadcast(
            broadcast_id,
            bot=bot,
            session_factory=session_factory,
            sender=quick_sender(session_factory),
            settings=settings,
            concurrency=1,
        )
    )
    crashing.task = first
    await asyncio.gather(first, return_exceptions=True)
    assert first.cancelled()
    assert await statuses(session, broadcast_id) == {"sent": 6, "sending": 1, "pending": 14}

    # a new process over the same database (same bot account: the same chats)
    sender = quick_sender(session_factory)
    restarted = MockedBot()
    restarted.session.requests = crashing.requests
    restarted.session.results = crashing.results
    # The same instance restarted: its previous run's claim is settled at once, as unknown.
    assert await broadcast_tick(session_factory, restarted, sender, settings) == [broadcast_id]
    await launcher_for(sender).wait()
    assert await statuses(session, broadcast_id) == {"sent": 20, "unknown": 1}
    per_chat = copies(restarted)
    assert len(per_chat) == PEOPLE + 1 and set(per_chat.values()) == {1}  # zero duplicates
    broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
    assert broadcast.status == "done"
    assert (broadcast.sent, broadcast.unknown, broadcast.failed) == (20, 1, 0)
    # the in-flight one is the 7th copied
    seventh = [call for call in crashing.requests if isinstance(call, CopyMessage)][6]
    unknown = await session.scalar(select(Delivery.user_id).where(Delivery.status == "unknown"))
    user = await session.get(User, unknown)
    assert user.telegram_id == seventh.chat_id


async def test_rows_left_sending_by_a_dead_process_are_not_resent(
    session, session_factory, settings, owner
):
    broadcast_id = await audience_of(session, owner, settings)
    # a crash of a process with 8 workers: 5 deliveries were claimed, none recorded
    claimed = list(
        await session.scalars(
            select(Delivery.id).where(Delivery.broadcast_id == broadcast_id).limit(5)
        )
    )
    await session.execute(update(Delivery).where(Delivery.id.in_(claimed)).values(status="sending"))
    await session.commit()
    bot, sender = MockedBot(), quick_sender(session_factory)
    launcher = Launcher()
    launcher.launch(
        broadcast_id, bot=bot, session_factory=session_factory, sender=sender, settings=settings
    )
    await launcher.wait()
    # only the job's recovery may declare them unknown, once they are older than a send takes
    assert await statuses(session, broadcast_id) == {"sent": PEOPLE + 1 - 5, "sending": 5}
    await broadcast_tick(session_factory, bot, sender, settings)
    # the run this tick started finds nothing to send; it must end before the later tick, or
    # that tick sees it running, launches nothing, and the run's finish may precede recovery
    await launcher_for(sender).wait()
    assert await statuses(session, broadcast_id) == {"sent": PEOPLE + 1 - 5, "sending": 5}
    later = utcnow() + STALE_AFTER + timedelta(seconds=1)
    await broadcast_tick(session_factory, bot, sender, settings, now=later)
    await launcher_for(sender).wait()
    assert await statuses(session, broadcast_id) == {"sent": PEOPLE + 1 - 5, "unknown": 5}
    assert set(copies(bot).values()) == {1} and len(copies(bot)) == PEOPLE + 1 - 5
    broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
    assert broadcast.status == "done" and broadcast.unknown == 5


async def test_two_runners_at_once_never_take_the_same_delivery(
    session, session_factory, settings, owner
):
    broadcast_id = await audience_of(session, owner, settings)
    bot = MockedBot()
    runs = [
        run_broadcast(
            broadcast_id,
            bot=bot,
            session_factory=session_factory,
            sender=quick_sender(session_factory),
            settings=settings,
            concurrency=4,
        )
        for _ in range(2)
    ]
    await asyncio.gather(*runs)
    assert await statuses(session, broadcast_id) == {"sent": PEOPLE + 1}
    assert set(copies(bot).values()) == {1}


async def test_progress_is_edited_without_repeating_itself(
    session, session_factory, settings, owner
):
    author = await make_user(session, owner)
    for number in range(5):
        await make_user(session, Person(id=6_100_000 + number, first_name=f"P{number}"))
    draft = Draft(owner.id, 77, "Hi", Audience(AudienceType.ALL), "announcement")
    broadcast = await service.send_now(session, author.id, draft, settings, utcnow())
    bot = MockedBot()
    slow = Sender(session_factory, rate=20, per_chat_interval=0)  # about 0.3 s in all
    await run_broadcast(
        broadcast.id,
        bot=bot,
        session_factory=session_factory,
        sender=slow,
        settings=settings,
        concurrency=2,
        progress_interval=0.05,
    )
    edits = [
        (call, result)
        for call, result in zip(bot.session.requests, bot.session.results, strict=True)
        if isinstance(call, EditMessageText)
    ]
    assert edits and not any(isinstance(result, Exception) for _call, result in edits)
    texts = [call.text for call, _result in edits]
    assert len(texts) == len(set(texts))  # never the same text twice
    assert "finished" in texts[-1] and "✅ Sent: 6" in texts[-1]
    assert [b.text for row in edits[-1][0].reply_markup.inline_keyboard for b in row] == [
        "📊 Report (XLSX)"
    ]
    first = bot.session.requests[0]
    assert "sending" in first.text and "⛔ Stop sending" in str(first.reply_markup)


# --- issue 15: retries that outlive a short outage, claims right before the call ---------

QUICK_RETRY = RetryPolicy(first=0.01, longest=0.05, window=60)


class FlakySession(MockedSession):
    """Telegram is down for the first `down` copies: 502s and network errors in turn."""

    def __init__(self, down: int) -> None:
        super().__init__()
        self.down = down

    async def make_request(self, bot, method, timeout=None):
        if isinstance(method, CopyMessage) and self.down > 0:
            self.down -= 1
            if self.down % 2:
                self.fail_next(CopyMessage, 502, "Bad Gateway")
            else:
                self.requests.append(method)
                self.results.append(TelegramNetworkError(method, "Connection reset by peer"))
                raise self.results[-1]
        return await super().make_request(bot, method, timeout)


class DownFor(MockedSession):
    """Every copy to one chat meets a 502."""

    def __init__(self, chat_id: int) -> None:
        super().__init__()
        self.chat_id = chat_id

    async def make_request(self, bot, method, timeout=None):
        if isinstance(method, CopyMessage) and method.chat_id == self.chat_id:
            self.errors.appendleft(QueuedError(CopyMessage, 502, "Bad Gateway"))
        return await super().make_request(bot, method, timeout)


async def test_a_short_outage_drops_nobody(session, session_factory, settings, owner):
    """Item 7: six failed calls in a row (more than the old 3.5 s of in-call retries)."""
    broadcast_id = await audience_of(session, owner, settings)
    bot = MockedBot()
    bot.session = FlakySession(down=6)
    await run_broadcast(
        broadcast_id,
        bot=bot,
        session_factory=session_factory,
        sender=quick_sender(session_factory),
        settings=settings,
        concurrency=1,
        retry=QUICK_RETRY,
    )
    assert await statuses(session, broadcast_id) == {"sent": PEOPLE + 1}
    assert set(copies(bot).values()) == {1} and len(copies(bot)) == PEOPLE + 1
    attempts = list(await session.scalars(select(Delivery.attempts).order_by(Delivery.id)))
    assert sum(attempts) == PEOPLE + 1 + 6 and max(attempts) > 1
    broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
    assert broadcast.status == "done" and (broadcast.sent, broadcast.failed) == (PEOPLE + 1, 0)
    assert broadcast.retrying == 0


async def wait_for(session, broadcast_id: int, expected: dict[str, int]) -> None:
    for _ in range(200):
        session.expire_all()
        if await statuses(session, broadcast_id) == expected:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(await statuses(session, broadcast_id))


async def test_a_retrying_delivery_waits_across_a_restart_and_is_counted_apart(
    session, session_factory, settings, owner
):
    broadcast_id = await audience_of(session, owner, settings)
    bot = MockedBot()
    bot.session.fail_next(CopyMessage, 500, "Internal Server Error")
    stop = asyncio.Event()
    first = asyncio.create_task(
        run_broadcast(
            broadcast_id,
            bot=bot,
            session_factory=session_factory,
            sender=quick_sender(session_factory),
            settings=settings,
            concurrency=2,
            stop=stop,
            retry=RetryPolicy(first=120, longest=300, window=3600),
        )
    )
    await wait_for(session, broadcast_id, {"sent": PEOPLE, "retrying": 1})
    assert not first.done()  # the run waits for the retry instead of settling it
    stop.set()  # a graceful stop: the retry is left for the next process
    await first
    retrying = await session.scalar(select(Delivery).where(Delivery.status == "retrying"))
    assert retrying.attempts == 1 and retrying.last_error == "TelegramServerError"
    assert retrying.claimed_by is None
    due_in = (retrying.next_attempt_at - utcnow()).total_seconds()
    assert 100 < due_in <= 120
    broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
    assert broadcast.status == "sending" and (broadcast.retrying, broadcast.failed) == (1, 0)
    with use_language("en"):
        text = progress_text(broadcast, None)
    assert "🔁 Retrying (Telegram did not answer, tried again later): 1" in text
    assert "📬 Left: 0" in text and "⚠️ Failed: 0" in text
    with use_language("ru"):
        assert "🔁" in progress_text(broadcast, None) and "Retrying" not in progress_text(
            broadcast, None
        )

    # Two minutes later a new process starts: the job picks the retry up and it goes.
    await session.execute(
        update(Delivery)
        .where(Delivery.id == retrying.id)
        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )
    await session.commit()
    sender = quick_sender(session_factory)
    assert await broadcast_tick(session_factory, bot, sender, settings) == [broadcast_id]
    await launcher_for(sender).wait()
    assert await statuses(session, broadcast_id) == {"sent": PEOPLE + 1}
    assert set(copies(bot).values()) == {1} and len(copies(bot)) == PEOPLE + 1
    broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
    assert broadcast.status == "done" and broadcast.retrying == 0 and broadcast.sent == PEOPLE + 1


async def test_permanent_refusals_are_final_and_a_long_outage_gives_up(
    session, session_factory, settings, owner
):
    broadcast_id = await audience_of(session, owner, settings)
    bot = MockedBot()
    bot.session = DownFor(chat_id=6_000_002)  # the fourth recipient's Telegram stays down
    bot.session.fail_next(CopyMessage, 403, "Forbidden: bot was blocked by the user")
    bot.session.fail_next(CopyMessage, 400, "Bad Request: chat not found")
    bot.session.fail_next(CopyMessage, 400, "Bad Request: message to copy not found")
    await run_broadcast(
        broadcast_id,
        bot=bot,
        session_factory=session_factory,
        sender=quick_sender(session_factory),
        settings=settings,
        concurrency=1,
        retry=RetryPolicy(first=0.02, longest=0.05, window=0.3),
    )
    rows = list(await session.scalars(select(Delivery).order_by(Delivery.id)))
    assert [(row.status, row.attempts) for row in rows[:3]] == [
        ("blocked", 1),
        ("blocked", 1),
        ("failed", 1),
    ]
    assert rows[3].status == "failed" and rows[3].attempts > 2
    assert rows[3].last_error == "gave up: TelegramServerError"
    broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
    assert broadcast.status == "done" and broadcast.retrying == 0
    assert (broadcast.blocked, broadcast.failed) == (2, 2)


async def test_deliveries_waiting_for_their_slot_at_a_kill_are_sent_after_the_restart(
    session, session_factory, settings, owner
):
    """Item 9: four workers, paced at 4 a second; killed right after the first copy went.
    The three others were waiting for their slot: never sent, so not unknown either."""
    broadcast_id = await audience_of(session, owner, settings)
    bot = MockedBot()
    crashing = CrashingSession(crash_after=1)
    bot.session = crashing
    paced = Sender(session_factory, rate=4, per_chat_interval=0, backoff=0)
    first = asyncio.create_task(
        run_broadcast(
            broadcast_id,
            bot=bot,
            session_factory=session_factory,
            sender=paced,
            settings=settings,
            concurrency=4,
        )
    )
    crashing.task = first
    await asyncio.gather(first, return_exceptions=True)
    assert await statuses(session, broadcast_id) == {"sending": 1, "pending": PEOPLE}

    # The same instance starts again, at once (not STALE_AFTER later).
    restarted = MockedBot()
    restarted.session.requests = crashing.requests
    restarted.session.results = crashing.results
    sender = Sender(session_factory, rate=10_000, per_chat_interval=0, claimant=Claimant())
    assert sender.claimant.name == paced.claimant.name != "" and sender.claimant != paced.claimant
    assert await settle_previous_run(session_factory, sender) == [broadcast_id]
    await broadcast_tick(session_factory, restarted, sender, settings)
    await launcher_for(sender).wait()
    assert await statuses(session, broadcast_id) == {"sent": PEOPLE, "unknown": 1}
    assert set(copies(restarted).values()) == {1} and len(copies(restarted)) == PEOPLE + 1
    broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
    assert broadcast.status == "done" and (broadcast.sent, broadcast.unknown) == (PEOPLE, 1)


async def test_a_restart_settles_its_own_claims_and_leaves_a_live_process_alone(
    session, session_factory, settings, owner
):
    broadcast_id = await audience_of(session, owner, settings)
    ids = list(await session.scalars(select(Delivery.id).order_by(Delivery.id)))
    me = Claimant("host-a:127.0.0.1:8081")
    other = Claimant("host-b:127.0.0.1:8081")
    now = utcnow()
    claims = {
        ids[0]: ("sending", "host-a:127.0.0.1:8081#deadbeef0000"),  # my previous run
        ids[1]: ("sending", other.id),  # another process, calling Telegram now
        ids[2]: ("sending", me.id),  # this run (cannot happen at start-up; never touched)
        ids[3]: ("pending", "host-a:127.0.0.1:8081#deadbeef0000"),  # my old reservation
        ids[4]: ("pending", other.id),  # the other's reservation
    }
    for delivery_id, (status, claimed_by) in claims.items():
        await session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(status=status, claimed_by=claimed_by, updated_at=now)
        )
    await session.commit()
    factory = session_factory
    assert await recover(factory, me, utcnow()) == [broadcast_id]
    session.expire_all()
    rows = {
        row.id: (row.status, row.claimed_by)
        for row in await session.scalars(select(Delivery).where(Delivery.id.in_(claims)))
    }
    assert rows == {
        ids[0]: ("unknown", "host-a:127.0.0.1:8081#deadbeef0000"),
        ids[1]: ("sending", other.id),
        ids[2]: ("sending", me.id),
        ids[3]: ("pending", None),
        ids[4]: ("pending", other.id),
    }
    # The other process died without a restart: its claim is settled once it is older
    # than a call can take; this run's own claim still is not.
    later = utcnow() + STALE_AFTER + timedelta(seconds=1)
    await recover(factory, me, later)
    session.expire_all()
    query = select(Delivery.id, Delivery.status).where(Delivery.id.in_(claims))
    left = {delivery_id: status for delivery_id, status in await session.execute(query)}
    assert (left[ids[1]], left[ids[2]]) == ("unknown", "sending")


async def test_over_http_errors_are_told_apart_as_telegram_answers_them(
    session, session_factory, settings, owner, database_url
):
    """The same through aiogram's real HTTP session against a local fake Bot API: a proxy's
    HTML 502 page and a JSON 503 are retried, a 429 pauses and is retried, 403 and 400
    "chat not found" are final."""
    broadcast_id = await audience_of(session, owner, settings)
    api = FakeBotApi()
    await api.start()
    bot = create_bot(make_settings(database_url, telegram_api_url=api.url))
    try:
        api.fail_next("copyMessage", 502, "Bad Gateway", html=True)
        api.fail_next("copyMessage", 503, "Service Unavailable")
        api.fail_next("copyMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        api.fail_next("copyMessage", 403, "Forbidden: bot was blocked by the user")
        api.fail_next("copyMessage", 400, "Bad Request: chat not found")
        started = asyncio.get_running_loop().time()
        await run_broadcast(
            broadcast_id,
            bot=bot,
            session_factory=session_factory,
            sender=quick_sender(session_factory),
            settings=settings,
            concurrency=1,
            retry=QUICK_RETRY,
        )
    finally:
        await bot.session.close()
        await api.stop()
    assert asyncio.get_running_loop().time() - started >= 1  # the 429's pause
    assert await statuses(session, broadcast_id) == {"sent": PEOPLE - 1, "blocked": 2}
    delivered: dict[int, int] = {}
    for params in api.calls_of("copyMessage"):
        delivered[int(params["chat_id"])] = delivered.get(int(params["chat_id"]), 0) + 1
    assert len(delivered) == PEOPLE - 1 and set(delivered.values()) == {1}
    assert len(api.calls_of("copyMessage!")) == 5
    broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
    assert broadcast.status == "done" and (broadcast.sent, broadcast.blocked) == (PEOPLE - 1, 2)
