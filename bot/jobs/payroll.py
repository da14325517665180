"""The payroll job: on PAYROLL_DAY, the drafts of the month before (made again if they are
there already; an approved payslip is never touched). Runs at 06:00; a missed run (the bot
was down) runs when it is back the same day."""

from datetime import date, datetime

from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.services.payroll import payslips
from bot.services.payroll.compute import add_months
from bot.services.payroll.payslips import DraftsResult
from db.base import utcnow


async def make_payroll_drafts(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime | None = None,
) -> DraftsResult | None:
    now = now or utcnow()
    today: date = now.astimezone(settings.centre.tz).date()
    if today.day != settings.payroll.payroll_day:
        return None
    month = add_months(today.replace(day=1), -1)
    async with session_factory() as session:
        result = await payslips.make_drafts(session, None, month, tz=settings.centre.tz, now=now)
    logger.info(
        "payroll drafts for {}: {} made, {} counted again, {} approved already",
        month,
        result.created,
        result.refreshed,
        result.approved,
    )
    return result
