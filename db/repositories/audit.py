"""The audit log: append-only."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEntry, User


async def add_entry(session: AsyncSession, entry: AuditEntry) -> None:
    session.add(entry)


def _conditions(action_prefix: str | None, actor_id: int | None) -> list:
    conditions = []
    if action_prefix:
        conditions.append(AuditEntry.action.startswith(action_prefix, autoescape=True))
    if actor_id is not None:
        conditions.append(AuditEntry.actor_id == actor_id)
    return conditions


async def count_entries(
    session: AsyncSession, *, action_prefix: str | None = None, actor_id: int | None = None
) -> int:
    conditions = _conditions(action_prefix, actor_id)
    total = await session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions))
    return total or 0


async def entries(
    session: AsyncSession,
    *,
    offset: int,
    limit: int,
    action_prefix: str | None = None,
    actor_id: int | None = None,
) -> list[tuple[AuditEntry, str | None]]:
    """Newest first, each with the actor's name (None for the system or an erased person)."""
    rows = await session.execute(
        select(AuditEntry, User.full_name)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(*_conditions(action_prefix, actor_id))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [(entry, name) for entry, name in rows]


async def action_groups(session: AsyncSession) -> list[str]:
    """The distinct first parts of the actions (`consent`, `user`, `access`, …)."""
    actions = await session.scalars(select(AuditEntry.action).distinct())
    return sorted({action.split(".", 1)[0] for action in actions})
