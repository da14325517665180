"""The reports' maintained totals (db.report_totals): after every kind of write they are what
counting every row again gives; a statement that does not say what it touched is refused; a
change of the centre's zone recounts them; the revision that brings them counts the rows
already there.

(That every report reads the same figures from the totals as from the rows is checked by
the reports' own tests, which run twice: tests/conftest.py's `report_source`.)"""

import asyncio
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import func, select, text, update

from bot.services import deletion
from bot.startup.migrate import alembic_config
from db import report_totals
from db.engine import create_engine, create_session_factory
from db.models import (
    Attendance,
    AttendanceMonthTotal,
    AttendanceStatus,
    CashDayTotal,
    ChargeMonthTotal,
    Lesson,
    LessonMonthTotal,
    Payment,
    Role,
)
from db.repositories import academic
from db.repositories import attendance as attendance_repo
from db.repositories import report_totals as totals_repo
from tests.db.test_migrations import empty_database  # noqa: F401 (a fixture)
from tests.factories import make_charge, make_group, make_lesson, make_payment, make_user
from tests.ledger_world import local
from tests.unit.test_finance_report import billing, build_ledger  # noqa: F401 (a fixture)

TZ = ZoneInfo("Asia/Tashkent")


async def recount_agrees(session) -> bool:
    return await session.run_sync(lambda sync: report_totals.matches_rows(sync.connection(), TZ))


async def count(session, model) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_every_writer_keeps_the_totals_a_recount_of_the_rows(session, billing):  # noqa: F811
    # charges of three months, payments by every method, a reversal a month later, a refund
    world, teacher_id = await build_ledger(session, billing)
    assert await count(session, CashDayTotal) and await count(session, ChargeMonthTotal)
    assert await recount_agrees(session)

    # a sheet saved by the attendance service, saved again changed, and an ORM mark
    lesson = await make_lesson(session, world.groups["A"], local(date(2026, 12, 2), 14))
    students = [world.students["Aziz"], world.students["Bek"]]
    marks = {students[0]: "present", students[1]: "absent"}
    await attendance_repo.upsert_marks(session, lesson.id, marks, teacher_id, lesson.starts_at)
    await session.commit()
    assert await count(session, AttendanceMonthTotal) == 2 and await recount_agrees(session)
    marks[students[1]] = "late"
    await attendance_repo.upsert_marks(session, lesson.id, marks, teacher_id, lesson.starts_at)
    await session.commit()
    other = await make_lesson(session, world.groups["B"], local(date(2027, 1, 5), 9))
    session.add(Attendance(lesson_id=other.id, student_id=students[0], status="excused"))
    await session.commit()
    assert await recount_agrees(session)

    # a lesson cancelled after it was marked: its month is counted again without it
    lesson.status = "cancelled"
    await session.commit()
    assert await recount_agrees(session)

    # lessons made by the timetable's statement, one moved to the next month, one deleted
    group = world.groups["A"]
    starts = [local(date(2027, 1, 29), 14), local(date(2027, 1, 30), 14)]
    await academic.insert_lessons(
        session, [{"group_id": group, "starts_at": at, "duration_minutes": 90} for at in starts]
    )
    await session.commit()
    assert await recount_agrees(session)
    ids = list(await session.scalars(select(Lesson.id).where(Lesson.starts_at.in_(starts))))
    later = local(date(2027, 2, 2), 14)
    assert await academic.move_if_scheduled(session, ids[0], starts[0], later)
    await academic.delete_lessons(session, [ids[1]])
    await session.commit()
    months = select(LessonMonthTotal.month, LessonMonthTotal.lessons).where(
        LessonMonthTotal.group_id == group, LessonMonthTotal.month >= date(2027, 1, 1)
    )
    assert dict((await session.execute(months)).all())[date(2027, 2, 1)] == 1
    assert await recount_agrees(session)

    # rows written by the factories (ORM objects with their defaults), then an erasure,
    # which moves the person's ledger to an anonymous reference
    gone = world.students["Laylo"]
    await make_charge(session, gone, amount=70_000, period=date(2027, 2, 1))
    await make_payment(session, gone, 70_000, paid_at=local(date(2027, 2, 3), 10))
    await make_payment(session, gone, 5_000)  # paid now (the column's default)
    assert await recount_agrees(session)
    assert await deletion.delete_user(session, gone, owner_ids=())
    assert await recount_agrees(session)


async def test_a_rolled_back_write_leaves_the_totals_as_they_were(session):
    student = (await make_user(session, None, roles=[Role.STUDENT])).id
    await make_payment(session, student, 100_000, paid_at=datetime(2026, 12, 3, 5, tzinfo=UTC))
    before = (await session.execute(select(CashDayTotal.amount))).scalars().all()
    await make_payment(session, student, 900_000, commit=False)
    await session.rollback()
    await make_payment(session, student, 1, paid_at=datetime(2026, 6, 1, 5, tzinfo=UTC))
    amounts = (await session.execute(select(CashDayTotal.day, CashDayTotal.amount))).all()
    assert before == [100_000]
    assert sorted(amounts) == [(date(2026, 6, 1), 1), (date(2026, 12, 3), 100_000)]


async def test_a_statement_that_does_not_say_what_it_touched_is_refused(session):
    student = await make_user(session, None, roles=[Role.STUDENT])
    await make_payment(session, student, 100_000)
    with pytest.raises(report_totals.UntrackedWrite):
        await session.execute(update(Payment).values(amount=Payment.amount * 2))
    await session.rollback()
    assert await session.scalar(select(Payment.amount)) == 100_000


async def test_a_new_time_zone_recounts_the_days_and_months(session):
    teacher = await make_user(session, None, roles=[Role.TEACHER])
    student = await make_user(session, None, roles=[Role.STUDENT])
    group = await make_group(session, "A1", teacher_id=teacher.id)
    # 19:30 UTC on 30 November: already 1 December in Tashkent, still November in UTC
    evening = datetime(2026, 11, 30, 19, 30, tzinfo=UTC)
    await make_payment(session, student, 250_000, paid_at=evening)
    lesson = await make_lesson(session, group, evening)
    await attendance_repo.upsert_marks(
        session, lesson.id, {student.id: "present"}, teacher.id, evening
    )
    await session.commit()

    async def days_and_months():
        days = (await session.execute(select(CashDayTotal.day))).scalars().all()
        months = (await session.execute(select(AttendanceMonthTotal.month))).scalars().all()
        return days, months

    assert await days_and_months() == ([date(2026, 12, 1)], [date(2026, 12, 1)])
    assert await totals_repo.usable(session, TZ)
    utc = ZoneInfo("UTC")
    assert not await totals_repo.usable(session, utc)  # the reports read the rows meanwhile

    ensure = report_totals.ensure_zone
    assert await session.run_sync(lambda sync: ensure(sync.connection(), "UTC"))
    await session.commit()
    assert await days_and_months() == ([date(2026, 11, 30)], [date(2026, 11, 1)])
    assert await totals_repo.usable(session, utc) and not await totals_repo.usable(session, TZ)
    assert not await session.run_sync(lambda sync: ensure(sync.connection(), "UTC"))  # once

    # from now on a write is counted in the new zone
    await make_payment(session, student, 1_000, paid_at=datetime(2026, 12, 31, 22, tzinfo=UTC))
    days = (await session.execute(select(CashDayTotal.day).order_by(CashDayTotal.day))).all()
    assert [day for (day,) in days] == [date(2026, 11, 30), date(2026, 12, 31)]
    assert await session.run_sync(lambda sync: report_totals.matches_rows(sync.connection(), utc))


async def _rows_before_the_totals(url: str) -> None:
    """A student, a payment, a charge and a mark, written as revision 0013 held them."""
    engine = create_engine(url)
    async with engine.begin() as connection:
        for statement in (
            "INSERT INTO users (id, full_name, language) VALUES (1, 'Sam', 'en')",
            "INSERT INTO courses (id, name, monthly_price) VALUES (1, 'English', 500000)",
            "INSERT INTO groups (id, course_id, name, start_date, capacity, status) "
            "VALUES (1, 1, 'A1', '2026-09-01', 12, 'active')",
            "INSERT INTO enrolments (id, student_id, group_id, joined_on, discount_percent, "
            "status) VALUES (1, 1, 1, '2026-09-01', 0, 'active')",
            "INSERT INTO charges (id, student_id, enrolment_id, period, amount, due_date) "
            "VALUES (1, 1, 1, '2026-12-01', 500000, '2026-12-10')",
            "INSERT INTO payments (id, student_id, amount, method, paid_at) "
            "VALUES (1, 1, 300000, 'cash', '2026-11-30 19:30:00+00:00')",
            "INSERT INTO lessons (id, group_id, starts_at, duration_minutes, status) "
            "VALUES (1, 1, '2026-12-02 09:00:00+00:00', 90, 'held')",
            "INSERT INTO attendance (id, lesson_id, student_id, status, marked_at) "
            "VALUES (1, 1, 1, 'late', '2026-12-02 09:00:00+00:00')",
        ):
            await connection.execute(text(statement))
    await engine.dispose()


async def _totals_after(url: str) -> tuple:
    engine = create_engine(url)
    async with create_session_factory(engine)() as session:
        found = (
            (await session.execute(select(CashDayTotal.day, CashDayTotal.amount))).all(),
            (
                await session.execute(select(ChargeMonthTotal.group_id, ChargeMonthTotal.amount))
            ).all(),
            (
                await session.execute(
                    select(AttendanceMonthTotal.month, AttendanceMonthTotal.status)
                )
            ).all(),
            await recount_agrees(session),
        )
    await engine.dispose()
    return found


def test_the_totals_revision_counts_the_rows_already_there(empty_database: str) -> None:  # noqa: F811
    config = alembic_config(empty_database)
    command.upgrade(config, "0013")
    asyncio.run(_rows_before_the_totals(empty_database))
    command.upgrade(config, "0014")
    cash, charges, marks, agrees = asyncio.run(_totals_after(empty_database))
    assert cash == [(date(2026, 12, 1), 300_000)]  # the centre's day, not UTC's
    assert charges == [(1, 500_000)]
    assert marks == [(date(2026, 12, 1), AttendanceStatus.LATE.value)]
    assert agrees
    command.downgrade(config, "0013")
    command.upgrade(config, "head")


async def test_a_lesson_with_marks_is_neither_cancelled_nor_moved(session):
    """A lesson with marks is neither cancelled nor moved, and its counts stay a recount."""
    teacher = await make_user(session, None, roles=[Role.TEACHER])
    student = await make_user(session, None, roles=[Role.STUDENT])
    group = await make_group(session, "A1", teacher_id=teacher.id)
    start = datetime(2026, 12, 2, 9, tzinfo=UTC)
    lesson = await make_lesson(session, group, start)
    await attendance_repo.upsert_marks(
        session, lesson.id, {student.id: "present"}, teacher.id, start
    )
    await session.commit()
    assert not await academic.cancel_if_scheduled(session, lesson.id)
    assert not await academic.move_if_scheduled(
        session, lesson.id, start, datetime(2027, 1, 5, tzinfo=UTC)
    )
    await session.commit()
    assert await recount_agrees(session)


async def test_two_writers_of_one_month_on_postgresql_count_each_others_rows(
    session_factory, session, database_url
):
    """A sheet saved (marks) and a lesson added (the timetable) in the same group's month, in
    two transactions committing at once: the second recount waits for the first commit and
    counts its rows (without the lock it would insert the month's rows a second time)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time")
    teacher = await make_user(session, None, roles=[Role.TEACHER])
    student = await make_user(session, None, roles=[Role.STUDENT])
    group = await make_group(session, "A1", teacher_id=teacher.id)
    start = datetime(2026, 12, 2, 9, tzinfo=UTC)
    lesson = await make_lesson(session, group, start)
    group_id, lesson_id, teacher_id, student_id = group.id, lesson.id, teacher.id, student.id
    async with session_factory() as marking, session_factory() as planning:
        marks = {student_id: "absent"}
        await attendance_repo.upsert_marks(marking, lesson_id, marks, teacher_id, start)
        later = datetime(2026, 12, 9, 9, tzinfo=UTC)
        row = {"group_id": group_id, "starts_at": later, "duration_minutes": 90}
        await academic.insert_lessons(planning, [row])
        await asyncio.gather(marking.commit(), planning.commit())
    assert await recount_agrees(session)
    lessons = select(func.sum(LessonMonthTotal.lessons)).where(
        LessonMonthTotal.group_id == group_id
    )
    assert await session.scalar(lessons) == 2
