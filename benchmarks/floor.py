"""The floor: what aiogram itself costs per update on this machine, before any of our code.

A bare Dispatcher with one handler that answers, fed the same kind of update as the load
mix, in-process with the tests' fake Telegram session (no HTTP) — and the same with the
JSON of the update parsed first, as the webhook does. A process cannot handle more
updates per second than the inverse of these figures, whatever the bot does on top.

Usage: .venv/bin/python benchmarks/floor.py [--updates 20000]
"""

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from aiogram import Dispatcher, Router  # noqa: E402
from aiogram.filters import Command  # noqa: E402
from aiogram.types import Message, Update  # noqa: E402

from tests.mocked_bot import MockedBot  # noqa: E402

CHATS = 300


def chat_of(number: int) -> int:
    return 1000 + number % CHATS


def update_json(number: int) -> str:
    return json.dumps(
        {
            "update_id": number,
            "message": {
                "message_id": number,
                "date": int(time.time()),
                "chat": {"id": chat_of(number), "type": "private", "first_name": "S"},
                "from": {"id": chat_of(number), "is_bot": False, "first_name": "S"},
                "text": "/schedule",
            },
        }
    )


async def measure(label: str, dispatcher: Dispatcher, bot: MockedBot, updates: int) -> None:
    payloads = [update_json(n) for n in range(1, updates + 1)]
    began_cpu, began = time.process_time(), time.perf_counter()
    for payload in payloads:
        update = Update.model_validate(json.loads(payload), context={"bot": bot})
        await dispatcher.feed_update(bot, update)
        if len(bot.session.requests) > 1000:
            bot.session.requests.clear()
            bot.session.results.clear()
    cpu = (time.process_time() - began_cpu) / updates
    wall = time.perf_counter() - began
    print(f"{label:44} {cpu * 1000:6.3f} ms CPU per update  ({updates / wall:6.0f} updates/s)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=20000)
    args = parser.parse_args()

    silent = Dispatcher()
    silent_router = Router()

    @silent_router.message(Command("schedule"))
    async def nothing(message: Message) -> None:
        return None

    silent.include_router(silent_router)

    answering = Dispatcher()
    answering_router = Router()

    @answering_router.message(Command("schedule"))
    async def answer(message: Message) -> None:
        await message.answer("📅 <b>Schedule</b>\nMon 14:00 G1 A1, room 101")

    answering.include_router(answering_router)

    bot = MockedBot()
    for dispatcher in (silent, answering):  # warm-up: pydantic and aiogram build caches
        await measure("warm-up", dispatcher, bot, 500)
    print("aiogram alone, one handler, no database, no HTTP:")
    await measure("parse + dispatch, handler does nothing", silent, bot, args.updates)
    await measure("parse + dispatch + one answer (fake session)", answering, bot, args.updates)


if __name__ == "__main__":
    asyncio.run(main())
