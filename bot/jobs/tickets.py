"""The 24-hour ticket reminder job (the notice itself: bot.notices.tickets).

Nothing here holds a database transaction while talking to Telegram: the job claims its
reminders and commits first.
"""

from datetime import datetime

from aiogram import Bot
from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import Sender
from bot.notices.tickets import notify_staff
from bot.services import support as support_service
from db.base import utcnow


async def remind_unanswered_tickets(
    session_factory: async_sessionmaker[AsyncSession],
    bot: Bot,
    sender: Sender,
    settings: Settings,
    now: datetime | None = None,
) -> int:
    """Remind the staff, once per ticket, of every open ticket older than 24 hours.

    Returns the number of tickets reminded about by this run.
    """
    now = now or utcnow()
    async with session_factory() as session:
        notices = await support_service.claim_reminders(session, now, settings.telegram.owner_ids)
    for notice in notices:
        delivered = await notify_staff(bot, sender, notice, settings, reminder=True)
        logger.info(
            "ticket {} unanswered for 24 h: reminded {} of {} staff",
            notice.ticket.id,
            delivered,
            len(notice.recipients),
        )
    return len(notices)
