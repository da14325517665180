"""No secret in any log sink: a handler's call to the Bot API fails with an error that
carries the request URL (`…/bot<token>/sendMessage`), as a proxy in front of the API or a
network error would, and neither stderr nor a file sink ever shows the token."""

import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiogram.exceptions import ClientDecodeError, TelegramNetworkError
from aiohttp import web
from loguru import logger

from bot.logging import setup_logging
from bot.startup.app import create_bot, create_dispatcher
from tests.chat import ChatClient, Person
from tests.conftest import make_settings
from tests.mocked_bot import BOT_TOKEN

WEBHOOK_SECRET = "w" * 40
BACKUP_KEY = "correct horse battery staple"
PAYMENT_TOKEN = "398062629:TEST:999999999_F91D8F69C042267444B74CC0B3C7477"


class Proxy:
    """What sits in front of the Bot API when it misbehaves: an HTML error page echoing the
    request's path (the token in it), or a redirect loop (aiohttp's error names the URL)."""

    def __init__(self, how: str) -> None:
        self.how = how
        self.paths: list[str] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._answer)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _answer(self, request: web.Request) -> web.Response:
        self.paths.append(request.path)
        if self.how == "redirect":
            raise web.HTTPFound(request.path)
        page = f"<html><body><h1>502 Bad Gateway</h1><p>POST {request.path}</p></body></html>"
        return web.Response(status=502, text=page, content_type="text/html")


@pytest.fixture
def sinks(tmp_path: Path) -> Iterator[tuple[io.StringIO, Path]]:
    """The bot's own stderr sink at its lowest level, and a file sink added the plain way,
    with loguru's backtrace and diagnose (local variables) on, at every level."""
    stderr = io.StringIO()
    log_file = tmp_path / "bot.log"
    yield stderr, log_file
    logger.remove()
    setup_logging("WARNING")  # as tests/conftest.py leaves it


@pytest.mark.parametrize(
    ("how", "error"), [("html", "ClientDecodeError"), ("redirect", "TelegramNetworkError")]
)
async def test_a_failing_bot_api_call_never_puts_the_token_in_a_log(
    how, error, database_url, session_factory, sender, sinks
) -> None:
    stderr, log_file = sinks
    proxy = Proxy(how)
    await proxy.start()
    settings = make_settings(
        database_url,
        telegram_api_url=proxy.url,
        webhook_secret=WEBHOOK_SECRET,
        backup_key=BACKUP_KEY,
        payment_provider_token=PAYMENT_TOKEN,
    )
    with contextlib.redirect_stderr(stderr):
        setup_logging("DEBUG", secrets=settings.secrets())
    logger.add(log_file, level="TRACE", backtrace=True, diagnose=True)
    bot = create_bot(settings)
    dispatcher = create_dispatcher(settings, session_factory, sender=sender)
    client = ChatClient(bot, dispatcher)  # type: ignore[arg-type]
    update = client.message(Person(id=501, first_name="Ali", language_code="en"), "/start")
    try:
        with pytest.raises((ClientDecodeError, TelegramNetworkError)) as raised:
            # the error handler's own notice fails too, so the update ends in an exception,
            # which aiogram logs (as polling and the webhook do) and re-raises
            await dispatcher.feed_raw_update(bot, update.model_dump(mode="json", by_alias=True))
    finally:
        await bot.session.close()
        await proxy.stop()
        await logger.complete()

    assert f"/bot{BOT_TOKEN}/sendMessage" in proxy.paths[0]  # the URL did carry the token
    assert BOT_TOKEN in str(raised.value)  # and so did the error's text
    written = {"stderr": stderr.getvalue(), "file": log_file.read_text()}
    for sink, text in written.items():
        assert error in text and "Traceback (most recent call last)" in text, sink
        assert re.search(r"/bot<(secret|token)>/sendMessage", text), sink  # logged, masked
        for secret in (BOT_TOKEN, BOT_TOKEN.split(":")[1], WEBHOOK_SECRET, BACKUP_KEY):
            assert secret not in text, (sink, secret)
