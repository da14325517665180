"""In-process cost of one update through the real Dispatcher, middlewares and database.

Feeds /help (a read: user load, consent, reply) and a button press that writes (the
/settings toggle: consent history + audit) from many users, on SQLite or PostgreSQL
(DATABASE_URL=postgresql+asyncpg://…), with the fake Telegram session of the tests.
Prints updates per second and latency percentiles. Usage:
    .venv/bin/python benchmarks/dispatch.py [--users 200] [--rounds 5]
"""

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from loguru import logger  # noqa: E402

import db.models  # noqa: E402, F401
from bot.logging import setup_logging  # noqa: E402
from bot.startup.app import create_dispatcher  # noqa: E402
from db.base import Base  # noqa: E402
from db.engine import create_engine, create_session_factory  # noqa: E402
from tests.chat import ChatClient, Person  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.factories import make_user  # noqa: E402
from tests.mocked_bot import MockedBot  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(client: ChatClient, people: list[Person], rounds: int, press: bool):
    latencies = []
    started = time.perf_counter()
    for _ in range(rounds):
        for person in people:
            begin = time.perf_counter()
            if press:
                await client.press(person, "st:toggle:analytics")
            else:
                await client.send(person, "/help")
            latencies.append((time.perf_counter() - begin) * 1000)
    elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    setup_logging("WARNING")
    logger.remove()
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("DATABASE_URL") or f"sqlite+aiosqlite:///{folder}/bench.db"
        engine = create_engine(url)
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.drop_all)
            await connection.run_sync(Base.metadata.create_all)
        factory = create_session_factory(engine)
        people = [Person(id=10_000 + i, first_name=f"S{i}") for i in range(args.users)]
        async with factory() as session:
            for person in people:
                await make_user(session, person)
        settings = make_settings(url, throttle_rate=100)
        client = ChatClient(MockedBot(), create_dispatcher(settings, factory))
        await measure(client, people[:20], 1, press=False)  # warm-up
        print(f"database: {url.split(':')[0]}, users: {args.users}, rounds: {args.rounds}")
        for label, press in (("/help (read)", False), ("settings toggle (write)", True)):
            rate, latencies = await measure(client, people, args.rounds, press)
            p50, p95, p99 = (percentile(latencies, share) for share in (0.5, 0.95, 0.99))
            print(
                f"{label:26} {rate:7.0f} updates/s"
                f"  p50 {p50:5.2f} ms  p95 {p95:5.2f} ms  p99 {p99:5.2f} ms"
            )
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
