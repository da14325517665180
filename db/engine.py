"""Engine and session factory for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from db import report_totals
from db.data_versions import VersionedSession
from db.sqlite_driver import one_trip_listener

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
)


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # aiosqlite's adapter: autocommit must be on for PRAGMA journal_mode to apply.
    previous = dbapi_connection.isolation_level
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()
    dbapi_connection.isolation_level = previous


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo)
        event.listen(engine.sync_engine, "connect", one_trip_listener())
        event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
        return engine
    return create_async_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True)


# The bot's sessions also keep the reports' totals in every writing transaction.
report_totals.keep_in(VersionedSession)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: handlers render objects after the service committed.
    # VersionedSession: every change to the reports' data raises its version (db.data_versions)
    # and recounts the totals under it (db.report_totals).
    return async_sessionmaker(
        engine, expire_on_commit=False, autoflush=False, sync_session_class=VersionedSession
    )
