"""The broadcast runner survives a crash: killed mid-way and started again over the same
database, nobody gets the message twice, the delivery in flight is `unknown`, the pending
ones continue; two runners at once never take the same delivery."""

import asyncio
from datetime import timedelta

from aiogram.methods import CopyMessage, EditMessageText
from sqlalchemy import select, update

from bot.config import Settings
from bot.delivery import Sender
from bot.delivery.broadcast import STALE_AFTER, Launcher, launcher_for, run_broadcast
from bot.jobs.broadcasts import broadcast_tick
from bot.services import broadcasts as service
from bot.services.broadcasts import Audience, Draft
from db.base import utcnow
from db.models import AudienceType, Broadcast, Delivery, User
from tests.chat import Person
from tests.factories import make_user
from tests.handlers.test_broadcasts import copies
from tests.mocked_bot import MockedBot, MockedSession

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
    # The restart comes later than a delivery can take: the one in flight is declared unknown.
    later = utcnow() + STALE_AFTER + timedelta(seconds=1)
    assert await broadcast_tick(session_factory, restarted, sender, settings, now=later) == [
        broadcast_id
    ]
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
