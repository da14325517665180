"""The audit log's hash chain: each entry holds the hash of the entry before it and of
its own content, so an entry changed, removed or slipped in afterwards shows.

The content is hashed canonically, so that the same entry gives the same hash on SQLite
and PostgreSQL: sorted-key compact JSON of the fields, the time as UTC ISO with
microseconds (both databases keep microseconds), the details as they read back from a
JSON column (integer keys become strings, tuples lists). The entry's id is not hashed:
the chain's order is the id order, and the links themselves show a gap or a swap.

This module is pure (no database); `bot.services.audit` writes, re-links and verifies.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from hashlib import sha256
from typing import Any, Protocol

GENESIS = "0" * 64  # the "previous hash" of the first entry


class Sealable(Protocol):
    at: datetime
    actor_id: int | None
    action: str
    object_type: str | None
    object_id: str | None
    outcome: str
    details: Any


def canonical_details(details: Any) -> Any:
    """The details as a JSON column gives them back."""
    return json.loads(json.dumps(details if details is not None else {}))


def canonical_time(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("naive datetime in an audit entry")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(prev_hash: str, entry: Sealable) -> str:
    content = {
        "prev_hash": prev_hash,
        "at": canonical_time(entry.at),
        "actor_id": entry.actor_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "outcome": str(entry.outcome),
        "details": canonical_details(entry.details),
    }
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return sha256(text.encode()).hexdigest()


class Problem(StrEnum):
    CONTENT = "content"  # the fields no longer give the stored hash: changed after writing
    LINK = "link"  # prev_hash is not the previous entry's hash: one removed or slipped in


@dataclass(frozen=True, slots=True)
class ChainReport:
    entries: int  # entries checked (all of them when intact)
    head: str  # the last good hash (GENESIS for an empty log)
    broken_id: int | None = None
    problem: Problem | None = None

    @property
    def intact(self) -> bool:
        return self.broken_id is None


class Stored(Sealable, Protocol):
    id: int
    prev_hash: str
    hash: str


def check(entry: Stored, expected_prev: str) -> Problem | None:
    """What is wrong with one entry, given the previous entry's stored hash.

    The content first: an entry changed in place is named as such even where the entries
    around it were re-linked since (audit.rewrite keeps a broken entry's hashes)."""
    if entry_hash(entry.prev_hash, entry) != entry.hash:
        return Problem.CONTENT
    if entry.prev_hash != expected_prev:
        return Problem.LINK
    return None
