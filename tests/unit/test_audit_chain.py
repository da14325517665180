"""The audit log's hash chain: written by audit.record, checked by audit.verify, kept by
audit.rewrite (erasure, merges), on SQLite and PostgreSQL alike."""

import asyncio
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text, update

from bot.services import audit
from bot.services import deletion as deletion_service
from bot.services.audit_chain import GENESIS, Problem, entry_hash
from db.models import AuditEntry, AuditOutcome
from tests.chat import Person
from tests.conftest import OWNER_ID, POSTGRES_URL
from tests.factories import make_user


async def write(session, count: int, **fields) -> list[int]:
    entries = [
        await audit.record(session, actor_id=None, action="test.entry", details={"n": i}, **fields)
        for i in range(count)
    ]
    await session.commit()
    return [entry.id for entry in entries]


async def test_an_intact_chain_counts_every_entry_refusals_included(session):
    ids = await write(session, 2)
    await audit.record_denied(session, actor_id=None, action="access.denied", details={"x": 1})

    report = await audit.verify(session)

    assert report.intact and report.entries == 3 and report.broken_id is None
    rows = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert rows[0].prev_hash == GENESIS
    assert [row.prev_hash for row in rows[1:]] == [row.hash for row in rows[:-1]]
    assert rows[-1].outcome == AuditOutcome.DENIED and report.head == rows[-1].hash
    assert ids == [rows[0].id, rows[1].id]


async def test_an_empty_log_is_intact(session):
    report = await audit.verify(session)
    assert (report.intact, report.entries, report.head) == (True, 0, GENESIS)


async def test_details_changed_with_raw_sql_name_that_entry(session):
    _first, second, _third = await write(session, 3)
    await session.execute(
        text("UPDATE audit_log SET details = :details WHERE id = :id"),
        {"details": json.dumps({"n": 99}), "id": second},
    )
    await session.commit()

    report = await audit.verify(session)

    assert (report.broken_id, report.problem, report.entries) == (second, Problem.CONTENT, 1)


@pytest.mark.parametrize("column", ["actor_id", "action", "object_id", "outcome", "at"])
async def test_any_hashed_field_changed_is_found(session, column):
    someone = await make_user(session, Person(id=7))
    _first, second = await write(session, 2, outcome=AuditOutcome.DENIED)
    value = {
        "actor_id": someone.id,
        "action": "x.y",
        "object_id": "12",
        "outcome": "ok",
        "at": datetime(2020, 1, 1, tzinfo=UTC),
    }[column]
    await session.execute(update(AuditEntry).where(AuditEntry.id == second).values({column: value}))
    await session.commit()

    report = await audit.verify(session)

    assert (report.broken_id, report.problem) == (second, Problem.CONTENT)


async def test_a_deleted_entry_names_the_next_one(session):
    _first, second, third = await write(session, 3)
    await session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": second})
    await session.commit()

    report = await audit.verify(session)

    assert (report.broken_id, report.problem, report.entries) == (third, Problem.LINK, 1)


async def test_deleting_the_first_entry_names_the_second(session):
    first, second = await write(session, 2)
    await session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": first})
    await session.commit()

    assert (await audit.verify(session)).broken_id == second


async def test_an_entry_rehashed_by_hand_breaks_the_link_after_it(session):
    _first, second, third = await write(session, 3)
    row = await session.get(AuditEntry, second)
    row.details = {"n": 42}
    forged = entry_hash(row.prev_hash, row)
    await session.execute(
        text("UPDATE audit_log SET details = :details, hash = :hash WHERE id = :id"),
        {"details": json.dumps({"n": 42}), "hash": forged, "id": second},
    )
    await session.commit()

    report = await audit.verify(session)

    assert (report.broken_id, report.problem) == (third, Problem.LINK)


async def test_the_hash_survives_the_round_trip_through_the_database(session_factory):
    """Microseconds, another time zone, integer keys, tuples and non-ASCII text."""
    at = datetime(2026, 3, 2, 14, 0, 0, 123456, tzinfo=timezone(timedelta(hours=5)))
    details = {3: ("a", 1.5), "name": "Oʻgʻiloy «Ёлка» 🎓", "nested": {"b": [None, True]}}
    async with session_factory() as session:
        entry = await audit.record(
            session, actor_id=None, action="test.entry", details=details, at=at
        )
        await session.commit()
        written = entry.hash  # linked when the transaction commits

    async with session_factory() as fresh:
        stored = await fresh.get(AuditEntry, entry.id)
        assert stored.at == at.astimezone(UTC)
        assert stored.details == {
            "3": ["a", 1.5],
            "name": details["name"],
            "nested": {"b": [None, True]},
        }
        assert entry_hash(stored.prev_hash, stored) == stored.hash == written
        assert (await audit.verify(fresh)).intact


async def test_a_rolled_back_entry_leaves_no_gap(session_factory):
    async with session_factory() as session:
        await write(session, 1)
        await audit.record(session, actor_id=None, action="test.rolled_back")
        await session.rollback()
        await write(session, 1)
        report = await audit.verify(session)
    assert report.intact and report.entries == 2


async def test_rewrite_relinks_the_rest_of_the_chain(session):
    _first, second, _third = await write(session, 3)

    result = await audit.rewrite(session, {second: {"details": {"n": "[deleted]"}}})
    await session.commit()

    assert (result.entries, result.relinked, result.first_id) == (1, 2, second)
    assert (await audit.verify(session)).intact
    assert (await session.get(AuditEntry, second)).details == {"n": "[deleted]"}


async def test_rewrite_never_hides_an_earlier_tampering(session):
    first, _second, third, _fourth = await write(session, 4)
    await session.execute(
        text("UPDATE audit_log SET details = :details WHERE id = :id"),
        {"details": json.dumps({"n": "forged"}), "id": third},
    )
    await session.commit()

    await audit.rewrite(session, {first: {"details": {"n": "scrubbed"}}})
    await session.commit()

    report = await audit.verify(session)
    assert (report.broken_id, report.problem) == (third, Problem.CONTENT)


async def test_rewrite_changes_only_details_and_the_actor(session):
    [entry_id] = await write(session, 1)
    with pytest.raises(ValueError):
        await audit.rewrite(session, {entry_id: {"action": "other"}})


async def test_erasing_a_person_keeps_the_chain_intact(session, alice):
    user = await make_user(session, alice, full_name="Dilnoza Karimova")
    user_id = user.id
    other = await make_user(session, Person(id=555_002), full_name="Rustam Aliyev")
    await audit.record(
        session, actor_id=user_id, action="user.name", details={"from": "Dilnoza Karimova"}
    )
    await audit.record(
        session,
        actor_id=other.id,
        action="payment.recorded",
        details={"student": "Dilnoza Karimova"},
    )
    await audit.record(session, actor_id=other.id, action="user.name", details={"to": "Rustam"})
    await session.commit()

    assert await deletion_service.delete_user(session, user_id, owner_ids=(OWNER_ID,))

    session.expire_all()
    report = await audit.verify(session)
    assert report.intact and report.entries == 4
    erased = await session.scalar(select(AuditEntry).where(AuditEntry.action == "user.deleted"))
    assert erased.details["audit_scrubbed"] == 2 and erased.details["audit_relinked"] == 3
    stored = await session.scalars(select(AuditEntry.details).order_by(AuditEntry.id))
    assert "Dilnoza" not in json.dumps(stored.all())


async def test_concurrent_writers_never_link_to_the_same_entry(session_factory):
    """Transactions that write their entries at the same time, each keeping its
    transaction open a little after, as a service does before it commits."""
    async with session_factory() as session:
        await write(session, 1)

    async def writer(n: int) -> None:
        async with session_factory() as session:
            await audit.record(session, actor_id=None, action="test.concurrent", details={"n": n})
            await asyncio.sleep(0.01)
            await audit.record(session, actor_id=None, action="test.concurrent", details={"n": -n})
            await session.commit()

    await asyncio.gather(*(writer(n) for n in range(1, 13)))

    async with session_factory() as session:
        report = await audit.verify(session)
        heads = (await session.scalars(select(AuditEntry.prev_hash))).all()
    assert report.intact and report.entries == 25
    assert len(set(heads)) == len(heads)  # no two entries share a previous one


@pytest.mark.skipif(not POSTGRES_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")
async def test_concurrent_writers_on_separate_engines(engine, database_url):
    """Like several processes: each writer its own engine and connections (`engine`
    only empties the database first)."""
    from db.engine import create_engine, create_session_factory

    engines = [create_engine(database_url) for _ in range(4)]
    try:

        async def writer(engine, n: int) -> None:
            async with create_session_factory(engine)() as session:
                for i in range(5):
                    await audit.record(
                        session, actor_id=None, action="test.pg", details={"n": n, "i": i}
                    )
                    await session.commit()

        await asyncio.gather(*(writer(engine, n) for n, engine in enumerate(engines)))
        async with create_session_factory(engines[0])() as session:
            report = await audit.verify(session)
        assert report.intact and report.entries == 20
    finally:
        for engine in engines:
            await engine.dispose()


async def test_an_open_transaction_does_not_hold_the_chain_until_it_commits(session_factory):
    """The chain's lock is taken at COMMIT: a use case still at work after its audit entry
    (more queries, row locks) keeps no other writer waiting, and cannot deadlock with one."""
    async with session_factory() as slow, session_factory() as quick:
        await audit.record(slow, actor_id=None, action="test.slow")
        await slow.execute(select(AuditEntry.id))  # its transaction is open and busy

        async def quick_entry() -> None:
            await audit.record(quick, actor_id=None, action="test.quick")
            await quick.commit()

        await asyncio.wait_for(quick_entry(), timeout=2)

        await slow.commit()
        report = await audit.verify(slow)
        actions = (await slow.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
    assert report.intact and actions == ["test.quick", "test.slow"]
