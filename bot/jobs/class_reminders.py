"""Class reminders: `class_reminder_minutes` before each scheduled lesson, to its enrolled
students (and their parents when `class_reminder_parents` is on), never after it began.

The rules (window, quiet hours, keys that follow a moved lesson) are in
bot.services.reminders; claiming and sending in bot.jobs.payment_reminders.deliver.
"""

import math
from datetime import datetime
from functools import partial
from html import escape

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import Sender
from bot.formatting import format_datetime
from bot.i18n import _, ngettext
from bot.jobs.payment_reminders import RunCounts, run_reminders, student_name
from bot.services import reminders as rules
from bot.services.reminders import LessonNotice, QuietHours
from db.base import utcnow


def lesson_text(notice: LessonNotice, at: datetime, settings: Settings) -> str:
    minutes = max(1, math.ceil((notice.starts_at - at).total_seconds() / 60))
    when = format_datetime(notice.starts_at, settings.centre.tz)
    lines = [
        ngettext(
            "🔔 <b>Lesson in {minutes} minute</b> · {when}",
            "🔔 <b>Lesson in {minutes} minutes</b> · {when}",
            minutes,
        ).format(minutes=minutes, when=when)
    ]
    if notice.to_parent:
        lines.append(_("👤 Student: {name}").format(name=student_name(notice.student_name)))
    lines.append(
        _("📚 {course} · {group}").format(
            course=escape(notice.course_name), group=escape(notice.group_name)
        )
    )
    if notice.room:
        lines.append(_("🚪 Room: {room}").format(room=escape(notice.room)))
    lines += ["", _("To stop these reminders: /settings")]
    return "\n".join(lines)


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
