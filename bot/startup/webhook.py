"""The webhook endpoint: 200 only for an update handled to completion.

aiogram's SimpleRequestHandler answers 200 at once and handles the update afterwards, so
every update accepted but not finished when the process stopped was gone (Telegram does
not send an update again once it got a 200). Here the answer waits for the handling;
once a stop has begun, a new request is answered 503 and Telegram delivers it again
(to another process behind the same address, or to this one after its restart). Telegram
keeps at most `max_connections` (40 by default) requests open per webhook, which bounds
what a stop has to drain.

A body that is not a JSON object of an update is answered 400.
"""

import asyncio
import secrets
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiohttp import web
from loguru import logger
from pydantic import ValidationError

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookHandler:
    def __init__(self, dispatcher: Dispatcher, bot: Bot, secret_token: str | None) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.secret_token = secret_token
        self.accepting = True
        self._feeding: set[asyncio.Task[None]] = set()

    def register(self, app: web.Application, path: str) -> None:
        app.router.add_post(path, self.handle)

    def stop_accepting(self) -> None:
        self.accepting = False

    async def handle(self, request: web.Request) -> web.Response:
        if self.secret_token and not secrets.compare_digest(
            request.headers.get(SECRET_HEADER, ""), self.secret_token
        ):
            return web.Response(status=401, text="Unauthorized")
        if not self.accepting:
            return web.Response(status=503, text="Stopping; send it again later")
        update = await self._read_update(request)
        if update is None:
            return web.Response(status=400, text="Not an update")
        feeding = asyncio.create_task(self._feed(update))
        self._feeding.add(feeding)
        feeding.add_done_callback(self._feeding.discard)
        await asyncio.wait({feeding})  # a dropped connection does not cancel the handling
        if feeding.cancelled():
            return web.Response(status=503, text="Stopped before it finished; send it again")
        return web.json_response({})

    async def wait_handled(self) -> None:
        """Return once no accepted update is being handled (the caller bounds the wait)."""
        while self._feeding:
            await asyncio.wait(set(self._feeding))

    async def give_up(self) -> None:
        """Cancel what the drain could not finish: those requests are answered 503."""
        unfinished = list(self._feeding)
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)
        if unfinished:
            logger.warning("{} updates unfinished: Telegram delivers them again", len(unfinished))

    async def _read_update(self, request: web.Request) -> Update | None:
        try:
            body: Any = await request.json(loads=self.bot.session.json_loads)
        except ValueError:  # malformed JSON, or not UTF-8
            return None
        if not isinstance(body, dict):
            return None
        try:
            return Update.model_validate(body, context={"bot": self.bot})
        except ValidationError:
            return None

    async def _feed(self, update: Update) -> None:
        try:
            response = await self.dispatcher.feed_update(self.bot, update)
            if isinstance(response, TelegramMethod):
                await self.dispatcher.silent_call_request(self.bot, response)
        except asyncio.CancelledError:
            raise
        except Exception:
            # handled, if unsuccessfully: delivering it again would fail the same way
            logger.exception("update {} failed", update.update_id)
