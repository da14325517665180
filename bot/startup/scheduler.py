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
from bot.jobs.broadcasts import BROADCAST_TICK_SECONDS, broadcast_tick
from bot.jobs.charges import ChargeDays, run_monthly_charges
from bot.jobs.class_reminders import send_class_reminders
from bot.jobs.lessons import generate_lessons
from bot.jobs.payment_reminders import send_payment_reminders
from bot.jobs.tickets import remind_unanswered_tickets

TICKET_REMINDER_MINUTES = 15
PAYMENT_REMINDER_MINUTES = 15
CLASS_REMINDER_SECONDS = 60


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
    charge_days = ChargeDays()  # the charge job and the payment reminders, in that order
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
        run_monthly_charges,
        CronTrigger(hour=0, minute=30, timezone=settings.centre.tz),
        kwargs={
            "session_factory": session_factory,
            "settings": settings,
            "charge_days": charge_days,
        },
        id="monthly_charges",
        name="charge the month's enrolments (from the charge day on)",
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
    scheduler.add_job(
        broadcast_tick,
        IntervalTrigger(seconds=BROADCAST_TICK_SECONDS, timezone=settings.centre.tz),
        kwargs={
            "session_factory": session_factory,
            "bot": bot,
            "sender": sender,
            "settings": settings,
        },
        id="broadcasts",
        name="start scheduled broadcasts, resume unfinished ones after a restart",
        next_run_time=datetime.now(settings.centre.tz),  # and once at start-up
        coalesce=True,
        max_instances=1,
        misfire_grace_time=BROADCAST_TICK_SECONDS,
        replace_existing=True,
    )
    reminder_kwargs = {
        "session_factory": session_factory,
        "bot": bot,
        "sender": sender,
        "settings": settings,
    }
    scheduler.add_job(
        send_payment_reminders,
        IntervalTrigger(minutes=PAYMENT_REMINDER_MINUTES, timezone=settings.centre.tz),
        kwargs=reminder_kwargs | {"charge_days": charge_days},
        id="payment_reminders",
        name="payment reminders: before, on and after the due date",
        next_run_time=datetime.now(settings.centre.tz),  # and once at start-up
        coalesce=True,
        max_instances=1,
        misfire_grace_time=PAYMENT_REMINDER_MINUTES * 60,
        replace_existing=True,
    )
    scheduler.add_job(
        send_class_reminders,
        IntervalTrigger(seconds=CLASS_REMINDER_SECONDS, timezone=settings.centre.tz),
        kwargs=reminder_kwargs,
        id="class_reminders",
        name="class reminders before each lesson",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=CLASS_REMINDER_SECONDS,
        replace_existing=True,
    )
    return scheduler
