"""The owners' alert when a backup or its check fails."""

from html import escape

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import Outcome, Sender, recipients
from bot.i18n import _
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
