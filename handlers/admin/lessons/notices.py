"""What the admin sees once a cancelled or moved lesson's people are told (the notice
itself is bot.notices.lesson_changes, shared with the Mini App)."""

from zoneinfo import ZoneInfo

from aiogram import Bot

from bot.delivery import Sender
from bot.notices.lesson_changes import tell
from bot.services.lessons import LessonChange
from handlers.admin.lessons.common import card_text, told_text


async def done_card_text(
    bot: Bot, sender: Sender, change: LessonChange, done: str, tz: ZoneInfo
) -> str:
    """A change that is done: everyone concerned is told, and the admin sees `done`, how
    many were told, and the lesson's card as it is now."""
    assert change.lesson is not None
    sent, _total = await tell(bot, sender, change, tz)
    return "\n".join([done, told_text(sent), "", card_text(change.lesson, tz)])
