"""Retention report queries: students counted in SQL (a window over each student's places,
GROUP BY), never a loop over enrolments in Python; a fixed number of statements whatever the
period's length. Never commits.

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
    String,
    and_,
    case,
    cast,
    distinct,
    exists,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from db.models import Course, Enrolment, EnrolmentFreeze, Group, User
from db.repositories.dialect import is_postgres
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


def _covers(freeze: Any, day: Any) -> ColumnElement[bool]:
    return and_(freeze.starts_on <= day, or_(freeze.ends_on.is_(None), freeze.ends_on > day))


def _days(days: Sequence[date]) -> Any:
    """(i, day): the days as a derived table, so one query counts them all."""
    rows = [
        select(literal(index).label("i"), literal(day, Date).label("day"))
        for index, day in enumerate(days)
    ]
    return (rows[0] if len(rows) == 1 else union_all(*rows)).subquery()


def _key(group: Any, by_course: bool) -> Any:
    return group.course_id if by_course else literal_column("NULL")


# an open place's end: later than any day
FAR = date(9999, 12, 31)
SEATED, MOVED = "seated", "moved"


def _places(scope: ScopeFilter, first: date, last: date, by_course: bool) -> Any:
    """The scope's places that can count on the days first − 1 .. last: joined by `last`
    and not left before `first`. One that ended earlier is seated on none of those days and
    holds no student's seat into one (a seat held on day d − 1 of an arrival on d ≥ first,
    or on the day of a departure, is a place left after it), so leaving it out changes no
    figure — and a short period reads few places."""
    key = _key(Group, by_course)
    query = select(
        Enrolment.student_id,
        key.label("course_id"),
        Enrolment.joined_on,
        Enrolment.left_on,
        Enrolment.leave_reason,
    ).where(
        Enrolment.joined_on <= last,
        # not a range of left_on: the places are read in the order of the student's index
        # (its reach and end by student without a sort), not gathered by the day left
        func.coalesce(Enrolment.left_on, literal(FAR, Date)) >= first,
    )
    conditions = _in_scope(Group, scope)
    if by_course or conditions:
        query = query.join(Group, Group.id == Enrolment.group_id).where(*conditions)
    return query.subquery("places")


def _left_text(session: AsyncSession, left_on: Any) -> Any:
    """left_on as 'YYYY-MM-DD' (SQLite stores it so; PostgreSQL's own text follows
    DateStyle), so that it sorts as the date and its reason can follow it."""
    if is_postgres(session):
        return func.to_char(left_on, "YYYY-MM-DD")
    return type_coerce(left_on, String)


def _ends(session: AsyncSession, places: Any) -> tuple[Any, Any]:
    """A place's end (FAR when open), and its left_on as text followed by its reason
    ('' when none): the greatest of the latter over places is their latest end with the
    greatest reason given on that day (a recorded one over none)."""
    end = func.coalesce(places.c.left_on, literal(FAR, Date))
    return end, _left_text(session, places.c.left_on) + func.coalesce(places.c.leave_reason, "")


_NO_REASON = cast(null(), String)


def _runs(session: AsyncSession, places: Any, by_course: bool) -> Any:
    """Each place with, over the student's places (in the course when by course) joined
    before it (in order of joining): `reach`, their furthest end (FAR when one is open, None
    when there is none) and `last_key`, their greatest end key (_ends; None by course).

    A student's places chain into runs of days seated without a break: a place joined by
    the reach of those before it continues their run. So a place joined after that reach
    (or the first) is an arrival on its day, and one joined after it ends the run before
    with a departure on that reach; the student's last run ends with one on the furthest
    end of all (_last_runs) unless a place is open. These are exactly the arrivals and
    departures the module describes, once per (student, day), places joined and left on
    one day included — from one window pass over the places in the order of the index
    (student_id, joined_on, …) instead of a look-up of the student's other places per place.
    Places joined on one day: the first of them sees only those joined before, the next
    ones a reach of at least that day, so only one of them may count."""
    partition = [places.c.course_id, places.c.student_id] if by_course else [places.c.student_id]
    end, key = _ends(session, places)

    def before(value: Any) -> Any:  # one frame for both, so one pass
        return func.max(value).over(
            partition_by=partition, order_by=places.c.joined_on, rows=(None, -1)
        )

    return select(
        places.c.course_id,
        places.c.joined_on,
        before(end).label("reach"),
        # the reasons are the scope's, not each course's: none read by course
        (_NO_REASON if by_course else before(key)).label("last_key"),
    ).cte("runs")


def _last_runs(session: AsyncSession, places: Any, by_course: bool) -> Any:
    """Each student's (per course when by course) furthest end and greatest end key."""
    end, key = _ends(session, places)
    # by student alone for the centre: in the index's order, no sort
    keys = [places.c.course_id] if by_course else []
    return (
        select(
            places.c.course_id if by_course else _key(Group, False).label("course_id"),
            func.max(end).label("reach"),
            (_NO_REASON if by_course else func.max(key)).label("last_key"),
        )
        .group_by(*keys, places.c.student_id)
        .subquery("last_runs")
    )


def _froze(scope: ScopeFilter, first: date, last: date, by_course: bool) -> Any:
    """Freezes started on first..last, once per (course when by course, student, day)."""
    return (
        select(
            _key(Group, by_course).label("course_id"),
            Enrolment.student_id,
            EnrolmentFreeze.starts_on,
        )
        .select_from(EnrolmentFreeze)
        .join(Enrolment, Enrolment.id == EnrolmentFreeze.enrolment_id)
        .join(Group, Group.id == Enrolment.group_id)
        .where(
            *_in_scope(Group, scope),
            EnrolmentFreeze.starts_on >= first,
            EnrolmentFreeze.starts_on <= last,
        )
        .distinct()
        .subquery("froze")
    )


def _moves(
    session: AsyncSession, scope: ScopeFilter, first: date, last: date, by_course: bool
) -> Any:
    """(course id or None, day, reason, arrived, departed, froze): each arrival, departure
    (with its reason, '' when none was recorded) and freeze start, once per (student, day)
    — the arrivals and departures of every place read, the freezes of first..last."""
    places = _places(scope, first, last, by_course)
    runs, last_runs = _runs(session, places, by_course), _last_runs(session, places, by_course)
    froze = _froze(scope, first, last, by_course)
    none = cast(null(), String)
    one, zero = literal(1), literal(0)
    after_a_break = runs.c.joined_on > runs.c.reach
    return union_all(
        select(
            runs.c.course_id,
            runs.c.joined_on.label("day"),
            none.label("reason"),
            one.label("arrived"),
            zero.label("departed"),
            zero.label("froze"),
        ).where(or_(runs.c.reach.is_(None), after_a_break)),
        select(
            runs.c.course_id, runs.c.reach, func.substr(runs.c.last_key, 11), zero, one, zero
        ).where(after_a_break),
        select(
            last_runs.c.course_id,
            last_runs.c.reach,
            func.substr(last_runs.c.last_key, 11),
            zero,
            one,
            zero,
        ).where(last_runs.c.reach < literal(FAR, Date)),
        select(froze.c.course_id, froze.c.starts_on, none, zero, zero, one),
    ).subquery("moves")


async def movements(
    session: AsyncSession,
    first: date,
    last: date,
    days: Sequence[date],
    month_starts: Sequence[date],
    scope: ScopeFilter,
    *,
    by_course: bool = False,
) -> Sequence[Row[Any]]:
    """In one statement, rows of (kind, index, course id or None, reason, a, b, c):

    * SEATED: (day index, course, None, students seated at the end of that day, 0, 0) for
      each of `days` (all within first − 1 .. last) — the arrivals less the departures up
      to it; a day (or a course) with nobody seated has no row;
    * MOVED: (month index, course, departure reason ('' none recorded; None by course),
      arrivals, departures, freezes started) on first..last, by the month `month_starts`
      put them in.
    """
    moves = _moves(session, scope, first, last, by_course)
    flows = (
        select(
            moves.c.course_id,
            moves.c.day,
            moves.c.reason,
            func.sum(moves.c.arrived).label("arrived"),
            func.sum(moves.c.departed).label("departed"),
            func.sum(moves.c.froze).label("froze"),
        )
        .group_by(moves.c.course_id, moves.c.day, moves.c.reason)
        .cte("flows")
    )
    table = _days(days)
    seated = func.sum(flows.c.arrived - flows.c.departed)
    standing = (
        select(
            literal(SEATED).label("kind"),
            table.c.i.label("i"),
            flows.c.course_id,
            cast(null(), String).label("reason"),
            seated.label("a"),
            literal(0).label("b"),
            literal(0).label("c"),
        )
        .select_from(table)
        .join(flows, flows.c.day <= table.c.day)
        .group_by(table.c.i, flows.c.course_id)
        .having(seated > 0)
    )
    month = _month(flows.c.day, month_starts)
    moved = (
        select(
            literal(MOVED),
            month,
            flows.c.course_id,
            flows.c.reason,
            func.sum(flows.c.arrived),
            func.sum(flows.c.departed),
            func.sum(flows.c.froze),
        )
        .where(flows.c.day >= first, flows.c.day <= last)
        .group_by(*([month] if len(month_starts) > 1 else []), flows.c.course_id, flows.c.reason)
    )
    return (await session.execute(union_all(standing, moved))).all()


def _freezes(session: AsyncSession, scope: ScopeFilter) -> Any:
    """The scope's places with each of their freezes (a few rows). Materialized on
    PostgreSQL: inlined, its planner joins the days to every place and reads them once
    per day."""
    found = (
        select(
            Enrolment.id,
            Enrolment.student_id,
            Enrolment.joined_on,
            Enrolment.left_on,
            Group.course_id,
            EnrolmentFreeze.starts_on,
            EnrolmentFreeze.ends_on,
        )
        .select_from(EnrolmentFreeze)
        .join(Enrolment, Enrolment.id == EnrolmentFreeze.enrolment_id)
        .join(Group, Group.id == Enrolment.group_id)
        .where(*_in_scope(Group, scope))
        .cte("freezes")
    )
    return found.prefix_with("MATERIALIZED") if is_postgres(session) else found


async def frozen(
    session: AsyncSession, days: Sequence[date], scope: ScopeFilter, *, by_course: bool = False
) -> Sequence[Row[Any]]:
    """(day index, course id or None, students seated at the end of the day whose every
    place in the scope (in the course) seated that day is frozen): seated less these are the
    active. Read from the freezes (few) covering each day, not from every place."""
    table = _days(days)
    place = _freezes(session, scope)
    key = place.c.course_id if by_course else literal_column("NULL")
    other, other_group = aliased(Enrolment), aliased(Group)
    unfrozen = aliased(EnrolmentFreeze)
    conditions = [
        other_group.id == other.group_id,
        other.student_id == place.c.student_id,
        *_in_scope(other_group, scope),
        _seated_on(other, table.c.day),
        ~exists()
        .where(unfrozen.enrolment_id == other.id, _covers(unfrozen, table.c.day))
        .correlate(other, table),
    ]
    if by_course:
        conditions.append(other_group.course_id == place.c.course_id)
    active_elsewhere = exists().where(*conditions).correlate(table, place)
    query = (
        select(table.c.i, key.label("course_id"), func.count(distinct(place.c.student_id)))
        .select_from(table)
        .join(place, and_(_covers(place.c, table.c.day), _seated_on(place.c, table.c.day)))
        .where(~active_elsewhere)
        .group_by(table.c.i, *([key] if by_course else []))
    )
    return (await session.execute(query)).all()


def _elsewhere(scope: ScopeFilter, *where: Any) -> ColumnElement[bool]:
    """Another place of the same student in the scope meeting `where` (functions of that
    place); its group is read only when the scope filters by group."""
    other, other_group = aliased(Enrolment), aliased(Group)
    in_scope = _in_scope(other_group, scope)
    conditions = [
        other.student_id == Enrolment.student_id,
        other.id != Enrolment.id,
        *(condition(other) for condition in where),
    ]
    if in_scope:
        conditions += [other_group.id == other.group_id, *in_scope]
    return exists().where(*conditions).correlate(Enrolment, Group)


def _month(day: Any, month_starts: Sequence[date]) -> Any:
    """The index of the month a day falls in (the caller keeps it within the months)."""
    if len(month_starts) == 1:
        return literal(0)
    return case(
        *[(day < month_starts[index + 1], index) for index in range(len(month_starts) - 1)],
        else_=len(month_starts) - 1,
    )


def _departures(scope: ScopeFilter, first: date, last: date) -> Any:
    day = Enrolment.left_on
    stays = _elsewhere(scope, lambda other: _seated_on(other, day))
    return day, [day.is_not(None), day >= first, day <= last, ~stays]


async def leavers(
    session: AsyncSession, first: date, last: date, scope: ScopeFilter
) -> Sequence[Row[Any]]:
    """(student name, group name, course name, left_on, reason) of every place whose end is a
    departure, by day then name."""
    day, conditions = _departures(scope, first, last)
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
