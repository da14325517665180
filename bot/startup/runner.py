"""Starts the bot: long polling by default, a webhook server when WEBHOOK_URL is set.

Every process runs the same code; with REDIS_URL several of them share the FSM, the
throttling counters, the outbound pace and the seen update ids, and one of them (the
leader, see bot/startup/leader.py) runs the scheduler.

Stopping (SIGTERM or SIGINT): no new updates are taken (polling stops asking; the webhook
answers 503), the ones in hand and the scheduler jobs running are given DRAIN_SECONDS
(10 by default) to finish, then the connections close. An update only counts as taken once
handled (bot/startup/polling.py, bot/startup/webhook.py), so whatever the drain gives up
Telegram delivers again.
A signal repeated within `SAME_STOP_SECONDS` is the same stop (GNU make, for one, passes a
SIGTERM on to its child that the process group got already); a later one exits at once,
and the database's transactions make sure nothing is left half-written either way.
"""

import asyncio
import gc
import os
import signal
import time
from collections.abc import Awaitable, Callable
from functools import partial
from urllib.parse import urlparse

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import setup_application
from aiohttp import web
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
)
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from loguru import logger
from redis.asyncio import BlockingConnectionPool, Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.delivery import Claimant, Sender, instance_name
from bot.delivery.limiter import RedisLimiter
from bot.middlewares.dedup import UpdateGate
from bot.notices.broadcast import Launcher, launcher_for, settle_previous_run
from bot.services import worker
from bot.services.analytics import UsageTally
from bot.services.backup import DatabaseLock
from bot.startup.app import create_bot, create_dispatcher
from bot.startup.health import start_health_server
from bot.startup.leader import Leadership, leader_lock
from bot.startup.polling import Poller
from bot.startup.scheduler import create_scheduler
from bot.startup.webapp import add_webapp, start_webapp_server
from bot.startup.webhook import WebhookHandler
from db import report_totals
from db.engine import create_engine, create_session_factory

SAME_STOP_SECONDS = 1.0  # a person pressing Ctrl-C twice on purpose is slower
USAGE_FLUSH_SECONDS = 10.0
REDIS_CONNECTIONS = 100  # per process
REDIS_WAIT_SECONDS = 10.0


def connect_redis(url: str, max_connections: int = REDIS_CONNECTIONS) -> Redis:
    """A burst of updates waits for a free connection instead of failing: redis-py's default
    pool raises "Too many connections" past its limit (seen under load: the FSM, event
    isolation, throttling and the outbound pace all borrow connections at once)."""
    pool = BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=REDIS_WAIT_SECONDS
    )
    return Redis.from_pool(pool)


class StopSignal:
    """The first SIGTERM / SIGINT asks for a graceful stop; one that follows within
    SAME_STOP_SECONDS is the same request, a later one exits at once."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.requested = asyncio.Event()
        self._clock = clock
        self._first_at = 0.0

    def install(self) -> None:
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(number, self._received, number)

    def _received(self, number: signal.Signals) -> None:
        now = self._clock()
        if not self.requested.is_set():
            logger.info("{} received: finishing the updates in flight", number.name)
            self._first_at = now
            self.requested.set()
        elif now - self._first_at < SAME_STOP_SECONDS:
            logger.info("{} again at once: the same stop, still finishing", number.name)
        else:
            logger.warning("{} again: exiting now", number.name)
            os._exit(1)


class RunningJobs:
    """How many scheduler jobs are running now (from the scheduler's own events)."""

    def __init__(self, scheduler: AsyncIOScheduler) -> None:
        self.count = 0
        self.idle = asyncio.Event()
        self.idle.set()
        scheduler.add_listener(self._submitted, EVENT_JOB_SUBMITTED)
        scheduler.add_listener(self._finished, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)

    def _submitted(self, _event: JobEvent) -> None:
        self.count += 1
        self.idle.clear()

    def _finished(self, _event: JobEvent) -> None:
        self.count = max(0, self.count - 1)
        if self.count == 0:
            self.idle.set()


async def _totals_in_zone(engine: AsyncEngine, zone: str) -> None:
    """The reports' totals counted in the centre's zone (recounted once after a change)."""
    async with engine.begin() as connection:
        if await connection.run_sync(report_totals.ensure_zone, zone):
            logger.info("report totals recounted for the time zone {}", zone)


async def run(settings: Settings) -> None:
    started = time.perf_counter()
    lock = DatabaseLock(settings.database.database_url)  # keeps `restore` out while we run
    if not await lock.acquire(exclusive=False):
        raise RuntimeError("a restore is in progress on this database; start the bot after it")
    engine = create_engine(settings.database.database_url)
    redis = connect_redis(settings.database.redis_url) if settings.database.redis_url else None
    bot = create_bot(settings)
    session_factory = create_session_factory(engine)
    rate = settings.runtime.send_rate
    sender = Sender(
        session_factory,
        rate=rate,
        limiter=RedisLimiter(redis, rate) if redis else None,
        claimant=Claimant(instance_name(_webhook_listen(settings))),
    )
    dispatcher = create_dispatcher(settings, session_factory, redis=redis, sender=sender)
    scheduler = create_scheduler(session_factory, bot, settings, sender)
    jobs = RunningJobs(scheduler)
    leadership = Leadership(leader_lock(settings.database.database_url, redis), scheduler)
    stop = StopSignal()
    stop.install()
    health: web.AppRunner | None = None
    webapp: web.AppRunner | None = None
    leading: asyncio.Task[None] | None = None
    counting: asyncio.Task[None] | None = None
    usage: UsageTally = dispatcher["usage_tally"]
    if not settings.telegram.owner_ids:
        logger.warning("OWNER_IDS is empty: nobody can administer the centre from chat")
    try:
        # Deliveries this instance's previous run had in flight: settled now, not in minutes.
        await settle_previous_run(session_factory, sender)
        await _totals_in_zone(engine, settings.centre.timezone)
        me = await bot.get_me()
        logger.info(
            "bot @{} ready in {:.0f} ms ({})",
            me.username,
            (time.perf_counter() - started) * 1000,
            "webhook" if settings.telegram.webhook_url else "long polling",
        )
        leading = asyncio.create_task(leadership.run())
        counting = asyncio.create_task(usage.flush_every(USAGE_FLUSH_SECONDS))
        _freeze_startup_objects()
        if settings.runtime.health_port:
            health = await start_health_server(
                session_factory, scheduler, settings.runtime.health_port
            )
        if settings.webapp.enabled and not settings.telegram.webhook_url:
            webapp = await start_webapp_server(settings, bot, dispatcher)
        drain = partial(
            _drain,
            dispatcher["update_gate"],
            scheduler,
            jobs,
            broadcasts=launcher_for(sender),
            sender=sender,
            seconds=settings.runtime.drain_seconds,
        )
        if settings.telegram.webhook_url:
            await _serve_webhook(bot, dispatcher, settings, stop, drain)
        else:
            await _poll(bot, dispatcher, stop, drain)
    finally:
        for task in (leading, counting):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await _write_last_counts(usage)
        for server in (health, webapp):
            if server is not None:
                await server.cleanup()
        if scheduler.running:
            scheduler.shutdown(wait=False)
        await bot.session.close()
        if redis is not None:
            await redis.aclose()
        worker.shutdown()  # the process that reads /import's files and writes big sheets
        await engine.dispose()
        await lock.release()
        logger.info("bot stopped")


def _webhook_listen(settings: Settings) -> str | None:
    return settings.telegram.webhook_listen if settings.telegram.webhook_url else None


def _freeze_startup_objects() -> None:
    """Leave the ~280 000 objects of start-up (aiogram's and pydantic's models, SQLAlchemy's
    mappers, the catalogs) out of garbage collection: a full collection scanned them all,
    a pause of about 200 ms in the middle of whatever updates were being handled."""
    gc.collect()
    gc.freeze()


async def _write_last_counts(usage: UsageTally) -> None:
    try:
        await usage.flush()
    except Exception:
        logger.exception("the last usage counts could not be written")


async def _poll(
    bot: Bot,
    dispatcher: Dispatcher,
    stop: StopSignal,
    drain: Callable[..., Awaitable[None]],
) -> None:
    """Long polling until a stop is asked for; then the updates in hand finish (within the
    drain) and only the handled ones are acknowledged."""
    await bot.delete_webhook(drop_pending_updates=False)
    workflow = {"dispatcher": dispatcher, "bots": [bot], **dispatcher.workflow_data}
    await dispatcher.emit_startup(bot=bot, **workflow)
    poller = Poller(bot, dispatcher, allowed_updates=dispatcher.resolve_used_update_types())
    try:
        polling = poller.start()
        asked = asyncio.create_task(stop.requested.wait())
        await asyncio.wait({polling, asked}, return_when=asyncio.FIRST_COMPLETED)
        asked.cancel()
        await poller.stop_fetching()
        await drain(poller.wait_handled())
        await poller.hand_back()
    finally:
        await dispatcher.emit_shutdown(bot=bot, **workflow)


async def _serve_webhook(
    bot: Bot,
    dispatcher: Dispatcher,
    settings: Settings,
    stop: StopSignal,
    drain: Callable[..., Awaitable[None]],
) -> None:
    url = settings.telegram.webhook_url
    assert url is not None
    secret = settings.telegram.webhook_secret
    path = urlparse(url).path or "/"
    app = web.Application()
    endpoint = WebhookHandler(dispatcher, bot, secret.get_secret_value() if secret else None)
    endpoint.register(app, path=path)
    setup_application(app, dispatcher, bot=bot)
    if settings.webapp.enabled:  # the Mini App on the same server, behind the same proxy
        add_webapp(app, settings, bot, dispatcher)
    await bot.set_webhook(
        url,
        secret_token=secret.get_secret_value() if secret else None,
        allowed_updates=dispatcher.resolve_used_update_types(),
    )
    host, _, port = settings.telegram.webhook_listen.rpartition(":")
    # No access log: the update's own line says what matters, without a second line per update.
    runner = web.AppRunner(app, shutdown_timeout=settings.runtime.drain_seconds, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host or "127.0.0.1", int(port))
    await site.start()
    logger.info("webhook server listening on {} (path {})", settings.telegram.webhook_listen, path)
    try:
        await stop.requested.wait()
        # No new requests (answered 503, Telegram sends them again to another process or
        # later), then the updates already accepted finish; what cannot is answered 503 too.
        endpoint.stop_accepting()
        await site.stop()
        await drain(endpoint.wait_handled())
        await endpoint.give_up()
    finally:
        await runner.cleanup()


async def _drain(
    gate: UpdateGate,
    scheduler: AsyncIOScheduler,
    jobs: RunningJobs,
    updates: Awaitable[None] | None = None,
    *,
    broadcasts: Launcher | None = None,
    sender: Sender | None = None,
    seconds: float = 10.0,
) -> None:
    """Let the updates being handled (`updates`: every one taken has finished), the jobs
    running, the notices being sent and the deliveries in hand finish, within `seconds`;
    undelivered broadcast rows stay pending for the next process."""
    if scheduler.running:
        scheduler.pause()
    waiting = asyncio.gather(
        updates if updates is not None else asyncio.sleep(0),
        gate.wait_idle(),
        jobs.idle.wait(),
        broadcasts.drain() if broadcasts else asyncio.sleep(0),
        sender.wait_background() if sender else asyncio.sleep(0),
    )
    try:
        await asyncio.wait_for(waiting, seconds)
    except TimeoutError:
        logger.warning(
            "stopping with {} updates and {} jobs unfinished (their transactions roll back)",
            gate.in_flight,
            jobs.count,
        )
