"""Courses, groups, weekly slots, lessons and enrolments: queries only; the services commit.

The session factory has autoflush off, so a caller that added rows flushes before it
queries them.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, and_, case, delete, exists, func, or_, select, update
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
    Role,
    RoleAssignment,
    ScheduleSlot,
    User,
)
from db.repositories.dialect import insert_for

# An enrolment that holds a seat in its group: a frozen student keeps their place.
SEATED = (EnrolmentStatus.ACTIVE.value, EnrolmentStatus.FROZEN.value)
INSERT_CHUNK = 200


# --- courses ------------------------------------------------------------------------------


def _group_counts():
    """(course id, all groups, active groups) per course, as a subquery."""
    return (
        select(
            Group.course_id.label("course_id"),
            func.count().label("groups"),
            func.count().filter(Group.status == GroupStatus.ACTIVE).label("active"),
        )
        .group_by(Group.course_id)
        .subquery()
    )


async def count_courses(session: AsyncSession, *, only_active: bool = False) -> int:
    query = select(func.count()).select_from(Course)
    if only_active:
        query = query.where(Course.is_active.is_(True))
    return int(await session.scalar(query) or 0)


async def courses_page(
    session: AsyncSession, offset: int, limit: int, *, only_active: bool = False
) -> Sequence[Row[Any]]:
    """(Course, groups, active groups): active courses first, then by name."""
    counts = _group_counts()
    query = (
        select(
            Course,
            func.coalesce(counts.c.groups, 0),
            func.coalesce(counts.c.active, 0),
        )
        .outerjoin(counts, counts.c.course_id == Course.id)
        .order_by(Course.is_active.desc(), Course.name, Course.id)
        .offset(offset)
        .limit(limit)
    )
    if only_active:
        query = query.where(Course.is_active.is_(True))
    return (await session.execute(query)).all()


async def course_with_counts(session: AsyncSession, course_id: int) -> Row[Any] | None:
    counts = _group_counts()
    row = await session.execute(
        select(Course, func.coalesce(counts.c.groups, 0), func.coalesce(counts.c.active, 0))
        .outerjoin(counts, counts.c.course_id == Course.id)
        .where(Course.id == course_id)
    )
    return row.first()


async def get_course(session: AsyncSession, course_id: int) -> Course | None:
    return await session.get(Course, course_id)


async def course_named(session: AsyncSession, name: str) -> Course | None:
    """A course whose name equals `name` ignoring case (names are unique that way too)."""
    return await session.scalar(
        select(Course).where(func.lower(Course.name) == name.lower()).limit(1)
    )


# --- groups -------------------------------------------------------------------------------


def _seated_counts():
    return (
        select(Enrolment.group_id.label("group_id"), func.count().label("seated"))
        .where(Enrolment.status.in_(SEATED))
        .group_by(Enrolment.group_id)
        .subquery()
    )


def _group_rows():
    """(Group, course name, course price, teacher name, seated)."""
    seated = _seated_counts()
    return (
        select(
            Group,
            Course.name,
            Course.monthly_price,
            User.full_name,
            func.coalesce(seated.c.seated, 0),
        )
        .join(Course, Course.id == Group.course_id)
        .outerjoin(User, User.id == Group.teacher_id)
        .outerjoin(seated, seated.c.group_id == Group.id)
    )


def _group_filter(course_id: int | None, only_active: bool, exclude_id: int | None) -> list:
    conditions = []
    if course_id:
        conditions.append(Group.course_id == course_id)
    if only_active:
        conditions.append(Group.status == GroupStatus.ACTIVE)
    if exclude_id:
        conditions.append(Group.id != exclude_id)
    return conditions


async def count_groups(
    session: AsyncSession,
    course_id: int | None = None,
    *,
    only_active: bool = False,
    exclude_id: int | None = None,
) -> int:
    conditions = _group_filter(course_id, only_active, exclude_id)
    query = select(func.count()).select_from(Group).where(*conditions)
    return int(await session.scalar(query) or 0)


async def groups_page(
    session: AsyncSession,
    offset: int,
    limit: int,
    course_id: int | None = None,
    *,
    only_active: bool = False,
    exclude_id: int | None = None,
) -> Sequence[Row[Any]]:
    """Rows of `_group_rows`: active groups first, then by course and name."""
    status_order = case((Group.status == GroupStatus.ACTIVE, 0), else_=1)
    query = (
        _group_rows()
        .where(*_group_filter(course_id, only_active, exclude_id))
        .order_by(status_order, Course.name, Group.name, Group.id)
        .offset(offset)
        .limit(limit)
    )
    return (await session.execute(query)).all()


async def group_row(session: AsyncSession, group_id: int) -> Row[Any] | None:
    return (await session.execute(_group_rows().where(Group.id == group_id))).first()


async def get_group(session: AsyncSession, group_id: int) -> Group | None:
    return await session.get(Group, group_id)


async def group_named(
    session: AsyncSession, course_id: int, name: str, exclude_id: int | None
) -> Group | None:
    query = select(Group).where(
        Group.course_id == course_id, func.lower(Group.name) == name.lower()
    )
    if exclude_id:
        query = query.where(Group.id != exclude_id)
    return await session.scalar(query.limit(1))


async def slots_of(session: AsyncSession, group_ids: Iterable[int]) -> Sequence[ScheduleSlot]:
    ids = list(group_ids)
    if not ids:
        return []
    rows = await session.scalars(
        select(ScheduleSlot)
        .where(ScheduleSlot.group_id.in_(ids))
        .order_by(ScheduleSlot.group_id, ScheduleSlot.weekday, ScheduleSlot.start_time)
    )
    return rows.all()


async def latest_groups(
    session: AsyncSession, course_id: int | None, limit: int
) -> Sequence[Group]:
    """The groups opened last (of `course_id`, or of the whole centre), newest first."""
    query = select(Group).order_by(Group.id.desc()).limit(limit)
    if course_id is not None:
        query = query.where(Group.course_id == course_id)
    return (await session.scalars(query)).all()


async def delete_slots(session: AsyncSession, group_id: int) -> None:
    await session.execute(delete(ScheduleSlot).where(ScheduleSlot.group_id == group_id))


async def neighbours_slots(
    session: AsyncSession, teacher_id: int | None, room: str | None, exclude_id: int | None
) -> Sequence[Row[Any]]:
    """(group id, group name, teacher id, room, start date, end date, weekday, start time,
    minutes) of every slot of the other active groups with the same teacher or room."""
    matches = []
    if teacher_id is not None:
        matches.append(Group.teacher_id == teacher_id)
    if room:
        matches.append(func.lower(Group.room) == room.lower())
    if not matches:
        return []
    query = (
        select(
            Group.id,
            Group.name,
            Group.teacher_id,
            Group.room,
            Group.start_date,
            Group.end_date,
            ScheduleSlot.weekday,
            ScheduleSlot.start_time,
            ScheduleSlot.duration_minutes,
        )
        .join(ScheduleSlot, ScheduleSlot.group_id == Group.id)
        .where(Group.status == GroupStatus.ACTIVE, or_(*matches))
        .order_by(Group.name, Group.id, ScheduleSlot.weekday, ScheduleSlot.start_time)
    )
    if exclude_id:
        query = query.where(Group.id != exclude_id)
    return (await session.execute(query)).all()


async def seated(session: AsyncSession, group_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Enrolment)
            .where(Enrolment.group_id == group_id, Enrolment.status.in_(SEATED))
        )
        or 0
    )


# --- people by role ------------------------------------------------------------------------


def _with_role(role: Role):
    return (
        select(User.id, User.full_name)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == role, User.deleted_at.is_(None))
    )


async def count_with_role(session: AsyncSession, role: Role) -> int:
    query = select(func.count()).select_from(_with_role(role).subquery())
    return int(await session.scalar(query) or 0)


async def with_role_page(
    session: AsyncSession, role: Role, offset: int, limit: int
) -> Sequence[Row[Any]]:
    """(id, full name) of live people holding `role`, by name."""
    rows = await session.execute(
        _with_role(role).order_by(User.full_name, User.id).offset(offset).limit(limit)
    )
    return rows.all()


async def with_role_matching(
    session: AsyncSession, role: Role, folded_name: Any, patterns: Sequence[Sequence[str]], cap: int
) -> Sequence[Row[Any]]:
    """(id, full name) of people holding `role` whose `folded_name` contains, for each token,
    one of its spellings (narrowing only: the caller checks exactly)."""
    conditions = [
        or_(*(folded_name.icontains(spelling, autoescape=True) for spelling in spellings))
        for spellings in patterns
    ]
    rows = await session.execute(
        _with_role(role)
        .where(User.full_name.is_not(None), *conditions)
        .order_by(User.full_name, User.id)
        .limit(cap)
    )
    return rows.all()


async def holds_role(session: AsyncSession, user_id: int, role: Role) -> User | None:
    """The live user when they hold `role`, else None."""
    return await session.scalar(
        select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(User.id == user_id, RoleAssignment.role == role, User.deleted_at.is_(None))
    )


# --- lessons ------------------------------------------------------------------------------


async def active_groups(
    session: AsyncSession, group_ids: Iterable[int] | None = None
) -> Sequence[Group]:
    query = select(Group).where(Group.status == GroupStatus.ACTIVE).order_by(Group.id)
    if group_ids is not None:
        query = query.where(Group.id.in_(list(group_ids)))
    return (await session.scalars(query)).all()


async def insert_lessons(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Insert lessons, skipping any whose (group, start) exists; returns how many were new."""
    inserted = 0
    insert = insert_for(session)
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start : start + INSERT_CHUNK]
        report_totals.touch_lesson_starts(
            session, ((row["group_id"], row["starts_at"]) for row in chunk)
        )
        statement = (
            insert(Lesson)
            .values(list(chunk))
            .on_conflict_do_nothing(index_elements=[Lesson.group_id, Lesson.starts_at])
            .execution_options(**report_totals.TOUCHED)
        )
        result = await session.execute(statement)
        inserted += max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
    return inserted


def _unheld():
    return ~exists().where(Attendance.lesson_id == Lesson.id)


async def future_unheld(session: AsyncSession, group_id: int, now: datetime) -> Sequence[Lesson]:
    """The group's scheduled lessons that start after `now` and have no attendance."""
    rows = await session.scalars(
        select(Lesson).where(
            Lesson.group_id == group_id,
            Lesson.starts_at > now,
            Lesson.status == LessonStatus.SCHEDULED,
            _unheld(),
        )
    )
    return rows.all()


async def _touch_where_they_are(session: AsyncSession, lesson_ids: Sequence[int]) -> None:
    """The months the lessons are in now (before a delete or a move) are touched."""
    rows = await session.execute(
        select(Lesson.group_id, Lesson.starts_at).where(Lesson.id.in_(list(lesson_ids)))
    )
    report_totals.touch_lesson_starts(session, [(group, start) for group, start in rows])


async def delete_lessons(session: AsyncSession, lesson_ids: Sequence[int]) -> None:
    if lesson_ids:
        await _touch_where_they_are(session, lesson_ids)
        await session.execute(
            delete(Lesson)
            .where(Lesson.id.in_(list(lesson_ids)))
            .execution_options(**report_totals.TOUCHED)
        )


async def set_lesson_duration(
    session: AsyncSession, lesson_ids: Sequence[int], minutes: int
) -> None:
    if lesson_ids:
        await session.execute(
            update(Lesson)
            .where(Lesson.id.in_(list(lesson_ids)))
            .values(duration_minutes=minutes)
            .execution_options(**report_totals.TOUCHED)  # no count moves
        )


async def count_lessons(session: AsyncSession, group_id: int, since: datetime) -> int:
    query = (
        select(func.count())
        .select_from(Lesson)
        .where(Lesson.group_id == group_id, Lesson.starts_at >= since)
    )
    return int(await session.scalar(query) or 0)


async def lessons_page(
    session: AsyncSession, group_id: int, since: datetime, offset: int, limit: int
) -> Sequence[Lesson]:
    rows = await session.scalars(
        select(Lesson)
        .where(Lesson.group_id == group_id, Lesson.starts_at >= since)
        .order_by(Lesson.starts_at, Lesson.id)
        .offset(offset)
        .limit(limit)
    )
    return rows.all()


async def get_lesson(session: AsyncSession, lesson_id: int) -> Lesson | None:
    # populate_existing: a conditional UPDATE (cancel, move) bypassed the identity map
    return await session.get(Lesson, lesson_id, populate_existing=True)


async def lesson_at(session: AsyncSession, group_id: int, starts_at: datetime) -> Lesson | None:
    return await session.scalar(
        select(Lesson).where(Lesson.group_id == group_id, Lesson.starts_at == starts_at)
    )


async def has_attendance(session: AsyncSession, lesson_id: int) -> bool:
    return bool(await session.scalar(select(exists().where(Attendance.lesson_id == lesson_id))))


async def cancel_if_scheduled(session: AsyncSession, lesson_id: int) -> bool:
    """Cancel a scheduled lesson with no attendance; False when another change came first."""
    report_totals.touch_lessons(session, [lesson_id])
    result = await session.execute(
        update(Lesson)
        .where(
            Lesson.id == lesson_id,
            Lesson.status == LessonStatus.SCHEDULED,
            _unheld(),
        )
        .values(status=LessonStatus.CANCELLED)
        .execution_options(synchronize_session=False, **report_totals.TOUCHED)
    )
    return (result.rowcount or 0) == 1  # type: ignore[attr-defined]


async def move_if_scheduled(
    session: AsyncSession, lesson_id: int, old_start: datetime, new_start: datetime
) -> bool:
    await _touch_where_they_are(session, [lesson_id])  # its month before, and after:
    report_totals.touch_lessons(session, [lesson_id])
    result = await session.execute(
        update(Lesson)
        .where(
            Lesson.id == lesson_id,
            Lesson.status == LessonStatus.SCHEDULED,
            Lesson.starts_at == old_start,
            _unheld(),
        )
        .values(starts_at=new_start)
        .execution_options(synchronize_session=False, **report_totals.TOUCHED)
    )
    return (result.rowcount or 0) == 1  # type: ignore[attr-defined]


async def group_audience(
    session: AsyncSession, group_id: int
) -> tuple[list[Row[Any]], list[Row[Any]]]:
    """(students: (id, name) of the active enrolments, parents: (parent id, child name))."""
    students = (
        await session.execute(
            select(User.id, User.full_name)
            .join(Enrolment, Enrolment.student_id == User.id)
            .where(
                Enrolment.group_id == group_id,
                Enrolment.status == EnrolmentStatus.ACTIVE,
                User.deleted_at.is_(None),
            )
            .order_by(User.full_name, User.id)
        )
    ).all()
    parents = await parents_of(session, [row.id for row in students])
    return list(students), list(parents)


async def parents_of(session: AsyncSession, student_ids: Iterable[int]) -> Sequence[Row[Any]]:
    """(parent id, child name) for every link of these students (erased people left out)."""
    ids = list(student_ids)
    if not ids:
        return []
    child = User.__table__.alias("child")
    parent = User.__table__.alias("parent")
    rows = await session.execute(
        select(ParentLink.parent_id, child.c.full_name)
        .join(child, child.c.id == ParentLink.student_id)
        .join(parent, parent.c.id == ParentLink.parent_id)
        .where(
            ParentLink.student_id.in_(ids),
            child.c.deleted_at.is_(None),
            parent.c.deleted_at.is_(None),
        )
        .order_by(ParentLink.parent_id, child.c.full_name)
    )
    return rows.all()


# --- enrolments ---------------------------------------------------------------------------


def _enrolment_rows():
    """(Enrolment, student name)."""
    return select(Enrolment, User.full_name).join(User, User.id == Enrolment.student_id)


async def count_seated_enrolments(session: AsyncSession, group_id: int) -> int:
    return await seated(session, group_id)


async def enrolments_page(
    session: AsyncSession, group_id: int, offset: int, limit: int
) -> Sequence[Row[Any]]:
    rows = await session.execute(
        _enrolment_rows()
        .where(Enrolment.group_id == group_id, Enrolment.status.in_(SEATED))
        .order_by(User.full_name, Enrolment.id)
        .offset(offset)
        .limit(limit)
    )
    return rows.all()


async def enrolment_row(session: AsyncSession, enrolment_id: int) -> Row[Any] | None:
    query = _enrolment_rows().where(Enrolment.id == enrolment_id)
    # populate_existing: status changes are conditional UPDATEs that bypass the identity map
    return (await session.execute(query.execution_options(populate_existing=True))).first()


async def get_enrolment(session: AsyncSession, enrolment_id: int) -> Enrolment | None:
    return await session.get(Enrolment, enrolment_id, populate_existing=True)


async def seated_enrolment(
    session: AsyncSession, student_id: int, group_id: int
) -> Enrolment | None:
    return await session.scalar(
        select(Enrolment)
        .where(
            Enrolment.student_id == student_id,
            Enrolment.group_id == group_id,
            Enrolment.status.in_(SEATED),
        )
        .limit(1)
    )


async def same_course_groups(
    session: AsyncSession, student_id: int, course_id: int, exclude_group_id: int | None
) -> Sequence[str]:
    """Names of the other groups of this course the student is seated in."""
    query = (
        select(Group.name)
        .join(Enrolment, Enrolment.group_id == Group.id)
        .where(
            Enrolment.student_id == student_id,
            Enrolment.status.in_(SEATED),
            Group.course_id == course_id,
        )
        .order_by(Group.name)
    )
    if exclude_group_id:
        query = query.where(Group.id != exclude_group_id)
    return (await session.scalars(query)).all()


async def change_enrolment_status(
    session: AsyncSession,
    enrolment_id: int,
    from_status: str,
    to_status: str,
    left_on: date | None = None,
    leave_reason: str | None = None,
) -> bool:
    """A conditional update: False when the enrolment was not in `from_status` any more."""
    values: dict[str, Any] = {"status": to_status}
    if left_on is not None:
        values["left_on"] = left_on
    if leave_reason is not None:
        values["leave_reason"] = leave_reason
    result = await session.execute(
        update(Enrolment)
        .where(and_(Enrolment.id == enrolment_id, Enrolment.status == from_status))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return (result.rowcount or 0) == 1  # type: ignore[attr-defined]


async def lessons_between(
    session: AsyncSession, start: datetime, end: datetime
) -> Sequence[Row[Any]]:
    """(lesson id, starts at, minutes, status, group id, group name, room, teacher id,
    teacher name, course name) of every lesson starting in [start, end), earliest first:
    one query on the lessons' starts_at index (the centre's week grid)."""
    query = (
        select(
            Lesson.id,
            Lesson.starts_at,
            Lesson.duration_minutes,
            Lesson.status,
            Group.id,
            Group.name,
            Group.room,
            Group.teacher_id,
            User.full_name,
            Course.name,
        )
        .join(Group, Group.id == Lesson.group_id)
        .join(Course, Course.id == Group.course_id)
        .outerjoin(User, User.id == Group.teacher_id)
        .where(Lesson.starts_at >= start, Lesson.starts_at < end)
        .order_by(Lesson.starts_at, Group.name, Lesson.id)
    )
    return (await session.execute(query)).all()
