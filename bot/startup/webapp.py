"""The Mini App's server: on the webhook server's application when there is one, else on
its own WEBAPP_LISTEN; started only when WEBAPP_URL is set."""

from aiogram import Bot, Dispatcher
from aiohttp import web
from loguru import logger

from bot.config import Settings
from bot.webapp.app import create_webapp


def add_webapp(
    app: web.Application | None, settings: Settings, bot: Bot, dispatcher: Dispatcher
) -> web.Application:
    """The Mini App's routes on `app` (or a new application), sharing the dispatcher's
    database, sender and caches."""
    return create_webapp(
        settings,
        dispatcher["session_factory"],
        bot=bot,
        sender=dispatcher["sender"],
        workflow=dispatcher.workflow_data,
        app=app,
    )


async def start_webapp_server(
    settings: Settings, bot: Bot, dispatcher: Dispatcher
) -> web.AppRunner:
    runner = web.AppRunner(
        add_webapp(None, settings, bot, dispatcher),
        shutdown_timeout=settings.runtime.drain_seconds,
        access_log=None,
    )
    await runner.setup()
    host, _, port = settings.webapp.webapp_listen.rpartition(":")
    await web.TCPSite(runner, host, int(port)).start()
    logger.info("Mini App on {} for {}", settings.webapp.webapp_listen, settings.webapp.webapp_url)
    return runner
