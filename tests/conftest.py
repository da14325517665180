"""Fixtures: a fresh database per test (SQLite, or PostgreSQL with TEST_DATABASE_URL),
the real Dispatcher over a mocked bot session, and a chat client to talk to it."""

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import db.models  # noqa: F401  (registers every table)
from bot.config import Settings, load_settings
from bot.delivery import Sender
from bot.logging import setup_logging
from bot.middlewares.throttling import MemoryHitCounter
from bot.startup.app import create_dispatcher
from db.base import Base
from db.engine import create_engine, create_session_factory
from db.models.expenses import seed_categories
from tests.chat import ChatClient, Person
from tests.fake_bot_api import FakeBotApi
from tests.json_storage import JsonRoundTripStorage
from tests.mocked_bot import BOT_TOKEN, MockedBot

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
OWNER_ID = 1_000_001

setup_logging("WARNING")


async def _ensure_postgres_database(url: str) -> None:
    """Create the test database if the server lacks it, so `make test-postgres` needs no set-up;
    stop the run with one line naming the server if it cannot be reached."""
    target = make_url(url)
    maintenance = create_engine(
        target.set(database="postgres").render_as_string(hide_password=False)
    )
    try:
        async with maintenance.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            )
            if not exists:
                await connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    except (OSError, DBAPIError) as error:
        where = target.render_as_string(hide_password=True)
        pytest.exit(f"TEST_DATABASE_URL={where}: cannot create the test database ({error})", 2)
    finally:
        await maintenance.dispose()


async def _create_schema(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.run_sync(Base.metadata.create_all)
    await engine.dispose()


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The schema, made once: a SQLite file to copy, or the PostgreSQL tables to truncate."""
    if POSTGRES_URL:
        asyncio.run(_ensure_postgres_database(POSTGRES_URL))
        asyncio.run(_create_schema(POSTGRES_URL))
        return POSTGRES_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(_create_schema(f"sqlite+aiosqlite:///{path}"))
    return str(path)


@pytest.fixture
def database_url(template_database: str, tmp_path: Path) -> str:
    if POSTGRES_URL:
        return POSTGRES_URL
    target = tmp_path / "test.db"
    shutil.copyfile(template_database, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    if POSTGRES_URL:
        tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            await connection.run_sync(seed_categories)  # as the migration and create_all do
    yield engine
    await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)


@pytest.fixture
async def session(session_factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session for arranging and checking data, separate from the bot's own."""
    async with session_factory() as session:
        yield session


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "bot_token": BOT_TOKEN,
        "owner_ids": str(OWNER_ID),
        "database_url": database_url,
        "centre_name": "Bilim <Academy> & Co",
        "throttle_rate": 100,
    }
    return load_settings(env_file=None, **(values | overrides))


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def bot() -> MockedBot:
    return MockedBot()


@pytest.fixture
def sender(session_factory: async_sessionmaker[AsyncSession]) -> Sender:
    """The real sender without waiting: no pacing per chat, no backoff between retries."""
    return Sender(session_factory, rate=10_000, per_chat_interval=0, backoff=0)


@pytest.fixture
def dispatcher(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession], sender: Sender
):
    return create_dispatcher(
        settings,
        session_factory,
        hit_counter=MemoryHitCounter(settings.runtime.throttle_window),
        sender=sender,
        storage=JsonRoundTripStorage(),
    )


@pytest.fixture
def client(bot: MockedBot, dispatcher) -> ChatClient:
    return ChatClient(bot, dispatcher)


@pytest.fixture
def throttled_client(database_url: str, session_factory, bot: MockedBot):
    """A client whose dispatcher allows `rate` updates per window, on a clock the test moves."""

    def build(rate: int, clock=None) -> ChatClient:
        settings = make_settings(database_url, throttle_rate=rate)
        counter = MemoryHitCounter(
            settings.runtime.throttle_window, **({"clock": clock} if clock else {})
        )
        return ChatClient(bot, create_dispatcher(settings, session_factory, hit_counter=counter))

    return build


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    """A fake Bot API server on a free port."""
    server = FakeBotApi()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def redis(request: pytest.FixtureRequest) -> AsyncIterator[Redis]:
    """A client on the Redis database the test module names in REDIS_URL, empty before and
    after the test; without Redis on the machine the test is skipped."""
    client = Redis.from_url(request.module.REDIS_URL)
    try:
        await client.ping()
    except RedisConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


@pytest.fixture
def owner() -> Person:
    return Person(id=OWNER_ID, first_name="Owner", language_code="en")


@pytest.fixture
def alice() -> Person:
    return Person(id=2_000_001, first_name="Alice", language_code="en")


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    from bot.i18n import set_language

    set_language("uz")
    yield


@pytest.fixture(params=["totals", "rows"])
def report_source(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a report test twice: reading the maintained totals (db.report_totals), and
    reading the rows (as for a centre whose totals are of another time zone)."""
    if request.param == "rows":

        async def never(_session: AsyncSession, _tz: object) -> bool:
            return False

        monkeypatch.setattr("db.repositories.report_totals.usable", never)
    return str(request.param)
