"""The migrations build exactly the models, and go down and up again cleanly."""

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from bot.migrate import alembic_config
from db.base import Base
from db.engine import create_engine

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
