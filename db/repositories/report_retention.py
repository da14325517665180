"""Retention report queries: students counted in SQL (COUNT DISTINCT, GROUP BY), never a
loop over enrolments in Python. Never commits.

A student is *seated* in the scope on a day when one of their enrolments in the scope's
groups is: joined_on ≤ day and (left_on empty or left_on > day) — left_on is the first day
out, as the ledger charges. They are *active* when one of those enrolments is also not
frozen that day (no freeze with starts_on ≤ day < ends_on). Days are the centre's calendar
dates, as the enrolments store them.

An *arrival* is an enrolment that starts while the student holds no other place in the
scope (none seated the day before that stays to the day it starts: a move between two of
its groups is no arrival); a *departure* an enrolment that ends leaving them no other place
in the scope that day. Both, and freezes started, count once per (student, day).
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Row,
    and_,
    case,
    distinct,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from db.models import Course, Enrolment, EnrolmentFreeze, Group, User
from db.repositories.reports import ScopeFilter

JOINED, LEFT, FROZE = "joined", "left", "froze"


def _in_scope(group: Any, scope: ScopeFilter) -> list[ColumnElement[bool]]:
    conditions = []
    if scope.course_id is not None:
        conditions.append(group.course_id == scope.course_id)
    if scope.group_id is not None:
        conditions.append(group.id == scope.group_id)
    if scope.teacher_id is not None:
        conditions.append(group.teacher_id == scope.teacher_id)
    return conditions


def _seated_on(enrolment: Any, day: Any) -> ColumnElement[bool]:
    return and_(
        enrolment.joined_on <= day, or_(enrolment.left_on.is_(None), enrolment.left_on > day)
    )


def _frozen_on(enrolment: Any, day: Any) -> ColumnElement[bool]:
    return exists().where(
        EnrolmentFreeze.enrolment_id == enrolment.id,
        EnrolmentFreeze.starts_on <= day,
        or_(EnrolmentFreeze.ends_on.is_(None), EnrolmentFreeze.ends_on > day),
    )


def _days(days: Sequence[date]) -> Any:
    """(i, day): the days as a derived table, so one query counts them all."""
    rows = [
        select(literal(index).label("i"), literal(day, Date).label("day"))
        for index, day in enumerate(days)
    ]
    return (rows[0] if len(rows) == 1 else union_all(*rows)).subquery()


def _key(group: Any, by_course: bool) -> Any:
    return group.course_id if by_course else literal_column("NULL")


async def standing(
    session: AsyncSession, days: Sequence[date], scope: ScopeFilter, *, by_course: bool = False
) -> Sequence[Row[Any]]:
    """(day index, course id or None, students seated, students active) at the end of each
    day; a day (or a course) with nobody seated has no row."""
    table = _days(days)
    key = _key(Group, by_course)
    query = (
        select(
            table.c.i,
            key.label("course_id"),
            func.count(distinct(Enrolment.student_id)),
            func.count(
                distinct(
                    case((~_frozen_on(Enrolment, table.c.day), Enrolment.student_id), else_=None)
                )
            ),
        )
        .select_from(table)
        .join(Enrolment, _seated_on(Enrolment, table.c.day))
        .join(Group, Group.id == Enrolment.group_id)
        .where(*_in_scope(Group, scope))
        .group_by(table.c.i, *([key] if by_course else []))
    )
    return (await session.execute(query)).all()


def _elsewhere(scope: ScopeFilter, by_course: bool, *where: Any) -> ColumnElement[bool]:
    """Another enrolment of the same student in the scope (in the same course when by
    course) meeting `where` (a function of that enrolment)."""
    other, other_group = aliased(Enrolment), aliased(Group)
    conditions = [
        other.student_id == Enrolment.student_id,
        other.id != Enrolment.id,
        *_in_scope(other_group, scope),
        *(condition(other) for condition in where),
    ]
    if by_course:
        conditions.append(other_group.course_id == Group.course_id)
    return exists().where(other_group.id == other.group_id, *conditions).correlate(Enrolment, Group)


def _month(day: Any, month_starts: Sequence[date]) -> Any:
    """The index of the month a day falls in (the caller keeps it within the months)."""
    if len(month_starts) == 1:
        return literal(0)
    return case(
        *[(day < month_starts[index + 1], index) for index in range(len(month_starts) - 1)],
        else_=len(month_starts) - 1,
    )


def _arrivals(scope: ScopeFilter, first: date, last: date, by_course: bool) -> Any:
    day = Enrolment.joined_on
    stays = _elsewhere(
        scope,
        by_course,
        lambda other: other.joined_on < day,
        lambda other: or_(other.left_on.is_(None), other.left_on >= day),
    )
    return day, [day >= first, day <= last, ~stays]


def _departures(scope: ScopeFilter, first: date, last: date, by_course: bool) -> Any:
    day = Enrolment.left_on
    stays = _elsewhere(scope, by_course, lambda other: _seated_on(other, day))
    return day, [day.is_not(None), day >= first, day <= last, ~stays]


async def events(
    session: AsyncSession,
    first: date,
    last: date,
    month_starts: Sequence[date],
    scope: ScopeFilter,
    *,
    by_course: bool = False,
) -> Sequence[Row[Any]]:
    """(kind, month index, course id or None, count) of arrivals (`joined`), departures
    (`left`) and freezes started (`froze`) on days first..last, each once per (student, day)."""
    key = _key(Group, by_course)
    parts = []
    for kind, (day, conditions) in (
        (JOINED, _arrivals(scope, first, last, by_course)),
        (LEFT, _departures(scope, first, last, by_course)),
    ):
        parts.append(
            select(
                literal(kind).label("kind"),
                _month(day, month_starts).label("month"),
                key.label("course_id"),
                Enrolment.student_id,
                day.label("day"),
            )
            .join(Group, Group.id == Enrolment.group_id)
            .where(*_in_scope(Group, scope), *conditions)
            .distinct()
        )
    day = EnrolmentFreeze.starts_on
    parts.append(
        select(
            literal(FROZE).label("kind"),
            _month(day, month_starts).label("month"),
            key.label("course_id"),
            Enrolment.student_id,
            day.label("day"),
        )
        .select_from(EnrolmentFreeze)
        .join(Enrolment, Enrolment.id == EnrolmentFreeze.enrolment_id)
        .join(Group, Group.id == Enrolment.group_id)
        .where(*_in_scope(Group, scope), day >= first, day <= last)
        .distinct()
    )
    found = union_all(*parts).subquery()
    query = select(found.c.kind, found.c.month, found.c.course_id, func.count()).group_by(
        found.c.kind, found.c.month, found.c.course_id
    )
    return (await session.execute(query)).all()


async def departure_reasons(
    session: AsyncSession, first: date, last: date, scope: ScopeFilter
) -> Sequence[Row[Any]]:
    """(reason or None, departures): a departure leaving two places on one day with
    different reasons takes the greater one's (by name), a recorded one over none."""
    day, conditions = _departures(scope, first, last, False)
    each = (
        select(Enrolment.student_id, day, func.max(Enrolment.leave_reason).label("reason"))
        .join(Group, Group.id == Enrolment.group_id)
        .where(*_in_scope(Group, scope), *conditions)
        .group_by(Enrolment.student_id, day)
        .subquery()
    )
    query = select(each.c.reason, func.count()).group_by(each.c.reason)
    return (await session.execute(query)).all()


async def leavers(
    session: AsyncSession, first: date, last: date, scope: ScopeFilter
) -> Sequence[Row[Any]]:
    """(student name, group name, course name, left_on, reason) of every place whose end is a
    departure, by day then name."""
    day, conditions = _departures(scope, first, last, False)
    query = (
        select(User.full_name, Group.name, Course.name, day, Enrolment.leave_reason)
        .join(Group, Group.id == Enrolment.group_id)
        .join(Course, Course.id == Group.course_id)
        .join(User, User.id == Enrolment.student_id)
        .where(*_in_scope(Group, scope), *conditions)
        .order_by(day, User.full_name, Group.name, Enrolment.id)
    )
    return (await session.execute(query)).all()


async def course_names(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    query = select(Course.id, Course.name).where(Course.id.in_(ids))
    return {row_id: name for row_id, name in await session.execute(query)}
