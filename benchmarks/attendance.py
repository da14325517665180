"""Saving attendance for a 20-student group, and how long the absence notices take to leave.

Through the real Dispatcher, middlewares and database, with the fake Telegram session of
the tests (each API call is stamped when the bot hands it over). Every round a teacher
opens a fresh lesson's sheet, taps `--absent` students absent and taps 💾 Save; each
absent student and their parent get a notice. Measured from the tap on 💾 Save:
  save     — until the sheet is edited (the transaction is committed by then);
  notices  — until the last absence notice is handed to Telegram.
On SQLite by default, on PostgreSQL with DATABASE_URL=postgresql+asyncpg://… (the tables
there are dropped and created again: point it at a database of its own). Usage:
    .venv/bin/python benchmarks/attendance.py [--students 20] [--absent 5] [--rounds 30]
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from aiogram.methods import EditMessageText, SendMessage  # noqa: E402
from loguru import logger  # noqa: E402

import db.models  # noqa: E402, F401
from bot.logging import setup_logging  # noqa: E402
from bot.startup.app import create_dispatcher  # noqa: E402
from db.base import Base, utcnow  # noqa: E402
from db.engine import create_engine, create_session_factory  # noqa: E402
from db.models import Course, Enrolment, Group, Lesson, ParentLink, Role  # noqa: E402
from keyboards.attendance import AttendanceCb  # noqa: E402
from tests.chat import ChatClient, Person  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.factories import make_user  # noqa: E402
from tests.mocked_bot import MockedBot  # noqa: E402


class NoThrottle:
    """One teacher tapping fast on purpose: the benchmark is not a flood."""

    async def hit(self, key: int) -> int:
        return 1


def stamp_requests(bot: MockedBot) -> list[tuple[float, object]]:
    """Record (time, method) of every API call as the bot hands it to the fake Telegram."""
    stamps: list[tuple[float, object]] = []
    original = bot.session.make_request

    async def stamped(bot_, method, **options):
        stamps.append((time.perf_counter(), method))
        return await original(bot_, method, **options)

    bot.session.make_request = stamped  # type: ignore[method-assign]
    return stamps


async def arrange(factory, students: int, rounds: int) -> tuple[Person, list[int], list[int]]:
    """A teacher, one group of `students` each with a parent, and a lesson per round."""
    teacher = Person(id=70_000, first_name="Teacher", language_code="en")
    async with factory() as session:
        teacher_row = await make_user(session, teacher, roles=[Role.TEACHER])
        course = Course(name="Bench course", monthly_price=500_000)
        session.add(course)
        await session.flush()
        group = Group(
            course_id=course.id,
            teacher_id=teacher_row.id,
            name="Bench group",
            start_date=date(2026, 1, 5),
            capacity=max(students, 1),
        )
        session.add(group)
        await session.commit()
        student_ids = []
        for number in range(students):
            student = await make_user(
                session,
                Person(id=71_000 + number, first_name=f"Student {number:02}"),
                roles=[Role.STUDENT],
                full_name=f"Student {number:02}",
            )
            parent = await make_user(
                session,
                Person(id=72_000 + number, first_name=f"Parent {number:02}"),
                roles=[Role.PARENT],
                language="ru",
            )
            session.add(Enrolment(student_id=student.id, group_id=group.id, joined_on=date.today()))
            session.add(ParentLink(parent_id=parent.id, student_id=student.id))
            student_ids.append(student.id)
        # Lessons starting in the coming seconds: inside the 15-minute marking window.
        start = utcnow() + timedelta(seconds=5)
        lessons = [
            Lesson(group_id=group.id, starts_at=start + timedelta(seconds=i), duration_minutes=90)
            for i in range(rounds + 1)
        ]
        session.add_all(lessons)
        await session.commit()
        return teacher, student_ids, [lesson.id for lesson in lessons]


def summary(label: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (
        f"{label:44} median {statistics.median(values):7.2f} ms   p95 {p95:7.2f} ms"
        f"   max {ordered[-1]:7.2f} ms"
    )


async def one_round(
    client: ChatClient,
    teacher: Person,
    lesson_id: int,
    absent: list[int],
    stamps: list[tuple[float, object]],
) -> tuple[float, float, int]:
    opened = await client.press(teacher, AttendanceCb(action="open", lesson=lesson_id).pack())
    message_id = opened.message_id
    for student_id in absent:
        await client.press(
            teacher,
            AttendanceCb(action="tap", lesson=lesson_id, student=student_id).pack(),
            message_id,
        )
    stamps.clear()
    started = time.perf_counter()
    await client.press(teacher, AttendanceCb(action="save", lesson=lesson_id).pack(), message_id)
    saved = next(at for at, method in stamps if isinstance(method, EditMessageText))
    notices = [at for at, method in stamps if isinstance(method, SendMessage)]
    assert notices, "no absence notice was sent"
    return (saved - started) * 1000, (notices[-1] - started) * 1000, len(notices)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--absent", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=30)
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
        teacher, students, lessons = await arrange(factory, args.students, args.rounds)
        bot = MockedBot()
        stamps = stamp_requests(bot)
        settings = make_settings(url, throttle_rate=100)
        client = ChatClient(bot, create_dispatcher(settings, factory, hit_counter=NoThrottle()))
        absent = students[: args.absent]
        await one_round(client, teacher, lessons[0], absent, stamps)  # warm-up
        saves, notices = [], []
        sent = 0
        for lesson_id in lessons[1:]:
            save_ms, notice_ms, sent = await one_round(client, teacher, lesson_id, absent, stamps)
            saves.append(save_ms)
            notices.append(notice_ms)
        print(
            f"database: {url.split(':')[0]}, students: {args.students}, absent: {args.absent}"
            f" ({sent} notices: each absent student and a parent), rounds: {args.rounds}"
        )
        print(summary("save (tap 💾 → sheet edited, committed)", saves))
        print(summary("notices (tap 💾 → last notice handed over)", notices))
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
