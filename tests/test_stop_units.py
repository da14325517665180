"""The pieces of a stop that loses nothing, in-process against the fake Bot API over HTTP:
the webhook endpoint (bot/startup/webhook.py, wired by bot/startup/runner.py) and the polling loop
(bot/startup/polling.py)."""

import asyncio
import gc
import time
from functools import partial
from typing import Any

import aiohttp
import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.middlewares.throttling import MemoryHitCounter
from bot.startup.app import create_bot, create_dispatcher
from bot.startup.polling import Poller
from bot.startup.runner import RunningJobs, StopSignal, _drain, _serve_webhook
from tests.conftest import make_settings
from tests.fake_bot_api import FakeBotApi
from tests.test_bot_process import free_port, message_update

SECRET = "stop-units-webhook-secret-0123456789"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


@pytest.fixture
async def api():
    server = FakeBotApi()
    await server.start()
    yield server
    await server.stop()


def bot_and_dispatcher(api: FakeBotApi, database_url: str, session_factory, **settings: Any):
    config = make_settings(database_url, telegram_api_url=api.url, **settings)
    dispatcher = create_dispatcher(
        config, session_factory, hit_counter=MemoryHitCounter(config.runtime.throttle_window)
    )
    return config, create_bot(config), dispatcher


class Webhook:
    """`_serve_webhook` of the runner, on a free port, until `stop()`."""

    def __init__(self, api: FakeBotApi, database_url: str, session_factory, **settings: Any):
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/telegram"
        self.settings, self.bot, self.dispatcher = bot_and_dispatcher(
            api,
            database_url,
            session_factory,
            webhook_url=self.url,
            webhook_secret=SECRET,
            webhook_listen=f"127.0.0.1:{port}",
            **settings,
        )
        self.signal = StopSignal()
        self.scheduler = AsyncIOScheduler()
        drain = partial(
            _drain,
            self.dispatcher["update_gate"],
            self.scheduler,
            RunningJobs(self.scheduler),
            seconds=self.settings.runtime.drain_seconds,
        )
        self.serving = asyncio.create_task(
            _serve_webhook(self.bot, self.dispatcher, self.settings, self.signal, drain)
        )

    async def post(self, http: aiohttp.ClientSession, body: bytes) -> int:
        deadline = time.monotonic() + 30  # the server starts after setWebhook and the menus
        while True:
            try:
                async with http.post(self.url, data=body, headers=HEADERS) as response:
                    return response.status
            except aiohttp.ClientConnectionError:
                if self.serving.done() or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.05)

    async def stop(self) -> None:
        self.signal.requested.set()
        await asyncio.wait_for(self.serving, 20)
        await self.bot.session.close()


def update_body(update_id: int, user_id: int, text: str) -> bytes:
    import json

    return json.dumps(message_update(update_id, user_id, "en", text)).encode()


async def test_a_webhook_body_that_is_not_an_update_is_answered_400(
    api: FakeBotApi, database_url, session_factory
) -> None:
    loop = asyncio.get_running_loop()
    unhandled: list[dict] = []
    loop.set_exception_handler(lambda _loop, context: unhandled.append(context))
    webhook = Webhook(api, database_url, session_factory)
    try:
        async with aiohttp.ClientSession() as http:
            for body in (b"[1, 2]", b'"an update"', b"5", b"null", b"{not json", b"", b"{}"):
                assert await webhook.post(http, body) == 400, body
            # a real update still goes through, and is handled by the time of the answer
            assert await webhook.post(http, update_body(1, 601, "/start")) == 200
            assert [int(call["chat_id"]) for call in api.calls_of("sendMessage")] == [601]
    finally:
        await webhook.stop()
        gc.collect()  # "Task exception was never retrieved" is reported when a task dies
        await asyncio.sleep(0)
        loop.set_exception_handler(None)
    assert unhandled == []


async def test_a_webhook_update_the_drain_gives_up_is_answered_503_and_not_marked_seen(
    database_url, session_factory
) -> None:
    """Telegram sends it again; the copy must not be dropped as already seen."""
    slow = FakeBotApi(delay=1.0)  # every answer of the Bot API takes a second
    await slow.start()
    webhook = Webhook(slow, database_url, session_factory, drain_seconds=0.3)
    try:
        async with aiohttp.ClientSession() as http:
            assert await webhook.post(http, update_body(1, 602, "/help")) == 200
            posting = asyncio.create_task(webhook.post(http, update_body(2, 603, "/start")))
            await asyncio.sleep(0.5)  # being handled, waiting for the slow Bot API
            await webhook.stop()
            assert await posting == 503
    finally:
        if not webhook.serving.done():
            await webhook.stop()
        await slow.stop()
    seen = webhook.dispatcher["update_gate"].seen
    assert not await seen.first_time(1)  # handled: a copy is dropped
    assert await seen.first_time(2)  # given up: a copy is handled


async def test_a_webhook_stop_refuses_new_updates(
    api: FakeBotApi, database_url, session_factory
) -> None:
    webhook = Webhook(api, database_url, session_factory)
    async with aiohttp.ClientSession() as http:
        assert await webhook.post(http, update_body(1, 604, "/help")) == 200
        endpoint_stopping = asyncio.create_task(webhook.stop())
        await asyncio.sleep(0)
        try:
            status = await webhook.post(http, update_body(2, 605, "/help"))
        except aiohttp.ClientConnectionError:
            status = None  # the socket is closed already
        await endpoint_stopping
    assert status in (503, None)
    assert [int(call["chat_id"]) for call in api.calls_of("sendMessage")] == [604]
    assert await webhook.dispatcher["update_gate"].seen.first_time(2)


async def test_polling_never_acknowledges_an_update_still_in_hand(
    database_url, session_factory
) -> None:
    slow = FakeBotApi(batch=100, delay=0.3)
    await slow.start()
    _, bot, dispatcher = bot_and_dispatcher(slow, database_url, session_factory)
    poller = Poller(bot, dispatcher, timeout=1)
    # person 701's three updates are handled one after another (the person's lock); the
    # other three at once
    for update_id, person in enumerate((701, 701, 701, 702, 703, 704), start=1):
        await slow.updates.put(message_update(update_id, person, "en", "/help"))
    try:
        poller.start()
        await slow.wait_for("sendMessage", 4)  # 701's first and the other three
        # its reply is out; on a busy machine the handler may not have returned yet
        for _ in range(200):
            if poller.offset == 2:
                break
            await asyncio.sleep(0.01)
        await poller.stop_fetching()
        # 701's second is in hand: nothing from it on was acknowledged
        assert max(offset or 0 for offset in slow.offsets) <= 2
        await poller.hand_back()  # gives up 701's second and third
        assert slow.offsets[-1] == 2
        assert [u["update_id"] for u in slow.unconfirmed] == [2, 3, 4, 5, 6]
    finally:
        await bot.session.close()
        await slow.stop()


async def test_polling_acknowledges_everything_handled_when_it_stops(
    api: FakeBotApi, database_url, session_factory
) -> None:
    _, bot, dispatcher = bot_and_dispatcher(api, database_url, session_factory)
    poller = Poller(bot, dispatcher, timeout=1)
    for update_id, person in enumerate((711, 712, 711), start=1):
        await api.updates.put(message_update(update_id, person, "en", "/help"))
    try:
        poller.start()
        await api.wait_for("sendMessage", 3)
        await poller.stop_fetching()
        await poller.wait_handled()
        await poller.hand_back()
    finally:
        await bot.session.close()
    assert api.offsets[-1] == 4 and api.unconfirmed == []
