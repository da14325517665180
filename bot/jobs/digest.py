"""The owners' monthly digest job: run every hour on the 1st; bot.notices.digest decides
whether one is due and sends each owner's once."""

from datetime import datetime

from aiogram import Bot
from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import Sender
from bot.notices.digest import DigestCounts, ReportView, send_digest
from db.base import utcnow


async def send_monthly_digest(
    session_factory: async_sessionmaker[AsyncSession],
    bot: Bot,
    sender: Sender,
    settings: Settings,
    view: ReportView,
    now: datetime | None = None,
) -> DigestCounts:
    counts = await send_digest(session_factory, bot, sender, settings, view, now or utcnow())
    if counts.due:
        logger.info("monthly digest: {}", counts)
    return counts
