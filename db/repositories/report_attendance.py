"""The attendance report's queries: marks counted in SQL by status (GROUP BY), never a loop
over marks in Python. Never commits.

A mark counts when its lesson starts in the period and is not cancelled; it belongs to the
lesson's group, that group's course and its teacher (the one the group has now: a lesson
does not record who taught it). A filter narrows the lessons to its groups.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    Subquery,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Attendance,
    AttendanceMonthTotal,
    Course,
    Group,
    Lesson,
    LessonStatus,
    User,
)
from db.repositories.report_totals import month_index
from db.repositories.reports import ScopeFilter, _bucket, _group_conditions


def _lessons_in(start: datetime, end: datetime, scope: ScopeFilter) -> list[ColumnElement[bool]]:
    return [
        Lesson.starts_at >= start,
        Lesson.starts_at < end,
        Lesson.status != LessonStatus.CANCELLED.value,
        *_group_conditions(scope),
    ]


def _marks(start: datetime, end: datetime, scope: ScopeFilter) -> Select[Any]:
    """The marks of the lessons starting in [start, end) (to add the columns to)."""
    query = select().select_from(Attendance).join(Lesson, Lesson.id == Attendance.lesson_id)
    if not scope.is_centre:
        query = query.join(Group, Group.id == Lesson.group_id)
    return query.where(*_lessons_in(start, end, scope))


@dataclass(frozen=True, slots=True)
class Window:
    """Which marks a report counts: those of the lessons starting in [start, end), which lie
    in the centre's months `months` (first days; `bounds`: the UTC moments they begin, and
    the one after the last ends)."""

    months: Sequence[date]
    bounds: Sequence[datetime]
    start: datetime
    end: datetime


def _raw_marks(window: Window, start: datetime, end: datetime, scope: ScopeFilter, sign: int):
    return _marks(start, end, scope).add_columns(
        _bucket(Lesson.starts_at, window.bounds).label("month"),
        Lesson.group_id.label("group_id"),
        Attendance.student_id.label("student_id"),
        Attendance.status.label("status"),
        literal(sign).label("marks"),
    )


def marks_source(window: Window, scope: ScopeFilter, from_totals: bool) -> Subquery:
    """(month index, group_id, student_id, status, marks) rows whose sums, grouped any way,
    are the window's marks. From the totals: every month the window touches, less the marks
    of its lessons outside the window (a range's first and last days, today's lessons
    still to come), read from the rows — so only those few marks are read one by one.
    Otherwise the window's marks themselves, one row each."""
    if not from_totals:
        return _raw_marks(window, window.start, window.end, scope, 1).subquery()
    total = AttendanceMonthTotal
    whole = select(
        month_index(total.month, window.months).label("month"),
        total.group_id.label("group_id"),
        total.student_id.label("student_id"),
        total.status.label("status"),
        total.marks.label("marks"),
    ).where(total.month >= window.months[0], total.month <= window.months[-1])
    if not scope.is_centre:
        whole = whole.join(Group, Group.id == total.group_id).where(*_group_conditions(scope))
    parts = [whole]
    if window.bounds[0] < window.start:
        parts.append(_raw_marks(window, window.bounds[0], window.start, scope, -1))
    if window.end < window.bounds[-1]:
        parts.append(_raw_marks(window, window.end, window.bounds[-1], scope, -1))
    return union_all(*parts).subquery()


async def marks_by_group_and_month(session: AsyncSession, marks: Subquery) -> Sequence[Row[Any]]:
    """(group id, month index, status, marks): one pass over the marks gives the months,
    the groups and (by group) the teachers."""
    query = (
        select(marks.c.group_id, marks.c.month, marks.c.status, func.sum(marks.c.marks))
        .group_by(marks.c.group_id, marks.c.month, marks.c.status)
        .having(func.sum(marks.c.marks) != 0)
    )
    return (await session.execute(query)).all()


async def marks_by_student(session: AsyncSession, marks: Subquery) -> Sequence[Row[Any]]:
    """(student id, name, status, marks); the names joined once the marks are counted."""
    counted = (
        select(
            marks.c.student_id.label("student_id"),
            marks.c.status.label("status"),
            func.sum(marks.c.marks).label("marks"),
        )
        .group_by(marks.c.student_id, marks.c.status)
        .having(func.sum(marks.c.marks) != 0)
        .subquery()
    )
    query = select(counted.c.student_id, User.full_name, counted.c.status, counted.c.marks).join(
        User, User.id == counted.c.student_id
    )
    return (await session.execute(query)).all()


async def groups(session: AsyncSession, scope: ScopeFilter) -> Sequence[Row[Any]]:
    """(group id, name, course, teacher id, teacher) of the scope's groups."""
    query = (
        select(Group.id, Group.name, Course.name, Group.teacher_id, User.full_name)
        .join(Course, Course.id == Group.course_id)
        .outerjoin(User, User.id == Group.teacher_id)
        .where(*_group_conditions(scope))
    )
    return (await session.execute(query)).all()


def _not_marked(day_over: datetime) -> ColumnElement[bool]:
    """A lesson whose day is over that was never saved: still scheduled, not one mark."""
    marked = exists().where(Attendance.lesson_id == Lesson.id)
    return (Lesson.starts_at < day_over) & (Lesson.status == LessonStatus.SCHEDULED.value) & ~marked


def _held(day_over: datetime) -> ColumnElement[bool]:
    """Not cancelled (the caller's condition) and either saved or its day over."""
    return or_(Lesson.starts_at < day_over, Lesson.status == LessonStatus.HELD.value)


async def lessons_by_teacher(
    session: AsyncSession, start: datetime, end: datetime, day_over: datetime, scope: ScopeFilter
) -> Sequence[Row[Any]]:
    """(teacher id, name, lessons held, of them not marked) per teacher of the scope's
    groups (id None: groups without a teacher). `day_over`: the first moment of today in
    the centre; a lesson before it can no longer be marked by its teacher."""
    not_marked = case((_not_marked(day_over), 1), else_=0)
    query = (
        select(Group.teacher_id, User.full_name, func.count(), func.sum(not_marked))
        .select_from(Lesson)
        .join(Group, Group.id == Lesson.group_id)
        .outerjoin(User, User.id == Group.teacher_id)
        .where(*_lessons_in(start, end, scope), _held(day_over))
        .group_by(Group.teacher_id, User.full_name)
    )
    return (await session.execute(query)).all()


async def not_marked_lessons(
    session: AsyncSession, start: datetime, end: datetime, day_over: datetime, scope: ScopeFilter
) -> Sequence[Row[Any]]:
    """(lesson id, starts at, group, course, teacher id, teacher) of the lessons not marked,
    oldest first."""
    query = (
        select(
            Lesson.id,
            Lesson.starts_at,
            Group.name,
            Course.name,
            Group.teacher_id,
            User.full_name,
        )
        .select_from(Lesson)
        .join(Group, Group.id == Lesson.group_id)
        .join(Course, Course.id == Group.course_id)
        .outerjoin(User, User.id == Group.teacher_id)
        .where(*_lessons_in(start, end, scope), _not_marked(day_over))
        .order_by(Lesson.starts_at, Lesson.id)
    )
    return (await session.execute(query)).all()
