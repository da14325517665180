"""The Mini App's API under an open-loop 100 requests/s, and the first screen's size.

A centre is built (on SQLite in a temporary file, and on PostgreSQL with --postgres URL:
its tables are dropped and made again, point it at a database of its own): --groups groups
of 20 students with three lessons a week for eight weeks around today, as background; a
student with lessons every weekday of this week (two groups, last week's marks and grades);
and a teacher's group of 25 students with a lesson today. The real Mini App
(bot.webapp.app.create_webapp, the production server's access-log-free AppRunner on uvloop)
serves it from a process of its own on a loopback port, and so does, as the floor, a trivial
aiohttp handler (one small JSON answer, no database) — the same load on the same machine
in the same run: nothing served by aiohttp answers faster here than that.

The load is open-loop: request i is sent at start + i / --rate whatever happened to the
earlier ones, and its latency counts from that planned moment (a slow answer delays none of
the next requests, and a backlog shows in the figures instead of thinning the load). Every
request is signed in with Telegram's initData (tests/webapp/signing.py), as the page sends
it; each answer must be 200. For each target, --runs runs of --seconds, it prints p50 / p95
/ p99 in ms as min / median / max over the runs, and the CPU the server process spent per
request (which the machine's other load inflates far less than the tail); the goal (issue
20) is p99 ≤ 50 ms on SQLite for the student's week and the teacher's sheet (the median
run's p99 is checked).

The first screen: the page (/), the script and style sheet it loads and every module the
script imports (static `import … from "./…"`, followed to the end), as served to a client
that accepts gzip (bytes on the wire); goal ≤ 150 KB. Telegram's own telegram-web-app.js
is not ours and not counted.

Usage:
    .venv/bin/python benchmarks/webapp.py [--seconds 8] [--rate 100] [--runs 3]
        [--postgres URL] [--no-sqlite] [--groups 50]
        [--student-path /api/learner/week] [--teacher-path /api/sheet/{lesson_id}]
The paths may name {lesson_id} (the teacher's lesson today), {student_id} and {group_id}.
"""

import argparse
import asyncio
import gzip
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

import aiohttp  # noqa: E402

# The bot's modules are imported where they are used: each server process, and the load
# generator, starts without what it does not need (aiogram's types take seconds to import).

GOAL_P99_MS = 50
GOAL_FIRST_SCREEN_KB = 150
MAX_SECONDS, MAX_RATE = 60, 1000  # bounded: at most 60 000 requests a target and run
WEBAPP_URL = "https://app.bench.example"
STUDENT_ID, TEACHER_ID = 80_001, 80_002  # their Telegram ids
IMPORT = re.compile(r"""(?:^|\n)\s*import\s+(?:[^'"]*?\s+from\s+)?["'](\.{1,2}/[^"']+)["']""")
ASSET = re.compile(r"""(?:src|href)="(/static/[^"]+)\"""")


# --- the centre --------------------------------------------------------------------------


async def build_centre(url: str, groups: int, tz: ZoneInfo) -> dict[str, int]:
    """The tables made anew and filled; the ids the paths may name."""
    import db.models  # noqa: F401
    from db.base import Base
    from db.engine import create_engine, create_session_factory
    from db.models import (
        Attendance,
        Course,
        Enrolment,
        Grade,
        Group,
        Lesson,
        Role,
        RoleAssignment,
        User,
    )
    from tests.chat import Person
    from tests.factories import make_user

    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.run_sync(Base.metadata.create_all)
    factory = create_session_factory(engine)
    today = datetime.now(tz).date()
    monday = today - timedelta(days=today.weekday())

    def at(day: date, hour: int) -> datetime:
        return datetime.combine(day, clock(hour, 0), tzinfo=tz)

    async with factory() as session:
        teacher = await make_user(
            session, Person(id=TEACHER_ID, first_name="Malika"), roles=[Role.TEACHER]
        )
        student = await make_user(
            session, Person(id=STUDENT_ID, first_name="Sardor"), roles=[Role.STUDENT]
        )
        course = Course(name="General English", monthly_price=500_000)
        session.add(course)
        await session.flush()
        # the background: groups of 20 students, Mon/Wed/Fri lessons for 8 weeks
        others = [User(full_name=f"Student {n:04}", language="uz") for n in range(groups * 20)]
        session.add_all(others)
        await session.flush()
        session.add_all(RoleAssignment(user_id=u.id, role=Role.STUDENT) for u in others)
        background = [
            Group(
                course_id=course.id,
                teacher_id=teacher.id if n % 10 == 0 else None,
                name=f"G{n:03}",
                start_date=monday - timedelta(weeks=8),
                capacity=25,
            )
            for n in range(groups)
        ]
        session.add_all(background)
        await session.flush()
        for n, group in enumerate(background):
            session.add_all(
                Enrolment(student_id=u.id, group_id=group.id, joined_on=group.start_date)
                for u in others[n * 20 : (n + 1) * 20]
            )
            session.add_all(
                Lesson(
                    group_id=group.id,
                    starts_at=at(monday + timedelta(weeks=week, days=day), 9 + n % 9),
                    duration_minutes=90,
                )
                for week in range(-4, 4)
                for day in (0, 2, 4)
            )
        # the student: two groups, lessons every weekday this week, last week marked
        own = [
            Group(
                course_id=course.id,
                teacher_id=teacher.id,
                name=name,
                start_date=monday - timedelta(weeks=8),
                capacity=25,
            )
            for name in ("IELTS 6.5", "Speaking club")
        ]
        session.add_all(own)
        await session.flush()
        past: list[Lesson] = []
        for n, group in enumerate(own):
            session.add(
                Enrolment(student_id=student.id, group_id=group.id, joined_on=group.start_date)
            )
            for week in (-1, 0):
                for day in range(n, 5, 2) if n else range(5):
                    lesson = Lesson(
                        group_id=group.id,
                        starts_at=at(monday + timedelta(weeks=week, days=day), 14 + 2 * n),
                        duration_minutes=90,
                    )
                    session.add(lesson)
                    if week < 0:
                        past.append(lesson)
        await session.flush()
        for lesson in past:
            session.add(
                Attendance(
                    lesson_id=lesson.id,
                    student_id=student.id,
                    status="present",
                    marked_by_id=teacher.id,
                )
            )
            session.add(
                Grade(
                    student_id=student.id,
                    group_id=lesson.group_id,
                    lesson_id=lesson.id,
                    kind="classwork",
                    score=4,
                    max_score=5,
                    given_by_id=teacher.id,
                )
            )
        # the teacher's group of 25 (the student among them) with a lesson in five minutes
        sheet = Group(
            course_id=course.id,
            teacher_id=teacher.id,
            name="Beginners A1",
            start_date=monday - timedelta(weeks=8),
            capacity=25,
        )
        session.add(sheet)
        await session.flush()
        members = [student.id] + [u.id for u in others[:24]]
        session.add_all(
            Enrolment(student_id=member, group_id=sheet.id, joined_on=sheet.start_date)
            for member in members
        )
        lesson = Lesson(
            group_id=sheet.id,
            starts_at=datetime.now(tz) + timedelta(minutes=5),
            duration_minutes=90,
        )
        session.add(lesson)
        await session.commit()
        ids = {"lesson_id": lesson.id, "student_id": student.id, "group_id": sheet.id}
    await engine.dispose()
    return ids


# --- the servers (child processes) ---------------------------------------------------------


async def serve_webapp(port: int, url: str) -> None:
    from aiohttp import web
    from loguru import logger

    from bot.delivery import Sender
    from bot.startup.app import create_dispatcher
    from bot.webapp.app import create_webapp
    from db.engine import create_engine, create_session_factory
    from tests.conftest import make_settings
    from tests.mocked_bot import MockedBot

    logger.remove()
    settings = make_settings(url, webapp_url=WEBAPP_URL)
    factory = create_session_factory(create_engine(url))
    sender = Sender(factory)
    dispatcher = create_dispatcher(settings, factory, sender=sender)
    app = create_webapp(
        settings, factory, bot=MockedBot(), sender=sender, workflow=dispatcher.workflow_data
    )
    await ready(web.AppRunner(app, access_log=None), port)


async def serve_floor(port: int) -> None:
    from aiohttp import web

    async def trivial(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/{tail:.*}", trivial)
    await ready(web.AppRunner(app, access_log=None), port)


async def ready(runner, port: int) -> None:
    from aiohttp import web

    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print("ready", flush=True)
    await asyncio.Event().wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A child process serving on a loopback port (`--serve-webapp` or `--serve-floor`)."""

    def __init__(self, *arguments: str) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, __file__, *arguments, str(self.port)],
            cwd=PROJECT,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.name = arguments[0]

    def wait_ready(self) -> None:
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            self.stop()
            raise SystemExit(f"the server {self.name} did not start")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


# --- the load ----------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (Linux's /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    latencies_ms: list[float]
    failures: Counter
    cpu_ms: float = 0.0  # the server's CPU per request

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def open_loop(
    http: aiohttp.ClientSession, url: str, headers: dict[str, str], rate: float, seconds: float
) -> Run:
    """`rate * seconds` GETs, each sent at its planned moment; latency from that moment."""
    run = Run([], Counter())
    total = int(rate * seconds)
    now = time.perf_counter  # uvloop's loop.time() counts whole milliseconds
    start = now() + 0.05

    async def one(planned: float) -> None:
        try:
            async with http.get(url, headers=headers) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as failure:
            run.failures[type(failure).__name__] += 1
            return
        if status != 200:
            run.failures[f"HTTP {status}"] += 1
            return
        run.latencies_ms.append((now() - planned) * 1000)

    tasks = []
    for number in range(total):
        planned = start + number / rate
        delay = planned - now()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(planned)))
    await asyncio.gather(*tasks)
    return run


def spread(values: list[float]) -> str:
    return f"{min(values):5.1f} /{statistics.median(values):5.1f} /{max(values):5.1f}"


async def measure(database: str, url: str, args: argparse.Namespace) -> bool:
    """The figures on one database; True when every request was answered 200 (whether the
    goals are met is printed: a busy machine misses them, the program did not fail)."""
    tz = ZoneInfo("Asia/Tashkent")
    floor = Server("--serve-floor")  # starting while the centre is built
    began = time.perf_counter()
    ids = await build_centre(url, args.groups, tz)
    built = time.perf_counter() - began
    webapp = Server("--serve-webapp", url)
    floor.wait_ready()
    webapp.wait_ready()
    student_path = args.student_path.format(**ids)
    teacher_path = args.teacher_path.format(**ids)
    from tests.chat import Person
    from tests.webapp.signing import sign_init_data

    servers = {floor.url(""): floor, webapp.url(""): webapp}
    targets = [
        ("floor: a trivial aiohttp handler", floor.url("/ping"), None),
        (
            f"student: GET {student_path}",
            webapp.url(student_path),
            Person(id=STUDENT_ID, first_name="Sardor"),
        ),
        (
            f"teacher: GET {teacher_path}",
            webapp.url(teacher_path),
            Person(id=TEACHER_ID, first_name="Malika"),
        ),
    ]
    runs: dict[str, list[Run]] = {label: [] for label, _, _ in targets}
    load_before = os.getloadavg()[0]
    timeout = aiohttp.ClientTimeout(total=10)
    try:
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0), timeout=timeout
        ) as http:
            headers = {
                label: {"Authorization": f"tma {sign_init_data(person)}"} if person else {}
                for label, _, person in targets
            }
            for label, target, _ in targets:  # warm-up: connections, caches, first queries
                await open_loop(http, target, headers[label], args.rate, 1)
            for _ in range(args.runs):
                for label, target, _ in targets:
                    pid = next(s.process.pid for u, s in servers.items() if target.startswith(u))
                    cpu = cpu_seconds(pid)
                    run = await open_loop(http, target, headers[label], args.rate, args.seconds)
                    answered_count = max(1, len(run.latencies_ms))
                    run.cpu_ms = (cpu_seconds(pid) - cpu) * 1000 / answered_count
                    runs[label].append(run)
            load_after = os.getloadavg()[0]
            screen = await first_screen(http, webapp)
    finally:
        webapp.stop()
        floor.stop()

    print(
        f"{database} (built in {built:.1f} s: {args.groups} background groups of 20, "
        f"the student's week, a 25-student sheet): open loop {args.rate:g} requests/s for "
        f"{args.seconds:g} s, {args.runs} runs; ms as min / median / max over the runs; "
        f"load average {load_before:.1f} → {load_after:.1f} on {os.cpu_count()} cores"
    )
    print(f"  {'':44} {'p50':>19} {'p95':>19} {'p99':>19} {'CPU/request':>19}")
    met = answered = True
    for label, _, person in targets:
        done = runs[label]
        figures = [spread([run.percentile(share) for run in done]) for share in (0.5, 0.95, 0.99)]
        failures = sum((run.failures for run in done), Counter())
        figures.append(spread([run.cpu_ms for run in done]))
        line = f"  {label:44} " + " ".join(f"{figure:>19}" for figure in figures)
        if person is not None:
            p99 = statistics.median(run.percentile(0.99) for run in done)
            good = p99 <= GOAL_P99_MS and not failures
            met &= good or database != "sqlite"
            mark = ("✓" if good else "✗") if database == "sqlite" else "(SQLite's)"
            line += f"   goal p99 ≤ {GOAL_P99_MS} ms {mark}"
        if failures:
            line += f"   FAILED: {dict(failures)}"
        answered &= not failures
        print(line)
    print_screen(screen)
    met &= sum(wire for _, wire, _ in screen) <= GOAL_FIRST_SCREEN_KB * 1024
    print(json.dumps({"database": database, "goals_met": met, "all_answered": answered}))
    return answered


# --- the first screen --------------------------------------------------------------------


async def first_screen(http: aiohttp.ClientSession, server: Server) -> list[tuple[str, int, int]]:
    """(path, bytes on the wire with gzip, bytes decompressed) of the page and all it loads."""
    accepts = {"Accept-Encoding": "gzip"}
    files: list[tuple[str, int, int]] = []

    async def get(path: str) -> bytes:
        async with http.get(server.url(path), headers=accepts, auto_decompress=False) as response:
            assert response.status == 200, (path, response.status)
            wire = await response.read()
            packed = response.headers.get("Content-Encoding") == "gzip"
        body = gzip.decompress(wire) if packed else wire
        files.append((path, len(wire), len(body)))
        return body

    page = (await get("/")).decode()
    pending = ASSET.findall(page)
    seen: set[str] = set()
    while pending:
        path = pending.pop(0)
        if path in seen:
            continue
        seen.add(path)
        body = await get(path)
        if path.endswith(".js"):
            folder = path.rsplit("/", 1)[0]
            for relative in IMPORT.findall(body.decode()):
                pending.append(resolve(folder, relative))
    return files


def resolve(folder: str, relative: str) -> str:
    parts = folder.split("/")
    for piece in relative.split("/"):
        if piece == "..":
            parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


def print_screen(files: list[tuple[str, int, int]]) -> None:
    wire = sum(size for _, size, _ in files)
    raw = sum(size for _, _, size in files)
    good = wire <= GOAL_FIRST_SCREEN_KB * 1024
    print(
        f"  first screen, gzip as served: {len(files)} files, {wire / 1024:.1f} KB "
        f"({raw / 1024:.1f} KB uncompressed)   goal ≤ {GOAL_FIRST_SCREEN_KB} KB "
        f"{'✓' if good else '✗'}"
    )
    names = [re.sub(r"^/static/v-[0-9a-f]+/", "", path) or "index.html" for path, _, _ in files]
    names = ["index.html" if name == "/" else name for name in names]
    sizes = [f"{name} {wire / 1024:.1f}" for name, (_, wire, _) in zip(names, files, strict=True)]
    print("    KB: " + ", ".join(sizes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--postgres", metavar="URL", help="also on this PostgreSQL database")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--student-path", default="/api/learner/week")
    parser.add_argument("--teacher-path", default="/api/sheet/{lesson_id}")
    parser.add_argument("--serve-webapp", nargs=1, metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--serve-floor", action="store_true", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.serve_webapp or args.serve_floor:
        import uvloop

        port = int(rest[0])
        serving = serve_webapp(port, args.serve_webapp[0]) if args.serve_webapp else None
        uvloop.run(serving or serve_floor(port))
        return
    if rest:
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    if not 0 < args.seconds <= MAX_SECONDS or not 0 < args.rate <= MAX_RATE or args.runs < 1:
        parser.error(f"--seconds in (0, {MAX_SECONDS}], --rate in (0, {MAX_RATE}], --runs ≥ 1")
    databases = []
    folder = tempfile.TemporaryDirectory()
    if not args.no_sqlite:
        databases.append(("sqlite", f"sqlite+aiosqlite:///{folder.name}/webapp.db"))
    if args.postgres:
        url = args.postgres.replace("postgresql://", "postgresql+asyncpg://", 1)
        databases.append(("postgresql", url))
    import uvloop

    answered = True
    with folder:
        for name, url in databases:
            answered &= uvloop.run(measure(name, url, args))
    sys.exit(0 if answered else 1)


if __name__ == "__main__":
    main()
