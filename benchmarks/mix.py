"""One process's own capacity: the load benchmark's realistic mix fed in-process.

The same centre and the same people as benchmarks/load.py (students /schedule and /balance,
teachers saving attendance, admins recording payments), fed straight into the real
Dispatcher with the tests' fake Telegram session: no HTTP, no load generator sharing the
CPU. Prints updates per second (sequential, and with --concurrency people at a time),
the CPU milliseconds per update of each kind and the SQL statements per update;
--profile prints where the time goes, grouped by package and by function.

Usage:
    .venv/bin/python benchmarks/mix.py [--updates 3000] [--concurrency 16] [--profile]
    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/<db> … (an empty database)
"""

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict, deque
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from aiogram.types import Update  # noqa: E402
from loguru import logger  # noqa: E402
from sqlalchemy import event  # noqa: E402

import db.models  # noqa: E402, F401
from benchmarks.load import AdminScript, Script, StudentScript, TeacherScript, seed  # noqa: E402
from bot.delivery import Sender  # noqa: E402
from bot.startup.app import create_dispatcher  # noqa: E402
from db.base import Base  # noqa: E402
from db.engine import create_engine, create_session_factory  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.mocked_bot import MockedBot  # noqa: E402

WEIGHTS = {"student": 0.6, "teacher": 0.25, "admin": 0.15}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


class Mix:
    """Hands out the next update of an idle person, by kind weights (like load.py's Driver)."""

    def __init__(self, scripts: dict[str, deque[Script]], seed_: int = 8) -> None:
        self.scripts = scripts
        self.rng = random.Random(seed_)

    def take(self) -> Script:
        kinds = list(WEIGHTS)
        first = self.rng.choices(kinds, [WEIGHTS[k] for k in kinds])[0]
        for kind in [first, *kinds]:
            if self.scripts[kind]:
                return self.scripts[kind].popleft()
        raise RuntimeError("nobody idle: fewer people than --concurrency")

    def give_back(self, script: Script) -> None:
        self.scripts[script.kind].append(script)


async def run(dispatcher, bot, mix: Mix, updates: int, concurrency: int, stats) -> float:
    left = updates

    async def person_after_person() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            script = mix.take()
            update = Update.model_validate(script.next_update(mix.rng), context={"bot": bot})
            began_cpu, began = time.process_time(), time.perf_counter()
            await dispatcher.feed_update(bot, update)
            stats["cpu"][script.kind].append(time.process_time() - began_cpu)
            stats["wall"][script.kind].append(time.perf_counter() - began)
            mix.give_back(script)
            if len(bot.session.requests) > 1000:  # the fake session keeps every call
                bot.session.requests.clear()
                bot.session.results.clear()

    started = time.perf_counter()
    await asyncio.gather(*(person_after_person() for _ in range(concurrency)))
    sender = dispatcher.workflow_data["sender"]
    await sender.wait_background()
    await dispatcher.workflow_data["usage_tally"].flush()  # the runner does it every 10 s
    return updates / (time.perf_counter() - started)


def report_profile(profile: cProfile.Profile, updates: int) -> None:
    stats = pstats.Stats(profile)
    by_package: Counter[str] = Counter()
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        by_package[package_of(filename)] += tottime
    total = sum(by_package.values())
    print(f"\nwhere the time goes ({total / updates * 1000:.2f} ms per update in all):")
    for package, seconds in by_package.most_common(14):
        print(f"  {package:28} {seconds / updates * 1000:6.3f} ms  {seconds / total:5.1%}")
    print("\ntop functions by own time:")
    stats.sort_stats("tottime").print_stats(25)
    if os.environ.get("PROFILE_OUT"):
        stats.dump_stats(os.environ["PROFILE_OUT"])


def package_of(filename: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if filename.startswith(str(PROJECT)):
        return "project:" + Path(filename).relative_to(PROJECT).parts[0]
    if filename.startswith("<") or filename == "~":
        return "builtins"
    return "stdlib:" + Path(filename).stem


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--only", choices=list(WEIGHTS), help="one kind of person only")
    parser.add_argument("--sql", action="store_true", help="print each distinct statement once")
    args = parser.parse_args()
    logger.remove()
    logger.add(lambda _message: None, level="INFO")  # the INFO line is formatted, as in prod
    problems: Counter[str] = Counter()
    logger.add(lambda message: problems.update([message.record["message"][:120]]), level="WARNING")
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("DATABASE_URL") or f"sqlite+aiosqlite:///{folder}/mix.db"
        engine = create_engine(url)
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.drop_all)
            await connection.run_sync(Base.metadata.create_all)
        centre = await seed(url)
        factory = create_session_factory(engine)
        statements: Counter[str] = Counter()
        seen: set[str] = set()

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def count_statement(_conn, _cursor, statement: str, *_rest: Any) -> None:
            statements[statement.split(None, 1)[0].upper()] += 1
            if args.sql and statement not in seen:
                seen.add(statement)
                print(" ".join(statement.split())[:300])

        settings = make_settings(url, throttle_rate=100)
        sender = Sender(factory, rate=10_000, per_chat_interval=0)
        dispatcher = create_dispatcher(settings, factory, sender=sender)
        bot = MockedBot()
        scripts = {
            "student": deque(StudentScript(s) for s in centre.students),
            "teacher": deque(TeacherScript(t, lessons) for t, lessons in centre.teachers),
            "admin": deque(AdminScript(a, centre.students) for a in centre.admins),
        }
        if args.only:
            scripts = {kind: q if kind == args.only else deque() for kind, q in scripts.items()}
        mix = Mix(scripts)
        warm = {"cpu": defaultdict(list), "wall": defaultdict(list)}
        await run(dispatcher, bot, mix, 300, 1, warm)
        statements.clear()

        print(f"database: {url.split(':')[0]}, {args.updates} updates of the load mix")
        for concurrency in (1, args.concurrency):
            stats = {"cpu": defaultdict(list), "wall": defaultdict(list)}
            profile = cProfile.Profile() if args.profile and concurrency == 1 else None
            if profile:
                profile.enable()
            rate = await run(dispatcher, bot, mix, args.updates, concurrency, stats)
            if profile:
                profile.disable()
            counted = sum(statements.values())
            print(f"\nconcurrency {concurrency}: {rate:.0f} updates/s")
            if concurrency == 1:
                per = {k: f"{v / args.updates:.2f}" for k, v in statements.most_common()}
                print(f"  SQL statements per update: {counted / args.updates:.2f} {per}")
            for kind, wall in sorted(stats["wall"].items()):
                # CPU time is the whole process's: per update only when one runs at a time
                cpu = stats["cpu"][kind]
                cpu_text = (
                    f"CPU mean {sum(cpu) / len(cpu) * 1000:5.2f} ms  " if concurrency == 1 else ""
                )
                print(
                    f"  {kind:8} {len(wall):5d} updates  {cpu_text}"
                    f"wall p50 {percentile(wall, 0.5) * 1000:6.2f} ms"
                    f"  p99 {percentile(wall, 0.99) * 1000:6.2f} ms"
                )
            statements.clear()
            for problem, times in problems.most_common(5):
                print(f"  logged {times} times: {problem}")
            problems.clear()
            if profile:
                report_profile(profile, args.updates)
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
