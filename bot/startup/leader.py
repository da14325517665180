"""One scheduler leader among several bot processes.

Every process builds the scheduler but keeps it paused; the one holding the leader lock
runs it. The lock lives in Redis (a key with an expiry the leader renews) when REDIS_URL
is set, in PostgreSQL (a session advisory lock, gone with the leader's connection)
otherwise, and in a file lock next to a SQLite database. A leader that cannot renew
pauses its scheduler at once, well before the key expires for another process to take
it, so no job runs on two processes in between; the jobs themselves still claim their
work in the database, so even an overlap would not send anything twice.
"""

import asyncio
import fcntl
import uuid
from pathlib import Path
from typing import IO, Protocol

from apscheduler.schedulers.base import STATE_PAUSED, STATE_STOPPED, BaseScheduler
from loguru import logger
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.services.backup import sqlite_path
from db.engine import create_engine

LEASE_SECONDS = 20  # a dead leader's Redis key expires after this
CHECK_EVERY = 5.0  # seconds between renewals (leader) and attempts (followers)
PG_LEADER_LOCK = 0x45445543_4C454144  # "EDUCLEAD"; distinct from the restore lock

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class LeaderLock(Protocol):
    async def acquire(self) -> bool: ...

    async def renew(self) -> bool: ...

    async def release(self) -> None: ...


class RedisLeaderLock:
    def __init__(self, redis: Redis, key: str = "educrm:leader", lease: float = LEASE_SECONDS):
        self.redis = redis
        self.key = key
        self.lease_ms = int(lease * 1000)
        self.token = uuid.uuid4().hex

    async def acquire(self) -> bool:
        return bool(await self.redis.set(self.key, self.token, nx=True, px=self.lease_ms))

    async def renew(self) -> bool:
        return bool(await self.redis.eval(_RENEW, 1, self.key, self.token, self.lease_ms))

    async def release(self) -> None:
        await self.redis.eval(_RELEASE, 1, self.key, self.token)


class PostgresLeaderLock:
    """A session advisory lock on a connection of its own, held while the process lives."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._engine: AsyncEngine | None = None
        self._connection: AsyncConnection | None = None

    async def acquire(self) -> bool:
        if self._engine is None:
            self._engine = create_engine(self.database_url)
        connection = await self._engine.connect()
        held = await connection.scalar(text(f"SELECT pg_try_advisory_lock({PG_LEADER_LOCK})"))
        await connection.commit()
        if held:
            self._connection = connection
        else:
            await connection.close()
        return bool(held)

    async def renew(self) -> bool:
        """The lock lasts as long as its connection: check the connection still answers."""
        if self._connection is None:
            return False
        try:
            await self._connection.scalar(text("SELECT 1"))
            await self._connection.commit()
        except Exception as error:  # a broken connection has lost the lock with it
            logger.warning("leader connection lost ({})", type(error).__name__)
            self._connection = None
            return False
        return True

    async def release(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None


class FileLeaderLock:
    """flock on `<database>.leader`: the operating system drops it when the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None

    async def acquire(self) -> bool:
        handle = self.path.open("ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    async def renew(self) -> bool:
        return self._file is not None

    async def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class Leadership:
    """Runs `scheduler` only while this process holds `lock`."""

    def __init__(
        self, lock: LeaderLock, scheduler: BaseScheduler, check_every: float = CHECK_EVERY
    ) -> None:
        self.lock = lock
        self.scheduler = scheduler
        self.check_every = check_every
        self.is_leader = False

    async def step(self) -> None:
        """One renewal (leader) or one attempt to lead (follower)."""
        try:
            if self.is_leader:
                if not await self.lock.renew():
                    self._follow()
            elif await self.lock.acquire():
                self._lead()
        except Exception as error:  # Redis or the database away: never lead blindly
            logger.warning("leader lock unavailable ({})", type(error).__name__)
            if self.is_leader:
                self._follow()

    async def run(self) -> None:
        """Until cancelled: keep the lease or try to get it every `check_every` seconds."""
        if self.scheduler.state == STATE_STOPPED:
            self.scheduler.start(paused=True)
        try:
            while True:
                await self.step()
                await asyncio.sleep(self.check_every)
        finally:
            self._follow(stopping=True)
            await self.lock.release()

    def _lead(self) -> None:
        self.is_leader = True
        if self.scheduler.state == STATE_PAUSED:
            self.scheduler.resume()
        logger.info("this process leads the scheduler")

    def _follow(self, *, stopping: bool = False) -> None:
        if self.is_leader and stopping:
            logger.info("stopping: scheduler leadership handed back")
        elif self.is_leader:
            logger.warning("scheduler leadership lost: jobs paused here")
        self.is_leader = False
        if self.scheduler.state not in (STATE_PAUSED, STATE_STOPPED):
            self.scheduler.pause()


def leader_lock(database_url: str, redis: Redis | None) -> LeaderLock:
    """Redis when the processes share one; else the database's own means."""
    if redis is not None:
        return RedisLeaderLock(redis)
    path = sqlite_path(database_url)
    if path is not None:
        return FileLeaderLock(path.with_name(path.name + ".leader"))
    return PostgresLeaderLock(database_url)
