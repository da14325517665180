"""The monthly charge job: daily at 00:30 centre time and once at start-up.

From the charge day on (local date), it charges the current month; the run is idempotent
(unique enrolment + month, ON CONFLICT DO NOTHING), so calling it every day only adds what
is missing: an enrolment the earlier runs found nothing to charge for (fully frozen, then
unfrozen) or one created without being charged at once.
"""

from datetime import datetime

from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.services import ledger
from db.base import utcnow


async def run_monthly_charges(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime | None = None,
) -> ledger.ChargeRun:
    today = (now or utcnow()).astimezone(settings.centre.tz).date()
    period = ledger.month_start(today)
    if not ledger.charge_run_done(today, settings):
        logger.info(
            "charges {}: before the charge day ({}), nothing to do",
            period.isoformat(),
            settings.reminders.charge_day,
        )
        return ledger.ChargeRun(period=period, skipped=True)
    async with session_factory() as session:
        return await ledger.charge_month(session, period=period, today=today, settings=settings)
