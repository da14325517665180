"""Erasing a person's data on their request (POLICY 9).

One transaction: the users row is anonymized (the row stays, so academic statistics and
the ledger keep a valid reference); roles, permissions, consents, parent links, personal
invites and send logs are deleted; support tickets keep their rows with the text blanked;
the ledger (charges, payments, refunds, balance) moves to an anonymous reference, the
same on all of the person's rows, so the books still add up; free texts tied to the
person and earlier audit details are scrubbed of their name, phone, email, username and
Telegram id, and the audit chain re-linked from the first entry scrubbed (README,
"The audit chain"). An audit entry `user.deleted` with no personal data closes it.
"""

import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.formatting import format_phone
from bot.services import audit
from bot.services.recipients import Recipient, staff_recipients
from db.base import utcnow
from db.models import Permission, User
from db.repositories import deletion as deletion_repo

DELETED_MARKER = "[deleted]"
ANON_PREFIX = "anon-"
# Shorter values are not searched for in texts: they would match inside ordinary words.
MIN_TRACE_LENGTH = 3
# Ways of writing the Uzbek ʻ and ʼ (UX.md: accept both the proper letters and ASCII).
_APOSTROPHES = str.maketrans(dict.fromkeys("ʻʼ‘’`´ʹ", "'"))


def normalize_word(text: str) -> str:
    return " ".join(text.translate(_APOSTROPHES).split()).casefold()


def word_matches(typed: str | None, word: str) -> bool:
    """The confirmation word, compared trimmed, case-insensitively, any apostrophe."""
    return typed is not None and bool(word) and normalize_word(typed) == normalize_word(word)


def new_anon_ref() -> str:
    return ANON_PREFIX + secrets.token_hex(8)


@dataclass(frozen=True, slots=True)
class Traces:
    """What identifies the person in free text, captured before their row is blanked."""

    values: tuple[str, ...]  # full name, phone (as stored, digits, formatted), email, …
    name_parts: tuple[str, ...]  # the words of the full name
    telegram_id: int | None

    @classmethod
    def of(cls, user: User) -> "Traces":
        values: list[str] = []
        if user.full_name:
            values.append(user.full_name)
        if user.phone:
            digits = re.sub(r"\D", "", user.phone)
            values += [user.phone, digits, format_phone(user.phone)]
        if user.email:
            values.append(user.email)
        if user.username:
            values.append(user.username)
        if user.telegram_id is not None:
            values.append(str(user.telegram_id))
        parts = (user.full_name or "").split()
        return cls(
            values=_searchable(values),
            name_parts=_searchable(part for part in parts if part not in values),
            telegram_id=user.telegram_id,
        )

    def search_fragments(self) -> list[str]:
        """Lower-case fragments to look for in stored JSON (raw and \\u-escaped forms)."""
        fragments: set[str] = set()
        for value in self.values:
            fragments.add(value.casefold())
            fragments.add(json.dumps(value)[1:-1].lower())
        return sorted(fragments)


def _searchable(values: Any) -> tuple[str, ...]:
    unique = {value.strip() for value in values if len(value.strip()) >= MIN_TRACE_LENGTH}
    # Longest first, so "+998 90 123 45 67" is replaced whole, not piece by piece.
    return tuple(sorted(unique, key=lambda value: (-len(value), value)))


@lru_cache(maxsize=64)
def _pattern(values: tuple[str, ...]) -> re.Pattern[str] | None:
    if not values:
        return None
    return re.compile("|".join(re.escape(value) for value in values), re.IGNORECASE)


def scrub_text(text: str | None, traces: Traces, *, with_name_parts: bool = True) -> str | None:
    """The text with every trace of the person replaced by the marker."""
    if not text:
        return text
    values = traces.values + (traces.name_parts if with_name_parts else ())
    pattern = _pattern(_searchable(values))
    return pattern.sub(DELETED_MARKER, text) if pattern else text


def scrub_json(value: Any, traces: Traces) -> Any:
    """A copy of a JSON value with the person's traces replaced (keys and values)."""
    if isinstance(value, dict):
        return {scrub_json(key, traces): scrub_json(item, traces) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub_json(item, traces) for item in value]
    if isinstance(value, str):
        return scrub_text(value, traces, with_name_parts=False)
    if isinstance(value, int) and not isinstance(value, bool) and value == traces.telegram_id:
        return DELETED_MARKER
    return value


def scrubbed_audit_details(
    entries: list[tuple[int, Any]], traces: Traces
) -> dict[int, dict[str, Any]]:
    """{entry id: {"details": scrubbed}} for the entries whose details name the person."""
    changes = {}
    for entry_id, details in entries:
        scrubbed = scrub_json(details, traces)
        if scrubbed != details:
            changes[entry_id] = {"details": scrubbed}
    return changes


def _rewrite_details(rewritten: audit.Rewrite) -> dict[str, int]:
    """What the erasure did to the audit chain, so the re-linked part is accounted for."""
    if not rewritten.entries:
        return {}
    return {
        "audit_scrubbed": rewritten.entries,
        "audit_relinked_from": rewritten.first_id or 0,
        "audit_relinked": rewritten.relinked,
    }


@dataclass(frozen=True, slots=True)
class Deletion:
    user_id: int
    # Who is told about it: admins with the users permission and the owners.
    recipients: tuple[Recipient, ...]


async def delete_user(
    session: AsyncSession,
    user_id: int,
    *,
    owner_ids: tuple[int, ...],
    now: datetime | None = None,
) -> Deletion | None:
    """Erase the person in one transaction; None (nothing written) when already erased."""
    now = now or utcnow()
    user = await deletion_repo.lock_live_user(session, user_id)
    if user is None:
        await session.rollback()
        return None
    traces = Traces.of(user)
    phone = user.phone
    if not await deletion_repo.erase_user_row(session, user_id, now):
        await session.rollback()  # a concurrent erasure won
        return None

    for row, columns in await deletion_repo.linked_free_texts(session, user_id):
        for column in columns:
            setattr(row, column, scrub_text(getattr(row, column), traces))
    for ticket in await deletion_repo.own_tickets(session, user_id):
        ticket.user_id = None
        ticket.text = DELETED_MARKER
        if ticket.answer is not None:
            ticket.answer = DELETED_MARKER
    for lead in await deletion_repo.leads_of(session, user_id, phone):
        lead.user_id = None
        lead.name = DELETED_MARKER
        lead.phone = DELETED_MARKER
    await deletion_repo.delete_personal_rows(session, user_id)
    await deletion_repo.detach_ledger(session, user_id, new_anon_ref())
    await deletion_repo.unassign_groups(session, user_id)
    await deletion_repo.retire_broadcasts(session, user_id)
    rewritten = await audit.rewrite(
        session,
        scrubbed_audit_details(
            await deletion_repo.audit_entries_containing(session, traces.search_fragments()), traces
        ),
    )
    await audit.record(
        session,
        user_id,
        deletion_repo.ERASURE_ACTION,
        "user",
        user_id,
        details=_rewrite_details(rewritten),
    )
    recipients = tuple(
        await staff_recipients(session, Permission.USERS, owner_ids, exclude_user_id=user_id)
    )
    await session.commit()
    return Deletion(user_id=user_id, recipients=recipients)
