"""What a student (or their parent) reads: schedule, attendance, grades, homework.

Each function is one query whatever the number of rows (joins and a window function,
never a query per lesson or per group). Nothing here writes or commits.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Attendance,
    Course,
    Enrolment,
    EnrolmentStatus,
    Grade,
    Group,
    GroupStatus,
    Homework,
    Lesson,
    ScheduleSlot,
    User,
)

# A frozen student keeps their history but has no current lessons or homework.
CURRENT = (EnrolmentStatus.ACTIVE,)
HISTORY = (EnrolmentStatus.ACTIVE, EnrolmentStatus.FROZEN)


def _group_ids(student_id: Any, statuses: Sequence[EnrolmentStatus]) -> Select[Any]:
    """The ids of the groups the student is in with one of `statuses` (a subquery)."""
    return select(Enrolment.group_id).where(
        Enrolment.student_id == student_id, Enrolment.status.in_([s.value for s in statuses])
    )


# The two queries behind every /schedule, built once: constructing a statement and its
# cache key costs more than SQLite takes to run it.
_LESSONS_BETWEEN = (
    select(
        Lesson.id,
        Lesson.starts_at,
        Lesson.duration_minutes,
        Lesson.status,
        Lesson.topic,
        Group.id,
        Group.name,
        Group.room,
        Course.name,
        User.full_name,
    )
    .join(Group, Group.id == Lesson.group_id)
    .join(Course, Course.id == Group.course_id)
    .outerjoin(User, User.id == Group.teacher_id)
    .where(
        Lesson.group_id.in_(_group_ids(bindparam("student_id"), CURRENT)),
        Group.status == GroupStatus.ACTIVE,
        Lesson.starts_at >= bindparam("start"),
        Lesson.starts_at < bindparam("end"),
    )
    .order_by(Lesson.starts_at, Group.name, Lesson.id)
)
_SLOTS_OF_CURRENT_GROUPS = select(
    ScheduleSlot.group_id, ScheduleSlot.weekday, ScheduleSlot.start_time
).where(ScheduleSlot.group_id.in_(_group_ids(bindparam("student_id"), CURRENT)))


async def lessons_between(
    session: AsyncSession, student_id: int, start: datetime, end: datetime
) -> Sequence[Row[Any]]:
    """(lesson id, starts_at, duration, status, topic, group id, group, room, course, teacher's
    name or None) of the student's active groups with start <= starts_at < end, earliest first."""
    parameters = {"student_id": student_id, "start": start, "end": end}
    return (await session.execute(_LESSONS_BETWEEN, parameters)).all()


async def slots_of_current_groups(session: AsyncSession, student_id: int) -> Sequence[Row[Any]]:
    """(group id, weekday, start time) of every weekly slot of the student's active groups."""
    parameters = {"student_id": student_id}
    return (await session.execute(_SLOTS_OF_CURRENT_GROUPS, parameters)).all()


async def groups_of(session: AsyncSession, student_id: int) -> Sequence[Row[Any]]:
    """(group id, group, course) of the groups the student is in (active or frozen)."""
    rows = await session.execute(
        select(Group.id, Group.name, Course.name)
        .join(Course, Course.id == Group.course_id)
        .where(Group.id.in_(_group_ids(student_id, HISTORY)))
        .order_by(Course.name, Group.name, Group.id)
    )
    return rows.all()


async def attendance_counts(session: AsyncSession, student_id: int) -> Sequence[Row[Any]]:
    """(group id, group, course, mark, count) over every lesson the student was marked at."""
    rows = await session.execute(
        select(Group.id, Group.name, Course.name, Attendance.status, func.count())
        .select_from(Attendance)
        .join(Lesson, Lesson.id == Attendance.lesson_id)
        .join(Group, Group.id == Lesson.group_id)
        .join(Course, Course.id == Group.course_id)
        .where(Attendance.student_id == student_id)
        .group_by(Group.id, Group.name, Course.name, Attendance.status)
    )
    return rows.all()


async def recent_attendance(
    session: AsyncSession, student_id: int, per_group: int
) -> Sequence[Row[Any]]:
    """(group id, lesson start, mark): the latest `per_group` marks of each group, newest first."""
    ranked = (
        select(
            Lesson.group_id.label("group_id"),
            Lesson.starts_at.label("starts_at"),
            Attendance.status.label("status"),
            func.row_number()
            .over(
                partition_by=Lesson.group_id,
                order_by=(Lesson.starts_at.desc(), Lesson.id.desc()),
            )
            .label("position"),
        )
        .join(Lesson, Lesson.id == Attendance.lesson_id)
        .where(Attendance.student_id == student_id)
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.group_id, ranked.c.starts_at, ranked.c.status)
        .where(ranked.c.position <= per_group)
        .order_by(ranked.c.group_id, ranked.c.position)
    )
    return rows.all()


async def grades(session: AsyncSession, student_id: int) -> Sequence[Row[Any]]:
    """(Grade, group id, group, course): every grade of the student, newest first."""
    rows = await session.execute(
        select(Grade, Group.id, Group.name, Course.name)
        .join(Group, Group.id == Grade.group_id)
        .join(Course, Course.id == Group.course_id)
        .where(Grade.student_id == student_id)
        .order_by(Grade.created_at.desc(), Grade.id.desc())
    )
    return rows.all()


async def homework(
    session: AsyncSession, student_id: int, *, due_since: datetime, posted_since: datetime
) -> Sequence[Row[Any]]:
    """(Homework, group, course) of the student's active groups: due since `due_since`,
    or without a due date and posted since `posted_since`."""
    rows = await session.execute(
        select(Homework, Group.name, Course.name)
        .join(Group, Group.id == Homework.group_id)
        .join(Course, Course.id == Group.course_id)
        .where(
            Homework.group_id.in_(_group_ids(student_id, CURRENT)),
            Group.status == GroupStatus.ACTIVE,
            or_(
                Homework.due_at >= due_since,
                (Homework.due_at.is_(None)) & (Homework.posted_at >= posted_since),
            ),
        )
        .order_by(Homework.posted_at.desc(), Homework.id.desc())
    )
    return rows.all()


async def homework_of_student(
    session: AsyncSession, student_id: int, homework_id: int
) -> Row[Any] | None:
    """(Homework, group) when the homework belongs to one of the student's active groups."""
    rows = await session.execute(
        select(Homework, Group.name)
        .join(Group, Group.id == Homework.group_id)
        .where(
            Homework.id == homework_id,
            Homework.group_id.in_(_group_ids(student_id, CURRENT)),
        )
    )
    return rows.first()
