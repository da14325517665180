"""The audit log: append-only, one hash chain in id order (bot/services/audit_chain.py).

The chain's lock and head are read at commit time, from a synchronous session event
(bot/services/audit.py), so those two functions take the synchronous Session.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from db.models import AuditEntry, User

# pg_advisory_xact_lock key of the chain's head: any fixed number no other lock uses
CHAIN_LOCK_KEY = 0x4544_5543_524D_4155  # "EDUCRMAU"
CHAIN_COLUMNS = (
    AuditEntry.id,
    AuditEntry.at,
    AuditEntry.actor_id,
    AuditEntry.action,
    AuditEntry.object_type,
    AuditEntry.object_id,
    AuditEntry.outcome,
    AuditEntry.details,
    AuditEntry.prev_hash,
    AuditEntry.hash,
)


def lock_chain(session: Session) -> None:
    """Hold the chain's head until this transaction ends, so that two transactions
    never link to the same previous entry.

    PostgreSQL: a transaction-level advisory lock (taken again by the same transaction
    at no cost). SQLite lets one transaction write at a time, but a SELECT before a
    transaction's first write runs outside it; a write that changes nothing takes the
    write lock (and db/sqlite_driver.py's writer queue) first.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    else:
        session.execute(text("UPDATE audit_log SET id = id WHERE 1 = 0"))


def head_hash(session: Session) -> str | None:
    """The newest entry's hash (take lock_chain first); None for an empty log."""
    return session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))


async def entry_before(session: AsyncSession, entry_id: int) -> Row | None:
    """The entry just before `entry_id` in the chain (its id and hash), if any."""
    return (
        await session.execute(
            select(AuditEntry.id, AuditEntry.hash)
            .where(AuditEntry.id < entry_id)
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
    ).first()


def add_entries(session: Session, entries: list[AuditEntry]) -> None:
    session.add_all(entries)


async def chain_batch(session: AsyncSession, after_id: int, limit: int) -> Sequence[Row]:
    """Entries with an id above `after_id`, in id order, as plain rows (no identity map)."""
    return (
        await session.execute(
            select(*CHAIN_COLUMNS)
            .where(AuditEntry.id > after_id)
            .order_by(AuditEntry.id)
            .limit(limit)
        )
    ).all()


async def rewrite_entries(session: AsyncSession, values: list[dict[str, Any]]) -> None:
    """Bulk UPDATE by id; each dict holds `id` and the columns to set."""
    if values:
        await session.execute(update(AuditEntry), values)


async def entry_ids_of_actor(session: AsyncSession, actor_id: int) -> list[int]:
    return list(await session.scalars(select(AuditEntry.id).where(AuditEntry.actor_id == actor_id)))


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
