"""Several bot processes on one database and one Redis: an update handled once, one
scheduler leader that hands over when it dies, one shared outbound pace.

Two dispatchers with engines of their own stand in for two processes; the database is
the test database (SQLite, or PostgreSQL with TEST_DATABASE_URL); Redis is the local one.
"""

import asyncio
import os
import signal
import time
from pathlib import Path
from unittest.mock import patch

import pytest
from aiogram.fsm.storage.base import StorageKey
from aiogram.methods import SendMessage
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.limiter import RedisLimiter
from bot.middlewares.throttling import MemoryHitCounter
from bot.startup.app import create_dispatcher
from bot.startup.leader import FileLeaderLock, Leadership, PostgresLeaderLock, RedisLeaderLock
from bot.startup.runner import RunningJobs, StopSignal, _drain, connect_redis
from db.engine import create_engine, create_session_factory
from tests.chat import ChatClient, Person
from tests.conftest import make_settings
from tests.mocked_bot import MockedBot

# TEST_REDIS_URL picks another database, so that parallel runs do not flush each other's.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


@pytest.fixture
async def redis():
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except RedisConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


@pytest.fixture
async def second_factory(database_url: str):
    """A second engine on the same database: the other process."""
    engine = create_engine(database_url)
    yield create_session_factory(engine)
    await engine.dispose()


def process_dispatcher(database_url: str, factory: async_sessionmaker[AsyncSession], redis):
    settings = make_settings(database_url, redis_url=REDIS_URL)
    return create_dispatcher(
        settings,
        factory,
        redis=redis,
        hit_counter=MemoryHitCounter(settings.runtime.throttle_window),
    )


async def test_the_same_update_on_two_processes_is_handled_once(
    redis, database_url, session_factory, second_factory
) -> None:
    bot = MockedBot()
    first = ChatClient(bot, process_dispatcher(database_url, session_factory, redis))
    second = ChatClient(bot, process_dispatcher(database_url, second_factory, redis))
    update = first.message(Person(id=501, language_code="en"), "/start")
    await asyncio.gather(
        first.dispatcher.feed_update(bot, update), second.dispatcher.feed_update(bot, update)
    )
    replies = [r for r in bot.session.requests if isinstance(r, SendMessage)]
    assert len(replies) == 1 and replies[0].chat_id == 501
    # A different update still goes through on either process.
    await second.dispatcher.feed_update(
        bot, first.message(Person(id=501, language_code="en"), "/help")
    )
    assert len([r for r in bot.session.requests if isinstance(r, SendMessage)]) == 2


async def test_a_repeated_update_on_one_process_is_dropped(client: ChatClient) -> None:
    update = client.message(Person(id=502, language_code="en"), "/start")
    await client.dispatcher.feed_update(client.bot, update)
    await client.dispatcher.feed_update(client.bot, update)
    assert len([r for r in client.bot.session.requests if isinstance(r, SendMessage)]) == 1


def paused_scheduler() -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler()
    scheduler.add_job(lambda: None, "interval", seconds=3600, id="job")
    return scheduler


async def hand_over(first_lock, second_lock, kill_first, within: float) -> None:
    """The first process leads; it dies; the second leads within `within` seconds and
    the two never lead at the same time."""
    one, two = paused_scheduler(), paused_scheduler()
    first = Leadership(first_lock, one, check_every=0.05)
    second = Leadership(second_lock, two, check_every=0.05)
    one.start(paused=True)
    two.start(paused=True)
    try:
        await first.step()
        await second.step()
        assert (first.is_leader, second.is_leader) == (True, False)
        assert one.state == 1 and two.state == 2  # running, paused
        await first.step()  # renewing keeps the lead
        await second.step()
        assert (first.is_leader, second.is_leader) == (True, False)

        await kill_first()
        died = time.monotonic()
        while not second.is_leader:
            assert time.monotonic() - died < within, "nobody took over"
            await second.step()
            await asyncio.sleep(0.05)
        assert two.state == 1  # the new leader's scheduler runs
    finally:
        one.shutdown(wait=False)
        two.shutdown(wait=False)
        await second_lock.release()


async def test_redis_leadership_passes_on_when_the_leader_stops_renewing(redis) -> None:
    first = RedisLeaderLock(redis, key="test:leader", lease=0.5)
    second = RedisLeaderLock(redis, key="test:leader", lease=0.5)

    async def crash() -> None:  # the process is gone: nothing renews, nothing releases
        pass

    await hand_over(first, second, crash, within=2.0)


async def test_a_leader_that_cannot_renew_pauses_its_jobs(redis) -> None:
    lock = RedisLeaderLock(redis, key="test:leader2", lease=5)
    scheduler = paused_scheduler()
    scheduler.start(paused=True)
    leadership = Leadership(lock, scheduler)
    await leadership.step()
    assert leadership.is_leader and scheduler.state == 1
    await redis.set("test:leader2", "someone else")  # the lease expired and was taken
    await leadership.step()
    assert not leadership.is_leader and scheduler.state == 2
    scheduler.shutdown(wait=False)


async def test_file_leadership_on_sqlite(tmp_path: Path) -> None:
    first = FileLeaderLock(tmp_path / "bot.db.leader")
    second = FileLeaderLock(tmp_path / "bot.db.leader")
    await hand_over(first, second, first.release, within=1.0)


async def test_postgres_leadership_passes_on_when_the_connection_dies(database_url) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs TEST_DATABASE_URL (PostgreSQL)")
    first = PostgresLeaderLock(database_url)
    second = PostgresLeaderLock(database_url)
    await hand_over(first, second, first.release, within=2.0)


async def test_the_outbound_pace_is_shared_by_every_process(redis) -> None:
    first = RedisLimiter(redis, rate=100, per_chat_interval=0, prefix="test:send")
    second = RedisLimiter(redis, rate=100, per_chat_interval=0, prefix="test:send")
    started = time.monotonic()
    await asyncio.gather(
        *(limiter.acquire(chat) for chat in range(30) for limiter in (first, second))
    )
    # 60 sends at 100 per second together take at least 0.59 s, whichever process sends.
    assert time.monotonic() - started >= 0.55


async def test_a_pause_on_one_process_holds_the_other(redis) -> None:
    first = RedisLimiter(redis, rate=1000, prefix="test:pause")
    second = RedisLimiter(redis, rate=1000, prefix="test:pause")
    await first.pause(0.3)
    started = time.monotonic()
    await second.acquire(1)
    assert time.monotonic() - started >= 0.25


async def test_a_slot_reserved_before_another_process_paused_waits_for_the_pause(redis) -> None:
    """Issue 15, item 8: the slot was handed out before the 429; it must not be used in
    the pause the other process then set."""
    first = RedisLimiter(redis, rate=5, per_chat_interval=0, prefix="test:held")
    second = RedisLimiter(redis, rate=5, per_chat_interval=0, prefix="test:held")
    await first.acquire(1)  # the slot of now; the next one is 0.2 s ahead
    started = time.monotonic()
    waiting = asyncio.create_task(first.acquire(2))
    await asyncio.sleep(0.05)  # reserved, sleeping until its slot
    await second.pause(0.6)
    await waiting
    assert time.monotonic() - started >= 0.6
    assert await first.paused_for() == 0


async def test_paused_for_is_seen_by_every_process(redis) -> None:
    first = RedisLimiter(redis, rate=100, prefix="test:left")
    second = RedisLimiter(redis, rate=100, prefix="test:left")
    assert await second.paused_for() == 0
    await first.pause(2)
    assert 1.5 < await second.paused_for() <= 2


async def test_the_first_signal_asks_for_a_stop_and_a_later_second_exits_at_once() -> None:
    now = [100.0]
    stop = StopSignal(clock=lambda: now[0])
    with patch("bot.startup.runner.os._exit") as exit_now:
        stop._received(signal.SIGTERM)
        assert stop.requested.is_set()
        exit_now.assert_not_called()
        now[0] += 2.0  # a person pressing Ctrl-C again
        stop._received(signal.SIGINT)
        exit_now.assert_called_once_with(1)


async def test_a_signal_repeated_at_once_is_the_same_stop() -> None:
    """GNU make passes the process group's SIGTERM on to the bot: two signals, one stop."""
    stop = StopSignal()
    with patch("bot.startup.runner.os._exit") as exit_now:
        stop._received(signal.SIGTERM)
        stop._received(signal.SIGTERM)  # a moment later
        exit_now.assert_not_called()
        assert stop.requested.is_set()


async def test_draining_waits_for_updates_in_flight(client: ChatClient) -> None:
    gate = client.dispatcher["update_gate"]
    scheduler = paused_scheduler()
    scheduler.start()
    release = asyncio.Event()
    gate.in_flight += 1  # an update being handled
    gate._idle.clear()

    async def finish_later() -> None:
        await asyncio.sleep(0.1)
        gate.in_flight -= 1
        gate._idle.set()
        release.set()

    finishing = asyncio.create_task(finish_later())
    await _drain(gate, scheduler, RunningJobs(scheduler))
    assert release.is_set() and scheduler.state == 2  # waited, and no new job starts
    await finishing
    scheduler.shutdown(wait=False)


async def test_an_update_waiting_for_its_users_lock_counts_as_in_flight(client: ChatClient) -> None:
    """A person's second update waits for the first (event isolation, outside our
    middlewares); a stop must wait for it too, or it runs on closed connections."""
    gate = client.dispatcher["update_gate"]
    person = Person(id=777_001)
    key = StorageKey(bot_id=client.bot.id, chat_id=person.id, user_id=person.id)
    async with client.dispatcher.fsm.events_isolation.lock(key):
        feeding = asyncio.create_task(
            client.dispatcher.feed_update(client.bot, client.message(person, "/help"))
        )
        await asyncio.sleep(0.05)
        assert gate.in_flight == 1
    await feeding
    assert gate.in_flight == 0


async def test_draining_waits_for_notices_sent_in_the_background(client: ChatClient) -> None:
    sender = client.dispatcher["sender"]
    scheduler = paused_scheduler()
    sent = asyncio.Event()

    async def notices() -> None:
        await asyncio.sleep(0.1)
        sent.set()

    sender.in_background(notices())
    await _drain(client.dispatcher["update_gate"], scheduler, RunningJobs(scheduler), sender=sender)
    assert sent.is_set()


async def test_a_burst_waits_for_a_redis_connection_instead_of_failing(redis) -> None:
    """Far more commands at once than connections: they queue, none fails."""
    client = connect_redis(REDIS_URL, max_connections=4)
    try:
        await asyncio.gather(*(client.incr("educrm:test:burst") for _ in range(300)))
        assert int(await client.get("educrm:test:burst")) == 300
    finally:
        await client.aclose()


async def test_polling_stopping_leaves_the_shared_redis_open_for_updates_in_flight(
    database_url, session_factory, redis
) -> None:
    """aiogram closes the FSM storage as soon as polling stops, before the updates in flight
    have finished; the storage shares its Redis with event isolation, throttling, the pace
    and the leader lock, so closing it there broke their commands ("Connection lost")."""
    client = connect_redis(REDIS_URL, max_connections=4)
    try:
        dispatcher = process_dispatcher(database_url, session_factory, client)
        in_flight = asyncio.create_task(client.blpop(["educrm:test:never"], timeout=1))
        await asyncio.sleep(0.1)
        await dispatcher.emit_shutdown(bot=MockedBot())
        assert await in_flight is None  # timed out normally, its connection untouched
        assert await client.ping()
    finally:
        await client.aclose()
