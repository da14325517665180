"""Heavy, pure work — reading an imported file into rows, writing a large spreadsheet (an
import's problems and invitations, a report's XLSX) — in a process of its own, so the bot
keeps answering everybody meanwhile.

A worker thread was not enough: reading 5 000 rows (openpyxl, the dates, `phonenumbers`)
or writing a sheet of 20 000 students is a second or two of Python, and a thread holds the
interpreter's lock for it, in turns with the event loop and the SQLite driver's threads;
every other user's update then waits its turn at each step (on 2 busy cores, /schedule went
from 20 ms to 300–700 ms while a file was read). A process has its own lock and its own
garbage collector.

One process (`spawn`: nothing of the bot's threads or connections is copied), started the
first time it is needed (or by `warm_up`, when /import or /reports is opened), kept for the
next call; calls wait their turn there. What goes there and back is plain data (bytes,
rows, the `Parsed` file, a report's sheets); a function that fails raises its exception
here. A worker that died (killed, out of memory) is replaced and the call tried once more.
"""

import asyncio
import functools
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")

_pool: ProcessPoolExecutor | None = None
_lock = threading.Lock()


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            spawn = multiprocessing.get_context("spawn")
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=spawn)
        return _pool


def _discard(broken: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


def _nothing() -> None:
    return None


def warm_up() -> Future[None]:
    """Start the worker process now (it imports the reading's modules: about a second),
    so that the file sent next is not kept waiting for it."""
    return _executor().submit(_nothing)


async def run(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`function(*args, **kwargs)` in the worker process (a module-level function; its
    arguments and result pickled)."""
    call = functools.partial(function, *args, **kwargs)
    loop = asyncio.get_running_loop()
    for attempt in (1, 2):
        pool = _executor()
        try:
            return await loop.run_in_executor(pool, call)
        except BrokenProcessPool:
            _discard(pool)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def shutdown(wait: bool = False) -> None:
    """Stop the worker (at the bot's stop; a next call starts another)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=wait, cancel_futures=True)
