"""Usage counts are kept in memory and written in one transaction per flush."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.services.access import Actor
from bot.services.analytics import UsageTally
from bot.services.consent import Choices, ConsentState
from db.models import Role, UsageCount

TASHKENT = ZoneInfo("Asia/Tashkent")
NOW = datetime(2026, 11, 25, 19, 30, tzinfo=UTC)  # already the 26th in Tashkent


def actor(role: Role = Role.STUDENT, *, analytics: bool = True) -> Actor:
    consent = ConsentState("1", Choices(analytics=analytics), NOW)
    return Actor(1, 1, "en", frozenset({role}), frozenset(), consent=consent)


async def stored(session) -> dict[tuple[str, str, str], int]:
    rows = (await session.scalars(select(UsageCount))).all()
    return {(str(row.day), row.command, row.role): row.count for row in rows}


def count(tally: UsageTally, who: Actor, command: str) -> bool:
    return tally.count(who, command, now=NOW, tz=TASHKENT, policy_version="1")


async def test_counts_wait_for_the_flush_and_add_up_across_flushes(session_factory, session):
    tally = UsageTally(session_factory)
    for command in ("help", "help", "schedule"):
        assert count(tally, actor(), command)
    count(tally, actor(Role.TEACHER), "help")
    assert await stored(session) == {}

    assert await tally.flush() == 4
    count(tally, actor(), "help")
    assert await tally.flush() == 1
    assert await tally.flush() == 0
    session.expire_all()
    assert await stored(session) == {
        ("2026-11-26", "help", "student"): 3,
        ("2026-11-26", "schedule", "student"): 1,
        ("2026-11-26", "help", "teacher"): 1,
    }


async def test_nothing_is_kept_without_the_analytics_consent(session_factory, session):
    tally = UsageTally(session_factory)
    assert not count(tally, actor(analytics=False), "help")
    assert not tally.count(actor(), "help", now=NOW, tz=TASHKENT, policy_version="2")
    assert await tally.flush() == 0
    assert await stored(session) == {}


async def test_a_failed_flush_keeps_the_counts_for_the_next_one(session_factory, session):
    def broken():
        raise ConnectionError("database away")

    tally = UsageTally(broken)  # type: ignore[arg-type]
    count(tally, actor(), "help")
    with pytest.raises(ConnectionError):
        await tally.flush()
    tally.session_factory = session_factory
    count(tally, actor(), "help")
    assert await tally.flush() == 2
    assert await stored(session) == {("2026-11-26", "help", "student"): 2}
