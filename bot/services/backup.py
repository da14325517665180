"""Verified, rotated, optionally encrypted backups of the database, and their restore.

A backup file is the database gzip-compressed: SQLite through the online backup API
(safe while the bot runs), PostgreSQL through `pg_dump --format=custom`. With BACKUP_KEY
set the compressed bytes are sealed with AES-GCM:

    MAGIC (8 bytes) | salt (16) | nonce (12) | ciphertext + tag

the key being scrypt(BACKUP_KEY, salt). Each backup is verified right after it is
written by unpacking the file itself: SQLite must pass `integrity_check` and hold the
row counts the live database had at the moment of the copy; a PostgreSQL dump must be
readable by `pg_restore --list`. Names sort by UTC time: educrm-20261125T030000Z.db.gz.

Nothing here knows aiogram; the job, /backup and `python -m bot restore` call it.
`backup_now` and `file_sent` are /backup's use cases: each writes its audit entry and
commits once.
"""

import asyncio
import fcntl
import gzip
import hashlib
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.services import audit
from db.engine import create_engine
from db.models import AuditOutcome

PREFIX = "educrm-"
MAGIC = b"EDUBAK1\x00"
SALT_SIZE = 16
NONCE_SIZE = 12
SQLITE_HEADER = b"SQLite format 3\x00"
PGDUMP_HEADER = b"PGDMP"
NAME_PATTERN = re.compile(r"^educrm-\d{8}T\d{6}Z\.(db|dump)\.gz(\.enc)?$")
PG_LOCK_ID = 0x45_44_55_43  # "EDUC": bots hold it shared, a restore exclusively
PG_TIMEOUT = 3600  # seconds for pg_dump / pg_restore


class BackupError(Exception):
    """A backup, its check or a restore failed; `str()` is one line for a person."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    size: int
    encrypted: bool
    tables: dict[str, int] = field(default_factory=dict)  # SQLite: rows per table
    removed: tuple[Path, ...] = ()


# --- names and rotation -------------------------------------------------------------


def backup_name(now: datetime, *, sqlite: bool, encrypted: bool) -> str:
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{PREFIX}{stamp}.{'db' if sqlite else 'dump'}.gz{'.enc' if encrypted else ''}"


def list_backups(directory: Path) -> list[Path]:
    """The backup files in `directory`, oldest first."""
    if not directory.is_dir():
        return []
    return sorted(
        (path for path in directory.iterdir() if NAME_PATTERN.match(path.name)),
        key=lambda path: path.name,
    )


def rotate(directory: Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest backups; returns the deleted files."""
    backups = list_backups(directory)
    removed = backups[: max(len(backups) - keep, 0)]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


# --- sealing -----------------------------------------------------------------------


def _derive_key(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)


def seal(data: bytes, secret: str) -> bytes:
    salt, nonce = secrets.token_bytes(SALT_SIZE), secrets.token_bytes(NONCE_SIZE)
    return MAGIC + salt + nonce + AESGCM(_derive_key(secret, salt)).encrypt(nonce, data, MAGIC)


def unseal(data: bytes, secret: str | None, *, allow_unencrypted: bool = False) -> bytes:
    """The gzip bytes of a backup file; raises BackupError for a wrong key or a damaged file.

    With a key, a file not sealed with it is refused unless `allow_unencrypted`: swapping
    a sealed backup for a plain one would otherwise pass every check (a downgrade)."""
    if not data.startswith(MAGIC):
        if secret and not allow_unencrypted:
            raise BackupError(
                "the backup is not encrypted, but BACKUP_KEY is set, so it may not be the "
                "centre's own; to restore it anyway, add --allow-unencrypted"
            )
        return data
    if not secret:
        raise BackupError("the backup is encrypted: set BACKUP_KEY to the key it was made with")
    header = len(MAGIC) + SALT_SIZE + NONCE_SIZE
    salt = data[len(MAGIC) : len(MAGIC) + SALT_SIZE]
    nonce = data[len(MAGIC) + SALT_SIZE : header]
    try:
        return AESGCM(_derive_key(secret, salt)).decrypt(nonce, data[header:], MAGIC)
    except (InvalidTag, ValueError):
        raise BackupError(
            "the backup's authentication tag does not verify: wrong BACKUP_KEY or a damaged file"
        ) from None


def unpack(
    path: Path, secret: str | None, target: Path, *, allow_unencrypted: bool = False
) -> None:
    """Decrypt (when sealed) and decompress the backup `path` into `target`."""
    try:
        data = unseal(path.read_bytes(), secret, allow_unencrypted=allow_unencrypted)
        target.write_bytes(gzip.decompress(data))
    except (OSError, EOFError, zlib.error) as error:
        if isinstance(error, FileNotFoundError):
            raise BackupError(f"no such backup file: {path}") from None
        raise BackupError("the backup file is damaged (it does not decompress)") from None


def _pack(raw: Path, target: Path, secret: str | None) -> None:
    data = gzip.compress(raw.read_bytes(), compresslevel=6)
    if secret:
        data = seal(data, secret)
    partial = target.with_name(target.name + ".part")
    with open(partial, "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(partial, target)


# --- SQLite ------------------------------------------------------------------------


def sqlite_path(database_url: str) -> Path | None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _table_names(connection: sqlite3.Connection) -> list[str]:
    rows = connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    )
    return [row[0] for row in rows]


def sqlite_counts(connection: sqlite3.Connection) -> dict[str, int]:
    return {
        name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        for name in _table_names(connection)
    }


def sqlite_snapshot(source: Path, target: Path) -> dict[str, int]:
    """Copy `source` to `target` with the online backup API; the counts at that moment.

    The counts and the copy are taken inside one read transaction of the source
    connection, so they describe the same state even while the bot writes.
    """
    if not source.exists():
        raise BackupError(f"the database file {source} does not exist")
    src = sqlite3.connect(source, isolation_level=None)
    dst = sqlite3.connect(target)
    try:
        src.execute("BEGIN")
        counts = sqlite_counts(src)
        src.backup(dst)
        src.execute("COMMIT")
    finally:
        dst.close()
        src.close()
    return counts


def verify_sqlite(path: Path, expected: dict[str, int] | None = None) -> dict[str, int]:
    """Raise BackupError unless `path` is a sound SQLite file holding `expected` rows."""
    with open(path, "rb") as stream:
        if stream.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupError("the backup is not a SQLite database")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = connection.execute("PRAGMA integrity_check").fetchall()
        if result != [("ok",)]:
            raise BackupError(f"integrity_check failed: {result[0][0]}")
        counts = sqlite_counts(connection)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"the backup is not a sound SQLite database ({error})") from None
    finally:
        connection.close()
    if expected is not None and counts != expected:
        differ = sorted(
            name
            for name in expected.keys() | counts.keys()
            if expected.get(name) != counts.get(name)
        )
        raise BackupError("row counts differ from the live database in: " + ", ".join(differ))
    return counts


# --- PostgreSQL --------------------------------------------------------------------


def _libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """A libpq address without the password, and the environment carrying it."""
    url: URL = make_url(database_url).set(drivername="postgresql")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(password=None).render_as_string(hide_password=False), env


def require_pg_tools() -> None:
    missing = [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]
    if missing:
        raise BackupError(
            f"{' and '.join(missing)} not found: install the PostgreSQL client tools "
            "(e.g. apt install postgresql-client) for backups"
        )


def _run(command: list[str], env: dict[str, str], what: str) -> str:
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=PG_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BackupError(f"{what} failed: {error}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["exit code " + str(done.returncode)])[-1]
        raise BackupError(f"{what} failed: {last}")
    return done.stdout


def pg_dump(database_url: str, target: Path) -> None:
    require_pg_tools()
    address, env = _libpq(database_url)
    _run(["pg_dump", "--format=custom", f"--file={target}", f"--dbname={address}"], env, "pg_dump")


def verify_pg_dump(path: Path) -> int:
    """Raise BackupError unless pg_restore can read the dump; returns its entry count."""
    with open(path, "rb") as stream:
        if stream.read(len(PGDUMP_HEADER)) != PGDUMP_HEADER:
            raise BackupError("the backup is not a PostgreSQL custom-format dump")
    listing = _run(["pg_restore", "--list", str(path)], dict(os.environ), "pg_restore --list")
    return sum(1 for line in listing.splitlines() if line and not line.startswith(";"))


# --- making a backup ---------------------------------------------------------------


def create_backup(
    database_url: str,
    directory: Path,
    *,
    keep: int,
    secret: str | None = None,
    now: datetime | None = None,
) -> BackupResult:
    """Write, verify and rotate one backup (blocking: run it in a thread).

    A file that fails its check is deleted and BackupError raised; older backups
    are only rotated away after the new one has passed.
    """
    now = now or datetime.now(UTC)
    source = sqlite_path(database_url)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BackupError(f"BACKUP_DIR {directory} cannot be used: {error.strerror}") from None
    target = directory / backup_name(now, sqlite=source is not None, encrypted=bool(secret))
    with tempfile.TemporaryDirectory(dir=directory, prefix=".backup-") as work:
        raw, check = Path(work) / "raw", Path(work) / "check"
        try:
            if source is not None:
                expected = sqlite_snapshot(source, raw)
            else:
                pg_dump(database_url, raw)
            _pack(raw, target, secret)
            unpack(target, secret, check)
            tables = verify_sqlite(check, expected) if source is not None else {}
            if source is None:
                verify_pg_dump(check)
        except BackupError:
            target.unlink(missing_ok=True)
            raise
        except (OSError, sqlite3.Error) as error:
            target.unlink(missing_ok=True)
            raise BackupError(f"the backup could not be written: {error}") from None
    removed = rotate(directory, keep)
    return BackupResult(target, target.stat().st_size, bool(secret), tables, tuple(removed))


# --- the lock between a running bot and a restore ---------------------------------


def _flock(path: Path, *, exclusive: bool) -> IO[bytes] | None:
    """The open lock file when the lock was granted at once, else None."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stream = open(path, "ab")
    try:
        fcntl.flock(stream, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        stream.close()
        return None
    return stream


class DatabaseLock:
    """Running bots hold it shared for their lifetime; a restore needs it exclusively.

    SQLite: an flock on `<database>.lock` next to the file. PostgreSQL: an advisory
    lock on a connection kept open while held.
    """

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._file: IO[bytes] | None = None
        self._engine = None
        self._connection = None

    async def acquire(self, *, exclusive: bool) -> bool:
        path = sqlite_path(self.database_url)
        if path is not None:
            self._file = _flock(path.with_name(path.name + ".lock"), exclusive=exclusive)
            return self._file is not None
        function = "pg_try_advisory_lock" if exclusive else "pg_try_advisory_lock_shared"
        self._engine = create_engine(self.database_url)
        self._connection = await self._engine.connect()
        held = await self._connection.scalar(text(f"SELECT {function}({PG_LOCK_ID})"))
        await self._connection.commit()
        if not held:
            await self.release()
        return bool(held)

    async def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._connection is not None:
            await self._connection.close()  # ends the session and its advisory locks
            self._connection = None
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None


# --- the /backup use cases -----------------------------------------------------------


async def make_backup(settings: Settings, now: datetime | None = None) -> BackupResult:
    """One verified, rotated backup now (the blocking work runs in a thread)."""
    key = settings.backup.backup_key
    return await asyncio.to_thread(
        create_backup,
        settings.database.database_url,
        settings.backup.backup_dir,
        keep=settings.backup.backup_keep,
        secret=key.get_secret_value() if key else None,
        now=now,
    )


async def backup_now(session: AsyncSession, settings: Settings, actor_id: int) -> BackupResult:
    """A backup asked for by an admin, audited either way; raises BackupError (audited as
    failed) when it could not be made or checked. No read transaction is held meanwhile."""
    await session.rollback()
    try:
        result = await make_backup(settings)
    except BackupError as error:
        await audit.record(
            session,
            actor_id,
            "backup.created",
            outcome=AuditOutcome.FAILED,
            details={"error": str(error)},
        )
        await session.commit()
        raise
    await audit.record(
        session,
        actor_id,
        "backup.created",
        "backup",
        result.path.name,
        details={"size": result.size, "encrypted": result.encrypted},
    )
    await session.commit()
    return result


async def file_sent(session: AsyncSession, actor_id: int, name: str) -> None:
    """The audit entry of a backup file handed to an owner, committed before it goes out."""
    await audit.record(session, actor_id, "backup.sent", "backup", name)
    await session.commit()


# --- restore -----------------------------------------------------------------------


async def table_counts(database_url: str) -> dict[str, int]:
    """Rows per application table (for the restore report)."""
    import db.models  # noqa: F401  (registers every table)
    from db.base import Base

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return {
                table.name: await connection.scalar(text(f'SELECT count(*) FROM "{table.name}"'))
                for table in sorted(Base.metadata.sorted_tables, key=lambda table: table.name)
            }
    finally:
        await engine.dispose()


def restore_file(
    database_url: str, backup: Path, secret: str | None, *, allow_unencrypted: bool = False
) -> None:
    """Replace the database with the backup's contents (blocking; the caller holds the lock).
    Everything is checked before the database is touched."""
    target = sqlite_path(database_url)
    work_dir = target.parent if target is not None else None
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_dir, prefix=".restore-") as work:
        raw = Path(work) / "raw"
        unpack(backup, secret, raw, allow_unencrypted=allow_unencrypted)
        if target is not None:
            verify_sqlite(raw)
            for suffix in ("-wal", "-shm"):
                target.with_name(target.name + suffix).unlink(missing_ok=True)
            os.replace(raw, target)
            return
        require_pg_tools()
        verify_pg_dump(raw)
        address, env = _libpq(database_url)
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={address}",
                str(raw),
            ],
            env,
            "pg_restore",
        )
