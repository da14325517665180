"""The floor over HTTP: aiogram's webhook server and one answer per update, none of our code.

The same path as `benchmarks/load.py --mode webhook`, on the same machine: a load generator
POSTs updates to a bare aiogram webhook process (uvloop, no access log, one handler that
answers with one sendMessage) and the fake Bot API server takes the answers. It keeps
--concurrency updates in flight for --seconds and prints updates per second and the CPU
each process spent per update. No bot built on aiogram answers faster over HTTP on this
machine than this; what the real bot adds on top is in load.py's figures.

Usage: .venv/bin/python benchmarks/http_floor.py [--seconds 10] [--concurrency 64]
"""

import argparse
import asyncio
import sys
import time
from itertools import count
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

import aiohttp  # noqa: E402

from benchmarks.floor import chat_of, update_json  # noqa: E402
from benchmarks.load import SECRET, cpu_seconds, free_port  # noqa: E402
from tests.fake_bot_api import FakeBotApi  # noqa: E402
from tests.mocked_bot import BOT_TOKEN  # noqa: E402


async def serve(port: int, api_url: str) -> None:
    """The bare bot: webhook in, one sendMessage out per update."""
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.filters import Command
    from aiogram.types import Message
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler
    from aiohttp import web

    bot = Bot(BOT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    dispatcher = Dispatcher()

    @dispatcher.message(Command("schedule"))
    async def answer(message: Message) -> None:
        await message.answer("📅 <b>Schedule</b>\nMon 14:00 G1 A1, room 101")

    app = web.Application()
    SimpleRequestHandler(dispatcher, bot, secret_token=SECRET).register(app, path="/telegram")
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print("ready", flush=True)
    await asyncio.Event().wait()


async def drive(seconds: float, concurrency: int) -> None:
    waiting: dict[int, asyncio.Future] = {}

    def on_call(method: str, params: dict[str, Any]) -> None:
        future = waiting.pop(int(params.get("chat_id", 0)), None)
        if method == "sendMessage" and future is not None and not future.done():
            future.set_result(None)

    api = FakeBotApi(keep_calls=False, on_call=on_call)
    await api.start()
    port = free_port()
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", str(port), api.url,
        cwd=PROJECT, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert child.stdout is not None
    await child.stdout.readline()  # "ready"
    url = f"http://127.0.0.1:{port}/telegram"
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    numbers = count(1)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as http:

        async def worker(deadline: float, answered: list[int]) -> None:
            while time.perf_counter() < deadline:
                number = next(numbers)
                while chat_of(number) in waiting:  # one update per chat in flight
                    number = next(numbers)
                future = waiting[chat_of(number)] = asyncio.get_running_loop().create_future()
                async with http.post(url, data=update_json(number), headers=headers):
                    pass
                await asyncio.wait_for(future, 15)
                answered[0] += 1

        for phase, length in (("warm-up", 2.0), ("measured", seconds)):
            answered = [0]
            bot_cpu, own_cpu = cpu_seconds(child.pid), time.process_time()
            began = time.perf_counter()
            deadline = began + length
            await asyncio.gather(*(worker(deadline, answered) for _ in range(concurrency)))
            elapsed = time.perf_counter() - began
            if phase == "measured":
                done = max(1, answered[0])
                print("aiogram alone over HTTP (webhook in, one sendMessage out), no database:")
                print(f"  sustained updates/s              {done / elapsed:8.0f}")
                per_update = (cpu_seconds(child.pid) - bot_cpu) / done * 1000
                print(f"  bot process CPU per update, ms   {per_update:8.3f}")
                driver = (time.process_time() - own_cpu) / done * 1000
                print(f"  generator + fake API CPU, ms     {driver:8.3f}")
    child.kill()
    await child.wait()
    await api.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "API_URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        import uvloop

        uvloop.run(serve(int(args.serve[0]), args.serve[1]))
    else:
        asyncio.run(drive(args.seconds, args.concurrency))


if __name__ == "__main__":
    main()
