"""The migrations build exactly the models, and go down and up again cleanly."""

import asyncio
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Integer, String, inspect, text
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.engine import make_url

from bot.services import audit
from bot.startup.migrate import alembic_config
from db.base import Base, UTCDateTime
from db.engine import create_engine, create_session_factory

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")


async def _admin(url: str, statement: str) -> None:
    engine = create_engine(url)
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text(statement))
    await engine.dispose()


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    url = make_url(POSTGRES_URL)
    name = f"{url.database}_migrations"
    asyncio.run(_admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}"'))
    asyncio.run(_admin(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_upgrade_downgrade_upgrade_and_models_agree(empty_database: str) -> None:
    config = alembic_config(empty_database)

    command.upgrade(config, "head")
    assert asyncio.run(_tables(empty_database)) == set(Base.metadata.tables)
    command.check(config)  # autogenerate finds no difference between models and schema

    command.downgrade(config, "base")
    assert asyncio.run(_tables(empty_database)) == set()

    command.upgrade(config, "head")
    command.check(config)


def test_the_history_is_one_straight_line() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://"))
    assert len(script.get_heads()) == 1


LEGACY_AUDIT = sa_table(
    "audit_log",
    sa_column("at", UTCDateTime()),
    sa_column("actor_id", Integer()),
    sa_column("action", String()),
    sa_column("object_type", String()),
    sa_column("object_id", String()),
    sa_column("outcome", String()),
    sa_column("details", JSON()),
)


async def _write_legacy_audit(url: str) -> None:
    """Entries as revision 0004 held them: no hashes."""
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(
            LEGACY_AUDIT.insert(),
            [
                {
                    "at": datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC) + timedelta(minutes=i),
                    "actor_id": None,
                    "action": "consent.accepted" if i % 2 else "access.denied",
                    "object_type": "user" if i % 2 else None,
                    "object_id": str(i) if i % 2 else None,
                    "outcome": "ok" if i % 2 else "denied",
                    "details": {"n": i, "name": "Oʻgʻiloy «Ёлка»", "3": [1.5, None]},
                }
                for i in range(5)
            ],
        )
    await engine.dispose()


async def _verify(url: str):
    engine = create_engine(url)
    async with create_session_factory(engine)() as session:
        report = await audit.verify(session)
    await engine.dispose()
    return report


async def _audit_columns(url: str) -> set[str]:
    engine = create_engine(url)
    async with engine.connect() as connection:
        columns = await connection.run_sync(
            lambda sync: {column["name"] for column in inspect(sync).get_columns("audit_log")}
        )
    await engine.dispose()
    return columns


def test_the_audit_chain_revision_chains_the_entries_written_before_it(
    empty_database: str,
) -> None:
    config = alembic_config(empty_database)
    command.upgrade(config, "0004")
    asyncio.run(_write_legacy_audit(empty_database))

    command.upgrade(config, "0005")

    report = asyncio.run(_verify(empty_database))
    assert report.intact and report.entries == 5
    command.downgrade(config, "0004")
    assert not {"prev_hash", "hash"} & asyncio.run(_audit_columns(empty_database))
    command.upgrade(config, "head")
    assert asyncio.run(_verify(empty_database)).entries == 5
