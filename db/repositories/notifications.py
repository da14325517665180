"""The notification log: claims that make a notice go out once (see NotificationLog)."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import NotificationLog, NotificationStatus
from db.repositories.dialect import insert_for


async def claim_notices(
    session: AsyncSession, claims: Iterable[tuple[int, str, str]], claimed_at: datetime
) -> list[tuple[int, int, str]]:
    """Insert (user id, kind, key) claims; return (claim id, user id, key) of the new ones.

    A claim that exists already (the notice was sent, or is being sent) is skipped.
    """
    values = [
        {"user_id": user_id, "kind": kind, "key": key, "claimed_at": claimed_at}
        for user_id, kind, key in claims
    ]
    if not values:
        return []
    insert = insert_for(session)
    rows = await session.execute(
        insert(NotificationLog)
        .values(values)
        .on_conflict_do_nothing(
            index_elements=[NotificationLog.user_id, NotificationLog.kind, NotificationLog.key]
        )
        .returning(NotificationLog.id, NotificationLog.user_id, NotificationLog.key)
    )
    return [(claim_id, user_id, key) for claim_id, user_id, key in rows]


async def finish_notices(
    session: AsyncSession,
    outcomes: Mapping[int, NotificationStatus],
    at: datetime,
    errors: Mapping[int, str | None] | None = None,
) -> None:
    """Record how each claimed notice ended (sent, blocked, failed)."""
    errors = errors or {}
    by_status: dict[tuple[NotificationStatus, str | None], list[int]] = defaultdict(list)
    for claim_id, status in outcomes.items():
        by_status[(status, errors.get(claim_id))].append(claim_id)
    for (status, error), ids in by_status.items():
        await session.execute(
            update(NotificationLog)
            .where(
                NotificationLog.id.in_(ids), NotificationLog.status == NotificationStatus.CLAIMED
            )
            .values(
                status=status.value,
                sent_at=at if status is NotificationStatus.SENT else None,
                error=error,
            )
            .execution_options(synchronize_session=False)
        )


async def mark_stale_claims(session: AsyncSession, claimed_before: datetime) -> int:
    """Claims still open from before `claimed_before` (left by a crash) become unknown."""
    result = await session.execute(
        update(NotificationLog)
        .where(
            NotificationLog.status == NotificationStatus.CLAIMED,
            NotificationLog.claimed_at < claimed_before,
        )
        .values(status=NotificationStatus.UNKNOWN.value, error="claimed, outcome unknown")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
