"""The real `python -m bot` process against a local Bot API server (TELEGRAM_API_URL)."""

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.fake_bot_api import FakeBotApi
from tests.mocked_bot import BOT_TOKEN

PROJECT = Path(__file__).resolve().parents[1]


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


@pytest.fixture
async def api():
    server = FakeBotApi()
    await server.start()
    yield server
    await server.stop()


async def test_the_bot_runs_against_a_local_bot_api_server(api: FakeBotApi, tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(PROJECT),
        "BOT_TOKEN": BOT_TOKEN,
        "OWNER_IDS": "1",
        "TELEGRAM_API_URL": api.url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "LOG_LEVEL": "INFO",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        commands = await api.wait_for("setMyCommands", 5, timeout=60)
        for number, (language, text) in enumerate(
            [
                ("uz", "/start"),
                ("ru", "/start"),
                ("en", "/start"),
                ("en", "/help"),
                ("en", "/language"),
            ],
            start=1,
        ):
            await api.updates.put(message_update(number, 100 + number, language, text))
        sent = await api.wait_for("sendMessage", 5)
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)

    by_chat = {int(call["chat_id"]): call["text"] for call in sent}
    assert "Assalomu alaykum" in by_chat[101]
    assert "Здравствуйте" in by_chat[102]
    assert "Hello" in by_chat[103]
    assert "/language — Change the language" in by_chat[104]
    assert by_chat[105] == "🌐 Choose your language:"
    # the menus: default scope, one per language, and the owner's chat
    scopes = [call.get("scope", {}).get("type") for call in commands]
    assert scopes.count("default") == 4 and "chat" in scopes
    log = stderr.decode()
    assert "Traceback" not in log
    assert BOT_TOKEN not in log and BOT_TOKEN.split(":")[1] not in log
    assert "update=1 " in log and "handler=start" in log
    assert process.returncode == 0
