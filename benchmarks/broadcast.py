"""A broadcast to many recipients against a fake Telegram that enforces 30 messages a second.

The real runner (`bot.notices.broadcast.run_broadcast`) and the real `Sender` send over
HTTP (aiogram's aiohttp session) to a local Bot API server. The server counts every
message a bot sends (copyMessage, sendMessage, editMessageText) in a sliding one-second
window and answers 429 with retry_after=1 to any beyond 30: each of those is a
violation. Printed: total time, achieved rate, 429s, peak RSS of this process.

SQLite in a temporary file by default; --postgres URL uses that PostgreSQL database (its
tables are dropped and created again: point it at a database of its own). Usage:
    .venv/bin/python benchmarks/broadcast.py [--recipients 10000] [--rate 25]
        [--concurrency 8] [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/bench]
"""

import argparse
import asyncio
import collections
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from aiogram import Bot  # noqa: E402
from aiogram.client.default import DefaultBotProperties  # noqa: E402
from aiogram.client.session.aiohttp import AiohttpSession  # noqa: E402
from aiogram.client.telegram import TelegramAPIServer  # noqa: E402
from aiohttp import web  # noqa: E402
from sqlalchemy import insert  # noqa: E402

import db.models  # noqa: E402, F401
from bot.delivery import Sender  # noqa: E402
from bot.logging import setup_logging  # noqa: E402
from bot.notices.broadcast import run_broadcast  # noqa: E402
from bot.services import broadcasts as service  # noqa: E402
from bot.services.broadcasts import Audience, Draft  # noqa: E402
from db.base import Base, utcnow  # noqa: E402
from db.engine import create_engine, create_session_factory  # noqa: E402
from db.models import AudienceType, Consent, User  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.mocked_bot import BOT_TOKEN  # noqa: E402

LIMIT = 30  # messages per second per bot, as Telegram allows
MESSAGES = {"copyMessage", "sendMessage", "editMessageText"}
AUTHOR_CHAT = 1


class LimitedTelegram:
    """Answers like the Bot API, with a sliding-window limit of LIMIT messages a second."""

    def __init__(self) -> None:
        self.window: collections.deque[float] = collections.deque()
        self.accepted = 0
        self.violations = 0
        self.peak_window = 0
        self.message_id = 100
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = dict(await request.post())
        if method in MESSAGES:
            now = time.monotonic()
            while self.window and self.window[0] <= now - 1.0:
                self.window.popleft()
            if len(self.window) >= LIMIT:
                self.violations += 1
                return web.json_response(
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": "Too Many Requests: retry after 1",
                        "parameters": {"retry_after": 1},
                    }
                )
            self.window.append(now)
            self.peak_window = max(self.peak_window, len(self.window))
            self.accepted += 1
        return web.json_response({"ok": True, "result": self.result(method, params)})

    def result(self, method: str, params: dict[str, Any]) -> Any:
        self.message_id += 1
        if method == "copyMessage":
            return {"message_id": self.message_id}
        if method in ("sendMessage", "editMessageText"):
            return {
                "message_id": int(params.get("message_id") or self.message_id),
                "date": 1_700_000_000,
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "text": params.get("text", ""),
            }
        return True


async def seed(session_factory: Any, recipients: int) -> int:
    """The author and `recipients` users who accepted the policy; returns the author's id."""
    now = utcnow()
    async with session_factory() as session:
        users = [
            {"telegram_id": AUTHOR_CHAT, "full_name": "Owner", "language": "en", "created_at": now}
        ]
        users += [
            {
                "telegram_id": 10_000_000 + number,
                "full_name": f"Student {number}",
                "language": "uz",
                "created_at": now,
            }
            for number in range(recipients)
        ]
        for first in range(0, len(users), 1000):
            await session.execute(insert(User), users[first : first + 1000])
        consents = [
            {
                "user_id": user_id,
                "event": "accepted",
                "policy_version": "1",
                "at": now,
                "reminders": True,
                "announcements": True,
                "analytics": False,
            }
            for user_id in range(1, len(users) + 1)
        ]
        for first in range(0, len(consents), 1000):
            await session.execute(insert(Consent), consents[first : first + 1000])
        await session.commit()
    return 1


async def main(args: argparse.Namespace) -> None:
    setup_logging("WARNING")
    temporary = tempfile.TemporaryDirectory()
    url = args.postgres or f"sqlite+aiosqlite:///{temporary.name}/bench.db"
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.run_sync(Base.metadata.create_all)
    session_factory = create_session_factory(engine)
    settings = make_settings(url, send_rate=args.rate)
    author_id = await seed(session_factory, args.recipients)

    telegram = LimitedTelegram()
    await telegram.start()
    bot = Bot(
        BOT_TOKEN,
        session=AiohttpSession(api=TelegramAPIServer.from_base(telegram.url)),
        default=DefaultBotProperties(parse_mode="HTML"),
    )
    sender = Sender(session_factory, rate=args.rate)
    draft = Draft(AUTHOR_CHAT, 42, "Hello", Audience(AudienceType.ALL), "announcement")

    started = time.perf_counter()
    async with session_factory() as session:
        broadcast = await service.send_now(session, author_id, draft, settings, utcnow())
    prepared = time.perf_counter() - started
    await run_broadcast(
        broadcast.id,
        bot=bot,
        session_factory=session_factory,
        sender=sender,
        settings=settings,
        concurrency=args.concurrency,
    )
    total = time.perf_counter() - started
    async with session_factory() as session:
        done = await service.repo.get(session, broadcast.id)
    await bot.session.close()
    await telegram.stop()
    await engine.dispose()
    temporary.cleanup()

    assert done is not None
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"broadcast to {done.total} recipients on {backend}, send rate {args.rate}/s")
    print(f"  status {done.status}: sent {done.sent}, failed {done.failed}, "
          f"blocked {done.blocked}, unknown {done.unknown}")  # fmt: skip
    print(f"  preparing (recipients + {done.total} delivery rows, one transaction): "
          f"{prepared:.1f} s")  # fmt: skip
    print(f"  total time: {total:.1f} s ({total / 60:.2f} min; goal ≤ 7 min for 10 000)")
    print(f"  achieved rate: {done.sent / (total - prepared):.1f} messages/s while sending")
    print(f"  messages accepted by the fake Telegram: {telegram.accepted} "
          f"(peak {telegram.peak_window} in one second, limit {LIMIT})")  # fmt: skip
    print(f"  429 answers (limit violations): {telegram.violations}")
    print(f"  peak RSS: {peak_kib / 1024:.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=25, help="SEND_RATE, messages a second")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL database of its own")
    asyncio.run(main(parser.parse_args()))
