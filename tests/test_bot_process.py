"""The real `python -m bot` process against a local Bot API server (TELEGRAM_API_URL)."""

import asyncio
import os
import signal
import sqlite3
import sys
from itertools import count
from pathlib import Path

import pytest

from tests.fake_bot_api import FakeBotApi
from tests.mocked_bot import BOT_TOKEN

# the real bot process in a subprocess, started and stopped per test: 8 to 13 s each
pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[1]
WEBHOOK_SECRET = "s3cret-token-" + "x" * 20  # webhook mode needs at least 32 characters


def message_update(update_id: int, user_id: int, language: str, text: str) -> dict:
    user = {
        "id": user_id,
        "is_bot": False,
        "first_name": f"User{user_id}",
        "language_code": language,
    }
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": user_id, "type": "private"},
            "from": user,
            "text": text,
        },
    }


def button_update(update_id: int, user_id: int, data: str) -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cb{update_id}",
            "from": user,
            "chat_instance": "1",
            "data": data,
            "message": {
                "message_id": 1,
                "date": 1_700_000_000,
                "chat": {"id": user_id, "type": "private"},
                "text": "…",
            },
        },
    }


def bot_env(api: FakeBotApi, database: Path, **extra: str) -> dict[str, str]:
    """The environment of `python -m bot run` against the fake Bot API, on a SQLite file."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(PROJECT),
        "BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_API_URL": api.url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        **extra,
    }


async def test_the_bot_runs_against_a_local_bot_api_server(api: FakeBotApi, tmp_path: Path) -> None:
    env = bot_env(api, tmp_path / "bot.db", OWNER_IDS="1", LOG_LEVEL="INFO")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        commands = await api.wait_for("setMyCommands", 5, timeout=60)
        people = {101: "uz", 102: "ru", 103: "en"}
        updates = count(1)
        for user_id, language in people.items():
            await api.updates.put(message_update(next(updates), user_id, language, "/start"))
        pickers = await api.wait_for("sendMessage", 3)
        for user_id, language in people.items():
            await api.updates.put(button_update(next(updates), user_id, f"cs:lang:{language}"))
        await api.wait_for("editMessageText", 3)
        for user_id in people:
            await api.updates.put(button_update(next(updates), user_id, "cs:accept:111"))
        await api.wait_for("sendMessage", 6)
        await api.updates.put(message_update(next(updates), 103, "en", "/help"))
        await api.updates.put(message_update(next(updates), 103, "en", "/language"))
        sent = await api.wait_for("sendMessage", 8)
        answered = api.calls_of("answerCallbackQuery")
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)

    # updates are handled concurrently, so replies are matched by chat, not by order
    assert {int(call["chat_id"]): call["text"] for call in pickers} == {
        101: "🌐 Tilni tanlang:",
        102: "🌐 Выберите язык:",
        103: "🌐 Choose your language:",
    }
    assert len(answered) == 6
    greetings = {int(call["chat_id"]): call["text"] for call in sent[3:6]}
    assert "Assalomu alaykum" in greetings[101]
    assert "Здравствуйте" in greetings[102]
    assert "Hello" in greetings[103]
    help_text, language_text = sorted((call["text"] for call in sent[6:8]), key=len, reverse=True)
    assert "/language — Change the language" in help_text
    assert language_text == "🌐 Choose your language:"
    # the menus: default scope, one per language, and the owner's chat
    scopes = [call.get("scope", {}).get("type") for call in commands]
    assert scopes.count("default") == 4 and "chat" in scopes
    log = stderr.decode()
    assert "Traceback" not in log
    assert BOT_TOKEN not in log and BOT_TOKEN.split(":")[1] not in log
    assert "update=1 " in log and "handler=start" in log and "handler=consent_accept" in log
    assert process.returncode == 0
    # the counts are kept in memory and written at the latest when the bot stops
    with sqlite3.connect(tmp_path / "bot.db") as database:
        counts = database.execute("SELECT command, role, count FROM usage_counts").fetchall()
    assert sorted(counts) == [("help", "guest", 1), ("language", "guest", 1)]


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_webhook_mode_checks_the_secret_token(api: FakeBotApi, tmp_path: Path) -> None:
    import aiohttp

    port = free_port()
    env = bot_env(
        api,
        tmp_path / "bot.db",
        WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
        WEBHOOK_SECRET=WEBHOOK_SECRET,
        WEBHOOK_LISTEN=f"127.0.0.1:{port}",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        [webhook] = await api.wait_for("setWebhook", 1, timeout=60)
        assert webhook["url"] == f"http://127.0.0.1:{port}/telegram"
        assert webhook["secret_token"] == WEBHOOK_SECRET
        url = f"http://127.0.0.1:{port}/telegram"
        async with aiohttp.ClientSession() as http:
            for _ in range(50):  # the server starts right after setWebhook
                try:
                    forged = await http.post(url, json=message_update(1, 201, "en", "/start"))
                    break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            assert forged.status == 401
            for _ in range(2):  # Telegram re-sends an update it thinks failed
                genuine = await http.post(
                    url,
                    json=message_update(2, 202, "en", "/start"),
                    headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
                )
                assert genuine.status == 200
        [sent] = await api.wait_for("sendMessage", 1)
        await asyncio.sleep(0.3)  # time enough for a second answer, were there one
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert int(sent["chat_id"]) == 202 and sent["text"] == "🌐 Choose your language:"
    # the forged update changed nothing, the repeated one was handled once
    assert len(api.calls_of("sendMessage")) == 1
    log = stderr.decode()
    assert "SIGTERM received" in log and "bot stopped" in log
    assert process.returncode == 0


def assert_no_secret(log: str) -> None:
    assert BOT_TOKEN not in log and BOT_TOKEN.split(":")[1] not in log, log


async def test_a_proxy_page_answering_the_handlers_never_puts_the_token_in_the_log(
    tmp_path: Path,
) -> None:
    """Three /start while a proxy answers sendMessage with an HTML page echoing the path."""
    api = FakeBotApi(proxy_page_for=frozenset({"sendMessage"}))
    await api.start()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        cwd=tmp_path, env=bot_env(api, tmp_path / "bot.db", OWNER_IDS="1", LOG_LEVEL="DEBUG"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await api.wait_for("setMyCommands", 5, timeout=60)
        for update_id, user_id in enumerate((301, 302, 303), start=1):
            await api.updates.put(message_update(update_id, user_id, "en", "/start"))
        # each /start and then its "something went wrong" notice meet the proxy's page
        await api.wait_for("sendMessage", 6)
        await asyncio.sleep(0.3)  # the error lines are written after the second failure
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
        await api.stop()
    log = stderr.decode()
    assert_no_secret(log)
    assert log.count("ClientDecodeError") >= 3 and "/bot<secret>/sendMessage" in log
    assert process.returncode == 0


async def test_a_proxy_page_at_start_up_stops_the_bot_without_printing_the_token(
    tmp_path: Path,
) -> None:
    api = FakeBotApi(proxy_page_for=frozenset({"getMe"}))
    await api.start()
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run",
            cwd=tmp_path, env=bot_env(api, tmp_path / "bot.db"),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
    finally:
        await api.stop()
    log = stderr.decode()
    assert_no_secret(log)
    assert "ClientDecodeError" in log and "/bot<secret>/getMe" in log
    assert process.returncode == 1
