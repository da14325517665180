"""Attendance: what a teacher works with to mark it (their groups and lessons, the roster,
the parents to tell) and the marks themselves; grades and homework have their own modules
(db.repositories.grades, db.repositories.homework) and read the roster here.

Each function is one statement whatever the number of students; nothing here commits.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db import report_totals
from db.models import (
    Attendance,
    Course,
    Enrolment,
    EnrolmentStatus,
    Group,
    GroupStatus,
    Lesson,
    LessonStatus,
    ParentLink,
    ScheduleSlot,
    User,
)
from db.repositories.dialect import insert_for

# Frozen students stay on the roster (shown, not markable); those who left do not.
ON_ROSTER = (EnrolmentStatus.ACTIVE.value, EnrolmentStatus.FROZEN.value)


# --- groups ---------------------------------------------------------------------------------


async def get_group(session: AsyncSession, group_id: int) -> Group | None:
    return await session.get(Group, group_id, populate_existing=True)


# The attendance sheet reads these on every tap: built once (constructing a statement and
# its cache key costs more than running it).
_COURSE_NAME = select(Course.name).where(Course.id == bindparam("course_id"))


async def course_name(session: AsyncSession, course_id: int) -> str:
    return await session.scalar(_COURSE_NAME, {"course_id": course_id}) or ""


def _active_count():
    return (
        select(func.count())
        .where(Enrolment.group_id == Group.id, Enrolment.status == EnrolmentStatus.ACTIVE)
        .correlate(Group)
        .scalar_subquery()
    )


async def count_teacher_groups(session: AsyncSession, teacher_id: int) -> int:
    total = await session.scalar(
        select(func.count())
        .select_from(Group)
        .where(Group.teacher_id == teacher_id, Group.status == GroupStatus.ACTIVE)
    )
    return total or 0


async def teacher_groups(
    session: AsyncSession, teacher_id: int, *, offset: int, limit: int
) -> Sequence[Row[Any]]:
    """(group id, group, course, active students) of the teacher's active groups, by name."""
    rows = await session.execute(
        select(Group.id, Group.name, Course.name, _active_count())
        .join(Course, Course.id == Group.course_id)
        .where(Group.teacher_id == teacher_id, Group.status == GroupStatus.ACTIVE)
        .order_by(Group.name, Group.id)
        .offset(offset)
        .limit(limit)
    )
    return rows.all()


async def slots(session: AsyncSession, group_id: int) -> Sequence[ScheduleSlot]:
    rows = await session.scalars(
        select(ScheduleSlot)
        .where(ScheduleSlot.group_id == group_id)
        .order_by(ScheduleSlot.weekday, ScheduleSlot.start_time)
    )
    return rows.all()


# --- lessons --------------------------------------------------------------------------------


async def get_lesson(session: AsyncSession, lesson_id: int) -> Lesson | None:
    return await session.get(Lesson, lesson_id, populate_existing=True)


_LESSON_GROUP_COURSE = (
    select(Lesson, Group, Course.name)
    .join(Group, Group.id == Lesson.group_id)
    .outerjoin(Course, Course.id == Group.course_id)
    .where(Lesson.id == bindparam("lesson_id"))
    .execution_options(populate_existing=True)
)


async def lesson_group_course(
    session: AsyncSession, lesson_id: int
) -> tuple[Lesson, Group, str] | None:
    """The lesson, its group and its course's name in one query (an attendance sheet's
    head, read on every open and tap); None for a lesson there is not."""
    row = (await session.execute(_LESSON_GROUP_COURSE, {"lesson_id": lesson_id})).first()
    return None if row is None else (row[0], row[1], row[2] or "")


async def lock_lesson(session: AsyncSession, lesson_id: int) -> None:
    """Serialize writers of one lesson's marks until the transaction ends.

    A no-op UPDATE: PostgreSQL locks the row, SQLite takes its write lock, so a second
    save of the same lesson waits and then reads the first one's marks.
    """
    await session.execute(
        update(Lesson)
        .where(Lesson.id == lesson_id)
        .values(status=Lesson.status)
        .execution_options(synchronize_session=False, **report_totals.TOUCHED)  # changes nothing
    )


async def set_lesson_status(session: AsyncSession, lesson_id: int, status: LessonStatus) -> None:
    report_totals.touch_lessons(session, [lesson_id])
    await session.execute(
        update(Lesson)
        .where(Lesson.id == lesson_id)
        .values(status=status.value)
        .execution_options(synchronize_session=False, **report_totals.TOUCHED)
    )


async def teacher_lessons_between(
    session: AsyncSession, teacher_id: int, start: datetime, end: datetime
) -> Sequence[Row[Any]]:
    """(lesson, group name, room) of the teacher's groups with start <= starts_at < end."""
    rows = await session.execute(
        select(Lesson, Group.name, Group.room)
        .join(Group, Group.id == Lesson.group_id)
        .where(
            Group.teacher_id == teacher_id,
            Group.status == GroupStatus.ACTIVE,
            Lesson.starts_at >= start,
            Lesson.starts_at < end,
        )
        .order_by(Lesson.starts_at, Group.name, Lesson.id)
    )
    return rows.all()


async def count_lessons_before(session: AsyncSession, group_id: int, before: datetime) -> int:
    total = await session.scalar(
        select(func.count())
        .select_from(Lesson)
        .where(Lesson.group_id == group_id, Lesson.starts_at < before)
    )
    return total or 0


async def lessons_before(
    session: AsyncSession,
    group_id: int,
    before: datetime,
    *,
    offset: int = 0,
    limit: int = 10,
    exclude_cancelled: bool = False,
) -> Sequence[Lesson]:
    """The group's lessons that start before `before`, newest first."""
    conditions = [Lesson.group_id == group_id, Lesson.starts_at < before]
    if exclude_cancelled:
        conditions.append(Lesson.status != LessonStatus.CANCELLED)
    rows = await session.scalars(
        select(Lesson)
        .where(*conditions)
        .order_by(Lesson.starts_at.desc(), Lesson.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return rows.all()


async def next_lesson(session: AsyncSession, group_id: int, after: datetime) -> Lesson | None:
    """The group's first lesson (not cancelled) that starts after `after`."""
    return await session.scalar(
        select(Lesson)
        .where(
            Lesson.group_id == group_id,
            Lesson.starts_at > after,
            Lesson.status != LessonStatus.CANCELLED,
        )
        .order_by(Lesson.starts_at, Lesson.id)
        .limit(1)
    )


# --- roster ---------------------------------------------------------------------------------


_ROSTER = (
    select(User.id, User.full_name, Enrolment.status)
    .join(Enrolment, Enrolment.student_id == User.id)
    .where(
        Enrolment.group_id == bindparam("group_id"),
        Enrolment.status.in_(ON_ROSTER),
        User.deleted_at.is_(None),
    )
    .order_by(User.full_name, User.id)
)


async def roster(session: AsyncSession, group_id: int) -> list[tuple[int, str | None, str]]:
    """(student id, full name, enrolment status) of everyone active or frozen in the group,
    by name; a student with two such enrolments counts once, as active if either is."""
    rows = await session.execute(_ROSTER, {"group_id": group_id})
    seen: dict[int, tuple[int, str | None, str]] = {}
    for student_id, name, status in rows:
        if student_id not in seen or status == EnrolmentStatus.ACTIVE:
            seen[student_id] = (student_id, name, status)
    return list(seen.values())


async def parents_of(session: AsyncSession, student_ids: Iterable[int]) -> dict[int, list[int]]:
    """The linked parents of each student (erased parents left out)."""
    ids = sorted(set(student_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(ParentLink.student_id, ParentLink.parent_id)
        .join(User, User.id == ParentLink.parent_id)
        .where(ParentLink.student_id.in_(ids), User.deleted_at.is_(None))
        .order_by(ParentLink.student_id, ParentLink.parent_id)
    )
    parents: dict[int, list[int]] = defaultdict(list)
    for student_id, parent_id in rows:
        parents[student_id].append(parent_id)
    return dict(parents)


# --- attendance -----------------------------------------------------------------------------


_MARKS_OF = select(Attendance.student_id, Attendance.status).where(
    Attendance.lesson_id == bindparam("lesson_id")
)


async def marks_of(session: AsyncSession, lesson_id: int) -> dict[int, str]:
    """student id → status of every mark stored for the lesson."""
    rows = await session.execute(_MARKS_OF, {"lesson_id": lesson_id})
    return {student_id: status for student_id, status in rows}


async def upsert_marks(
    session: AsyncSession,
    lesson_id: int,
    marks: Mapping[int, str],
    marked_by_id: int,
    marked_at: datetime,
) -> None:
    """One row per (lesson, student): inserted, or updated in place when it exists."""
    if not marks:
        return
    insert = insert_for(session)
    statement = insert(Attendance).values(
        [
            {
                "lesson_id": lesson_id,
                "student_id": student_id,
                "status": status,
                "marked_by_id": marked_by_id,
                "marked_at": marked_at,
            }
            for student_id, status in sorted(marks.items())
        ]
    )
    report_totals.touch_lessons(session, [lesson_id])
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[Attendance.lesson_id, Attendance.student_id],
            set_={
                "status": statement.excluded.status,
                "marked_by_id": statement.excluded.marked_by_id,
                "marked_at": statement.excluded.marked_at,
            },
        ).execution_options(**report_totals.TOUCHED)
    )
