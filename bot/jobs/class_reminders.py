"""Class reminders: `class_reminder_minutes` before each scheduled lesson, to its enrolled
students (and their parents when `class_reminder_parents` is on), never after it began.

The rules (window, quiet hours, keys that follow a moved lesson) are in
bot.services.reminders; claiming and sending in bot.notices.payment_reminders.deliver, the
text in bot.notices.class_reminders.
"""

from datetime import datetime
from functools import partial

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import Sender
from bot.jobs.payment_reminders import run_reminders
from bot.notices.class_reminders import lesson_text
from bot.notices.payment_reminders import RunCounts
from bot.services import reminders as rules
from bot.services.reminders import LessonNotice, QuietHours
from db.base import utcnow


async def send_class_reminders(
    session_factory: async_sessionmaker[AsyncSession],
    bot: Bot,
    sender: Sender,
    settings: Settings,
    now: datetime | None = None,
) -> RunCounts:
    """Remind of every lesson whose reminder is due at `now` and not sent yet."""
    return await run_reminders(
        "class reminders",
        rules.plan_class_reminders,
        session_factory,
        bot,
        sender,
        settings,
        now or utcnow(),
        render=partial(lesson_text, settings=settings),
        still_due=partial(_still_due, settings=settings),
    )


def _still_due(notice: LessonNotice, at: datetime, *, settings: Settings) -> bool:
    return rules.class_reminder_due(
        notice.starts_at,
        at,
        settings.reminders.class_reminder_minutes,
        QuietHours.of(settings),
        settings.centre.tz,
    )
