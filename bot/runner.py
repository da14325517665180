"""Starts the bot: long polling by default, a webhook server when WEBHOOK_URL is set."""

import asyncio
import time
from urllib.parse import urlparse

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from loguru import logger
from redis.asyncio import Redis

from bot.app import create_bot, create_dispatcher
from bot.config import Settings
from bot.health import start_health_server
from bot.scheduler import create_scheduler
from bot.services.backup import DatabaseLock
from db.engine import create_engine, create_session_factory


async def run(settings: Settings) -> None:
    started = time.perf_counter()
    lock = DatabaseLock(settings.database.database_url)  # keeps `restore` out while we run
    if not await lock.acquire(exclusive=False):
        raise RuntimeError("a restore is in progress on this database; start the bot after it")
    engine = create_engine(settings.database.database_url)
    redis = Redis.from_url(settings.database.redis_url) if settings.database.redis_url else None
    bot = create_bot(settings)
    session_factory = create_session_factory(engine)
    dispatcher = create_dispatcher(settings, session_factory, redis=redis)
    scheduler = create_scheduler(session_factory, bot, settings, dispatcher["sender"])
    health: web.AppRunner | None = None
    if not settings.telegram.owner_ids:
        logger.warning("OWNER_IDS is empty: nobody can administer the centre from chat")
    try:
        me = await bot.get_me()
        logger.info(
            "bot @{} ready in {:.0f} ms ({})",
            me.username,
            (time.perf_counter() - started) * 1000,
            "webhook" if settings.telegram.webhook_url else "long polling",
        )
        scheduler.start()
        if settings.runtime.health_port:
            health = await start_health_server(
                session_factory, scheduler, settings.runtime.health_port
            )
        if settings.telegram.webhook_url:
            await _serve_webhook(bot, dispatcher, settings)
        else:
            await bot.delete_webhook(drop_pending_updates=False)
            await dispatcher.start_polling(
                bot, allowed_updates=dispatcher.resolve_used_update_types()
            )
    finally:
        if health is not None:
            await health.cleanup()
        if scheduler.running:
            scheduler.shutdown(wait=False)
        await bot.session.close()
        if redis is not None:
            await redis.aclose()
        await engine.dispose()
        await lock.release()


async def _serve_webhook(bot: Bot, dispatcher: Dispatcher, settings: Settings) -> None:
    url = settings.telegram.webhook_url
    assert url is not None
    secret = settings.telegram.webhook_secret
    path = urlparse(url).path or "/"
    app = web.Application()
    SimpleRequestHandler(
        dispatcher=dispatcher,
        bot=bot,
        secret_token=secret.get_secret_value() if secret else None,
    ).register(app, path=path)
    setup_application(app, dispatcher, bot=bot)
    await bot.set_webhook(
        url,
        secret_token=secret.get_secret_value() if secret else None,
        allowed_updates=dispatcher.resolve_used_update_types(),
    )
    host, _, port = settings.telegram.webhook_listen.rpartition(":")
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, host or "127.0.0.1", int(port)).start()
    logger.info("webhook server listening on {} (path {})", settings.telegram.webhook_listen, path)
    try:
        await asyncio.Event().wait()  # until the process is stopped
    finally:
        await runner.cleanup()
