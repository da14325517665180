"""The Mini App under test: its aiohttp application on a real local port (the same one the
browser tests open), over the test's database, and a client that signs requests in as a
Telegram user would be."""

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientResponse, ClientSession
from aiohttp.test_utils import TestServer

from bot.config import Settings
from bot.delivery import Sender
from bot.webapp.app import create_webapp
from tests.chat import Person
from tests.conftest import make_settings
from tests.mocked_bot import MockedBot
from tests.webapp.signing import sign_init_data

WEBAPP_URL = "https://app.educrm.example"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class MiniAppClient:
    """Calls the API as `person` (their initData in the Authorization header)."""

    server: TestServer
    http: ClientSession

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def call(
        self,
        method: str,
        path: str,
        person: Person | None,
        *,
        json: Any = None,
        init_data: str | None = None,
    ) -> ClientResponse:
        headers = {}
        if init_data is None and person is not None:
            init_data = sign_init_data(person)
        if init_data is not None:
            headers["Authorization"] = f"tma {init_data}"
        return await self.http.request(method, self.url(path), json=json, headers=headers)

    async def get(self, path: str, person: Person | None, **kwargs: Any) -> ClientResponse:
        return await self.call("GET", path, person, **kwargs)

    async def post(self, path: str, person: Person | None, **kwargs: Any) -> ClientResponse:
        return await self.call("POST", path, person, **kwargs)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, webapp_url=WEBAPP_URL)


@pytest.fixture
async def miniapp(
    settings: Settings, session_factory, bot: MockedBot, sender: Sender, dispatcher
) -> AsyncIterator[MiniAppClient]:
    app = create_webapp(
        settings, session_factory, bot=bot, sender=sender, workflow=dispatcher.workflow_data
    )
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with ClientSession() as http:
        yield MiniAppClient(server, http)
    await server.close()
