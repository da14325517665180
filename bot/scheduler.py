"""The in-process scheduler (APScheduler 3) and its jobs."""

from datetime import datetime

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import Sender
from bot.jobs.backup import daily_backup
from bot.jobs.lessons import generate_lessons
from bot.jobs.tickets import remind_unanswered_tickets

TICKET_REMINDER_MINUTES = 15


def create_scheduler(
    session_factory: async_sessionmaker[AsyncSession],
    bot: Bot,
    settings: Settings,
    sender: Sender,
) -> AsyncIOScheduler:
    """A scheduler in the centre's time zone with every job added; the caller starts it.

    Each job coalesces missed runs into one and never runs twice at once; the jobs
    themselves claim their work in the database, so a second process changes nothing.
    """
    scheduler = AsyncIOScheduler(timezone=settings.centre.tz)
    scheduler.add_job(
        remind_unanswered_tickets,
        IntervalTrigger(minutes=TICKET_REMINDER_MINUTES, timezone=settings.centre.tz),
        kwargs={
            "session_factory": session_factory,
            "bot": bot,
            "sender": sender,
            "settings": settings,
        },
        id="ticket_reminders",
        name="remind staff of unanswered tickets",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=TICKET_REMINDER_MINUTES * 60,
        replace_existing=True,
    )
    scheduler.add_job(
        generate_lessons,
        CronTrigger(hour=2, minute=30, timezone=settings.centre.tz),
        kwargs={"session_factory": session_factory, "settings": settings},
        id="lesson_generator",
        name="generate lessons from the weekly slots",
        next_run_time=datetime.now(settings.centre.tz),  # and once at start-up
        coalesce=True,
        max_instances=1,
        misfire_grace_time=6 * 3600,
        replace_existing=True,
    )
    scheduler.add_job(
        daily_backup,
        CronTrigger(
            hour=settings.backup.backup_time.hour,
            minute=settings.backup.backup_time.minute,
            timezone=settings.centre.tz,
        ),
        kwargs={
            "session_factory": session_factory,
            "bot": bot,
            "sender": sender,
            "settings": settings,
        },
        id="daily_backup",
        name="write, verify and rotate the daily backup",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=6 * 3600,
        replace_existing=True,
    )
    return scheduler
