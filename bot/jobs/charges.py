"""The monthly charge job: daily at 00:30 centre time and once at start-up.

From the charge day on (local date), it charges the current month; the run is idempotent
(unique enrolment + month, ON CONFLICT DO NOTHING), so calling it every day only adds what
is missing: an enrolment the earlier runs found nothing to charge for (fully frozen, then
unfrozen) or one created without being charged at once.

The payment reminder job runs it too, before its first scan of each centre day
(`ChargeDays`): a reminder due on the charge day, or a scan at start-up that comes before
this job's run, then finds the month's charges instead of missing them.
"""

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime

from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.services.payments import ledger
from db.base import utcnow


@dataclass
class ChargeDays:
    """The last centre day this process ran the charges for; one run at a time."""

    done: date | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


async def run_monthly_charges(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime | None = None,
    charge_days: ChargeDays | None = None,
) -> ledger.ChargeRun:
    days = charge_days or ChargeDays()
    async with days.lock:
        return await _run(session_factory, settings, now or utcnow(), days)


async def charges_before_reminders(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime,
    charge_days: ChargeDays,
) -> ledger.ChargeRun | None:
    """Run the charges unless this process has run them today already (None then)."""
    async with charge_days.lock:
        if charge_days.done == _local_day(now, settings):
            return None
        return await _run(session_factory, settings, now, charge_days)


def _local_day(now: datetime, settings: Settings) -> date:
    return now.astimezone(settings.centre.tz).date()


async def _run(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime,
    days: ChargeDays,
) -> ledger.ChargeRun:
    today = _local_day(now, settings)
    period = ledger.month_start(today)
    if not ledger.charge_run_done(today, settings):
        logger.info(
            "charges {}: before the charge day ({}), nothing to do",
            period.isoformat(),
            settings.reminders.charge_day,
        )
        days.done = today
        return ledger.ChargeRun(period=period, skipped=True)
    async with session_factory() as session:
        run = await ledger.charge_month(session, period=period, today=today, settings=settings)
    days.done = today
    return run
