"""The teachers report's queries: lessons, marks and students counted in SQL per teacher (and
month), never by a loop over lesson or attendance rows; the marks come from
report_attendance.marks_source (the maintained totals). Never commits.

A lesson is its group's teacher's (lessons do not record who taught them). A lesson held is
one not cancelled that began in [start, until): the caller stops `until` at the present, so
a lesson still to come is not held. Marks are those of the lessons held. Revenue is not
here: the report reads finance's per-teacher charges (report_totals.charged_by).
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    Row,
    Select,
    Subquery,
    case,
    cast,
    false,
    func,
    null,
    select,
    true,
    union,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AttendanceStatus, Group, Lesson, LessonStatus, User
from db.repositories.report_attendance import Window, lessons_source
from db.repositories.reports import ScopeFilter, _group_conditions, _teachers

ATTENDED = (AttendanceStatus.PRESENT.value, AttendanceStatus.LATE.value)


def _held(start: datetime, until: datetime, scope: ScopeFilter) -> Select[Any]:
    """The lessons held in [start, until) of the scope's groups that have a teacher."""
    return (
        select(Lesson.id, Lesson.starts_at, Group.teacher_id)
        .join(Group, Group.id == Lesson.group_id)
        .where(
            Lesson.status != LessonStatus.CANCELLED.value,
            Lesson.starts_at >= start,
            Lesson.starts_at < until,
            Group.teacher_id.is_not(None),
            *_group_conditions(scope),
        )
    )


async def held_by_month(
    session: AsyncSession, window: Window, scope: ScopeFilter, from_totals: bool
) -> Sequence[Row[Any]]:
    """(teacher_id, month index, lessons held): the lessons not cancelled of the window,
    which the caller ends at the present (report_attendance.lessons_source)."""
    lessons = lessons_source(window, window.end, scope, from_totals, true(), false())
    query = (
        select(Group.teacher_id, lessons.c.month, func.sum(lessons.c.held))
        .select_from(lessons)
        .join(Group, Group.id == lessons.c.group_id)
        .where(Group.teacher_id.is_not(None))
        .group_by(Group.teacher_id, lessons.c.month)
        .having(func.sum(lessons.c.held) > 0)
    )
    return (await session.execute(query)).all()


def _with_teachers(marks: Subquery) -> Select[Any]:
    """The marks (report_attendance.marks_source) of the groups that have a teacher."""
    return (
        select()
        .select_from(marks)
        .join(Group, Group.id == marks.c.group_id)
        .where(Group.teacher_id.is_not(None))
    )


async def marks_by_month(session: AsyncSession, marks: Subquery) -> Sequence[Row[Any]]:
    """(teacher_id, month index, marks, marks present or late) of the lessons held."""
    attended = case((marks.c.status.in_(ATTENDED), marks.c.marks), else_=0)
    query = (
        _with_teachers(marks)
        .add_columns(Group.teacher_id, marks.c.month, func.sum(marks.c.marks), func.sum(attended))
        .group_by(Group.teacher_id, marks.c.month)
    )
    return (await session.execute(query)).all()


async def students_taught(session: AsyncSession, taught: Subquery) -> tuple[dict[int, int], int]:
    """({teacher_id: distinct students present or late at least once in their lessons
    held}, the distinct students over them all: one taught by two counts once), in one
    query over the pairs; `taught`: report_attendance.taught_source."""
    pairs = (
        select(Group.teacher_id.label("teacher_id"), taught.c.student_id)
        .select_from(taught)
        .join(Group, Group.id == taught.c.group_id)
        .where(Group.teacher_id.is_not(None))
        .group_by(Group.teacher_id, taught.c.student_id)
        .having(func.sum(taught.c.marks) > 0)
        .cte("pairs")
    )
    query = union_all(
        select(pairs.c.teacher_id, func.count()).group_by(pairs.c.teacher_id),
        select(cast(null(), Integer), func.count(func.distinct(pairs.c.student_id))),
    )
    by_teacher, everyone = {}, 0
    for teacher_id, count in await session.execute(query):
        if teacher_id is None:
            everyone = int(count)
        else:
            by_teacher[teacher_id] = int(count)
    return by_teacher, everyone


async def scope_teachers(session: AsyncSession, scope: ScopeFilter) -> dict[int, str]:
    """{id: name} of the scope's teachers: for the whole centre every teacher on the staff and
    whoever teaches a group; for a course or a group, the teachers of its groups; for a
    teacher, that one."""
    if scope.teacher_id is not None:
        ids = select(User.id).where(User.id == scope.teacher_id)
    else:
        ids = select(Group.teacher_id).where(
            Group.teacher_id.is_not(None), *_group_conditions(scope)
        )
        if scope.is_centre:
            ids = union(ids, select(_teachers().subquery().c.id))
    query = select(User.id, func.coalesce(User.full_name, "—")).where(User.id.in_(ids))
    return {row_id: name for row_id, name in await session.execute(query)}
