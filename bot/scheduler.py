"""The in-process scheduler (APScheduler 3) and its jobs."""

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.jobs.tickets import remind_unanswered_tickets

TICKET_REMINDER_MINUTES = 15


def create_scheduler(
    session_factory: async_sessionmaker[AsyncSession], bot: Bot, settings: Settings
) -> AsyncIOScheduler:
    """A scheduler in the centre's time zone with every job added; the caller starts it.

    Each job coalesces missed runs into one and never runs twice at once; the jobs
    themselves claim their work in the database, so a second process changes nothing.
    """
    scheduler = AsyncIOScheduler(timezone=settings.centre.tz)
    scheduler.add_job(
        remind_unanswered_tickets,
        IntervalTrigger(minutes=TICKET_REMINDER_MINUTES, timezone=settings.centre.tz),
        kwargs={"session_factory": session_factory, "bot": bot, "settings": settings},
        id="ticket_reminders",
        name="remind staff of unanswered tickets",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=TICKET_REMINDER_MINUTES * 60,
        replace_existing=True,
    )
    return scheduler
