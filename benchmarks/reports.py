"""Every report of /reports on a synthetic large centre: summary, PNG and XLSX times, peak RSS.

The centre (at --scale 1, the default): 20 000 students, 1 000 groups, 2 years of lessons
(2025–2026, three a week) with attendance (≈ 5 million marks), ≈ 2 million ledger rows
(charges, payments in instalments, reversals, refunds) and the balances they make, leads.
It is built once by bulk insert (SQLAlchemy Core executemany in batches on SQLite, with the
journal off while building; COPY on PostgreSQL) and kept: a SQLite file in --cache-dir, or
the PostgreSQL database given (its schema is dropped and made again: point it at a database
of its own). A later run with the same scale, seed and tables reuses it; the models' indexes
are brought in line with the code on every run, so an index added is measured at once.

For every report in REPORTS and every case in CASES (a period and a filter) it prints, over
--runs runs (min / median / max, in ms), the time the bot takes
  summary — resolve the filter, build the report (its SQL), write the summary text;
  PNG      — the chart's words and render_png (matplotlib Agg);
  XLSX     — what only the sheets show (a report's `details`: its SQL), the sheets' words
             and render_xlsx (openpyxl);
and the peak resident memory while doing it (VmHWM, reset before each case; the figure in
brackets is the rise over the process before the case). Each report runs in a process of
its own, so one report's memory does not count against the next. Goals (issue 17): summary
≤ 300 ms, PNG ≤ 1 s, XLSX ≤ 2 s, RSS ≤ 400 MB; a median over its goal is marked ✗.
Usage:
    .venv/bin/python benchmarks/reports.py [--scale 1] [--runs 3] [--postgres URL]
        [--no-sqlite] [--cache-dir DIR] [--report finance ...]
"""

import argparse
import asyncio
import hashlib
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from sqlalchemy import create_engine, inspect, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import db.models  # noqa: E402, F401
from db.base import Base  # noqa: E402

# --- the reports and the cases measured ------------------------------------------------------

# name printed → the report's key in handlers.admin.reports.menu.KINDS. A new report is one
# line here.
REPORTS = {
    "finance": "fin",
    "attendance": "att",
    "retention": "ret",
    "leads": "lea",
    "teachers": "tch",
    "profit": "pnl",
}

TZ = ZoneInfo("Asia/Tashkent")
START, END, TODAY = date(2025, 1, 1), date(2026, 12, 31), date(2026, 12, 20)


@dataclass(frozen=True, slots=True)
class Case:
    label: str
    period: str  # a Period token
    scope: str  # a Scope token; "t*" is the teacher with the most groups


CASES = (
    Case("this month · centre", "m202612", "c"),
    Case("this year · centre", "y2026", "c"),
    Case("2 years · centre", "r20250101-20261231", "c"),
    Case("this year · a teacher", "y2026", "t*"),
)

GOALS_MS = {"summary": 300, "png": 1000, "xlsx": 2000}
GOAL_RSS_MB = 400

# --- the synthetic centre ---------------------------------------------------------------------

GENERATOR_VERSION = 3  # bump when the generated data changes
BATCH = 50_000
METHODS = (("cash", 35), ("card", 20), ("transfer", 5), ("click", 20), ("payme", 15))
METHODS += (("telegram", 5),)
MARKS = (("present", 85), ("absent", 8), ("late", 5), ("excused", 2))
SOURCES = ("bot", "instagram", "telegram", "referral", "walk-in", "phone")
LEAD_STATUSES = (("new", 15), ("contacted", 25), ("trial", 15), ("enrolled", 25), ("lost", 20))
COLUMNS = {
    "users": ("id", "full_name", "language"),
    "role_assignments": ("id", "user_id", "role"),
    "courses": ("id", "name", "monthly_price"),
    "groups": (
        "id",
        "course_id",
        "teacher_id",
        "name",
        "start_date",
        "end_date",
        "capacity",
        "status",
    ),
    "enrolments": (
        "id",
        "student_id",
        "group_id",
        "joined_on",
        "left_on",
        "discount_percent",
        "status",
        "created_at",
    ),
    "enrolment_freezes": ("id", "enrolment_id", "starts_on", "ends_on", "created_at"),
    "lessons": ("id", "group_id", "starts_at", "duration_minutes", "status"),
    "attendance": ("id", "lesson_id", "student_id", "status", "marked_by_id", "marked_at"),
    "charges": ("id", "student_id", "enrolment_id", "period", "amount", "due_date", "cancelled_at"),
    "payments": ("id", "student_id", "amount", "method", "paid_at", "reversed_at"),
    "refunds": ("id", "student_id", "amount", "method", "reason", "refunded_at"),
    "balances": ("id", "student_id", "amount", "updated_at"),
    "leads": (
        "id",
        "user_id",
        "name",
        "phone",
        "course_id",
        "source",
        "status",
        "created_at",
        "updated_at",
    ),
    # the built-in categories (ids 1-5) are seeded with the table
    "expenses": ("id", "category_id", "amount", "spent_on", "note", "reversed_at", "created_at"),
}


@dataclass(frozen=True, slots=True)
class Size:
    students: int
    groups: int
    teachers: int
    courses: int
    ledger_rows: int
    leads: int
    expenses_a_month: int

    @classmethod
    def at(cls, scale: float) -> "Size":
        return cls(
            students=max(40, round(20_000 * scale)),
            groups=max(4, round(1_000 * scale)),
            teachers=max(2, round(70 * scale)),
            courses=max(2, min(24, round(24 * scale**0.5))),
            ledger_rows=max(1_000, round(2_000_000 * scale)),
            leads=max(50, round(30_000 * scale)),
            expenses_a_month=max(5, round(60 * scale)),
        )


def pick(rng: random.Random, weighted) -> str:
    return rng.choices([name for name, _ in weighted], [w for _, w in weighted])[0]


def moment(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, clock(hour, minute), tzinfo=TZ).astimezone(UTC)


def month_starts(first: date, last: date) -> Iterator[date]:
    month = first.replace(day=1)
    while month <= last:
        yield month
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)


@dataclass(slots=True)
class Seat:
    """One enrolment as planned: (id, student, joined, left or None, freeze or None)."""

    id: int
    group_id: int
    student_id: int
    joined: date
    left: date | None
    freeze: tuple[date, date | None] | None
    discount: int


class Centre:
    """The rows of the centre, table by table in batches, parents before children."""

    def __init__(self, size: Size, seed: int) -> None:
        self.size, self.rng = size, random.Random(seed)
        self.counts: dict[str, int] = {}
        self.prices: dict[int, int] = {}
        self.teacher_ids = range(size.students + 1, size.students + size.teachers + 1)

    def rows(self) -> Iterator[tuple[str, list[tuple]]]:
        buffers: dict[str, list[tuple]] = {name: [] for name in COLUMNS}

        def full(final: bool = False) -> Iterator[tuple[str, list[tuple]]]:
            """The batches due, with every table before them in COLUMNS (their parents)."""
            names = list(buffers)
            due = [i for i, name in enumerate(names) if len(buffers[name]) >= BATCH]
            last = len(names) - 1 if final else max(due, default=-1)
            for name in names[: last + 1]:
                if buffers[name]:
                    self.counts[name] = self.counts.get(name, 0) + len(buffers[name])
                    yield name, buffers[name]
                    buffers[name] = []

        for name, row in self._people():
            buffers[name].append(row)
        groups = self._groups()
        buffers["groups"] = [group[:-2] for group in groups]
        seats = self._seats(groups)
        for group_seats in seats.values():
            for seat in group_seats:
                buffers["enrolments"].append(_enrolment_row(seat))
                if seat.freeze:
                    starts, ends = seat.freeze
                    buffers["enrolment_freezes"].append(
                        (seat.id, seat.id, starts, ends, moment(starts, 9))
                    )
        yield from full(final=True)  # every parent before its children
        lesson_id = mark_id = 0
        for group in groups:
            for name, row in self._lessons(group, seats[group[0]], lesson_id, mark_id):
                buffers[name].append(row)
                if name == "lessons":
                    lesson_id = row[0]
                else:
                    mark_id = row[0]
            yield from full()
        yield from self._ledger(groups, seats, buffers, full)
        for row in self._leads():
            buffers["leads"].append(row)
        buffers["expenses"] = list(self._expenses())
        yield from full(final=True)

    def _people(self) -> Iterator[tuple[str, tuple]]:
        size, rng = self.size, self.rng
        for sid in range(1, size.students + 1):
            yield "users", (sid, f"Student {sid:05d}", rng.choice(("uz", "uz", "ru", "en")))
            yield "role_assignments", (sid, sid, "student")
        for number, tid in enumerate(self.teacher_ids, 1):
            yield "users", (tid, f"Teacher {number:03d}", "uz")
            yield "role_assignments", (tid, tid, "teacher")
        for cid in range(1, size.courses + 1):
            self.prices[cid] = rng.choice(range(300_000, 950_000, 50_000))
            yield "courses", (cid, f"Course {cid:02d}", self.prices[cid])

    def _groups(self) -> list[tuple]:
        """(id, course, teacher, name, start, end, capacity, status, price, weekdays)."""
        rng, groups = self.rng, []
        for gid in range(1, self.size.groups + 1):
            course = rng.randint(1, self.size.courses)
            kind = rng.random()
            start, end = START - timedelta(days=rng.randint(0, 365)), None
            if kind < 0.1:  # started within the two years
                start = START + timedelta(days=rng.randint(30, 600))
            elif kind < 0.2:  # finished within them
                end = START + timedelta(days=rng.randint(120, 700))
            status = "finished" if end else "active"
            weekdays = rng.choice(((0, 2, 4), (1, 3, 5)))
            groups.append(
                (
                    gid,
                    course,
                    rng.choice(self.teacher_ids),
                    f"G-{gid:04d}",
                    start,
                    end,
                    24,
                    status,
                    self.prices[course],
                    weekdays,
                )
            )
        return groups

    def _seats(self, groups: list[tuple]) -> dict[int, list[Seat]]:
        """Each group's 13–24 seats, each a chain of enrolments one after another."""
        rng, seats, next_id = self.rng, {}, 0
        order = list(range(1, self.size.students + 1))
        rng.shuffle(order)
        for gid, _course, _teacher, _name, start, end, *_rest in groups:
            group_seats: list[Seat] = []
            last = min(end or TODAY, TODAY)
            for _seat in range(rng.randint(13, 24)):
                joined = max(start, START - timedelta(days=rng.randint(0, 200)))
                while joined <= last:
                    left: date | None = joined + timedelta(days=rng.randint(60, 540))
                    if left > last:
                        left = end if end else None
                    freeze = None
                    if rng.random() < 0.04:
                        starts = joined + timedelta(days=rng.randint(20, 50))
                        ends: date | None = starts + timedelta(days=rng.randint(14, 42))
                        if starts > TODAY or (left and starts >= left):
                            starts = None  # type: ignore[assignment]
                        elif ends > TODAY:  # type: ignore[operator]
                            ends = None
                        freeze = (starts, ends) if starts else None
                    next_id += 1
                    student = order[next_id % len(order)]
                    discount = rng.choice((0,) * 17 + (10, 20, 50))
                    group_seats.append(Seat(next_id, gid, student, joined, left, freeze, discount))
                    if left is None:
                        break
                    joined = left + timedelta(days=rng.randint(1, 30))
            seats[gid] = group_seats
        return seats

    def _lessons(self, group: tuple, seats: list[Seat], lesson_id: int, mark_id: int):
        rng = self.rng
        gid, _course, teacher, _name, start, end, *_rest, weekdays = group
        hour = rng.randint(8, 19)
        day, last = max(start, START), min(end or END, END)
        active = sorted(seats, key=lambda seat: seat.joined)
        while day <= last:
            if day.weekday() in weekdays:
                lesson_id += 1
                starts_at = moment(day, hour)
                roll = rng.random()
                status = "scheduled"
                if day <= TODAY:
                    status = "cancelled" if roll < 0.02 else "scheduled" if roll < 0.05 else "held"
                yield "lessons", (lesson_id, gid, starts_at, 90, status)
                if status == "held":
                    marked_at = starts_at + timedelta(minutes=80)
                    marked = set()  # a small centre may seat a student twice in a group
                    for seat in active:
                        if seat.joined > day:
                            break
                        if (seat.left is not None and seat.left < day) or _frozen(seat, day):
                            continue
                        if seat.student_id in marked:
                            continue
                        marked.add(seat.student_id)
                        mark_id += 1
                        yield (
                            "attendance",
                            (
                                (
                                    mark_id,
                                    lesson_id,
                                    seat.student_id,
                                    pick(rng, MARKS),
                                    teacher,
                                    marked_at,
                                )
                            ),
                        )
            day += timedelta(days=1)

    def _ledger(self, groups, seats, buffers, full):
        """Charges a month per enrolment, paid in instalments so that the ledger has about
        `ledger_rows` rows; 1 % of payments reversed (and paid again), some refunds."""
        rng = self.rng
        price = {group[0]: group[8] for group in groups}
        months = {
            seat.id: [m for m in month_starts(max(seat.joined, START), seat.left or TODAY)]
            for group_seats in seats.values()
            for seat in group_seats
        }
        charges = sum(len(found) for found in months.values())
        per_charge = max(1.0, (self.size.ledger_rows - charges) / max(1, charges) / 0.9)
        balance: dict[int, int] = {}
        charge_id = payment_id = refund_id = 0
        end_of_today = moment(TODAY, 23, 59)
        for gid, group_seats in seats.items():
            for seat in group_seats:
                monthly = price[gid] * (100 - seat.discount) // 100
                owner = seat.student_id
                for period in months[seat.id]:
                    if _frozen(seat, period.replace(day=15)):
                        continue
                    charge_id += 1
                    due = period + timedelta(days=9)
                    cancelled = rng.random() < 0.01
                    buffers["charges"].append(
                        (
                            charge_id,
                            owner,
                            seat.id,
                            period,
                            monthly,
                            due,
                            moment(due, 12) if cancelled else None,
                        )
                    )
                    if cancelled:
                        continue
                    balance[owner] = balance.get(owner, 0) - monthly
                    roll = rng.random()
                    share = 1.0 if roll < 0.8 else 0.0 if roll < 0.88 else rng.uniform(0.3, 0.9)
                    to_pay = int(monthly * share)
                    count = int(per_charge) + (rng.random() < per_charge % 1)
                    count = max(1, min(count, to_pay))
                    for index in range(count if to_pay else 0):
                        amount = to_pay // count + (to_pay % count if index == 0 else 0)
                        paid_at = moment(period, 10) + timedelta(
                            days=rng.randint(0, 40), seconds=rng.randint(0, 36_000)
                        )
                        if paid_at > end_of_today:
                            continue
                        method = pick(rng, METHODS)
                        payment_id += 1
                        if rng.random() < 0.01:  # a mistake: reversed, then paid again
                            reversed_at = paid_at + timedelta(hours=rng.randint(1, 72))
                            buffers["payments"].append(
                                (payment_id, owner, amount, method, paid_at, reversed_at)
                            )
                            payment_id += 1
                            paid_at = reversed_at + timedelta(minutes=5)
                        buffers["payments"].append(
                            (payment_id, owner, amount, method, paid_at, None)
                        )
                        balance[owner] = balance.get(owner, 0) + amount
                if seat.left and seat.left < TODAY - timedelta(days=5) and rng.random() < 0.2:
                    refund_id += 1
                    amount = max(1, monthly // 2)
                    buffers["refunds"].append(
                        (
                            refund_id,
                            owner,
                            amount,
                            "cash",
                            "left the group",
                            moment(seat.left + timedelta(days=3), 15),
                        )
                    )
                    balance[owner] = balance.get(owner, 0) - amount
                yield from full()
        now = moment(TODAY, 23)
        for number, (owner, amount) in enumerate(sorted(balance.items()), 1):
            buffers["balances"].append((number, owner, amount, now))

    def _leads(self) -> Iterator[tuple]:
        rng, span = self.rng, (END - START).days
        for lid in range(1, self.size.leads + 1):
            created = moment(START + timedelta(days=rng.randint(0, span)), rng.randint(8, 21))
            status = pick(rng, LEAD_STATUSES)
            if created > moment(TODAY, 23):
                created, status = moment(TODAY, 9), "new"
            updated = None if status == "new" else created + timedelta(days=rng.randint(0, 40))
            user = rng.randint(1, self.size.students) if status == "enrolled" else None
            yield (
                (
                    lid,
                    user,
                    f"Lead {lid:05d}",
                    f"+99890{lid:07d}",
                    rng.randint(1, self.size.courses),
                    rng.choice(SOURCES),
                    status,
                    created,
                    updated,
                )
            )

    def _expenses(self) -> Iterator[tuple]:
        """Rent on the 5th, then the month's other expenses on random days; one in 50 reversed."""
        rng, number = self.rng, 0
        for month in month_starts(START, END):
            for index in range(self.size.expenses_a_month):
                number += 1
                day = month.replace(day=5 if index == 0 else rng.randint(1, 28))
                if day > TODAY:
                    return
                amount = 12_000_000 if index == 0 else rng.randrange(50_000, 3_000_000, 10_000)
                category = 1 if index == 0 else rng.randint(2, 5)
                undone = moment(day, 18) if rng.random() < 0.02 else None
                row = (number, category, amount, day, f"Expense {number}", undone, moment(day, 17))
                yield row


def _frozen(seat: Seat, day: date) -> bool:
    if seat.freeze is None:
        return False
    starts, ends = seat.freeze
    return starts <= day and (ends is None or day < ends)


def _enrolment_row(seat: Seat) -> tuple:
    if seat.left is not None and seat.left <= TODAY:
        status = "left"
    elif seat.freeze and seat.freeze[1] is None:
        status = "frozen"
    else:
        status = "active"
    return (
        seat.id,
        seat.student_id,
        seat.group_id,
        seat.joined,
        seat.left,
        seat.discount,
        status,
        moment(seat.joined, 9),
    )


# --- building and keeping the centre -----------------------------------------------------------

META = "benchmark_centre"


def fingerprint(scale: float, seed: int) -> str:
    """Changes with the data asked for and with the generated tables' columns (not their
    indexes, which `sync_indexes` brings in line without rebuilding; a table the centre
    does not fill is made by `sync_tables`)."""
    tables = {
        name: [(c.name, str(c.type), c.nullable) for c in Base.metadata.tables[name].columns]
        for name in sorted(COLUMNS)
    }
    source = json.dumps([GENERATOR_VERSION, scale, seed, tables], default=str)
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def stored_fingerprint(connection) -> str | None:
    if not inspect(connection).has_table(META):
        return None
    return connection.execute(text(f"SELECT value FROM {META} WHERE key = 'fp'")).scalar()


def sync_tables(connection) -> list[str]:
    """Make the models' tables the centre was built without (tables it does not fill)."""
    present = set(inspect(connection).get_table_names())
    missing = [table for table in Base.metadata.sorted_tables if table.name not in present]
    Base.metadata.create_all(connection, tables=missing)
    return [f"+table {table.name}" for table in missing]


def sync_totals(connection) -> list[str]:
    """Count the reports' maintained totals (db.report_totals) as the bot keeps them, once for
    the centre and again whenever the way they are counted changes."""
    from db import report_totals

    source = Path(report_totals.__file__).read_bytes()
    wanted = hashlib.sha256(source + TZ.key.encode()).hexdigest()[:16]
    query = text(f"SELECT value FROM {META} WHERE key = 'totals'")
    if connection.execute(query).scalar() == wanted:
        return []
    started = time.perf_counter()
    report_totals.rebuild(connection, TZ)
    report_totals.ensure_zone(connection, TZ.key)
    connection.execute(text(f"DELETE FROM {META} WHERE key = 'totals'"))
    connection.execute(text(f"INSERT INTO {META} VALUES ('totals', :fp)"), {"fp": wanted})
    return [f"totals counted in {time.perf_counter() - started:.0f} s"]


def sync_indexes(connection) -> list[str]:
    """Create the models' indexes missing from the database and drop those the models no
    longer have (the centre outlives a change of indexes)."""
    changes = []
    found = inspect(connection)
    for table in Base.metadata.sorted_tables:
        wanted = {index.name: index for index in table.indexes}
        present = {ix["name"]: ix for ix in found.get_indexes(table.name)}
        for name, index in wanted.items():
            if name not in present:
                index.create(connection)
                changes.append(f"+{name}")
        for name, info in present.items():
            if name not in wanted and not info.get("unique") and str(name).startswith("ix_"):
                connection.execute(text(f'DROP INDEX "{name}"'))
                changes.append(f"-{name}")
    if changes:
        connection.execute(text("ANALYZE"))
    return changes


def _write_meta(connection, fp: str) -> None:
    connection.execute(text(f"CREATE TABLE {META} (key VARCHAR(16) PRIMARY KEY, value TEXT)"))
    connection.execute(text(f"INSERT INTO {META} VALUES ('fp', :fp)"), {"fp": fp})


def sqlite_centre(path: Path, size: Size, seed: int, fp: str) -> tuple[bool, list[str]]:
    """(built now, index changes): the file at `path` made or reused."""
    built = False
    if path.exists():
        engine = create_engine(f"sqlite:///{path}")
        with engine.connect() as connection:
            fresh = stored_fingerprint(connection) == fp
        engine.dispose()
        if not fresh:
            path.unlink()
    if not path.exists():
        build_sqlite(path, size, seed, fp)
        built = True
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        changes = sync_tables(connection) + sync_indexes(connection) + sync_totals(connection)
    engine.dispose()
    return built, changes


def build_sqlite(path: Path, size: Size, seed: int, fp: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".building")
    partial.unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{partial}")
    Base.metadata.create_all(engine)
    tables = Base.metadata.tables
    with engine.begin() as connection:
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-400000"):
            connection.exec_driver_sql(f"PRAGMA {pragma}")
        for name, rows in Centre(size, seed).rows():
            keys = COLUMNS[name]
            connection.execute(
                tables[name].insert(), [dict(zip(keys, r, strict=True)) for r in rows]
            )
        _write_meta(connection, fp)
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")
    engine.dispose()
    partial.rename(path)


async def postgres_centre(url: str, size: Size, seed: int, fp: str) -> tuple[bool, list[str]]:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    async with engine.connect() as connection:
        fresh = await connection.run_sync(stored_fingerprint) == fp
    built = False
    if not fresh:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
            await connection.run_sync(Base.metadata.create_all)
        await engine.dispose()
        await copy_postgres(url, size, seed)
        async with engine.begin() as connection:
            await connection.run_sync(_write_meta, fp)
        built = True
    async with engine.begin() as connection:
        changes = await connection.run_sync(sync_tables)
        changes += await connection.run_sync(sync_indexes)
        changes += await connection.run_sync(sync_totals)
    await engine.dispose()
    return built, changes


async def copy_postgres(url: str, size: Size, seed: int) -> None:
    import asyncpg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        for name, rows in Centre(size, seed).rows():
            await connection.copy_records_to_table(name, records=rows, columns=COLUMNS[name])
        for name in COLUMNS:
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {name}))"
            )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


# --- measuring (one process per report) ---------------------------------------------------------


def memory_kib() -> dict[str, int]:
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            found[line[:5]] = int(line.split()[1])
    return found


def reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def at_the_centres_today() -> None:
    """The reports' clock at the synthetic centre's today (TODAY, 18:00), whatever the date:
    its lessons go on to END with marks up to TODAY, as a real centre's stop at its now."""
    from bot.services.reports import attendance, teachers

    now = moment(TODAY, 18)
    for module in (attendance, teachers):
        module.utcnow = lambda: now  # type: ignore[attr-defined]


async def measure(url: str, report: str, runs: int) -> None:
    """Prints one JSON line per case: the runs' times (ms) and the memory (MiB)."""
    from sqlalchemy import func, select

    from bot.logging import setup_logging
    from bot.services.reports import scope as scope_service
    from bot.services.reports.chart import render_png
    from bot.services.reports.period import Period
    from bot.services.reports.scope import Scope
    from bot.services.reports.workbook import render_xlsx
    from db.engine import create_engine as create_async
    from db.engine import create_session_factory
    from db.models import Group
    from handlers.admin.reports.menu import KINDS, money_format
    from keyboards.reports import is_scoped

    setup_logging("WARNING")
    at_the_centres_today()
    kind = KINDS[report]
    engine = create_async(url)
    factory = create_session_factory(engine)
    async with factory() as session:
        busiest = await session.scalar(
            select(Group.teacher_id)
            .where(Group.teacher_id.is_not(None))
            .group_by(Group.teacher_id)
            .order_by(func.count().desc(), Group.teacher_id)
            .limit(1)
        )
        await session.rollback()
    for case in CASES:
        if not is_scoped(report) and case.scope != "c":
            continue  # a report of the whole centre only (profit): no filter to measure
        period = Period.from_token(case.period)
        scope = Scope.from_token(case.scope.replace("*", str(busiest)))
        assert period is not None and scope is not None, case
        times: dict[str, list[float]] = {"summary": [], "png": [], "xlsx": []}
        exact = reset_peak()
        before = memory_kib()
        for _run in range(runs):
            started = time.perf_counter()
            async with factory() as session:
                resolved = await scope_service.resolve(session, scope)
                assert resolved is not None, case
                built = await kind.build(session, period, scope, TZ)
                await session.rollback()
            kind.summary(built, resolved.name)
            lap = time.perf_counter()
            times["summary"].append((lap - started) * 1000)
            png = render_png(kind.chart(built, resolved.name))
            times["png"].append((time.perf_counter() - lap) * 1000)
            lap = time.perf_counter()
            if kind.details is not None:  # what only the sheets show (finance's breakdowns)
                async with factory() as session:
                    built = await kind.details(session, built, TZ)
                    await session.rollback()
            xlsx = render_xlsx(kind.sheets(built, resolved.name), money_format())
            times["xlsx"].append((time.perf_counter() - lap) * 1000)
            assert png.startswith(b"\x89PNG") and xlsx.startswith(b"PK")
        after = memory_kib()
        peak = after["VmHWM"] if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        line = {"case": case.label, "times": times, "peak": peak / 1024}
        line["rise"] = (peak - before["VmRSS"]) / 1024
        print(json.dumps(line), flush=True)
    await engine.dispose()


# --- the run --------------------------------------------------------------------------------------


def figures(values: list[float], goal: float) -> str:
    low, middle, high = min(values), statistics.median(values), max(values)
    mark = "✓" if middle <= goal else "✗"
    return f"{low:6.0f} /{middle:6.0f} /{high:6.0f} {mark}"


def run_reports(url: str, names: list[str], runs: int) -> None:
    print(
        f"  {'report':<12}{'case':<24}{'summary ms':>22}   {'PNG ms':>22}   {'XLSX ms':>22}"
        f"   peak RSS MB"
    )
    for name in names:
        command = [sys.executable, __file__, "--child", url, "--report", name]
        command += ["--runs", str(runs)]
        child = subprocess.run(command, capture_output=True, text=True, check=False)
        if child.returncode:
            print(f"  {name}: failed\n{child.stderr[-3000:]}")
            continue
        for line in child.stdout.splitlines():
            row = json.loads(line)
            times = row["times"]
            mark = "✓" if row["peak"] <= GOAL_RSS_MB else "✗"
            print(
                f"  {name:<12}{row['case']:<24}"
                f"{figures(times['summary'], GOALS_MS['summary'])}   "
                f"{figures(times['png'], GOALS_MS['png'])}   "
                f"{figures(times['xlsx'], GOALS_MS['xlsx'])}   "
                f"{row['peak']:5.0f} (+{row['rise']:.0f}) {mark}"
            )


async def describe(url: str) -> str:
    from db.engine import create_engine as create_async

    engine = create_async(url)
    counts = {}
    async with engine.connect() as connection:
        for name in ("groups", "lessons", "attendance", "charges", "payments", "refunds"):
            counts[name] = await connection.scalar(text(f"SELECT count(*) FROM {name}"))
        counts["reversed"] = await connection.scalar(
            text("SELECT count(*) FROM payments WHERE reversed_at IS NOT NULL")
        )
    await engine.dispose()
    ledger = counts["charges"] + counts["payments"] + counts["refunds"]
    return (
        f"{counts['groups']} groups, {counts['lessons']} lessons, {counts['attendance']} marks, "
        f"{ledger} ledger rows ({counts['charges']} charges, {counts['payments']} payments of "
        f"which {counts['reversed']} reversed, {counts['refunds']} refunds)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 20 000 students …")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", help="postgresql+asyncpg://… (a database of its own)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "educrm-bench-reports"
    )
    parser.add_argument("--report", action="append", choices=sorted(REPORTS))
    parser.add_argument(
        "--build-only", action="store_true", help="make the centre, measure nothing"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(measure(args.child, REPORTS[args.report[0]], args.runs))
        return
    from handlers.admin.reports.menu import KINDS

    missing = sorted(set(KINDS) - set(REPORTS.values()))
    if missing:
        print(f"not measured (add them to REPORTS): {', '.join(missing)}")
    size, names = Size.at(args.scale), args.report or list(REPORTS)
    fp = fingerprint(args.scale, args.seed)
    print(
        f"centre at scale {args.scale}: {size.students} students, {size.groups} groups, "
        f"{size.teachers} teachers, {size.courses} courses, {size.leads} leads; "
        f"{args.runs} runs, min / median / max"
    )
    print(
        f"goals: summary ≤ {GOALS_MS['summary']} ms, PNG ≤ {GOALS_MS['png']} ms, "
        f"XLSX ≤ {GOALS_MS['xlsx']} ms, peak RSS ≤ {GOAL_RSS_MB} MB"
    )
    targets = []
    if not args.no_sqlite:
        path = args.cache_dir / f"centre-{args.scale:g}-{args.seed}-{fp}.db"
        targets.append(("sqlite", f"sqlite+aiosqlite:///{path}", path))
    if args.postgres:
        targets.append(("postgresql", args.postgres, None))
    for label, url, path in targets:
        started = time.perf_counter()
        if path is not None:
            built, changes = sqlite_centre(path, size, args.seed, fp)
        else:
            built, changes = asyncio.run(postgres_centre(url, size, args.seed, fp))
        how = f"built in {time.perf_counter() - started:.0f} s" if built else "reused"
        where = path or make_url(url).database
        print(f"\n{label} ({how}: {where}): {asyncio.run(describe(url))}")
        if changes:
            print(f"  brought in line with the code: {' · '.join(changes)}")
        if not args.build_only:
            run_reports(url, names, args.runs)


if __name__ == "__main__":
    main()
