"""The daily backup job; a failure is told to the owners (bot.notices.backup)."""

from datetime import datetime

from aiogram import Bot
from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import Sender
from bot.notices.backup import alert_owners
from bot.services.backup import BackupError, BackupResult, make_backup


async def daily_backup(
    session_factory: async_sessionmaker[AsyncSession],
    bot: Bot,
    sender: Sender,
    settings: Settings,
    now: datetime | None = None,
) -> BackupResult | None:
    try:
        result = await make_backup(settings, now)
    except BackupError as error:
        logger.error("backup failed: {}", error)
        await alert_owners(session_factory, bot, sender, settings, str(error))
        return None
    except Exception as error:  # an unexpected failure must reach the owners too
        logger.exception("backup failed")
        await alert_owners(session_factory, bot, sender, settings, type(error).__name__)
        return None
    logger.info("backup {} written and verified ({} bytes)", result.path.name, result.size)
    return result
