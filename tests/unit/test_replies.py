"""Sender.reply_text and send_file: an answer to the person goes at once, outside the
pace; a 429 pauses every send and the answer goes again after it."""

from aiogram.methods import SendMessage, SendPhoto

from bot.delivery import MemoryLimiter, Outcome, Recipient, Sender
from tests.mocked_bot import MockedBot
from tests.unit.test_delivery import FakeTime

ALI = Recipient(user_id=1, telegram_id=111, language="en")


def paced_sender(fake: FakeTime) -> Sender:
    """One message per second per chat, on a clock that moves only when someone waits."""
    limiter = MemoryLimiter(25, 1.0, clock=fake.clock, sleep=fake.sleep)
    return Sender(None, limiter=limiter, sleep=fake.sleep)


async def test_a_reply_is_not_held_by_the_pace_of_the_chat():
    fake, bot = FakeTime(), MockedBot()
    sender = paced_sender(fake)
    await sender.send_text(bot, ALI, "a notice")  # takes the chat's slot for a second

    sent = await sender.reply_text(bot, ALI, "the answer")

    assert sent.outcome is Outcome.SENT and sent.message_id is not None
    assert fake.sleeps == []  # at once
    assert [call.text for call in bot.session.requests] == ["a notice", "the answer"]


async def test_a_reply_meeting_a_429_waits_pauses_every_send_and_goes_again():
    fake, bot = FakeTime(), MockedBot()
    sender = paced_sender(fake)
    bot.session.fail_next(SendMessage, 429, "Too Many Requests: retry after 7", retry_after=7)

    sent = await sender.reply_text(bot, ALI, "the answer")

    assert sent.outcome is Outcome.SENT
    assert [call.text for call in bot.session.requests] == ["the answer", "the answer"]
    assert sum(fake.sleeps) >= 7
    # the pause holds the other sends too
    started = fake.now
    await sender.send_text(bot, Recipient(2, 222, "en"), "another chat")
    assert fake.now - started < 1  # the 7 s are over: it goes on the pace alone


async def test_a_file_by_its_id_or_as_a_photo():
    bot = MockedBot()
    bot.session.telegram.photos.add("ph-1")
    sender = Sender(None, limiter=MemoryLimiter(1000, 0))
    sent = await sender.send_file(bot, ALI, "ph-1", photo=True, caption="📚 Homework")
    assert sent.outcome is Outcome.SENT
    [call] = bot.session.requests
    assert isinstance(call, SendPhoto) and (call.photo, call.caption) == ("ph-1", "📚 Homework")
    wrong = await sender.send_file(bot, ALI, "ph-1")  # a photo is not a document
    assert (wrong.outcome, wrong.error) == (Outcome.FAILED, "TelegramBadRequest")
