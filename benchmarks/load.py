"""The real bot process under load, over HTTP, against a fake Bot API server on localhost.

Seeds a centre (20 groups, 300 students, 150 parents, 10 teachers, 3 admins; today's
lesson for every group), starts `python -m bot run` against tests/fake_bot_api.py and feeds
a realistic mix: students /schedule and /balance, teachers opening a lesson's attendance
sheet, tapping two students and saving, admins recording a payment with /pay (search,
pick, amount, method, no note, confirm). Every virtual person has at most one update in
flight and takes the next step when the bot answered the previous one.

Latency: the update handed over (the getUpdates answer that carries it leaves the fake
server; in webhook mode, the POST is sent) → the bot's first answering request for it
(answerCallbackQuery for that query, or sendMessage / editMessageText / … to that chat)
reaches the fake server.

Two phases, after --warmup seconds at the fixed rate: "fixed rate" sends --rate updates per
second on a clock and reports p50/p95/p99 latency; then "sustained" keeps --concurrency
updates in flight (the next one is sent as soon as one is answered) and reports updates per
second. Peak RSS is the bot process's VmHWM.

Usage:
    .venv/bin/python benchmarks/load.py [--mode polling|webhook] [--database sqlite|postgres]
        [--seconds 20] [--rate 100] [--concurrency 64] [--steps] [--profile FILE]
        [--processes N]   (webhook: N bot processes, each request to the next, as a
                           round-robin proxy would; CPU is summed, RSS is the largest)
PostgreSQL: a fresh database is created (and dropped) on --pg-server (default
postgresql+asyncpg://postgres@127.0.0.1:5432), with REDIS_URL=redis://127.0.0.1:6379/<--redis-db>
(that Redis database is flushed). --profile runs the bot under cProfile (its main thread).
"""

import argparse
import asyncio
import os
import random
import signal
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from itertools import count, cycle
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

import aiohttp  # noqa: E402
from sqlalchemy import text  # noqa: E402

import db.models  # noqa: E402, F401
from db.base import utcnow  # noqa: E402
from db.engine import create_engine, create_session_factory  # noqa: E402
from db.models import (  # noqa: E402
    AdminPermission,
    Consent,
    ConsentEvent,
    Course,
    Enrolment,
    Group,
    Lesson,
    ParentLink,
    Permission,
    Role,
    RoleAssignment,
    ScheduleSlot,
    User,
)
from keyboards.attendance import AttendanceCb  # noqa: E402
from keyboards.payments.desk import DeskCb  # noqa: E402
from tests.fake_bot_api import FakeBotApi  # noqa: E402
from tests.mocked_bot import BOT_TOKEN  # noqa: E402

GROUPS, PER_GROUP, TEACHERS, ADMINS = 20, 15, 10, 3
ANSWERS = {
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "sendDocument",
    "sendPhoto",
    "copyMessage",
    "deleteMessage",
}
SECRET = "load-test-secret-of-at-least-32-characters"  # WEBHOOK_SECRET needs >= 32
QUERY_ONLY_GRACE = 1.0  # seconds
CENTRE_TZ = ZoneInfo("Asia/Tashkent")  # the bot's default TIMEZONE
SURNAMES = ["Karimov", "Rashidova", "Yusupov", "Aliyeva", "Tursunov", "Nazarova", "Ergashev"]


# --- the centre ----------------------------------------------------------------------------


@dataclass
class Person:
    telegram_id: int
    user_id: int
    name: str


@dataclass
class Centre:
    students: list[Person] = field(default_factory=list)
    teachers: list[tuple[Person, list[tuple[int, list[int]]]]] = field(default_factory=list)
    admins: list[Person] = field(default_factory=list)


def todays_lesson_start(now: datetime) -> datetime:
    """Half an hour ago, but not before the centre's midnight: marks are allowed until the
    end of the lesson's day (Asia/Tashkent), so a run just after midnight still saves them."""
    midnight = datetime.combine(now.astimezone(CENTRE_TZ).date(), clock_time(), CENTRE_TZ)
    return max(now - timedelta(minutes=30), midnight.astimezone(UTC))


async def seed(url: str) -> Centre:
    """Straight inserts after `python -m bot migrate`: one transaction, consents for all."""
    engine = create_engine(url)
    factory = create_session_factory(engine)
    centre = Centre()
    now = utcnow()
    async with factory() as session:

        async def person(telegram_id: int, name: str, roles: list[Role]) -> Person:
            user = User(telegram_id=telegram_id, full_name=name, language="en", created_at=now)
            session.add(user)
            await session.flush()
            session.add_all(RoleAssignment(user_id=user.id, role=role) for role in roles)
            session.add(
                Consent(
                    user_id=user.id,
                    event=ConsentEvent.ACCEPTED,
                    policy_version="1",
                    at=now,
                    reminders=True,
                    announcements=True,
                    analytics=True,
                )
            )
            return Person(telegram_id, user.id, name)

        for number in range(ADMINS):
            admin = await person(33_000_000 + number, f"Admin {number}", [Role.ADMIN])
            session.add_all(
                AdminPermission(user_id=admin.user_id, permission=p) for p in Permission
            )
            centre.admins.append(admin)
        teachers = [
            await person(32_000_000 + n, f"Teacher {n}", [Role.TEACHER]) for n in range(TEACHERS)
        ]
        lessons: dict[int, list[tuple[int, list[int]]]] = {t.user_id: [] for t in teachers}
        started = todays_lesson_start(now)
        for number in range(GROUPS):
            course = Course(name=f"Course {number}", monthly_price=400_000 + 10_000 * number)
            session.add(course)
            await session.flush()
            teacher = teachers[number % TEACHERS]
            group = Group(
                course_id=course.id,
                teacher_id=teacher.user_id,
                name=f"G{number} {'AB'[number % 2]}1",
                room=str(100 + number),
                start_date=date(2026, 1, 5),
                capacity=PER_GROUP + 5,
            )
            session.add(group)
            await session.flush()
            session.add_all(
                ScheduleSlot(
                    group_id=group.id, weekday=day, start_time=clock_time(14), duration_minutes=90
                )
                for day in (0, 2, 4)
            )
            today = Lesson(group_id=group.id, starts_at=started, duration_minutes=90)
            session.add(today)
            session.add_all(
                Lesson(
                    group_id=group.id, starts_at=started + timedelta(days=d), duration_minutes=90
                )
                for d in range(1, 14)
            )
            await session.flush()
            members = []
            for seat in range(PER_GROUP):
                index = number * PER_GROUP + seat
                name = f"Student{index:04d} {SURNAMES[index % len(SURNAMES)]}"
                student = await person(30_000_000 + index, name, [Role.STUDENT])
                session.add(
                    Enrolment(
                        student_id=student.user_id, group_id=group.id, joined_on=date(2026, 1, 5)
                    )
                )
                members.append(student.user_id)
                centre.students.append(student)
                if index % 2 == 0:
                    parent = await person(31_000_000 + index, f"Parent {index}", [Role.PARENT])
                    session.add(ParentLink(parent_id=parent.user_id, student_id=student.user_id))
            lessons[teacher.user_id].append((today.id, members))
        centre.teachers = [(t, lessons[t.user_id]) for t in teachers]
        await session.commit()
    await engine.dispose()
    return centre


# --- updates ---------------------------------------------------------------------------------

_ids = count(1)


def message(person: Person, text_: str) -> dict[str, Any]:
    update_id = next(_ids)
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": person.telegram_id, "type": "private", "first_name": person.name},
            "from": _user(person),
            "text": text_,
        },
    }


def press(person: Person, data: str) -> dict[str, Any]:
    update_id = next(_ids)
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"q{update_id}",
            "from": _user(person),
            "chat_instance": "1",
            "data": data,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": person.telegram_id, "type": "private", "first_name": person.name},
                "from": {"id": 4242, "is_bot": True, "first_name": "EduCRM"},
                "text": "…",
            },
        },
    }


def _user(person: Person) -> dict[str, Any]:
    return {
        "id": person.telegram_id,
        "is_bot": False,
        "first_name": person.name,
        "language_code": "en",
    }


class Script:
    """What one person does, a step at a time."""

    kind = ""

    def __init__(self, person: Person) -> None:
        self.person = person
        self.step = 0

    def next_update(self, rng: random.Random) -> dict[str, Any]:
        raise NotImplementedError

    def reset(self) -> None:
        self.step = 0


class StudentScript(Script):
    kind = "student"

    def next_update(self, rng: random.Random) -> dict[str, Any]:
        return message(self.person, rng.choice(["/schedule", "/balance"]))


class TeacherScript(Script):
    """Open today's sheet of one of the groups, tap two students (absent), save."""

    kind = "teacher"

    def __init__(self, person: Person, lessons: list[tuple[int, list[int]]]) -> None:
        super().__init__(person)
        self.lessons = lessons
        self.lesson, self.students = lessons[0]

    def next_update(self, rng: random.Random) -> dict[str, Any]:
        step, self.step = self.step, (self.step + 1) % 4
        if step == 0:
            self.lesson, self.students = rng.choice(self.lessons)
            return press(self.person, AttendanceCb(action="open", lesson=self.lesson).pack())
        if step in (1, 2):
            student = rng.choice(self.students)
            data = AttendanceCb(action="tap", lesson=self.lesson, student=student)
            return press(self.person, data.pack())
        return press(self.person, AttendanceCb(action="save", lesson=self.lesson).pack())


class AdminScript(Script):
    """/pay, the student's name, pick, amount, cash, no note, confirm."""

    kind = "admin"

    def __init__(self, person: Person, students: list[Person]) -> None:
        super().__init__(person)
        self.students = students
        self.student = students[0]

    def next_update(self, rng: random.Random) -> dict[str, Any]:
        step, self.step = self.step, (self.step + 1) % 7
        if step == 0:
            self.student = rng.choice(self.students)
            return message(self.person, "/pay")
        if step == 1:  # the surname: several students, so the pick below is a real step
            return message(self.person, self.student.name.split()[1])
        if step == 2:
            return press(self.person, DeskCb(action="pick", id=self.student.user_id).pack())
        if step == 3:
            return message(self.person, rng.choice(["150 000", "400000", "1 250 000"]))
        if step == 4:
            return press(self.person, DeskCb(action="m", m="cash").pack())
        if step == 5:
            return press(self.person, DeskCb(action="skip").pack())
        return press(self.person, DeskCb(action="ok").pack())


# --- who answered what -----------------------------------------------------------------------


@dataclass
class Waiting:
    """One update in flight: answered at its first answering request, done (the person may
    take the next step) once its handler has stopped talking to the chat."""

    answered: asyncio.Future
    done: asyncio.Future
    query: str | None = None  # a callback query's id: its answerCallbackQuery is its own
    handed: float | None = None
    chat_answered: bool = False
    query_answered: bool = False


class Tracker:
    """Pairs each update with the bot's answers to it (one update per chat at a time).

    A callback's handler answers the query and edits or sends to the chat, in either order;
    the person's next update goes only after both, so a late answer of one update is never
    taken for the answer of the next. A message's update is done at its first answer."""

    def __init__(self) -> None:
        self.waiting: dict[int, Waiting] = {}
        self.queries: dict[str, int] = {}
        self.unsolicited = 0

    def expect(self, update: dict[str, Any]) -> Waiting:
        chat = chat_of(update)
        loop = asyncio.get_running_loop()
        query = update["callback_query"]["id"] if "callback_query" in update else None
        waiting = self.waiting[chat] = Waiting(loop.create_future(), loop.create_future(), query)
        if query is not None:
            self.queries[query] = chat
        return waiting

    def handed_over(self, updates: list[dict[str, Any]]) -> None:
        now = time.perf_counter()
        for update in updates:
            waiting = self.waiting.get(chat_of(update))
            if waiting is not None:
                waiting.handed = now

    def on_call(self, method: str, params: dict[str, Any]) -> None:
        chat = query = None
        if method == "answerCallbackQuery":
            query = str(params.get("callback_query_id"))
            chat = self.queries.pop(query, None)
        elif method in ANSWERS and "chat_id" in params:
            chat = int(params["chat_id"])
        if chat is None:
            return
        waiting = self.waiting.get(chat)
        if (
            waiting is None
            or waiting.handed is None  # polling: this chat's update is not handed over yet
            or (query is not None and query != waiting.query)
            or (query is None and waiting.chat_answered)
        ):
            # a notice or receipt to somebody not waiting, or a second message of one update
            self.unsolicited += 1
            return
        if query is None:
            waiting.chat_answered = True
        else:
            waiting.query_answered = True
        if not waiting.answered.done():
            waiting.answered.set_result(time.perf_counter() - waiting.handed)
        if waiting.query is None or (waiting.chat_answered and waiting.query_answered):
            self.release(chat)

    def release(self, chat: int) -> None:
        waiting = self.waiting.pop(chat, None)
        if waiting is not None and not waiting.done.done():
            waiting.done.set_result(None)


def chat_of(update: dict[str, Any]) -> int:
    event = update.get("message") or update["callback_query"]
    return int(event["from"]["id"])


# --- the bot process -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    try:
        import psutil  # type: ignore[import-not-found]

        info = psutil.Process(pid).memory_info()
        return getattr(info, "peak_wset", info.rss) / 2**20
    except ImportError:
        pass
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run_command(env: dict[str, str], *args: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=PROJECT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    if process.returncode:
        raise RuntimeError(f"python -m bot {' '.join(args)} failed:\n{output.decode()[-2000:]}")


@dataclass
class Driver:
    """Sends updates for idle people, by kind weights, and waits for the answers."""

    api: FakeBotApi
    tracker: Tracker
    scripts: dict[str, deque[Script]]
    weights: dict[str, float]
    send: Callable[[dict[str, Any]], Any]
    rng: random.Random = field(default_factory=lambda: random.Random(8))
    timeout: float = 15.0
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    by_step: dict[str, list[float]] = field(default_factory=dict)
    lost: int = 0
    skipped: int = 0
    unfinished: int = 0

    def idle_script(self) -> Script | None:
        kinds = list(self.weights)
        first = self.rng.choices(kinds, [self.weights[k] for k in kinds])[0]
        for kind in [first, *kinds]:
            if self.scripts[kind]:
                return self.scripts[kind].popleft()
        return None

    async def one(self, script: Script) -> None:
        step = f"{script.kind}:{script.step}"
        update = script.next_update(self.rng)
        waiting = self.tracker.expect(update)
        try:
            await self.send(update)
            latency = await asyncio.wait_for(waiting.answered, self.timeout)
            self.latencies.append(latency)
            self.by_kind.setdefault(script.kind, []).append(latency)
            self.by_step.setdefault(step, []).append(latency)
            try:
                # a query answered first may be all there is (a refusal) or come before the
                # edit (a payment confirmed): a second for the chat's answer
                grace = QUERY_ONLY_GRACE if waiting.query_answered else self.timeout
                await asyncio.wait_for(waiting.done, grace)
            except TimeoutError:
                if not waiting.query_answered:
                    self.unfinished += 1  # the chat answered, the callback query never
        except (TimeoutError, aiohttp.ClientError):
            self.lost += 1
            script.reset()
        finally:
            self.tracker.release(chat_of(update))
            self.scripts[script.kind].append(script)

    def reset_figures(self) -> None:
        self.latencies, self.by_kind, self.lost, self.skipped = [], {}, 0, 0
        self.by_step, self.unfinished = {}, 0

    async def sustained(self, seconds: float, concurrency: int) -> float:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                script = self.idle_script()
                if script is None:
                    await asyncio.sleep(0.001)
                    continue
                await self.one(script)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return len(self.latencies) / (time.perf_counter() - started)

    async def fixed_rate(self, seconds: float, rate: float) -> None:
        tasks: set[asyncio.Task] = set()
        started = time.perf_counter()
        for number in range(int(seconds * rate)):
            delay = started + number / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            script = self.idle_script()
            if script is None:
                self.skipped += 1
                continue
            task = asyncio.create_task(self.one(script))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else 0.0


# --- main ------------------------------------------------------------------------------------


async def create_postgres(server: str) -> tuple[str, Callable[[], Any]]:
    import asyncpg

    name = f"educrm_load_{uuid.uuid4().hex[:8]}"
    dsn = server.replace("postgresql+asyncpg", "postgresql")
    connection = await asyncpg.connect(f"{dsn}/postgres")
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()

    async def drop() -> None:
        connection = await asyncpg.connect(f"{dsn}/postgres")
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()

    return f"{server}/{name}", drop


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["polling", "webhook"], default="polling")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--pg-server", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    parser.add_argument("--redis-db", type=int, default=14)
    parser.add_argument("--steps", action="store_true", help="latency of each script step")
    parser.add_argument("--profile", help="run the bot under cProfile, stats to this file")
    parser.add_argument(
        "--processes", type=int, default=1, help="webhook only: bot processes, requests in turn"
    )
    args = parser.parse_args()
    if args.processes > 1 and args.mode != "webhook":
        parser.error("several processes need --mode webhook (Telegram lets one process poll)")

    folder = Path(tempfile.mkdtemp(prefix="educrm-load-"))
    drop = None
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(PROJECT),
        "BOT_TOKEN": BOT_TOKEN,
        "OWNER_IDS": "33000000",
        "LOG_LEVEL": args.log_level,
        "THROTTLE_RATE": "100",  # virtual people tap faster than the default flood limit
        "BACKUP_DIR": str(folder / "backups"),
    }
    if args.database == "postgres":
        url, drop = await create_postgres(args.pg_server)
        env["REDIS_URL"] = f"redis://127.0.0.1:6379/{args.redis_db}"
        from redis.asyncio import Redis

        redis = Redis.from_url(env["REDIS_URL"])
        await redis.flushdb()
        await redis.aclose()
    else:
        url = f"sqlite+aiosqlite:///{folder / 'load.db'}"
    env["DATABASE_URL"] = url

    tracker = Tracker()
    api = FakeBotApi(batch=100, on_call=tracker.on_call, on_handover=tracker.handed_over)
    await api.start()
    env["TELEGRAM_API_URL"] = api.url
    ports = [free_port() for _ in range(args.processes)] if args.mode == "webhook" else []
    webhooks = [f"http://127.0.0.1:{port}/telegram" for port in ports]
    if webhooks:  # what Telegram is told; a proxy in front would spread it over the processes
        env |= {"WEBHOOK_URL": webhooks[0], "WEBHOOK_SECRET": SECRET}

    began = time.perf_counter()
    await run_command(env, "migrate")
    centre = await seed(url)
    seeded = time.perf_counter() - began

    command = [sys.executable]
    if args.profile:
        command += ["-m", "cProfile", "-o", args.profile]  # relative to the bot's folder
    command += ["-m", "bot", "run"]
    logs = [folder / f"bot-{number}.log" for number in range(max(1, args.processes))]
    processes = []
    for number, log in enumerate(logs):
        own = env | ({"WEBHOOK_LISTEN": f"127.0.0.1:{ports[number]}"} if ports else {})
        with log.open("wb") as output:
            processes.append(
                await asyncio.create_subprocess_exec(
                    *command, cwd=folder, env=own, stdout=output, stderr=output
                )
            )
        if args.profile:
            command = [sys.executable, "-m", "bot", "run"]  # the first process only
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256))
    try:
        send = await ready(api, http, webhooks, processes, logs)
        scripts: dict[str, deque[Script]] = {
            "student": deque(StudentScript(s) for s in centre.students),
            "teacher": deque(TeacherScript(t, lessons) for t, lessons in centre.teachers),
            "admin": deque(AdminScript(a, centre.students) for a in centre.admins),
        }
        driver = Driver(
            api, tracker, scripts, {"student": 0.6, "teacher": 0.25, "admin": 0.15}, send
        )
        # The fixed rate comes first: after the sustained phase the bot is still digesting
        # its backlog (writers queued, notices paced at SEND_RATE) for seconds, which says
        # nothing about how it answers at a steady 100 updates/s.
        await driver.fixed_rate(args.warmup, args.rate)  # warm-up, not reported
        driver.reset_figures()
        await driver.fixed_rate(args.seconds, args.rate)
        fixed = driver
        driver = Driver(api, tracker, fixed.scripts, fixed.weights, send)
        cpu_before = sum(cpu_seconds(process.pid) for process in processes)
        throughput = await driver.sustained(args.seconds, args.concurrency)
        cpu_after = sum(cpu_seconds(process.pid) for process in processes)
        cpu_per_update = (cpu_after - cpu_before) / max(1, len(driver.latencies))
        sustained_lost = driver.lost
        sustained = (percentile(driver.latencies, 0.5), percentile(driver.latencies, 0.99))
        driver = fixed
        rss = max(peak_rss_mb(process.pid) for process in processes)
    finally:
        await http.close()
        await asyncio.gather(*(stop(process) for process in processes))
        await api.stop()
    facts = await count_rows(url)
    if drop is not None:
        await drop()
    report(
        args, seeded, throughput, sustained, sustained_lost, cpu_per_update, driver, rss,
        tracker, facts,
    )  # fmt: skip
    for log in logs:
        errors = log.read_text(errors="replace").count("Traceback")
        print(f"bot log: {log} ({errors} tracebacks)")


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 60)
        except TimeoutError:
            process.kill()


async def ready(
    api: FakeBotApi,
    http: aiohttp.ClientSession,
    webhooks: list[str],
    processes: list[asyncio.subprocess.Process],
    logs: list[Path],
) -> Callable[[dict[str, Any]], Any]:
    """Wait until every bot process takes updates; return how to hand one over (with
    several processes, to each in turn, as a round-robin proxy would)."""
    startup = "setWebhook" if webhooks else "deleteWebhook"
    deadline = time.perf_counter() + 120
    while len(api.calls_of(startup)) < len(processes):
        for process, log in zip(processes, logs, strict=True):
            if process.returncode is not None or time.perf_counter() > deadline:
                raise RuntimeError(log.read_text()[-3000:])
        await asyncio.sleep(0.1)
    api.keep_calls = False
    if not webhooks:

        async def put(update: dict[str, Any]) -> None:
            await api.updates.put(update)

        return put
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    for webhook in webhooks:
        for _ in range(100):
            try:
                async with http.post(webhook, json={"update_id": 0}, headers=headers):
                    break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
    turns = cycle(webhooks)

    async def post(update: dict[str, Any]) -> None:
        tracker_handover(api, update)
        async with http.post(next(turns), json=update, headers=headers) as response:
            if response.status != 200:
                raise aiohttp.ClientError(f"webhook answered {response.status}")

    return post


def tracker_handover(api: FakeBotApi, update: dict[str, Any]) -> None:
    if api.on_handover is not None:
        api.on_handover([update])


async def count_rows(url: str) -> dict[str, int]:
    engine = create_engine(url)
    facts = {}
    async with engine.connect() as connection:
        for table in ("payments", "attendance", "audit_log", "usage_counts"):
            facts[table] = (
                await connection.execute(text(f"SELECT count(*) FROM {table}"))
            ).scalar()
    await engine.dispose()
    return facts


def report(
    args, seeded, throughput, sustained, sustained_lost, cpu_per_update, driver, rss, tracker,
    facts,
):  # fmt: skip
    values = driver.latencies
    print(
        f"\nEduCRM load: {args.mode}, {args.database}"
        f"{' + redis' if args.database == 'postgres' else ''}, log level {args.log_level},"
        f" {args.processes} bot process{'es' if args.processes > 1 else ''};"
        f" centre seeded in {seeded:.1f} s (300 students, 20 groups)"
    )
    print(f"{'figure':34} {'value':>12}")
    print(f"{'sustained updates/s':34} {throughput:12.0f}   (concurrency {args.concurrency})")
    print(f"{'  latency p50 / p99 there, ms':34} {sustained[0]:6.1f} / {sustained[1]:.1f}")
    print(f"{'  unanswered (15 s) there':34} {sustained_lost:12d}")
    print(f"{'  bot CPU per update there, ms':34} {cpu_per_update * 1000:12.2f}   (all processes)")
    print(f"{'fixed rate, updates/s':34} {args.rate:12.0f}   ({len(values)} answered)")
    for label, share in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        print(f"{'  latency ' + label + ', ms':34} {percentile(values, share):12.1f}")
    if values:
        print(f"{'  latency max, ms':34} {max(values) * 1000:12.1f}")
        print(f"{'  latency mean, ms':34} {statistics.fmean(values) * 1000:12.1f}")
    for kind, found in sorted(driver.by_kind.items()):
        label = f"  p99 {kind} ({len(found)}), ms"
        print(f"{label:34} {percentile(found, 0.99):12.1f}")
    if args.steps:
        for step, found in sorted(driver.by_step.items()):
            label = f"    {step} ({len(found)}) p50/p99, ms"
            print(f"{label:34} {percentile(found, 0.5):6.1f} / {percentile(found, 0.99):.1f}")
    print(f"{'  unanswered / not sent (no idle)':34} {driver.lost:6d} / {driver.skipped}")
    print(f"{'  answered but never finished':34} {driver.unfinished:12d}")
    print(f"{'peak RSS of a bot process, MB':34} {rss:12.1f}")
    print(f"rows after the run: {facts}; notices to people not waiting: {tracker.unsolicited}")


if __name__ == "__main__":
    asyncio.run(main())
