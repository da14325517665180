"""Audit entries: who did what to which record, when, and with what outcome.

The entry is added to the caller's session, so it commits (or rolls back) together
with the change it describes.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import AuditEntry, AuditOutcome
from db.repositories import audit as audit_repo


async def record(
    session: AsyncSession,
    *,
    actor_id: int | None,
    action: str,
    object_type: str | None = None,
    object_id: object | None = None,
    outcome: AuditOutcome = AuditOutcome.OK,
    details: dict | None = None,
) -> None:
    await audit_repo.add_entry(
        session,
        AuditEntry(
            at=utcnow(),
            actor_id=actor_id,
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            outcome=outcome,
            details=details or {},
        ),
    )


async def record_denied(
    session: AsyncSession, *, actor_id: int | None, action: str, details: dict | None = None
) -> None:
    """A refused attempt, in its own small transaction (nothing else happened)."""
    await record(
        session, actor_id=actor_id, action=action, outcome=AuditOutcome.DENIED, details=details
    )
    await session.commit()
