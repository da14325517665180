"""send_notice: the recipient's language, 429 retry-after, 403 blocked, other refusals."""

from unittest.mock import patch

from aiogram.methods import SendMessage

from bot.delivery import Outcome, Recipient, recipients, send_notice
from bot.i18n import _
from bot.services.consent import Category, Choices
from tests.chat import Person
from tests.factories import make_user
from tests.mocked_bot import MockedBot

RU = Recipient(user_id=1, telegram_id=111, language="ru")


async def test_the_notice_is_rendered_in_the_recipients_language() -> None:
    bot = MockedBot()
    assert await send_notice(bot, RU, lambda: _("ℹ️ Nothing has changed.")) is Outcome.SENT
    [call] = bot.session.requests
    assert call.text == "ℹ️ Ничего не изменилось." and call.chat_id == 111


async def test_a_429_is_waited_out_once_then_sent() -> None:
    bot = MockedBot()
    bot.session.fail_next(SendMessage, 429, "Too Many Requests: retry after 3", retry_after=3)
    with patch("bot.delivery.asyncio.sleep") as sleep:
        outcome = await send_notice(bot, RU, lambda: "hello")
    assert outcome is Outcome.SENT
    sleep.assert_awaited_once_with(3)
    assert len(bot.session.requests) == 2


async def test_a_second_429_or_a_long_wait_is_left_for_later() -> None:
    bot = MockedBot()
    bot.session.fail_next(SendMessage, 429, "Too Many Requests", retry_after=2)
    bot.session.fail_next(SendMessage, 429, "Too Many Requests", retry_after=2)
    with patch("bot.delivery.asyncio.sleep"):
        assert await send_notice(bot, RU, lambda: "hello") is Outcome.FAILED
    bot.session.fail_next(SendMessage, 429, "Too Many Requests", retry_after=3600)
    assert await send_notice(bot, RU, lambda: "hello") is Outcome.FAILED


async def test_blocked_and_failed_are_reported_not_raised() -> None:
    bot = MockedBot()
    bot.session.fail_next(SendMessage, 403, "Forbidden: bot was blocked by the user")
    assert await send_notice(bot, RU, lambda: "hello") is Outcome.BLOCKED
    bot.session.fail_next(SendMessage, 400, "Bad Request: chat not found")
    assert await send_notice(bot, RU, lambda: "hello") is Outcome.FAILED


async def test_recipients_follow_consent(session) -> None:
    keen = await make_user(session, Person(id=71), language="uz")
    quiet = await make_user(session, Person(id=72), choices=Choices(reminders=False))
    never = await make_user(session, Person(id=73), consent=None)
    found = await recipients(session, [keen.id, quiet.id, never.id], Category.REMINDERS, "1")
    assert found == [Recipient(keen.id, 71, "uz")]
    essential = await recipients(session, [keen.id, quiet.id, never.id], Category.ESSENTIAL, "1")
    assert [r.user_id for r in essential] == [keen.id, quiet.id]
