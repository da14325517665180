"""Exactly-once notices: claim (user, kind, key) before sending, settle after.

A claim is committed before the message goes to Telegram, so a second scheduler (or a
second run of the same job) finds it and sends nothing. A claim that stays `claimed`
means the process died between claiming and settling: it becomes `unknown` and is
reported, never sent again: a possible duplicate is worse than a missing reminder
the person can still see in /balance or /schedule.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime

from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.base import utcnow
from db.models import NotificationStatus
from db.repositories import notifications as repo

STATUS_OF_OUTCOME = {
    "sent": NotificationStatus.SENT,
    "blocked": NotificationStatus.BLOCKED,
    "failed": NotificationStatus.FAILED,
}


async def claim_many(
    session: AsyncSession, claims: Iterable[tuple[int, str, str]], now: datetime
) -> list[tuple[int, int, str]]:
    """Claim several (user id, kind, key) at once and commit; returns the new ones."""
    claimed = await repo.claim_notices(session, claims, now)
    await session.commit()
    return claimed


async def settle_many(
    session_factory: async_sessionmaker[AsyncSession],
    outcomes: Mapping[int, str],
    errors: Mapping[int, str | None] | None = None,
) -> None:
    """Record how each claimed notice ended (an `Outcome`: sent, blocked or failed)."""
    if not outcomes:
        return
    statuses = {claim_id: STATUS_OF_OUTCOME[str(o)] for claim_id, o in outcomes.items()}
    async with session_factory() as session:
        await repo.finish_notices(session, statuses, utcnow(), errors)
        await session.commit()


async def mark_stale_claims_unknown(session: AsyncSession, older_than: datetime) -> int:
    """Claims left open by a crash before `older_than` become unknown (logged, not resent)."""
    count = await repo.mark_stale_claims(session, older_than)
    await session.commit()
    if count:
        logger.warning(
            "{} notices were claimed but never settled (a crash?): marked unknown", count
        )
    return count
