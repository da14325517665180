"""The daily backup job, and the owners' alert when a backup or its check fails."""

from datetime import datetime
from html import escape

from aiogram import Bot
from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import Outcome, Sender, recipients
from bot.i18n import _
from bot.services.backup import BackupError, BackupResult, make_backup
from bot.services.consent import Category
from db.repositories import users as users_repo


async def alert_owners(
    session_factory: async_sessionmaker[AsyncSession],
    bot: Bot,
    sender: Sender,
    settings: Settings,
    error: str,
) -> int:
    """Tell every owner who has a users row; returns how many were sent the alert."""
    async with session_factory() as session:
        ids = []
        for telegram_id in settings.telegram.owner_ids:
            user = await users_repo.get_by_telegram_id(session, telegram_id)
            if user is not None:
                ids.append(user.id)
        chosen = await recipients(session, ids, Category.ESSENTIAL, settings.centre.policy_version)
    sent = 0
    for recipient in chosen:
        delivered = await sender.notify(
            bot,
            recipient,
            lambda: _(
                "🚨 <b>The backup failed</b>\n{error}\nThe previous backups are kept."
            ).format(error=f"<code>{escape(error)}</code>"),
        )
        sent += delivered.outcome is Outcome.SENT
    return sent


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
