"""The payroll drafts of a month for 200 teachers over the synthetic large centre of
benchmarks/reports.py (its builder, reused): 20 000 students, 1 000 groups, two years of
lessons with ≈ 5 million attendance marks, ≈ 2 million ledger rows.

The reports' centre has 70 teachers; here 130 more are added and the 1 000 groups are shared
among all 200 (5 each), and every teacher gets a pay scheme: a mix of fixed monthly, per
lesson, per student present, percent of the money collected and combinations, with a group
override for one teacher in four, and a change of scheme in the middle of the month for one
in ten. The SQLite centre is a copy of the reports' file (that one stays as the reports
benchmark built it); the PostgreSQL database given is made by the reports' builder and then
changed in place (point it at a database of its own).

Timed (over --runs runs, min / median / max, ms), each run from no payslip of the month:
  drafts           — `make_drafts` for November 2026: read the facts, compute, write 200
                     payslips with their lines, the audit entry, commit;
  drafts again     — the same month made again (every draft counted anew, lines replaced);
  with corrections — November's drafts after August–October were drafted and approved, so
                     each draft also recounts October (the month before) for corrections:
                     what every month's draft does once the centre has a payroll history.
Goal (issue 18): drafts ≤ 2 s.
Usage:
    .venv/bin/python benchmarks/payroll.py [--runs 3] [--postgres URL] [--no-sqlite]
        [--cache-dir DIR]
"""

import argparse
import asyncio
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks import reports as centre  # noqa: E402

TZ = ZoneInfo("Asia/Tashkent")
TEACHERS = 200
MONTH = date(2026, 11, 1)
EARLIER = (date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1))
GOAL_MS = 2000
NOW = datetime(2026, 12, 20, 9, 0, tzinfo=UTC)


async def prepare(url: str, seed: int) -> tuple[int, int]:
    """200 teachers sharing the groups, a pay scheme each; no payroll rows. (teachers, schemes)"""
    from db.engine import create_engine

    rng = random.Random(seed)
    engine = create_engine(url)
    async with engine.begin() as connection:
        for table in ("payouts", "payslip_lines", "payslips", "pay_schemes"):
            await connection.execute(text(f"DELETE FROM {table}"))
        rows = await connection.execute(
            text("SELECT user_id FROM role_assignments WHERE role = 'teacher' ORDER BY user_id")
        )
        teachers = [r[0] for r in rows]
        next_user = int(await connection.scalar(text("SELECT max(id) FROM users")))
        next_role = int(await connection.scalar(text("SELECT max(id) FROM role_assignments")))
        added = []
        for number in range(len(teachers) + 1, TEACHERS + 1):
            next_user += 1
            next_role += 1
            added.append(next_user)
            await connection.execute(
                text(
                    "INSERT INTO users (id, full_name, language, is_active, monthly_digest, "
                    "created_at) VALUES (:id, :name, 'uz', true, true, :at)"
                ),
                {"id": next_user, "name": f"Teacher {number:03d}", "at": NOW},
            )
            await connection.execute(
                text(
                    "INSERT INTO role_assignments (id, user_id, role, created_at) "
                    "VALUES (:id, :uid, 'teacher', :at)"
                ),
                {"id": next_role, "uid": next_user, "at": NOW},
            )
        teachers = (teachers + added)[:TEACHERS]
        groups = [r[0] for r in await connection.execute(text("SELECT id FROM groups ORDER BY id"))]
        by_teacher: dict[int, list[int]] = {t: [] for t in teachers}
        for n, group in enumerate(groups):
            teacher = teachers[n % len(teachers)]
            by_teacher[teacher].append(group)
        for teacher, owned in by_teacher.items():
            if owned:
                await connection.execute(
                    text(
                        "UPDATE groups SET teacher_id = :t "
                        f"WHERE id IN ({', '.join(map(str, owned))})"
                    ),
                    {"t": teacher},
                )
        schemes = []
        kinds = (
            {"fixed_monthly": 3_000_000},
            {"per_lesson": 80_000},
            {"per_student": 12_000},
            {"percent": 40},
            {"fixed_monthly": 2_000_000, "percent": 15},
            {"per_lesson": 50_000, "per_student": 5_000},
        )
        for n, teacher in enumerate(teachers):
            base = dict(rng.choice(kinds))
            schemes.append((teacher, None, date(2025, 1, 1), base))
            if n % 10 == 0:  # a raise from the 16th
                raised = {
                    k: v * 6 // 5 if k != "percent" else min(100, v + 5) for k, v in base.items()
                }
                schemes.append((teacher, None, date(2026, 11, 16), raised))
            if n % 4 == 0 and by_teacher[teacher]:
                schemes.append((teacher, by_teacher[teacher][0], date(2025, 6, 1), {"percent": 50}))
        for teacher, group, start, parts in schemes:
            values = {"fixed_monthly": 0, "per_lesson": 0, "per_student": 0, "percent": 0} | parts
            await connection.execute(
                text(
                    "INSERT INTO pay_schemes (teacher_id, group_id, valid_from, fixed_monthly, "
                    "per_lesson, per_student, percent, created_at) VALUES (:t, :g, :v, :f, :l, "
                    ":s, :p, :at)"
                ),
                {
                    "t": teacher,
                    "g": group,
                    "v": start,
                    "f": values["fixed_monthly"],
                    "l": values["per_lesson"],
                    "s": values["per_student"],
                    "p": values["percent"],
                    "at": NOW,
                },
            )
    await engine.dispose()
    return len(teachers), len(schemes)


async def clear_month(factory, month: date) -> None:
    async with factory() as session:
        await session.execute(
            text(
                "DELETE FROM payslip_lines WHERE payslip_id IN "
                "(SELECT id FROM payslips WHERE month = :m)"
            ),
            {"m": month},
        )
        await session.execute(text("DELETE FROM payslips WHERE month = :m"), {"m": month})
        await session.commit()


async def timed(factory, month: date) -> tuple[float, object]:
    from bot.services.payroll import payslips

    async with factory() as session:
        started = time.perf_counter()
        result = await payslips.make_drafts(session, None, month, tz=TZ, now=NOW)
        return (time.perf_counter() - started) * 1000, result


async def measure(url: str, runs: int, seed: int) -> None:
    from bot.logging import setup_logging
    from bot.services.payroll import payslips
    from db.engine import create_engine, create_session_factory

    setup_logging("WARNING")
    teachers, schemes = await prepare(url, seed)
    print(f"  {teachers} teachers, {schemes} pay schemes")
    engine = create_engine(url)
    factory = create_session_factory(engine)
    cases: dict[str, list[float]] = {"drafts": [], "drafts again": [], "with corrections": []}
    last = None
    for _ in range(runs):
        await clear_month(factory, MONTH)
        ms, last = await timed(factory, MONTH)
        cases["drafts"].append(ms)
        ms, _again = await timed(factory, MONTH)
        cases["drafts again"].append(ms)
    async with factory() as session:
        for month in EARLIER:
            await payslips.make_drafts(session, None, month, tz=TZ, now=NOW)
            ids = (
                (
                    await session.execute(
                        text("SELECT id FROM payslips WHERE month = :m"), {"m": month}
                    )
                )
                .scalars()
                .all()
            )
            await session.execute(
                text("UPDATE payslips SET status = 'approved', approved_at = :at WHERE month = :m"),
                {"at": NOW, "m": month},
            )
            await session.commit()
            assert ids
    for _ in range(runs):
        await clear_month(factory, MONTH)
        ms, _corrected = await timed(factory, MONTH)
        cases["with corrections"].append(ms)
    await engine.dispose()
    print(f"  November 2026: {last.created} payslips, {last.total:,} soʻm in all")
    for name, values in cases.items():
        median = statistics.median(values)
        mark = "✓" if median <= GOAL_MS else "✗"
        print(f"  {name:<17} {min(values):7.0f} / {median:7.0f} / {max(values):7.0f} ms  {mark}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--postgres", help="postgresql+asyncpg://… (a database of its own)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "educrm-bench-reports"
    )
    args = parser.parse_args()
    size = centre.Size.at(1.0)
    fp = centre.fingerprint(1.0, args.seed)
    print(
        f"payroll drafts, {TEACHERS} teachers, goal ≤ {GOAL_MS} ms; "
        f"{args.runs} runs, min / median / max"
    )
    if not args.no_sqlite:
        path = args.cache_dir / f"centre-1-{args.seed}-{fp}.db"
        built, _changes = centre.sqlite_centre(path, size, args.seed, fp)
        copy = args.cache_dir / f"payroll-{fp}.db"
        if not copy.exists() or copy.stat().st_mtime < path.stat().st_mtime:
            shutil.copyfile(path, copy)
        print(f"\nsqlite ({'built' if built else 'reused'}: a copy of {path.name})")
        asyncio.run(measure(f"sqlite+aiosqlite:///{copy}", args.runs, args.seed))
    if args.postgres:
        built, _changes = asyncio.run(centre.postgres_centre(args.postgres, size, args.seed, fp))
        print(
            f"\npostgresql ({'built' if built else 'reused'}: {make_url(args.postgres).database})"
        )
        asyncio.run(measure(args.postgres, args.runs, args.seed))


if __name__ == "__main__":
    main()
