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
from bot.jobs.digest import send_monthly_digest
from bot.jobs.expenses import run_recurring_expenses
from bot.jobs.lessons import generate_lessons
from bot.jobs.payment_reminders import send_payment_reminders
from bot.jobs.payroll import make_payroll_drafts
from bot.jobs.tickets import remind_unanswered_tickets
from handlers.admin.reports.menu import KINDS
from keyboards.reports import FINANCE

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
    tz = settings.centre.tz
    scheduler = AsyncIOScheduler(timezone=tz)
    charge_days = ChargeDays()  # the charge job and the payment reminders, in that order
    plain = {"session_factory": session_factory, "settings": settings}
    sending = plain | {"bot": bot, "sender": sender}
    backup_at = settings.backup.backup_time
    six_hours = 6 * 3600
    # (job, trigger, arguments, id, name, misfire grace in seconds, also once at start-up)
    jobs = (
        (
            remind_unanswered_tickets,
            IntervalTrigger(minutes=TICKET_REMINDER_MINUTES, timezone=tz),
            sending,
            "ticket_reminders",
            "remind staff of unanswered tickets",
            TICKET_REMINDER_MINUTES * 60,
            False,
        ),
        (
            generate_lessons,
            CronTrigger(hour=2, minute=30, timezone=tz),
            plain,
            "lesson_generator",
            "generate lessons from the weekly slots",
            six_hours,
            True,
        ),
        (
            run_monthly_charges,
            CronTrigger(hour=0, minute=30, timezone=tz),
            plain | {"charge_days": charge_days},
            "monthly_charges",
            "charge the month's enrolments (from the charge day on)",
            six_hours,
            True,
        ),
        (
            run_recurring_expenses,
            CronTrigger(hour=0, minute=40, timezone=tz),
            plain,
            "recurring_expenses",
            "make the recurring expenses due (rent each month)",
            six_hours,
            True,
        ),
        (
            daily_backup,
            CronTrigger(hour=backup_at.hour, minute=backup_at.minute, timezone=tz),
            sending,
            "daily_backup",
            "write, verify and rotate the daily backup",
            six_hours,
            False,
        ),
        (
            broadcast_tick,
            IntervalTrigger(seconds=BROADCAST_TICK_SECONDS, timezone=tz),
            sending,
            "broadcasts",
            "start scheduled broadcasts, resume unfinished ones after a restart",
            BROADCAST_TICK_SECONDS,
            True,
        ),
        (
            send_payment_reminders,
            IntervalTrigger(minutes=PAYMENT_REMINDER_MINUTES, timezone=tz),
            sending | {"charge_days": charge_days},
            "payment_reminders",
            "payment reminders: before, on and after the due date",
            PAYMENT_REMINDER_MINUTES * 60,
            True,
        ),
        (
            send_monthly_digest,
            # every hour of the 1st: the digest goes from 09:00 outside the quiet hours,
            # once (bot.services.digest), even when the bot was down at 09:00
            CronTrigger(day=1, hour="*", minute=0, timezone=tz),
            sending | {"view": KINDS[FINANCE]},
            "monthly_digest",
            "the owners' monthly digest: last month's finance",
            3600,
            False,
        ),
        (
            make_payroll_drafts,
            # on PAYROLL_DAY: last month's drafts (made again when there; approved ones kept)
            CronTrigger(day=settings.payroll.payroll_day, hour=6, minute=0, timezone=tz),
            plain,
            "payroll_drafts",
            "the teachers' payroll drafts of the month before",
            18 * 3600,
            False,
        ),
        (
            send_class_reminders,
            IntervalTrigger(seconds=CLASS_REMINDER_SECONDS, timezone=tz),
            sending,
            "class_reminders",
            "class reminders before each lesson",
            CLASS_REMINDER_SECONDS,
            False,
        ),
    )
    for job, trigger, kwargs, job_id, name, grace, at_start in jobs:
        first = {"next_run_time": datetime.now(tz)} if at_start else {}
        scheduler.add_job(
            job,
            trigger,
            kwargs=kwargs,
            id=job_id,
            name=name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=grace,
            replace_existing=True,
            **first,
        )
    return scheduler
