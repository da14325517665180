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


async def _write_leads_before_stages(url: str, moments: list[datetime]) -> None:
    """Three leads as revision 0006 held them (only the current status), two of them moved
    on through /leads, which left `lead.status` entries in the audit log."""
    leads = sa_table(
        "leads",
        sa_column("id", Integer()),
        sa_column("name", String()),
        sa_column("phone", String()),
        sa_column("status", String()),
        sa_column("created_at", UTCDateTime()),
        sa_column("updated_at", UTCDateTime()),
    )
    entries = sa_table(
        "audit_log",
        *(sa_column(c.name, c.type) for c in LEGACY_AUDIT.c),
        sa_column("prev_hash", String()),
        sa_column("hash", String()),
    )
    created, contacted, enrolled, last_change = moments
    engine = create_engine(url)
    async with engine.begin() as connection:
        for row in (
            {"id": 1, "status": "enrolled", "updated_at": last_change},
            {"id": 2, "status": "lost", "updated_at": last_change},
            {"id": 3, "status": "new", "updated_at": None},
        ):
            await connection.execute(
                leads.insert().values(name="L", phone="+998900000000", created_at=created, **row)
            )
        for at, was, to in ((contacted, "new", "contacted"), (enrolled, "contacted", "enrolled")):
            await connection.execute(
                entries.insert().values(
                    at=at,
                    action="lead.status",
                    object_type="lead",
                    object_id="1",
                    outcome="ok",
                    details={"from": was, "to": to},
                    prev_hash="0" * 64,
                    hash="0" * 64,
                )
            )
    await engine.dispose()


async def _lead_stages(url: str) -> dict[int, tuple]:
    stages = ("contacted_at", "trial_at", "enrolled_at", "lost_at")
    leads = sa_table(
        "leads", sa_column("id", Integer()), *(sa_column(name, UTCDateTime()) for name in stages)
    )
    engine = create_engine(url)
    async with engine.connect() as connection:
        rows = (await connection.execute(leads.select())).all()
    await engine.dispose()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_the_lead_stages_revision_fills_them_from_the_audit_log(empty_database: str) -> None:
    config = alembic_config(empty_database)
    command.upgrade(config, "0006")
    base = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    moments = [base + timedelta(days=days) for days in (0, 1, 5, 9)]
    asyncio.run(_write_leads_before_stages(empty_database, moments))

    command.upgrade(config, "0007")

    _created, contacted, enrolled, last_change = moments
    assert asyncio.run(_lead_stages(empty_database)) == {
        1: (contacted, None, enrolled, None),  # from the log
        2: (None, None, None, last_change),  # its current status, from its last change
        3: (None, None, None, None),
    }
    command.downgrade(config, "0006")
    command.upgrade(config, "head")
