"""Backups: round-trip restore, rotation, corruption and key checks, the restore lock."""

import asyncio
import os
import sqlite3
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.services import backup as backup_service
from bot.services.backup import BackupError, DatabaseLock, create_backup, rotate
from bot.startup.migrate import upgrade_to_head
from bot.startup.restore import restore
from db.engine import create_engine, create_session_factory
from db.models import Permission, Role, User
from tests.chat import Person
from tests.conftest import make_settings
from tests.factories import make_user
from tests.mocked_bot import BOT_TOKEN

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
KEY = "correct horse battery staple"
PROJECT = Path(__file__).resolve().parents[2]


def sqlite_rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    connection = sqlite3.connect(path)
    try:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            name: sorted(connection.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
            for name in sorted(tables)
        }
    finally:
        connection.close()


async def seed(url: str) -> None:
    engine = create_engine(url)
    async with create_session_factory(engine)() as session:
        await make_user(session, Person(id=11, first_name="Owner"), roles=[Role.ADMIN])
        await make_user(
            session,
            Person(id=12, first_name="Admin"),
            roles=[Role.ADMIN],
            permissions=[Permission.BACKUPS],
        )
        await make_user(session, Person(id=13, first_name="Student"), roles=[Role.STUDENT])
    await engine.dispose()


async def mutate(url: str) -> None:
    engine = create_engine(url)
    async with create_session_factory(engine)() as session:
        await session.execute(update(User).where(User.telegram_id == 13).values(full_name="X"))
        await session.execute(delete(User).where(User.telegram_id == 12))
        await session.commit()
        await make_user(session, Person(id=14, first_name="Newcomer"))
    await engine.dispose()


@pytest.fixture
def live(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "live" / "educrm.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade_to_head(url)
    asyncio.run(seed(url))
    return url, path


@pytest.mark.parametrize("key", [None, KEY])
def test_backup_then_restore_gives_back_every_row(live, tmp_path, capsys, key) -> None:
    url, path = live
    seeded = sqlite_rows(path)
    result = create_backup(url, tmp_path / "backups", keep=3, secret=key, now=NOW)
    assert result.path.name == "educrm-20261125T030000Z.db.gz" + (".enc" if key else "")
    assert result.tables["users"] == 3 and result.encrypted is bool(key)
    assert result.path.read_bytes().startswith(backup_service.MAGIC) is bool(key)

    asyncio.run(mutate(url))
    assert sqlite_rows(path) != seeded

    settings = make_settings(url, backup_key=key or "")
    assert asyncio.run(restore(settings, result.path)) == 0
    assert sqlite_rows(path) == seeded
    out = capsys.readouterr().out
    assert "Restored educrm-20261125T030000Z.db.gz" in out
    assert "  users: 3" in out


def test_rotation_keeps_exactly_the_newest_n(live, tmp_path) -> None:
    url, _ = live
    directory = tmp_path / "backups"
    (directory).mkdir()
    (directory / "notes.txt").write_text("not a backup")
    made = [
        create_backup(url, directory, keep=3, now=NOW + timedelta(days=day)).path
        for day in range(5)
    ]
    kept = sorted(path.name for path in directory.iterdir() if path.name.startswith("educrm-"))
    assert kept == [path.name for path in made[-3:]]
    assert (directory / "notes.txt").exists()
    assert rotate(directory, 1) == made[-3:-1]
    assert backup_service.list_backups(directory) == [made[-1]]


def corrupt(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "truncated":
        data = data[: len(data) // 2]
    else:
        data[len(data) // 2] ^= 0x40
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["truncated", "bit-flipped"])
@pytest.mark.parametrize("key", [None, KEY])
def test_a_corrupt_backup_is_refused_and_the_database_kept(live, tmp_path, capsys, how, key):
    url, path = live
    result = create_backup(url, tmp_path / "backups", keep=3, secret=key, now=NOW)
    corrupt(result.path, how)
    asyncio.run(mutate(url))
    before = sqlite_rows(path)

    assert asyncio.run(restore(make_settings(url, backup_key=key or ""), result.path)) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("Restore refused:") and "\n" not in err
    assert ("tag does not verify" in err) is bool(key)
    assert sqlite_rows(path) == before


def test_a_damaged_database_inside_a_sound_file_fails_verification(live, tmp_path) -> None:
    _, path = live
    raw = tmp_path / "raw.db"
    counts = backup_service.sqlite_snapshot(path, raw)
    assert backup_service.verify_sqlite(raw, counts) == counts
    with pytest.raises(BackupError, match=r"row counts differ .* users"):
        backup_service.verify_sqlite(raw, counts | {"users": counts["users"] + 1})
    data = bytearray(raw.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    for offset in range(page_size, len(data), page_size):  # scribble over every b-tree page
        data[offset : offset + 8] = b"\xff" * 8
    raw.write_bytes(bytes(data))
    with pytest.raises(BackupError):
        backup_service.verify_sqlite(raw, counts)


def test_the_wrong_key_or_no_key_is_refused(live, tmp_path, capsys) -> None:
    url, path = live
    result = create_backup(url, tmp_path / "backups", keep=3, secret=KEY, now=NOW)
    asyncio.run(mutate(url))
    before = sqlite_rows(path)
    assert asyncio.run(restore(make_settings(url, backup_key="wrong"), result.path)) == 1
    assert "tag does not verify" in capsys.readouterr().err
    assert asyncio.run(restore(make_settings(url), result.path)) == 1
    assert "encrypted: set BACKUP_KEY" in capsys.readouterr().err
    assert sqlite_rows(path) == before


def test_an_unencrypted_backup_is_refused_while_a_key_is_set(live, tmp_path, capsys) -> None:
    """A file not sealed with BACKUP_KEY could be a swapped one: refused unless asked for."""
    url, path = live
    seeded = sqlite_rows(path)
    result = create_backup(url, tmp_path / "backups", keep=3, now=NOW)  # made without a key
    asyncio.run(mutate(url))
    before = sqlite_rows(path)
    settings = make_settings(url, backup_key=KEY)

    assert asyncio.run(restore(settings, result.path)) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("Restore refused: the backup is not encrypted") and "\n" not in err
    assert "BACKUP_KEY is set" in err and "--allow-unencrypted" in err
    assert sqlite_rows(path) == before

    assert asyncio.run(restore(settings, result.path, allow_unencrypted=True)) == 0
    assert sqlite_rows(path) == seeded


def run_restore(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "restore", *args],
        cwd=env["HOME"],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_restore_command_takes_allow_unencrypted(live, tmp_path) -> None:
    url, path = live
    seeded = sqlite_rows(path)
    result = create_backup(url, tmp_path / "backups", keep=3, now=NOW)
    asyncio.run(mutate(url))
    before = sqlite_rows(path)
    env = {"HOME": str(tmp_path), "BOT_TOKEN": BOT_TOKEN, "DATABASE_URL": url, "BACKUP_KEY": KEY}

    refused = run_restore(env, str(result.path))
    assert refused.returncode == 1
    assert "Restore refused: the backup is not encrypted" in refused.stderr
    assert sqlite_rows(path) == before
    restored = run_restore(env, str(result.path), "--allow-unencrypted")
    assert restored.returncode == 0, restored.stderr
    assert "Restored educrm-20261125T030000Z.db.gz" in restored.stdout
    assert sqlite_rows(path) == seeded


def test_restore_is_refused_while_a_bot_holds_the_database(live, tmp_path, capsys) -> None:
    url, path = live
    result = create_backup(url, tmp_path / "backups", keep=3, now=NOW)
    asyncio.run(mutate(url))
    before = sqlite_rows(path)

    async def while_running() -> int:
        bot_lock = DatabaseLock(url)
        assert await bot_lock.acquire(exclusive=False)
        assert await DatabaseLock(url).acquire(exclusive=False)  # a second bot may run
        try:
            return await restore(make_settings(url), result.path)
        finally:
            await bot_lock.release()

    assert asyncio.run(while_running()) == 1
    assert "a bot process is using the database" in capsys.readouterr().err
    assert sqlite_rows(path) == before
    assert asyncio.run(restore(make_settings(url), result.path)) == 0  # once it has stopped


def test_restore_cli_needs_a_file_and_reports_a_missing_one(live, tmp_path, capsys) -> None:
    url, _ = live
    assert asyncio.run(restore(make_settings(url), tmp_path / "nope.db.gz")) == 1
    assert "no such backup file" in capsys.readouterr().err


def test_pg_tools_missing_is_a_clear_error(monkeypatch) -> None:
    monkeypatch.setattr(backup_service.shutil, "which", lambda tool: None)
    with pytest.raises(BackupError, match="pg_dump and pg_restore not found"):
        backup_service.require_pg_tools()


POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.mark.skipif(
    not (POSTGRES_URL and backup_service.shutil.which("pg_dump")),
    reason="needs TEST_DATABASE_URL and the PostgreSQL client tools",
)
def test_postgresql_round_trip(tmp_path, capsys) -> None:
    """On a database of its own (created and dropped here), never the shared one."""
    assert POSTGRES_URL
    name = f"educrm_backup_{uuid.uuid4().hex[:12]}"
    own = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)

    async def admin(statement: str) -> None:
        engine = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.execute(text(statement))
        await engine.dispose()

    async def rows() -> dict[str, list]:
        engine = create_engine(own)
        async with engine.connect() as connection:
            names = (
                (
                    await connection.execute(
                        text("SELECT tablename FROM pg_tables WHERE schemaname='public' ORDER BY 1")
                    )
                )
                .scalars()
                .all()
            )
            result = {
                table: sorted(
                    map(repr, (await connection.execute(text(f'SELECT * FROM "{table}"'))).all())
                )
                for table in names
            }
        await engine.dispose()
        return result

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        upgrade_to_head(own)
        asyncio.run(seed(own))
        seeded = asyncio.run(rows())
        result = create_backup(own, tmp_path, keep=2, secret=KEY, now=NOW)
        assert result.path.name.endswith(".dump.gz.enc")
        asyncio.run(mutate(own))
        assert asyncio.run(rows()) != seeded
        assert asyncio.run(restore(make_settings(own, backup_key=KEY), result.path)) == 0
        assert asyncio.run(rows()) == seeded
        corrupt(result.path, "bit-flipped")
        assert asyncio.run(restore(make_settings(own, backup_key=KEY), result.path)) == 1
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    capsys.readouterr()
