"""The recurring expenses job: daily at 00:40 centre time and once at start-up.

It makes every recurring expense's month that is due by today (centre date) and not made
yet (bot.services.expenses.generate_recurring): keyed by (recurring expense, month) with ON
CONFLICT DO NOTHING, so a second run, a second process or a run after a restart adds
nothing, and a run after the bot was down makes the months it missed.
"""

from datetime import datetime

from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.services import expenses
from db.base import utcnow


async def run_recurring_expenses(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime | None = None,
) -> expenses.GenerationRun:
    now = now or utcnow()
    today = now.astimezone(settings.centre.tz).date()
    async with session_factory() as session:
        run = await expenses.generate_recurring(session, today, now)
    if run.created:
        logger.info("recurring expenses {}: {} made", today.isoformat(), run.created)
    return run
