"""The debtors list, open charges and the balance check over ~2 000 000 ledger rows.

Builds a ledger of `--students` students (each with monthly charges and payments, about
`--rows` rows in all) by bulk insert (sqlite3 executemany / asyncpg COPY), with the running
balances computed as the ledger says, then times through the real services:
  debtors      — ledger.debtors() first page (balances index + days overdue for the page)
  open charges — ledger.open_charges() for that page's students (FIFO over their rows)
  recompute    — ledger.recompute_balances() over the whole ledger (set-based SQL)
On SQLite (a file in a temporary directory) by default; on PostgreSQL with --postgres or
DATABASE_URL=postgresql+asyncpg://… (its tables are dropped and created again: point it at a
database of its own). Usage:
    .venv/bin/python benchmarks/debtors.py [--rows 2000000] [--students 50000] [--postgres URL]
"""

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from sqlalchemy.engine import make_url  # noqa: E402

import db.models  # noqa: E402, F401
from bot.logging import setup_logging  # noqa: E402
from bot.services.payments import ledger  # noqa: E402
from db.base import Base  # noqa: E402
from db.engine import create_engine, create_session_factory  # noqa: E402

TODAY = date(2026, 12, 20)
PAGE = 10
METHODS = ("cash", "card", "transfer", "click", "payme")


def generate(students: int, rows: int, seed: int = 7):
    """(users, charges, payments, balances) as tuples; ids start at 1."""
    rng = random.Random(seed)
    months = max(1, round(rows / students / 1.7))  # ~0.7 payments per charge
    first = date(TODAY.year - (months // 12) - 1, 1, 1)
    periods = []
    day = first
    while len(periods) < months:
        periods.append(day)
        day = (day.replace(day=28) + timedelta(days=5)).replace(day=1)
    periods = periods[-months:]
    now = datetime(2026, 12, 1, tzinfo=UTC)
    users, charges, payments, balances = [], [], [], []
    for sid in range(1, students + 1):
        users.append((sid, f"Student {sid:06d}", "uz", True, now))
        price = rng.choice((300_000, 450_000, 600_000, 800_000))
        owed = 0
        for period in periods:
            charges.append((sid, period, price, period.replace(day=10), now))
            owed += price
        # most pay most of it, some pay it all or more, some fall behind
        share = rng.choice((0.0, 0.5, 0.8, 0.9, 1.0, 1.0, 1.0, 1.05))
        to_pay = int(owed * share)
        count = max(1, round(len(periods) * 0.7))
        paid = 0
        for index in range(count):
            amount = to_pay // count + (to_pay % count if index == 0 else 0)
            if amount <= 0:
                continue
            at = now - timedelta(days=rng.randint(0, 365 * 2), seconds=rng.randint(0, 86_400))
            payments.append((sid, amount, rng.choice(METHODS), at, now))
            paid += amount
        balances.append((sid, paid - owed, now))
    return users, charges, payments, balances


def load_sqlite(path: Path, data) -> None:
    users, charges, payments, balances = data
    fmt = "%Y-%m-%d %H:%M:%S.%f"

    def stamp(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime(fmt)

    connection = sqlite3.connect(path)
    with connection:
        connection.executemany(
            "INSERT INTO users (id, full_name, language, is_active, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [(u[0], u[1], u[2], 1, stamp(u[4])) for u in users],
        )
        connection.executemany(
            "INSERT INTO charges (student_id, period, amount, due_date, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            ((c[0], c[1].isoformat(), c[2], c[3].isoformat(), stamp(c[4])) for c in charges),
        )
        connection.executemany(
            "INSERT INTO payments (student_id, amount, method, paid_at, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            ((p[0], p[1], p[2], stamp(p[3]), stamp(p[4])) for p in payments),
        )
        connection.executemany(
            "INSERT INTO balances (student_id, amount, updated_at) VALUES (?, ?, ?)",
            ((b[0], b[1], stamp(b[2])) for b in balances),
        )
    connection.execute("ANALYZE")
    connection.close()


async def load_postgres(url: str, data) -> None:
    import asyncpg

    users, charges, payments, balances = data
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.copy_records_to_table(
            "users",
            records=users,
            columns=["id", "full_name", "language", "is_active", "created_at"],
        )
        await connection.execute("SELECT setval('users_id_seq', (SELECT max(id) FROM users))")
        await connection.copy_records_to_table(
            "charges",
            records=charges,
            columns=["student_id", "period", "amount", "due_date", "created_at"],
        )
        await connection.copy_records_to_table(
            "payments",
            records=payments,
            columns=["student_id", "amount", "method", "paid_at", "created_at"],
        )
        await connection.copy_records_to_table(
            "balances", records=balances, columns=["student_id", "amount", "updated_at"]
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def timed(label: str, rounds: int, action) -> float:
    times = []
    result = None
    for _ in range(rounds):
        started = time.perf_counter()
        result = await action()
        times.append((time.perf_counter() - started) * 1000)
    median = statistics.median(times)
    print(f"  {label:<32} median {median:9.1f} ms   best {min(times):9.1f} ms  ({rounds} runs)")
    return result


async def bench(url: str, students: int, rows: int) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.run_sync(Base.metadata.create_all)
    started = time.perf_counter()
    data = generate(students, rows)
    ledger_rows = len(data[1]) + len(data[2])
    if url.startswith("sqlite"):
        await engine.dispose()
        load_sqlite(Path(make_url(url).database or ""), data)
        engine = create_engine(url)
    else:
        await load_postgres(url, data)
    print(
        f"{engine.dialect.name}: {students} students, {len(data[1])} charges, "
        f"{len(data[2])} payments = {ledger_rows} ledger rows "
        f"(built in {time.perf_counter() - started:.0f} s)"
    )
    factory = create_session_factory(engine)
    async with factory() as session:

        async def first_page():
            page, total = await ledger.debtors(session, today=TODAY, offset=0, limit=PAGE)
            await session.rollback()
            return page, total

        page, total = await timed("debtors() first page", 7, first_page)
        print(
            f"    {total} debtors; largest debt {page[0].debt:,} so'm, {page[0].days_overdue} days"
        )

        async def middle_page():
            await ledger.debtors(session, today=TODAY, offset=total // 2, limit=PAGE)
            await session.rollback()

        await timed("debtors() a middle page", 5, middle_page)
        ids = [item.student_id for item in page]

        async def page_open():
            charges = await ledger.open_charges(session, student_ids=ids)
            await session.rollback()
            return charges

        charges = await timed("open_charges() of one page", 7, page_open)
        print(f"    {len(charges)} open charges for {len(ids)} students")

        async def check():
            return await ledger.recompute_balances(session)

        differences = await timed("recompute_balances()", 3, check)
        print(f"    {len(differences)} differences")
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--students", type=int, default=50_000)
    parser.add_argument("--postgres", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    setup_logging("WARNING")
    if args.postgres and args.postgres.startswith("postgresql"):
        asyncio.run(bench(args.postgres, args.students, args.rows))
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'debtors.db'}"
        asyncio.run(bench(url, args.students, args.rows))


if __name__ == "__main__":
    main()
