"""The sender against a fake Telegram that answers 429 / 403 / 400 / 5xx on demand, and
its pacing with a fake clock."""

import asyncio

from aiogram.methods import CopyMessage, SendMessage
from sqlalchemy import select

from bot.delivery import MemoryLimiter, Outcome, Recipient, Sender, recipients
from bot.i18n import _
from bot.services.consent import Category, Choices
from db.models import AuditEntry, User
from tests.chat import Person
from tests.factories import make_user
from tests.mocked_bot import MockedBot

RU = Recipient(user_id=1, telegram_id=111, language="ru")


class FakeTime:
    """A clock that only moves when someone sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


async def is_active(session, user_id: int) -> bool:
    return await session.scalar(select(User.is_active).where(User.id == user_id))


def quick_sender(session_factory=None, fake: FakeTime | None = None, **options) -> Sender:
    fake = fake or FakeTime()
    limiter = MemoryLimiter(
        options.pop("rate", 1000), options.pop("per_chat", 0), clock=fake.clock, sleep=fake.sleep
    )
    return Sender(session_factory, limiter=limiter, sleep=fake.sleep, **options)


async def test_the_notice_is_rendered_in_the_recipients_language() -> None:
    bot = MockedBot()
    sent = await quick_sender().notify(bot, RU, lambda: _("ℹ️ Nothing has changed."))
    assert sent.outcome is Outcome.SENT and sent.message_id is not None
    [call] = bot.session.requests
    assert call.text == "ℹ️ Ничего не изменилось." and call.chat_id == 111


async def test_copy_keeps_the_original_message() -> None:
    bot = MockedBot()
    sent = await quick_sender().copy(bot, RU, from_chat_id=5, message_id=77)
    assert sent.outcome is Outcome.SENT
    [call] = bot.session.requests
    assert isinstance(call, CopyMessage)
    assert (call.chat_id, call.from_chat_id, call.message_id) == (111, 5, 77)


async def test_a_429_pauses_every_send_for_retry_after_then_retries() -> None:
    bot = MockedBot()
    fake = FakeTime()
    sender = quick_sender(fake=fake)
    bot.session.fail_next(SendMessage, 429, "Too Many Requests: retry after 3", retry_after=3)
    started = fake.now
    first = await sender.send_text(bot, RU, "one")
    assert first.outcome is Outcome.SENT
    assert fake.now - started >= 3
    assert len(bot.session.requests) == 2


async def test_a_pause_holds_other_chats_too() -> None:
    fake = FakeTime()
    limiter = MemoryLimiter(1000, 0, clock=fake.clock, sleep=fake.sleep)
    await limiter.pause(5)
    before = fake.now
    await limiter.acquire(222)
    assert fake.now - before >= 5


async def test_a_slot_reserved_before_a_pause_waits_for_its_end() -> None:
    """Issue 15, item 8 (memory backend): the pause comes while the send waits for its
    slot; the send goes only when the pause is over."""
    fake = FakeTime()
    limiter = MemoryLimiter(1, 0, clock=fake.clock, sleep=fake.sleep)
    await limiter.acquire(1)  # the slot of now; the next one is a second ahead
    real_sleep = fake.sleep

    async def sleep_and_meet_a_429(seconds: float) -> None:
        limiter._sleep = real_sleep
        await real_sleep(seconds / 2)
        await limiter.pause(5)  # another send met a 429 half-way through this wait
        await real_sleep(seconds / 2)

    limiter._sleep = sleep_and_meet_a_429
    before = fake.now
    await limiter.acquire(2)
    assert fake.now - before >= 0.5 + 5
    assert await limiter.paused_for() == 0


async def test_endless_429s_give_up_after_a_bound() -> None:
    bot = MockedBot()
    sender = quick_sender(max_throttled=3)
    for _n in range(3):
        bot.session.fail_next(SendMessage, 429, "Too Many Requests", retry_after=1)
    sent = await sender.send_text(bot, RU, "hello")
    assert sent.outcome is Outcome.FAILED and sent.error == "429"
    assert len(bot.session.requests) == 3


async def test_5xx_is_retried_with_backoff_a_bounded_number_of_times() -> None:
    bot = MockedBot()
    fake = FakeTime()
    sender = quick_sender(fake=fake, attempts=3, backoff=0.5)
    bot.session.fail_next(SendMessage, 502, "Bad Gateway")
    bot.session.fail_next(SendMessage, 500, "Internal Server Error")
    assert (await sender.send_text(bot, RU, "hello")).outcome is Outcome.SENT
    assert [s for s in fake.sleeps if s >= 0.5] == [0.5, 1.0]
    for _n in range(3):
        bot.session.fail_next(SendMessage, 500, "Internal Server Error")
    assert (await sender.send_text(bot, RU, "hello")).outcome is Outcome.FAILED


async def test_a_user_who_blocked_the_bot_is_marked_inactive(session, session_factory) -> None:
    user = await make_user(session, Person(id=71))
    bot = MockedBot()
    sender = quick_sender(session_factory)
    bot.session.fail_next(SendMessage, 403, "Forbidden: bot was blocked by the user")
    sent = await sender.send_text(bot, Recipient(user.id, 71, "uz"), "hello")
    assert sent.outcome is Outcome.BLOCKED
    assert await is_active(session, user.id) is False
    actions = (await session.scalars(select(AuditEntry.action))).all()
    assert "user.blocked_bot" in actions
    # Once inactive, the user is left out of every audience.
    assert await recipients(session, [user.id], Category.ESSENTIAL, "1") == []


async def test_a_chat_that_is_gone_counts_as_blocked(session, session_factory) -> None:
    user = await make_user(session, Person(id=72))
    bot = MockedBot()
    bot.session.fail_next(SendMessage, 400, "Bad Request: chat not found")
    sent = await quick_sender(session_factory).send_text(bot, Recipient(user.id, 72, "uz"), "x")
    assert sent.outcome is Outcome.BLOCKED
    assert await is_active(session, user.id) is False


async def test_another_bad_request_fails_without_marking(session, session_factory) -> None:
    user = await make_user(session, Person(id=73))
    bot = MockedBot()
    bot.session.fail_next(SendMessage, 400, "Bad Request: message is too long")
    sent = await quick_sender(session_factory).send_text(bot, Recipient(user.id, 73, "uz"), "x")
    assert sent.outcome is Outcome.FAILED
    assert await is_active(session, user.id) is True


async def test_pacing_overall_and_per_chat() -> None:
    fake = FakeTime()
    limiter = MemoryLimiter(25, 1.0, clock=fake.clock, sleep=fake.sleep)
    start = fake.now
    for chat in range(50):
        await limiter.acquire(chat)
    # 50 different chats at 25 per second: the last one goes at 49/25 s.
    assert abs((fake.now - start) - 49 / 25) < 1e-6
    start = fake.now
    await limiter.acquire(7)
    await limiter.acquire(7)
    assert fake.now - start >= 1.0


async def test_concurrent_senders_never_exceed_the_rate() -> None:
    fake = FakeTime()
    limiter = MemoryLimiter(25, 1.0, clock=fake.clock, sleep=fake.sleep)
    times: list[float] = []

    async def one(chat: int) -> None:
        await limiter.acquire(chat)
        times.append(fake.now)

    await asyncio.gather(*(one(chat) for chat in range(100)))
    times.sort()
    for first, later in zip(times, times[25:], strict=False):
        assert later - first >= 1.0 - 1e-9  # never more than 25 in any second


async def test_recipients_follow_consent(session) -> None:
    keen = await make_user(session, Person(id=81), language="uz")
    quiet = await make_user(session, Person(id=82), choices=Choices(reminders=False))
    never = await make_user(session, Person(id=83), consent=None)
    found = await recipients(session, [keen.id, quiet.id, never.id], Category.REMINDERS, "1")
    assert found == [Recipient(keen.id, 81, "uz")]
    essential = await recipients(session, [keen.id, quiet.id, never.id], Category.ESSENTIAL, "1")
    assert [r.user_id for r in essential] == [keen.id, quiet.id]


async def test_a_pause_begun_while_the_row_was_claimed_is_waited_out_unclaimed() -> None:
    """Item 8 (and 9): between the slot and the call the broadcast claims its row; a 429
    met elsewhere meanwhile is seen right before the call, the claim is handed back for
    the pause (a kill then leaves nothing claimed that was never sent) and the copy goes
    after it."""
    bot = MockedBot()
    fake = FakeTime()
    sender = quick_sender(fake=fake)
    steps: list[str] = []

    async def claim() -> bool:
        steps.append(f"claim at {fake.now - start:.0f}")
        if len(steps) == 1:
            await sender.limiter.pause(5)  # another sender's 429, while this one claimed
        return True

    async def unclaim() -> None:
        steps.append(f"unclaim at {fake.now - start:.0f}")

    start = fake.now
    sent = await sender.copy_once(bot, RU, 5, 77, claim=claim, unclaim=unclaim)
    assert sent is not None and sent.outcome is Outcome.SENT
    assert steps == ["claim at 0", "unclaim at 0", "claim at 5"]
    [call] = bot.session.requests
    assert isinstance(call, CopyMessage) and fake.now - start >= 5


async def test_copy_once_hands_transient_failures_back_and_settles_refusals(
    session, session_factory
) -> None:
    user = await make_user(session, Person(id=74))
    recipient = Recipient(user.id, 74, "uz")
    bot = MockedBot()
    sender = quick_sender(session_factory)

    async def claim() -> bool:
        return True

    async def unclaim() -> None:
        raise AssertionError("no pause here")

    async def once():
        return await sender.copy_once(bot, recipient, 5, 77, claim=claim, unclaim=unclaim)

    bot.session.fail_next(CopyMessage, 502, "Bad Gateway")
    assert (await once()).outcome is Outcome.RETRY
    bot.session.fail_next(CopyMessage, 429, "Too Many Requests: retry after 7", retry_after=7)
    throttled = await once()
    assert (throttled.outcome, throttled.retry_after) == (Outcome.RETRY, 7)
    assert await sender.limiter.paused_for() > 0  # every other send waits too
    bot.session.fail_next(CopyMessage, 400, "Bad Request: message to copy not found")
    assert (await once()).outcome is Outcome.FAILED
    bot.session.fail_next(CopyMessage, 403, "Forbidden: user is deactivated")
    assert (await once()).outcome is Outcome.BLOCKED
    assert len(bot.session.requests) == 4  # one call each: the retries are the caller's
    assert await is_active(session, user.id) is False

    async def lost() -> bool:
        return False

    assert await sender.copy_once(bot, recipient, 5, 77, claim=lost, unclaim=unclaim) is None
    assert len(bot.session.requests) == 4
