"""SQLite through aiosqlite in one trip to its thread per statement instead of four.

aiosqlite runs each call on a worker thread; SQLAlchemy's adapter opens a cursor,
executes, fetches and closes it as four separate calls, so every statement wakes the
event loop four times (about 0.1 ms each here, the bulk of a simple query's cost). The cursor
here does the same four steps in one call and keeps what SQLAlchemy reads afterwards
(description, rows, rowcount, lastrowid). Server-side cursors keep SQLAlchemy's own.

Writers also queue in the process, first come first served. SQLite lets one transaction
write at a time; the others wait in its busy handler, which sleeps 1, 2, 5 … 100 ms
between attempts, so under load a writer could lose to newcomers for seconds. Here a
connection about to open a write transaction takes the engine's asyncio lock and gives
it back at commit or rollback.
"""

import asyncio
import collections
import sqlite3
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.util.concurrency import await_

# SQLite's own busy_timeout (db/engine.py): past it, the writer goes on to SQLite's wait
WRITE_QUEUE_TIMEOUT = 5.0
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> tuple:
    """On aiosqlite's thread: the whole life of a cursor."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._rows = collections.deque()
        self._description = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        """Nothing to close: the cursor was closed on the thread."""

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        return self._trip(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        return self._trip(operation, seq_of_parameters, many=True)

    def _trip(self, operation: Any, parameters: Any, *, many: bool) -> None:
        try:
            await_(self._trip_async(operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _trip_async(self, operation: Any, parameters: Any, many: bool) -> None:
        connection = self._connection
        queue = _queues.get(connection)
        if queue is not None and operation.lstrip()[:7].upper().startswith(_WRITES):
            await queue.enter(connection._conn)
        async with self._adapt_connection._execute_mutex:
            description, rows, rowcount, lastrowid = await connection._execute(
                _run, connection._conn, operation, parameters, many
            )
        self._description = description
        self._rows = collections.deque(rows)
        self._rowcount = rowcount
        self._lastrowid = lastrowid


class WriterQueue:
    """One engine's writers, in turn; a connection holds its place until its transaction ends."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._holder: sqlite3.Connection | None = None

    async def enter(self, connection: sqlite3.Connection) -> None:
        if self._holder is connection or connection.in_transaction:
            return  # this transaction writes already (or began on its own: SQLite decides)
        try:
            await asyncio.wait_for(self._lock.acquire(), WRITE_QUEUE_TIMEOUT)
        except TimeoutError:
            return  # e.g. a second session of the same task: SQLite's busy handler decides
        self._holder = connection

    def leave(self, connection: sqlite3.Connection | None) -> None:
        if connection is not None and self._holder is connection:
            self._holder = None
            self._lock.release()


_queues: WeakKeyDictionary[Any, WriterQueue] = WeakKeyDictionary()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """Also skips the trip for a commit or rollback with no transaction open (sqlite3 would
    do nothing there): every session that only read ends with one, and so does each
    return of a connection to the pool."""

    __slots__ = ()
    _cursor_cls = OneTripCursor

    def rollback(self) -> None:
        try:
            if self._in_transaction():
                super().rollback()
        finally:
            self._leave_queue()

    def commit(self) -> None:
        try:
            if self._in_transaction():
                super().commit()
        finally:
            self._leave_queue()

    def close(self) -> None:
        self._leave_queue()
        super().close()

    def _leave_queue(self) -> None:
        queue = _queues.get(self._connection)
        if queue is not None:
            queue.leave(self._connection._connection)

    def _in_transaction(self) -> bool:
        # A closed connection goes on to SQLAlchemy's own handling (and its error).
        sqlite_connection = self._connection._connection
        return sqlite_connection is None or sqlite_connection.in_transaction


def one_trip_listener() -> Callable[[Any, Any], None]:
    """An engine "connect" listener: each new connection gets the one-trip cursor and
    joins the engine's writer queue."""
    queue = WriterQueue()

    def adopt(dbapi_connection: Any, _record: Any) -> None:
        if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection:
            dbapi_connection.__class__ = OneTripConnection
            _queues[dbapi_connection._connection] = queue

    return adopt
