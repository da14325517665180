"""The leads report's queries: counts grouped in SQL. Never commits.

The period's leads are those created in [start, end) (UTC moments of the centre's
midnights). A lead reached a stage when it has that stage's stamp or a later one's (a lead
enrolled straight after a call went through the trial stage too); lost is its status now.
A course filter takes the leads of that course; a group or teacher filter the leads made
students who are enrolled in its groups.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Course, Enrolment, Group, Lead, LeadStatus
from db.repositories.dialect import is_postgres
from db.repositories.reports import ScopeFilter, _group_conditions

REACHED = {
    "contacted": func.coalesce(Lead.contacted_at, Lead.trial_at, Lead.enrolled_at).is_not(None),
    "trial": func.coalesce(Lead.trial_at, Lead.enrolled_at).is_not(None),
    "enrolled": Lead.enrolled_at.is_not(None),
    "lost": Lead.status == LeadStatus.LOST.value,
}
DIMENSIONS = {"source": Lead.source, "course": Lead.course_id}


def _in_scope(scope: ScopeFilter) -> list[ColumnElement[bool]]:
    if scope.is_centre:
        return []
    if scope.course_id is not None:
        return [Lead.course_id == scope.course_id]
    students = (
        select(Enrolment.student_id)
        .join(Group, Group.id == Enrolment.group_id)
        .where(*_group_conditions(scope))
    )
    return [Lead.enrolled_at.is_not(None), Lead.user_id.in_(students)]


def _created_in(start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    return [Lead.created_at >= start, Lead.created_at < end]


async def stages_by(
    session: AsyncSession, dimension: str, start: datetime, end: datetime, scope: ScopeFilter
) -> Sequence[Row[Any]]:
    """(key, new, contacted, trial, enrolled, lost) per source or course (key None: a lead
    with no course, "not sure")."""
    key = DIMENSIONS[dimension]
    counts = [func.sum(case((reached, 1), else_=0)) for reached in REACHED.values()]
    query = (
        select(key, func.count(), *counts)
        .where(*_created_in(start, end), *_in_scope(scope))
        .group_by(key)
    )
    return (await session.execute(query)).all()


async def course_names(session: AsyncSession, keys: Sequence[int]) -> dict[int, str]:
    if not keys:
        return {}
    query = select(Course.id, Course.name).where(Course.id.in_(keys))
    return {row_id: name for row_id, name in await session.execute(query)}


def _days_to_enrol(session: AsyncSession) -> ColumnElement[Any]:
    if is_postgres(session):
        return func.extract("epoch", Lead.enrolled_at - Lead.created_at) / 86400.0
    return func.julianday(Lead.enrolled_at) - func.julianday(Lead.created_at)


async def time_to_enrol(
    session: AsyncSession, start: datetime, end: datetime, scope: ScopeFilter
) -> tuple[int, float | None, float | None]:
    """(how many, median days, average days) from creation to enrolment of the leads
    enrolled in [start, end). The median is the middle row (the mean of the two middle
    ones) of the days in order, found with window functions."""
    days = _days_to_enrol(session).label("days")
    ranked = (
        select(
            days,
            func.row_number().over(order_by=days).label("rank"),
            func.count().over().label("total"),
        )
        .where(Lead.enrolled_at >= start, Lead.enrolled_at < end, *_in_scope(scope))
        .subquery()
    )
    total = ranked.c.total
    middle = or_(ranked.c.rank == (total + 1) // 2, ranked.c.rank == (total + 2) // 2)
    row = (
        await session.execute(
            select(
                func.count(),
                func.avg(case((middle, ranked.c.days))),
                func.avg(ranked.c.days),
            ).select_from(ranked)
        )
    ).one()
    count, median, average = row
    return int(count), _number(median), _number(average)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


async def leads_of(
    session: AsyncSession, start: datetime, end: datetime, scope: ScopeFilter, limit: int
) -> Sequence[Row[Any]]:
    """The period's leads, oldest first, with their course's name: at most `limit`."""
    query = (
        select(Lead, Course.name)
        .outerjoin(Course, Course.id == Lead.course_id)
        .where(*_created_in(start, end), *_in_scope(scope))
        .order_by(Lead.created_at, Lead.id)
        .limit(limit)
    )
    return (await session.execute(query)).all()
