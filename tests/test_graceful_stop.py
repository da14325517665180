"""A graceful stop in the middle of a burst loses nothing: the real `python -m bot` process
against the fake Bot API (tests/fake_bot_api.py), stopped with SIGTERM and started again.

Every update of the burst toggles a person's reminders in /settings, which adds one row
to `consents`, so the rows count the updates handled. The fake Bot API answers slowly
(`DELAY`), so that a person's updates take longer than the drain (`DRAIN_SECONDS`): before
the fix, what was fetched (polling) or accepted (webhook) but not finished was gone.
"""

import asyncio
import os
import signal
import sqlite3
import sys
import time
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import IO

import aiohttp
import pytest
from redis.asyncio import Redis

from tests.fake_bot_api import FakeBotApi
from tests.test_bot_process import bot_env as process_env
from tests.test_bot_process import button_update, free_port, message_update

PEOPLE = range(301, 317)  # 16 people, 50 toggles each
BURST = 800
DELAY = 0.05  # seconds each Bot API call takes: a person's 50 toggles take over 5 s
DRAIN = "3"  # seconds; at most 100 updates are in hand at once, ~6 a person
SECRET = "graceful-stop-test-secret-0123456789"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")

pytestmark = pytest.mark.slow


def bot_env(api: FakeBotApi, database: Path, **extra: str) -> dict[str, str]:
    defaults = {"LOG_LEVEL": "INFO", "THROTTLE_RATE": "100", "DRAIN_SECONDS": DRAIN}
    return process_env(api, database, **(defaults | extra))


class BotProcess:
    """`python -m bot run`, its log in a file (a pipe fills up under a burst)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.process: asyncio.subprocess.Process | None = None
        self._log_file: IO[bytes] | None = None

    async def start(self) -> None:
        self._log_file = self.log.open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run",
            cwd=self.log.parent, env=self.env,
            stdout=self._log_file, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip

    async def stop(self) -> int:
        assert self.process is not None and self._log_file is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), 60)
        finally:
            if self.process.returncode is None:
                self.process.kill()
            self._log_file.close()

    def text(self) -> str:
        return self.log.read_text(errors="replace")


def consent_updates(ids: Iterator[int]) -> list[list[dict]]:
    """Each person opens the bot, picks English and accepts (reminders on): three rounds."""
    return [
        [message_update(next(ids), person, "en", "/start") for person in PEOPLE],
        [button_update(next(ids), person, "cs:lang:en") for person in PEOPLE],
        [button_update(next(ids), person, "cs:accept:111") for person in PEOPLE],
    ]


def burst(ids: Iterator[int]) -> list[dict]:
    people = list(PEOPLE)
    return [
        button_update(next(ids), people[number % len(people)], "st:toggle:reminders")
        for number in range(BURST)
    ]


def toggles(database: Path) -> dict[int, int]:
    """Handled toggles per person (one `changed` consent row each)."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT u.telegram_id, count(*) FROM consents c JOIN users u ON u.id = c.user_id "
            "WHERE c.event = 'changed' GROUP BY u.telegram_id"
        ).fetchall()
    return dict(rows)


async def wait_for_toggles(database: Path, number: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while (handled := sum(toggles(database).values())) < number:
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    return handled


def assert_each_handled_once(database: Path) -> None:
    assert toggles(database) == dict.fromkeys(PEOPLE, BURST // len(PEOPLE))


@pytest.fixture
async def slow_api():
    server = FakeBotApi(batch=100, delay=DELAY)
    await server.start()
    yield server
    await server.stop()


async def test_a_stop_in_a_polled_burst_loses_nothing(slow_api: FakeBotApi, tmp_path: Path):
    database = tmp_path / "bot.db"
    env = bot_env(slow_api, database)
    ids = count(1)
    first = BotProcess(env, tmp_path / "first.log")
    await first.start()
    try:
        await slow_api.wait_for("deleteWebhook", 1, timeout=60)
        answered = (("sendMessage", 1), ("answerCallbackQuery", 1), ("answerCallbackQuery", 2))
        for round_, (method, times) in zip(consent_updates(ids), answered, strict=True):
            for update in round_:
                await slow_api.updates.put(update)
            await slow_api.wait_for(method, times * len(PEOPLE), timeout=60)
        # the pickers and the welcomes
        await slow_api.wait_for("sendMessage", 2 * len(PEOPLE), timeout=60)
        for update in burst(ids):
            await slow_api.updates.put(update)
        await asyncio.sleep(1.0)
    finally:
        first_exit = await first.stop()
    handled_before = sum(toggles(database).values())
    assert 0 < handled_before < BURST, "the stop must come in the middle of the burst"

    second = BotProcess(env, tmp_path / "second.log")
    await second.start()
    try:
        await wait_for_toggles(database, BURST, timeout=120)
        await asyncio.sleep(0.5)  # time for an update handled twice to show
    finally:
        second_exit = await second.stop()

    assert_each_handled_once(database)
    assert slow_api.updates.empty() and slow_api.unconfirmed == []  # all acknowledged
    for process, code in ((first, first_exit), (second, second_exit)):
        log = process.text()
        assert code == 0, log[-3000:]
        assert "Traceback" not in log and "bot stopped" in log


class FakeTelegram:
    """Telegram's side of a webhook: `connections` requests at a time, and an update whose
    request failed (not 2xx, or no answer) is sent again until it gets a 200."""

    def __init__(self, url: str, connections: int = 40) -> None:
        self.url = url
        self.connections = connections
        self.headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        self.refused = 0

    async def deliver(self, http: aiohttp.ClientSession, update: dict) -> None:
        while True:
            try:
                async with http.post(self.url, json=update, headers=self.headers) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            self.refused += 1
            await asyncio.sleep(0.2)

    async def deliver_all(self, http: aiohttp.ClientSession, updates: list[dict]) -> None:
        queue: asyncio.Queue[dict] = asyncio.Queue()
        for update in updates:
            queue.put_nowait(update)

        async def connection() -> None:
            while not queue.empty():
                await self.deliver(http, queue.get_nowait())

        await asyncio.gather(*(connection() for _ in range(self.connections)))


async def test_a_stop_in_a_webhook_burst_loses_nothing(
    slow_api: FakeBotApi, redis: Redis, tmp_path: Path
):
    """With Redis the seen update ids outlive the process, as with several processes."""
    database = tmp_path / "bot.db"
    port = free_port()
    env = bot_env(
        slow_api,
        database,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_LISTEN=f"127.0.0.1:{port}",
        REDIS_URL=REDIS_URL,
    )
    telegram = FakeTelegram(f"http://127.0.0.1:{port}/telegram")
    ids = count(1)
    first = BotProcess(env, tmp_path / "first.log")
    second = BotProcess(env, tmp_path / "second.log")
    await first.start()
    async with aiohttp.ClientSession() as http:
        try:
            await slow_api.wait_for("setWebhook", 1, timeout=60)
            for round_ in consent_updates(ids):
                await telegram.deliver_all(http, round_)
            await slow_api.wait_for("sendMessage", 2 * len(PEOPLE), timeout=60)
            delivering = asyncio.create_task(telegram.deliver_all(http, burst(ids)))
            await asyncio.sleep(1.0)
        finally:
            first_exit = await first.stop()
        handled_before = sum(toggles(database).values())
        assert 0 < handled_before < BURST, "the stop must come in the middle of the burst"
        await second.start()
        try:
            await asyncio.wait_for(delivering, 120)
            await asyncio.sleep(0.5)  # time for an update handled twice to show
        finally:
            second_exit = await second.stop()

    assert telegram.refused > 0  # some were refused during the stop, and sent again
    assert_each_handled_once(database)
    for process, code in ((first, first_exit), (second, second_exit)):
        log = process.text()
        assert code == 0, log[-3000:]
        assert "Traceback" not in log and "bot stopped" in log
