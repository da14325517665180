"""Importing a 5 000-row people file (issue 19): each row a student with a parent.

Timed over --runs runs (min / median / max, ms), each run on an empty centre:
  read       — the XLSX read and its rows parsed (openpyxl read-only, values only), in a
               worker thread as the bot does it;
  dry run    — the centre loaded and the rows matched (nothing written);
  apply      — matched again and written in one transaction: 10 000 people, their roles,
               5 000 parent links, 10 000 invitations, the batch's items, the audit entry;
  again      — the same file's dry run on the centre it filled (everybody found);
  undo       — the batch undone (everything it created removed);
  links xlsx — the 10 000 invitation links' spreadsheet, in a worker thread.
Meanwhile a task wakes every 5 ms as another user's update would: its lateness (p99, max)
over the read, the dry run and the apply says how long the bot could not answer anyone.
And the process's peak RSS. Goals (issue 19): dry run ≤ 5 s, apply ≤ 10 s, RSS ≤ 400 MB.

Usage:
    .venv/bin/python benchmarks/import.py [--rows 5000] [--runs 3] [--postgres URL]
        [--no-sqlite]
"""

import argparse
import asyncio
import io
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from openpyxl import Workbook  # noqa: E402

from bot.services import imports as imports_service  # noqa: E402
from bot.services.imports import people, sheets  # noqa: E402
from db.base import Base  # noqa: E402
from db.engine import create_engine  # noqa: E402

NOW = datetime(2026, 12, 20, 9, 0, tzinfo=UTC)
FIRST = ["Ali", "Vali", "Laylo", "Sardor", "Dilnoza", "Bobur", "Zuhra", "Jasur", "Malika", "Aziz"]
LAST = ["Valiyev", "Karimov", "Aliyev", "Rashidov", "Yusupov", "Nazarov", "Tursunov", "Qodirov"]
TITLES = {column.key: [] for column in people.COLUMNS}  # the keys themselves are the header


def letters(number: int) -> str:
    """A number as a made-up word (names hold no digits): 0 → Ba, 1 → Be, …"""
    syllables = [c + v for c in "bdgklmnrstz" for v in "aeiou"]
    word = ""
    while True:
        number, rest = divmod(number, len(syllables))
        word += syllables[rest]
        if not number:
            return word.capitalize()


def people_file(rows: int, seed: int = 19) -> bytes:
    rng = random.Random(seed)
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append([column.key for column in people.COLUMNS])
    for number in range(rows):
        born = date(2008, 1, 1) + timedelta(days=rng.randrange(3650))
        family = rng.choice(LAST)
        sheet.append(
            [
                f"{rng.choice(FIRST)} {letters(number)} {family}",
                f"+998 90 {number // 10000:03d} {number // 100 % 100:02d} {number % 100:02d}",
                born.strftime("%d.%m.%Y"),
                rng.choice(["uz", "ru", "en"]),
                f"{rng.choice(FIRST)} {letters(number)} {family}ova",
                f"93 {number // 10000:03d} {number // 100 % 100:02d} {number % 100:02d}",
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class Lag:
    """How late a 5 ms timer fires while the import runs (the event loop held up)."""

    def __init__(self) -> None:
        self.late: list[float] = []
        self.worst: dict[str, float] = {}  # phase → the latest wake-up in it
        self.phase = ""
        self.task: asyncio.Task[None] | None = None

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + 0.005
            await asyncio.sleep(0.005)
            late = max(0.0, loop.time() - due)
            self.late.append(late)
            self.worst[self.phase] = max(self.worst.get(self.phase, 0.0), late)

    def __enter__(self) -> "Lag":
        self.task = asyncio.get_running_loop().create_task(self._watch())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.task is not None
        self.task.cancel()


async def one_run(url: str, data: bytes, lag: Lag) -> dict[str, float]:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.run_sync(Base.metadata.create_all)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    times: dict[str, float] = {}

    with lag:
        return await _timed(sessions, data, times, engine, lag)


async def _timed(sessions, data, times, engine, lag) -> dict[str, float]:  # type: ignore[no-untyped-def]
    lag.phase = "read"
    started = time.perf_counter()
    parsed = await asyncio.to_thread(
        imports_service.read_people, data, TITLES, region="UZ", today=NOW.date()
    )
    times["read"] = time.perf_counter() - started
    assert len(parsed.rows) == parsed.total and not parsed.issues, parsed.issues[:3]
    async with sessions() as session:
        started = time.perf_counter()
        lag.phase = "dry run"
        plan = await people.dry_run(session, parsed, default_language="uz")
        times["dry run"] = time.perf_counter() - started
        assert plan.counts["create"] == len(parsed.rows), plan.counts
        await session.rollback()
    async with sessions() as session:
        started = time.perf_counter()
        lag.phase = "apply"
        result = await people.apply(
            session,
            None,
            parsed,
            file_name="bench.xlsx",
            digest="0" * 64,  # type: ignore[arg-type]
            default_language="uz",
            now=NOW,
        )
        times["apply"] = time.perf_counter() - started
        assert result.outcome is people.Applied.DONE
    lag.phase = "links xlsx"
    started = time.perf_counter()
    table = sheets.Table(
        "Invitations",
        ["name", "phone", "role", "child", "link"],
        [
            [i.name, i.phone, i.role.value, i.child, f"https://t.me/bot?start={i.code}"]
            for i in result.invited
        ],
    )
    await asyncio.to_thread(sheets.workbook, [table])
    times["links xlsx"] = time.perf_counter() - started
    async with sessions() as session:
        started = time.perf_counter()
        lag.phase = "again"
        again = await people.dry_run(session, parsed, default_language="uz")
        times["again"] = time.perf_counter() - started
        assert again.counts["unchanged"] == len(parsed.rows), again.counts
        await session.rollback()
    async with sessions() as session:
        started = time.perf_counter()
        lag.phase = "undo"
        undone = await people.undo(session, None, result.batch_id or 0, NOW)  # type: ignore[arg-type]
        times["undo"] = time.perf_counter() - started
        assert undone.removed == 2 * len(parsed.rows), undone
    await engine.dispose()
    return times


def report(name: str, runs: list[dict[str, float]]) -> None:
    print(f"\n{name}")
    for key in runs[0]:
        values = sorted(run[key] * 1000 for run in runs)
        print(
            f"  {key:<10} min {values[0]:8.0f}  median {statistics.median(values):8.0f}"
            f"  max {values[-1]:8.0f} ms"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", help="postgresql+asyncpg://… (a database of its own)")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    data = people_file(args.rows)
    print(f"people file: {args.rows} rows, {len(data) / 1024:.0f} KB")
    targets = []
    if not args.no_sqlite:
        folder = tempfile.mkdtemp(prefix="educrm-import-")
        targets.append(("SQLite", f"sqlite+aiosqlite:///{folder}/bench.db"))
    if args.postgres:
        targets.append(("PostgreSQL", args.postgres))
    for name, url in targets:
        lag = Lag()
        runs = [await one_run(url, data, lag) for _ in range(args.runs)]
        report(name, runs)
        late = sorted(lag.late)
        p99 = late[int(len(late) * 0.99)] * 1000
        print(f"  event loop held up: p99 {p99:.0f} ms, max {late[-1] * 1000:.0f} ms")
        worst = ", ".join(f"{k} {v * 1000:.0f}" for k, v in lag.worst.items())
        print(f"  the latest wake-up by step (ms): {worst}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
