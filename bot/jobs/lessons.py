"""The lesson generator: a daily job (and once at start-up) that lays the weekly slots of
every active group on the calendar for the coming weeks.

It is idempotent: lessons are unique per (group, starts_at) and inserted with
`ON CONFLICT DO NOTHING`, so a second run, or a second process, adds nothing.
"""

from datetime import datetime

from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.services import lessons as lessons_service
from db.base import utcnow


async def generate_lessons(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime | None = None,
    weeks: int = lessons_service.LESSON_WEEKS,
) -> int:
    """Create the missing lessons of the next `weeks` weeks; returns how many were added."""
    now = now or utcnow()
    async with session_factory() as session:
        added = await lessons_service.generate_upcoming(
            session, now=now, tz=settings.centre.tz, weeks=weeks
        )
    logger.info("lesson generator: {} lessons added for the next {} weeks", added, weeks)
    return added
