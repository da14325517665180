"""Consent to the privacy policy: acceptance, categories, withdrawal, and "may we send this?".

Every change adds a row to the consent history (accepted, changed, withdrawn) and an
audit entry in the same transaction. The latest row is the user's current choice.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.services import audit
from db.base import utcnow
from db.models import Consent, ConsentEvent, User


class Category(StrEnum):
    """Kinds of message, as the policy names them (POLICY 3)."""

    ESSENTIAL = "essential"
    REMINDERS = "reminders"
    ANNOUNCEMENTS = "announcements"
    ANALYTICS = "analytics"


OPTIONAL_CATEGORIES = (Category.REMINDERS, Category.ANNOUNCEMENTS, Category.ANALYTICS)


@dataclass(frozen=True, slots=True)
class Choices:
    """The optional categories a user allows (essential is always on while consent holds)."""

    reminders: bool = True
    announcements: bool = True
    analytics: bool = True

    def allows(self, category: Category) -> bool:
        return category is Category.ESSENTIAL or bool(getattr(self, category.value))

    def toggled(self, category: Category) -> "Choices":
        return replace(self, **{category.value: not getattr(self, category.value)})

    def as_bits(self) -> str:
        """`101`: compact enough for callback data."""
        return "".join("1" if getattr(self, c.value) else "0" for c in OPTIONAL_CATEGORIES)

    @classmethod
    def from_bits(cls, bits: str) -> "Choices":
        if len(bits) != len(OPTIONAL_CATEGORIES) or set(bits) - {"0", "1"}:
            raise ValueError("not a choice of categories")
        return cls(
            **{c.value: bit == "1" for c, bit in zip(OPTIONAL_CATEGORIES, bits, strict=True)}
        )


@dataclass(frozen=True, slots=True)
class ConsentState:
    version: str
    choices: Choices
    at: datetime

    def is_current(self, policy_version: str) -> bool:
        return self.version == policy_version


def state_of(row: Consent | None) -> ConsentState | None:
    """The consent in force after this (newest) event: None when withdrawn or absent."""
    if row is None or row.event == ConsentEvent.WITHDRAWN:
        return None
    choices = Choices(row.reminders, row.announcements, row.analytics)
    return ConsentState(version=row.policy_version, choices=choices, at=row.at)


async def latest_row(session: AsyncSession, user_id: int) -> Consent | None:
    return await session.scalar(
        select(Consent)
        .where(Consent.user_id == user_id)
        .order_by(Consent.at.desc(), Consent.id.desc())
        .limit(1)
    )


async def current(session: AsyncSession, user_id: int) -> ConsentState | None:
    """The consent in force, or None (never given, or withdrawn)."""
    return state_of(await latest_row(session, user_id))


IDS_PER_QUERY = 900  # below SQLite's limit of bound parameters


async def current_many(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, ConsentState]:
    """The consent in force of each of many users (those without one are left out),
    in one query per IDS_PER_QUERY users instead of one per user."""
    ids = sorted(set(user_ids))
    states: dict[int, ConsentState] = {}
    for start in range(0, len(ids), IDS_PER_QUERY):
        newest_first = (Consent.at.desc(), Consent.id.desc())
        ranked = (
            select(
                Consent,
                func.row_number()
                .over(partition_by=Consent.user_id, order_by=newest_first)
                .label("rank"),
            )
            .where(Consent.user_id.in_(ids[start : start + IDS_PER_QUERY]))
            .subquery()
        )
        latest = aliased(Consent, ranked)
        for row in await session.scalars(select(latest).where(ranked.c.rank == 1)):
            state = state_of(row)
            if state is not None:
                states[row.user_id] = state
    return states


def permits(state: ConsentState | None, category: Category, policy_version: str) -> bool:
    """Does this consent allow a message of `category`? (The user must be reachable too.)"""
    if state is None:
        return False
    if category is Category.ESSENTIAL:
        return True
    return state.is_current(policy_version) and state.choices.allows(category)


async def history(session: AsyncSession, user_id: int) -> list[Consent]:
    rows = await session.scalars(
        select(Consent).where(Consent.user_id == user_id).order_by(Consent.at, Consent.id)
    )
    return list(rows)


async def _add_event(
    session: AsyncSession, user_id: int, event: ConsentEvent, version: str, choices: Choices
) -> None:
    session.add(
        Consent(
            user_id=user_id,
            event=event,
            policy_version=version,
            at=utcnow(),
            reminders=choices.reminders,
            announcements=choices.announcements,
            analytics=choices.analytics,
        )
    )
    await audit.record(
        session,
        user_id,
        f"consent.{event}",
        "user",
        user_id,
        details={"version": version, **{c.value: choices.allows(c) for c in OPTIONAL_CATEGORIES}},
    )


async def accept(
    session: AsyncSession,
    user_id: int,
    version: str,
    choices: Choices,
    *,
    full_name: str | None = None,
    username: str | None = None,
) -> bool:
    """Record acceptance of `version`; False when it was already accepted (a double tap).

    Only now may the profile Telegram gave us be stored (POLICY 1).
    """
    state = await current(session, user_id)
    if state is not None and state.is_current(version):
        return False
    user = await session.get(User, user_id)
    if user is not None:
        user.full_name = user.full_name or full_name
        user.username = username
        user.last_seen_at = utcnow()
    await _add_event(session, user_id, ConsentEvent.ACCEPTED, version, choices)
    await session.commit()
    return True


async def change_choices(session: AsyncSession, user_id: int, choices: Choices) -> bool:
    """Turn optional categories on or off; False when there is no consent to change."""
    state = await current(session, user_id)
    if state is None:
        return False
    if state.choices == choices:
        return True
    await _add_event(session, user_id, ConsentEvent.CHANGED, state.version, choices)
    await session.commit()
    return True


async def withdraw(session: AsyncSession, user_id: int) -> bool:
    """Withdraw consent entirely; False when there was none (a second tap)."""
    state = await current(session, user_id)
    if state is None:
        return False
    no_choices = Choices(reminders=False, announcements=False, analytics=False)
    await _add_event(session, user_id, ConsentEvent.WITHDRAWN, state.version, no_choices)
    await session.commit()
    return True


async def may_send(
    session: AsyncSession, user_id: int, category: Category, policy_version: str
) -> bool:
    """May the bot send this user a message of this kind now? Every sender asks this.

    Nobody without consent gets anything unasked; a user whose consent is for an old
    policy version gets only essential messages until they accept the new one; a user
    who blocked the bot or was deleted gets nothing.
    """
    user = await session.get(User, user_id)
    if user is None or user.telegram_id is None or not user.is_active or user.deleted_at:
        return False
    return permits(await current(session, user_id), category, policy_version)
