"""Audit entries: who did what to which record, when, and with what outcome.

Every entry is written here, and chained (bot/services/audit_chain.py): `record` keeps
the entry with the caller's transaction; when that commits, the entry is linked to the
newest one under the chain's lock and inserted, so it commits (or rolls back) together
with the change it describes, and the id order is the chain's order. The only
changes made to written entries, erasing a person's traces and merging two rows of one
person, go through `rewrite`, which re-links the chain from the first changed entry on.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from bot.services.audit_chain import (
    GENESIS,
    ChainReport,
    canonical_details,
    check,
    entry_hash,
)
from db.base import utcnow
from db.models import AuditEntry, AuditOutcome
from db.repositories import audit as audit_repo

BATCH = 500
# Entries recorded in a transaction, linked and inserted when it commits; a transaction
# rolled back (or dropped) takes its entries with it.
_pending: WeakKeyDictionary[SessionTransaction, list[AuditEntry]] = WeakKeyDictionary()


async def record(
    session: AsyncSession,
    actor_id: int | None,
    action: str,
    object_type: str | None = None,
    object_id: object | None = None,
    *,
    outcome: AuditOutcome = AuditOutcome.OK,
    details: dict | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Who (`actor_id`, None: the bot itself) did what (`action`, "course.created") to which
    record (`object_type`, `object_id`), in the caller's transaction: written as the
    transaction commits, linked into the chain."""
    entry = AuditEntry(
        at=at or utcnow(),
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        outcome=AuditOutcome(outcome).value,
        details=canonical_details(details or {}),
    )
    await session.connection()  # the transaction the entry belongs to has begun
    _pending.setdefault(session.sync_session.get_transaction(), []).append(entry)
    return entry


@event.listens_for(Session, "before_commit")
def _link_pending(session: Session) -> None:
    """Right before COMMIT, the last lock the transaction takes: link and insert its
    entries. Taken earlier, the chain's lock would be held across the rest of the use
    case and could deadlock with the row locks it takes after its audit entry."""
    entries = _pending.pop(session.get_transaction(), None)
    if not entries:
        return
    audit_repo.lock_chain(session)
    prev_hash = audit_repo.head_hash(session) or GENESIS
    for entry in entries:
        entry.prev_hash = prev_hash
        entry.hash = prev_hash = entry_hash(prev_hash, entry)
    audit_repo.add_entries(session, entries)  # inserted by the commit's flush, in order


async def record_denied(
    session: AsyncSession, *, actor_id: int | None, action: str, details: dict | None = None
) -> None:
    """A refused attempt, in its own small transaction (nothing else happened)."""
    await record(
        session, actor_id=actor_id, action=action, outcome=AuditOutcome.DENIED, details=details
    )
    await session.commit()


@dataclass(frozen=True, slots=True)
class Rewrite:
    entries: int  # entries whose content changed
    relinked: int  # entries given new hashes (the changed ones and every one after them)
    first_id: int | None


async def rewrite(session: AsyncSession, changes: dict[int, dict[str, Any]]) -> Rewrite:
    """Change written entries (`{entry id: {column: value}}`, only `details` and
    `actor_id`) and re-link the chain from the first of them to the head.

    An entry that was already broken before (changed behind the chain's back, or after a
    removed one) keeps its old hashes, so the rewrite never hides an earlier tampering:
    verify still names it, and the entries after it keep linking to it as before.
    """
    if not changes:
        return Rewrite(entries=0, relinked=0, first_id=None)
    if any(set(values) - {"details", "actor_id"} for values in changes.values()):
        raise ValueError("only details and actor_id of an audit entry may be rewritten")
    await session.run_sync(audit_repo.lock_chain)
    first_id = min(changes)
    before = await audit_repo.entry_before(session, first_id)
    stored_prev = new_prev = GENESIS if before is None else before.hash
    relinked, after_id = 0, first_id - 1
    while batch := await audit_repo.chain_batch(session, after_id, BATCH):
        updates = []
        for row in batch:
            intact = check(row, stored_prev) is None
            stored_prev = row.hash
            values = dict(changes.get(row.id, {}))
            if "details" in values:
                values["details"] = canonical_details(values["details"])
            if intact:
                content = _Content(row, values)
                values["prev_hash"] = new_prev
                values["hash"] = new_prev = entry_hash(new_prev, content)
                relinked += 1
            else:
                new_prev = row.hash
            if values:
                updates.append({"id": row.id, **values})
        await audit_repo.rewrite_entries(session, updates)
        after_id = batch[-1].id
    return Rewrite(entries=len(changes), relinked=relinked, first_id=first_id)


class _Content:
    """A stored row with some of its fields replaced."""

    def __init__(self, row: Any, values: dict[str, Any]) -> None:
        self._row, self._values = row, values

    def __getattr__(self, name: str) -> Any:
        if name in self._values:
            return self._values[name]
        return getattr(self._row, name)


async def move_actor(session: AsyncSession, from_id: int, to_id: int) -> Rewrite:
    """Entries by one row of a person handed to another row of the same person (a merge)."""
    ids = await audit_repo.entry_ids_of_actor(session, from_id)
    return await rewrite(session, {entry_id: {"actor_id": to_id} for entry_id in ids})


async def verify(session: AsyncSession) -> ChainReport:
    """Walk the whole chain in id order; the first broken entry, or the count and head."""
    expected_prev, count, after_id = GENESIS, 0, 0
    while batch := await audit_repo.chain_batch(session, after_id, BATCH):
        for row in batch:
            problem = check(row, expected_prev)
            if problem is not None:
                return ChainReport(
                    entries=count, head=expected_prev, broken_id=row.id, problem=problem
                )
            count += 1
            expected_prev = row.hash
        after_id = batch[-1].id
    return ChainReport(entries=count, head=expected_prev)
