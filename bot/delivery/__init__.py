"""The one way the bot sends a message it starts itself (a notice, a reminder).

`send_notice` renders the text in the recipient's language, honours Telegram's 429
retry-after once, and reports a recipient who blocked the bot (403) instead of raising,
so one unreachable person never stops a loop over many. Callers commit their database
change first and call this afterwards: no transaction is held across a Telegram call.
Whether a person may receive a message at all is asked before, through
`bot.services.recipients` (re-exported here).
"""

import asyncio
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError, TelegramRetryAfter
from loguru import logger

from bot.i18n import use_language
from bot.services.recipients import Recipient, recipients, staff_recipients

__all__ = ["Outcome", "Recipient", "recipients", "send_notice", "staff_recipients"]

MAX_RETRY_AFTER = 60  # seconds; a longer wait is left to a job that retries later


class Outcome(StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"


async def send_notice(
    bot: Bot,
    recipient: Recipient,
    render: Callable[[], str],
    *,
    reply_markup: Callable[[], Any] | None = None,
) -> Outcome:
    """Send one message in the recipient's language; never raises for a Telegram refusal."""
    with use_language(recipient.language):
        text = render()
        markup = reply_markup() if reply_markup else None
    for attempt in (1, 2):
        try:
            await bot.send_message(recipient.telegram_id, text, reply_markup=markup)
            return Outcome.SENT
        except TelegramRetryAfter as error:
            if attempt == 2 or error.retry_after > MAX_RETRY_AFTER:
                logger.warning("notice to user {} postponed by Telegram", recipient.user_id)
                return Outcome.FAILED
            await asyncio.sleep(error.retry_after)
        except TelegramForbiddenError:
            logger.info("user {} blocked the bot; notice not delivered", recipient.user_id)
            return Outcome.BLOCKED
        except TelegramAPIError as error:
            logger.warning("notice to user {} failed: {}", recipient.user_id, type(error).__name__)
            return Outcome.FAILED
    return Outcome.FAILED
