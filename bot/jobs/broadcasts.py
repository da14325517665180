"""The broadcast job, at start-up and every 30 seconds.

1. Deliveries a dead run left `sending` become unknown (never resent): this instance's
   previous runs' at once, another process's once older than a call can take.
2. Due scheduled broadcasts start: their recipients are decided now.
3. Every broadcast still `sending` and not running in this process is (re)started in the
   background: after a restart its pending and retrying deliveries continue.
"""

from datetime import datetime

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import Sender
from bot.notices.broadcast import launcher_for, recover
from bot.services import broadcasts as broadcast_service
from db.base import utcnow
from db.repositories import broadcasts as repo

BROADCAST_TICK_SECONDS = 30


async def broadcast_tick(
    session_factory: async_sessionmaker[AsyncSession],
    bot: Bot,
    sender: Sender,
    settings: Settings,
    now: datetime | None = None,
    **options: object,
) -> list[int]:
    """Returns the broadcasts launched by this run."""
    launcher = launcher_for(sender)
    now = now or utcnow()
    await recover(session_factory, sender.claimant, now)
    async with session_factory() as session:
        for broadcast_id in await repo.due_scheduled(session, now):
            await broadcast_service.start_scheduled(session, broadcast_id, settings, now)
        sending = await repo.sending(session)
    launched = []
    for broadcast_id in sending:
        started = launcher.launch(
            broadcast_id,
            bot=bot,
            session_factory=session_factory,
            sender=sender,
            settings=settings,
            **options,
        )
        if started:
            launched.append(broadcast_id)
    return launched
