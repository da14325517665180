"""A small Bot API server on localhost: enough of Telegram to run the real bot process against.

Serves getMe, deleteWebhook, setMyCommands, getUpdates (from a queue), sendMessage,
editMessageText, copyMessage, answerCallbackQuery, sendChatAction; records every call.
`fail_next` answers the next call of a method with an error as Telegram would (429 with
retry_after, 403, 400, 5xx), or with the HTML page a proxy in front of it shows.

getUpdates works as Telegram's does: an update handed out stays until a call's `offset`
is above its id, and is handed out again until then (to the next process too); `limit`
caps the answer. `offsets` lists the offset of every call. `delay` makes every other
method answer that many seconds later (a slow Bot API).

For benchmarks/load.py (all optional, the defaults keep the behaviour above): `batch`
hands out up to that many queued updates per getUpdates, `keep_calls=False` does not
keep the calls in memory, `on_call(method, params)` is called for every API call as it
arrives and `on_handover(updates)` when a getUpdates answer hands updates to the bot.
`proxy_page_for` names methods answered as a broken proxy in front of the API would: a 502
HTML page that echoes the request's path, the token in it.
"""

import asyncio
import json
from collections.abc import Callable
from itertools import count
from typing import Any

from aiohttp import web

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "EduCRM", "username": "educrm_test_bot"}


class FakeBotApi:
    def __init__(
        self,
        *,
        batch: int = 1,
        keep_calls: bool = True,
        on_call: Callable[[str, dict[str, Any]], None] | None = None,
        on_handover: Callable[[list[dict[str, Any]]], None] | None = None,
        proxy_page_for: frozenset[str] = frozenset(),
        delay: float = 0.0,
    ) -> None:
        self.batch = batch
        self.proxy_page_for = proxy_page_for
        self.delay = delay
        self.keep_calls = keep_calls
        self.on_call = on_call
        self.on_handover = on_handover
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.updates: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.unconfirmed: list[dict[str, Any]] = []  # handed out, offset not past them yet
        self.offsets: list[int | None] = []
        self.sent = asyncio.Condition()
        self._message_ids = count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.errors: list[tuple[str, int, str, int | None, bool]] = []

    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        html: bool = False,
    ) -> None:
        self.errors.append((method, status, description, retry_after, html))

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    async def wait_for(self, method: str, number: int, timeout: float = 20) -> list[dict[str, Any]]:
        async def enough() -> list[dict[str, Any]]:
            async with self.sent:
                await self.sent.wait_for(lambda: len(self.calls_of(method)) >= number)
                return self.calls_of(method)

        return await asyncio.wait_for(enough(), timeout)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = dict(await request.post()) if request.can_read_body else {}
        params = {key: _decode(value) for key, value in params.items()}
        if self.on_call is not None and method != "getUpdates":
            self.on_call(method, params)
        if method in self.proxy_page_for:
            async with self.sent:
                self.calls.append((method, params))
                self.sent.notify_all()
            page = f"<html><body><h1>502 Bad Gateway</h1><p>POST {request.path}</p></body></html>"
            return web.Response(status=502, text=page, content_type="text/html")
        failed = self._queued_error(method)
        if failed is not None:
            if self.keep_calls:
                async with self.sent:
                    self.calls.append((f"{method}!", params))
                    self.sent.notify_all()
            return failed
        result = await self._answer(method, params)
        if self.keep_calls and (method != "getUpdates" or result):
            async with self.sent:
                self.calls.append((method, params))
                self.sent.notify_all()
        return web.json_response({"ok": True, "result": result})

    def _queued_error(self, method: str) -> web.Response | None:
        for queued in self.errors:
            if queued[0] == method:
                self.errors.remove(queued)
                _name, status, description, retry_after, html = queued
                if html:
                    page = f"<html><body><h1>{status} {description}</h1></body></html>"
                    return web.Response(status=status, text=page, content_type="text/html")
                body: dict[str, Any] = {
                    "ok": False,
                    "error_code": status,
                    "description": description,
                }
                if retry_after is not None:
                    body["parameters"] = {"retry_after": retry_after}
                return web.json_response(body, status=status)
        return None

    async def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            return await self._get_updates(params)
        if self.delay:
            await asyncio.sleep(self.delay)
        if method in ("sendMessage", "editMessageText"):
            return {
                "message_id": params.get("message_id") or next(self._message_ids),
                "date": 1_700_000_000,
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "from": BOT_USER,
                "text": params["text"],
            }
        if method == "copyMessage":
            return {"message_id": next(self._message_ids)}
        return True

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params["offset"]) if "offset" in params else None
        if self.keep_calls:
            self.offsets.append(offset)
        if offset is not None:
            self.unconfirmed = [u for u in self.unconfirmed if u["update_id"] >= offset]
        limit = int(params.get("limit", 100))
        handed = self.unconfirmed[:limit]
        fresh: list[dict[str, Any]] = []
        if not handed and self.updates.empty():
            wait = min(float(params.get("timeout", 0)), 0.5)
            if wait <= 0:
                return []
            try:
                fresh.append(await asyncio.wait_for(self.updates.get(), timeout=wait))
            except TimeoutError:
                return []
        while len(fresh) < self.batch and len(handed) + len(fresh) < limit:
            if self.updates.empty():
                break
            fresh.append(self.updates.get_nowait())
        self.unconfirmed.extend(fresh)
        if fresh and self.on_handover is not None:
            self.on_handover(fresh)
        return handed + fresh


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
