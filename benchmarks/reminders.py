"""The reminder scans over a large centre: how long the payment and class reminder jobs
take to find what is due, before any message is sent.

The centre: `--enrolments` active enrolments (one per student, 20 per group), a parent
for every second student, everyone with consent; February and March charged for every
enrolment (due on the 10th), 40 % of students fully paid, 20 % still owing February;
each group has a lesson every weekday, at one of 25 half-hours between 08:00 and 20:00.
Measured (the planning functions the jobs call, i.e. stale-claim marking aside, all of
a job's reads):
  payment scan — at 10:00 on 10 March: due dates with a stage, open charges (one window
                 query), the audience (student + parents, consent), minus what is claimed;
  class scan   — at 13:00: lessons in the next hour × active enrolments × audience;
both first with nothing claimed, then again with every notice claimed (the state every
later run of the day finds).
On SQLite by default; on PostgreSQL with --postgres URL or DATABASE_URL=postgresql+asyncpg://…
(its tables are dropped and made again: point it at a database of its own). Usage:
    .venv/bin/python benchmarks/reminders.py [--enrolments 100000] [--repeat 3]
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from loguru import logger  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402

import db.models  # noqa: E402, F401
from bot.logging import setup_logging  # noqa: E402
from bot.services import reminders as rules  # noqa: E402
from db.base import Base  # noqa: E402
from db.engine import create_engine, create_session_factory  # noqa: E402
from db.models import (  # noqa: E402
    Balance,
    Charge,
    Consent,
    Course,
    Enrolment,
    Group,
    Lesson,
    NotificationLog,
    ParentLink,
    RoleAssignment,
    User,
)
from tests.conftest import make_settings  # noqa: E402

GROUP_SIZE = 20
PRICE = 500_000
STAMP = datetime(2026, 1, 1, tzinfo=UTC)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """Tashkent (UTC+5) → UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=5)


async def bulk(session, model, rows: list[dict], size: int = 5_000) -> None:
    for start in range(0, len(rows), size):
        await session.execute(insert(model), rows[start : start + size])


async def arrange(factory, enrolments: int) -> None:
    students = enrolments
    groups = max(1, students // GROUP_SIZE)
    parents = students // 2
    async with factory() as session:
        users = [
            {
                "id": n,
                "telegram_id": 10_000_000 + n,
                "full_name": f"Person {n}",
                "language": "uz",
                "created_at": STAMP,
            }
            for n in range(1, students + parents + 1)
        ]
        await bulk(session, User, users)
        await bulk(
            session,
            RoleAssignment,
            [
                {"user_id": n, "role": "student" if n <= students else "parent"}
                for n in range(1, students + parents + 1)
            ],
        )
        await bulk(
            session,
            Consent,
            [
                {
                    "user_id": n,
                    "event": "accepted",
                    "policy_version": "1",
                    "at": STAMP,
                    "reminders": True,
                    "announcements": True,
                    "analytics": False,
                }
                for n in range(1, students + parents + 1)
            ],
        )
        await bulk(
            session,
            ParentLink,
            [
                {"parent_id": students + k + 1, "student_id": 2 * k + 1, "created_at": STAMP}
                for k in range(parents)
            ],
        )
        session.add(Course(id=1, name="Bench", monthly_price=PRICE))
        await session.flush()
        await bulk(
            session,
            Group,
            [
                {
                    "id": g,
                    "course_id": 1,
                    "name": f"G{g}",
                    "room": str(g % 30),
                    "start_date": date(2026, 1, 1),
                    "capacity": GROUP_SIZE,
                    "created_at": STAMP,
                }
                for g in range(1, groups + 1)
            ],
        )
        await bulk(
            session,
            Enrolment,
            [
                {
                    "id": n,
                    "student_id": n,
                    "group_id": (n - 1) // GROUP_SIZE % groups + 1,
                    "joined_on": date(2026, 1, 1),
                    "status": "active",
                    "created_at": STAMP,
                }
                for n in range(1, students + 1)
            ],
        )
        lessons = []
        for day in range(2, 14):  # 2–13 March, weekdays
            if date(2026, 3, day).weekday() > 4:
                continue
            for g in range(1, groups + 1):
                slot = g % 25
                lessons.append(
                    {
                        "group_id": g,
                        "starts_at": local(date(2026, 3, day), 8 + slot // 2, 30 * (slot % 2)),
                        "duration_minutes": 90,
                        "status": "scheduled",
                        "created_at": STAMP,
                    }
                )
        await bulk(session, Lesson, lessons)
        charges, balances = [], []
        for n in range(1, students + 1):
            for period in (date(2026, 2, 1), date(2026, 3, 1)):
                charges.append(
                    {
                        "student_id": n,
                        "enrolment_id": n,
                        "period": period,
                        "amount": PRICE,
                        "due_date": period.replace(day=10),
                        "created_at": STAMP,
                    }
                )
            owes = 0 if n % 5 < 2 else (2 * PRICE if n % 5 == 2 else PRICE)
            balances.append({"student_id": n, "amount": -owes, "updated_at": STAMP})
        await bulk(session, Charge, charges)
        await bulk(session, Balance, balances)
        await session.commit()


async def timed(factory, plan, settings, now, repeat: int) -> tuple[list[float], list]:
    times, notices = [], []
    for _ in range(repeat):
        async with factory() as session:
            started = time.perf_counter()
            notices = await plan(session, settings, now)
            times.append((time.perf_counter() - started) * 1000)
    return times, notices


async def claim_all(factory, notices, at: datetime) -> None:
    async with factory() as session:
        await bulk(
            session,
            NotificationLog,
            [
                {
                    "user_id": n.user_id,
                    "kind": n.kind,
                    "key": n.key,
                    "claimed_at": at,
                    "status": "sent",
                }
                for n in notices
            ],
        )
        await session.commit()


def line(label: str, times: list[float], found: int) -> str:
    return (
        f"{label:38} {found:7} notices   median {statistics.median(times):8.1f} ms"
        f"   min {min(times):8.1f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enrolments", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL database of its own")
    args = parser.parse_args()
    setup_logging("WARNING")
    logger.remove()
    with tempfile.TemporaryDirectory() as folder:
        url = args.postgres or os.environ.get("DATABASE_URL")
        url = url or f"sqlite+aiosqlite:///{folder}/bench.db"
        engine = create_engine(url)
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.drop_all)
            await connection.run_sync(Base.metadata.create_all)
        factory = create_session_factory(engine)
        started = time.perf_counter()
        await arrange(factory, args.enrolments)
        if engine.dialect.name == "postgresql":  # what autovacuum does soon after a bulk load
            async with engine.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text("ANALYZE"))
        async with factory() as session:
            sizes = {
                model.__tablename__: await session.scalar(select(func.count()).select_from(model))
                for model in (User, Enrolment, Lesson, Charge, ParentLink)
            }
        print(
            f"database: {url.split(':')[0]}; arranged in {time.perf_counter() - started:.1f} s: "
            + ", ".join(f"{name} {count}" for name, count in sizes.items())
        )
        settings = make_settings(url)
        pay_at, class_at = local(date(2026, 3, 10), 10), local(date(2026, 3, 10), 13)
        for label, plan, now in (
            ("payment scan", rules.plan_payment_reminders, pay_at),
            ("class scan", rules.plan_class_reminders, class_at),
        ):
            times, notices = await timed(factory, plan, settings, now, args.repeat)
            print(line(f"{label}, nothing claimed", times, len(notices)))
            await claim_all(factory, notices, now)
            times, rest = await timed(factory, plan, settings, now, args.repeat)
            print(line(f"{label}, all claimed (later runs)", times, len(rest)))
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
