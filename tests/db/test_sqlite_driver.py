"""The one-trip SQLite cursor (db/sqlite_driver.py) behaves like SQLAlchemy's own."""

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import IntegrityError

from db import sqlite_driver
from db.engine import create_engine, create_session_factory
from db.models import Course, DataVersion
from db.sqlite_driver import OneTripConnection


@pytest.fixture
async def sqlite_engine(tmp_path: Path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(Course.__table__.create)
        # a commit that changes a course raises the academic data version (db.data_versions)
        await connection.run_sync(DataVersion.__table__.create)
    yield engine
    await engine.dispose()


async def test_connections_use_the_one_trip_cursor(sqlite_engine) -> None:
    async with sqlite_engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert type(raw.dbapi_connection) is OneTripConnection


async def test_rows_counts_ids_and_returning(sqlite_engine) -> None:
    factory = create_session_factory(sqlite_engine)
    async with factory() as session:
        first = Course(name="English", monthly_price=400_000)
        session.add(first)
        await session.flush()  # INSERT … RETURNING (or lastrowid) gives the id
        assert first.id == 1
        await session.execute(
            insert(Course),
            [{"name": f"Course {n}", "monthly_price": 100_000 * n} for n in range(1, 4)],
        )  # executemany
        changed = await session.execute(
            update(Course).where(Course.monthly_price < 300_000).values(monthly_price=0)
        )
        assert changed.rowcount == 2
        await session.commit()
    async with factory() as session:
        names = (await session.scalars(select(Course.name).order_by(Course.id))).all()
        assert names == ["English", "Course 1", "Course 2", "Course 3"]
        assert (await session.execute(text("SELECT 1 WHERE 0"))).all() == []


async def test_errors_roll_back_and_keep_their_type(sqlite_engine) -> None:
    factory = create_session_factory(sqlite_engine)
    async with factory() as session:
        session.add(Course(name="Kept", monthly_price=1))
        await session.commit()
        session.add(Course(name="Dropped", monthly_price=2))
        await session.flush()
        await session.rollback()
        with pytest.raises(IntegrityError):
            await session.execute(insert(Course).values(name=None, monthly_price=1))
        await session.rollback()
    async with factory() as session:
        assert (await session.scalars(select(Course.name))).all() == ["Kept"]


async def test_concurrent_sessions_see_committed_rows_only(sqlite_engine) -> None:
    factory = create_session_factory(sqlite_engine)

    async def add(number: int) -> None:
        async with factory() as session:
            session.add(Course(name=f"C{number}", monthly_price=number))
            await session.commit()

    await asyncio.gather(*(add(n) for n in range(20)))
    async with factory() as session:
        assert len((await session.scalars(select(Course.id))).all()) == 20


async def test_writers_take_turns_and_every_write_lands(sqlite_engine) -> None:
    """Each session holds its write transaction across an await: SQLite alone would make the
    others sleep in its busy handler; here they queue and all of them commit."""
    factory = create_session_factory(sqlite_engine)
    async with factory() as session:
        session.add(Course(name="Counter", monthly_price=0))
        await session.commit()

    async def bump(number: int) -> None:
        async with factory() as session:
            await session.execute(update(Course).values(monthly_price=Course.monthly_price + 1))
            await asyncio.sleep(0.001)  # e.g. a second statement, or a call to Telegram
            await session.commit()

    await asyncio.gather(*(bump(n) for n in range(30)))
    async with factory() as session:
        assert await session.scalar(select(Course.monthly_price)) == 30


async def test_a_writer_that_waits_too_long_falls_back_to_sqlite(monkeypatch) -> None:
    monkeypatch.setattr(sqlite_driver, "WRITE_QUEUE_TIMEOUT", 0.01)
    queue = sqlite_driver.WriterQueue()
    first, second = sqlite3.connect(":memory:"), sqlite3.connect(":memory:")
    await queue.enter(first)
    await queue.enter(first)  # the same transaction again: no second turn needed
    await queue.enter(second)  # gives up waiting; SQLite's busy handler would decide
    queue.leave(second)  # not the holder: nothing happens
    queue.leave(first)
    await queue.enter(second)
    queue.leave(second)
