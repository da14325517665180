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
    AttendanceGroupMonthTotal,
    AttendanceMonthTotal,
    AttendanceStatus,
    AttendanceYearTotal,
    Course,
    Group,
    Lesson,
    LessonMonthTotal,
    LessonStatus,
    User,
)
from db.repositories.report_totals import month_index
from db.repositories.reports import ScopeFilter, _bucket, _group_conditions

ATTENDED = (AttendanceStatus.PRESENT.value, AttendanceStatus.LATE.value)
STATUSES = tuple(status.value for status in AttendanceStatus)


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


def _raw_marks(
    window: Window,
    start: datetime,
    end: datetime,
    scope: ScopeFilter,
    sign: int,
    students: bool,
    statuses: Sequence[str] | None,
    student_ids: Sequence[int] | None = None,
) -> Select[Any]:
    query = _marks(start, end, scope).add_columns(
        _bucket(Lesson.starts_at, window.bounds, (start, end)).label("month"),
        Lesson.group_id.label("group_id"),
        *([Attendance.student_id.label("student_id")] if students else []),
        Attendance.status.label("status"),
        literal(sign).label("marks"),
    )
    if student_ids is not None:
        query = query.where(Attendance.student_id.in_(student_ids))
    return query if statuses is None else query.where(Attendance.status.in_(statuses))


def _outside(window: Window) -> list[tuple[datetime, datetime]]:
    """The parts of the window's months outside the window (a range's first and last days,
    today's lessons still to come)."""
    parts = []
    if window.bounds[0] < window.start:
        parts.append((window.bounds[0], window.start))
    if window.end < window.bounds[-1]:
        parts.append((window.end, window.bounds[-1]))
    return parts


def _in_scope(query: Select[Any], group_id: Any, scope: ScopeFilter) -> Select[Any]:
    if scope.is_centre:
        return query
    return query.join(Group, Group.id == group_id).where(*_group_conditions(scope))


def _whole_years(months: Sequence[date]) -> list[date]:
    """The years (1 January) all twelve of whose months are among `months`."""
    touched = set(months)
    firsts = {month.replace(month=1) for month in touched}
    return sorted(y for y in firsts if all(y.replace(month=n) in touched for n in range(1, 13)))


def marks_source(
    window: Window,
    scope: ScopeFilter,
    from_totals: bool,
    *,
    students: bool = False,
    statuses: Sequence[str] | None = None,
    student_ids: Sequence[int] | None = None,
) -> Subquery:
    """(month index, group_id[, student_id], status, marks) rows whose sums, grouped any
    way, are the window's marks (of `statuses`, of `student_ids`; per student with
    `students`, which `student_ids` needs). From the totals: every month the window
    touches — per student, a whole year's rows where all its months are touched (their
    month index: the year's first) — less the marks of its lessons outside the window,
    read from the rows: only those few are read one by one. Otherwise the window's marks
    themselves, one row each."""
    if not from_totals:
        raw = _raw_marks(
            window, window.start, window.end, scope, 1, students, statuses, student_ids
        )
        return raw.subquery()
    years = _whole_years(window.months) if students else []
    months = [month for month in window.months if month.replace(month=1) not in years]
    parts: list[Select[Any]] = []
    if years:
        year = AttendanceYearTotal
        parts.append(
            _totals_part(year, year.year, years, window, scope, True, statuses, student_ids)
        )
    if months:
        total = AttendanceMonthTotal if students else AttendanceGroupMonthTotal
        parts.append(
            _totals_part(total, total.month, months, window, scope, students, statuses, student_ids)
        )
    parts += [
        _raw_marks(window, start, end, scope, -1, students, statuses, student_ids)
        for start, end in _outside(window)
    ]
    return union_all(*parts).subquery()


def _totals_part(
    total: Any,
    key: Any,
    keys: Sequence[date],
    window: Window,
    scope: ScopeFilter,
    students: bool,
    statuses: Sequence[str] | None,
    student_ids: Sequence[int] | None,
) -> Select[Any]:
    query = select(
        month_index(key, window.months).label("month"),
        total.group_id.label("group_id"),
        *([total.student_id.label("student_id")] if students else []),
        total.status.label("status"),
        total.marks.label("marks"),
    ).where(key.in_(list(keys)))
    if statuses is not None:
        query = query.where(total.status.in_(statuses))
    if student_ids is not None:
        query = query.where(total.student_id.in_(student_ids))
    return _in_scope(query, total.group_id, scope)


def taught_source(window: Window, scope: ScopeFilter, from_totals: bool) -> Subquery:
    """(group_id, student_id, marks) whose sums per group and student are the window's marks
    present or late (marks_source's)."""
    marks = marks_source(window, scope, from_totals, students=True, statuses=ATTENDED)
    return select(marks.c.group_id, marks.c.student_id, marks.c.marks).subquery()


async def marks_by(session: AsyncSession, marks: Subquery, key: str) -> Sequence[Row[Any]]:
    """(group id or month index, status, marks) of a marks_source, by "group_id" or "month"."""
    column = marks.c[key]
    query = (
        select(column, marks.c.status, func.sum(marks.c.marks))
        .group_by(column, marks.c.status)
        .having(func.sum(marks.c.marks) != 0)
    )
    return (await session.execute(query)).all()


async def most_absent(session: AsyncSession, absences: Subquery, limit: int) -> Sequence[Row[Any]]:
    """(student id, name, absences) of the `limit` students with the most absences (then by
    name and id); `absences`: a marks_source of students and the status absent."""
    counted = (
        select(absences.c.student_id.label("student_id"), func.sum(absences.c.marks).label("n"))
        .group_by(absences.c.student_id)
        .having(func.sum(absences.c.marks) > 0)
        .subquery()
    )
    query = (
        select(counted.c.student_id, User.full_name, counted.c.n)
        .join(User, User.id == counted.c.student_id)
        .order_by(counted.c.n.desc(), func.coalesce(User.full_name, ""), counted.c.student_id)
        .limit(limit)
    )
    return (await session.execute(query)).all()


async def marks_by_student(session: AsyncSession, marks: Subquery) -> Sequence[Row[Any]]:
    """(student id, name, then the marks of each status in AttendanceStatus's order) of the
    students with a mark: one row a student, the names joined once the marks are counted."""
    counted = (
        select(
            marks.c.student_id.label("student_id"),
            *[
                func.sum(case((marks.c.status == status, marks.c.marks), else_=0)).label(status)
                for status in STATUSES
            ],
        )
        .group_by(marks.c.student_id)
        .subquery()
    )
    statuses = [counted.c[status] for status in STATUSES]
    query = (
        select(counted.c.student_id, User.full_name, *statuses)
        .join(User, User.id == counted.c.student_id)
        .where(or_(*(column != 0 for column in statuses)))
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


def lessons_source(
    window: Window,
    cut: datetime,
    scope: ScopeFilter,
    from_totals: bool,
    held: ColumnElement[bool],
    not_marked: ColumnElement[bool],
) -> Subquery:
    """(month index, group_id, held, not_marked) rows whose sums are the window's lessons
    held and not marked: `held` and `not_marked` say which of its lessons (not cancelled)
    count, `cut` the moment before which every one is over. From the totals: the months
    wholly in the window that end by `cut` — there a lesson held is one not cancelled and
    one not marked is still scheduled without a mark — and the rest from the lessons."""
    bounds = window.bounds
    whole = [
        index
        for index in range(len(window.months))
        if window.start <= bounds[index] and bounds[index + 1] <= min(window.end, cut)
    ]
    if not from_totals or not whole:
        pieces = [(window.start, window.end)]
    else:
        pieces = [(window.start, bounds[whole[0]]), (bounds[whole[-1] + 1], window.end)]
    parts: list[Select[Any]] = []
    for start, end in pieces:
        if start >= end:
            continue
        query = select(
            _bucket(Lesson.starts_at, bounds, (start, end)).label("month"),
            Lesson.group_id.label("group_id"),
            case((held, 1), else_=0).label("held"),
            case((not_marked, 1), else_=0).label("not_marked"),
        ).where(*_lessons_in(start, end, ScopeFilter()))
        parts.append(_in_scope(query, Lesson.group_id, scope))
    if from_totals and whole:
        total = LessonMonthTotal
        scheduled = total.status == LessonStatus.SCHEDULED.value
        query = select(
            month_index(total.month, window.months).label("month"),
            total.group_id.label("group_id"),
            total.lessons.label("held"),
            case((scheduled, total.unmarked), else_=0).label("not_marked"),
        ).where(
            total.month >= window.months[whole[0]],
            total.month <= window.months[whole[-1]],
            total.status != LessonStatus.CANCELLED.value,
        )
        parts.append(_in_scope(query, total.group_id, scope))
    if not parts:  # an empty window
        parts.append(
            select(
                literal(0).label("month"), literal(0).label("group_id"), literal(0), literal(0)
            ).where(literal(False))
        )
    return union_all(*parts).subquery()


async def lessons_by_teacher(
    session: AsyncSession,
    window: Window,
    day_over: datetime,
    scope: ScopeFilter,
    from_totals: bool,
) -> Sequence[Row[Any]]:
    """(teacher id, name, lessons held, of them not marked) per teacher of the scope's
    groups (id None: groups without a teacher). `day_over`: the first moment of today in
    the centre; a lesson before it can no longer be marked by its teacher."""
    lessons = lessons_source(
        window, day_over, scope, from_totals, _held(day_over), _not_marked(day_over)
    )
    query = (
        select(
            Group.teacher_id,
            User.full_name,
            func.sum(lessons.c.held),
            func.sum(lessons.c.not_marked),
        )
        .select_from(lessons)
        .join(Group, Group.id == lessons.c.group_id)
        .outerjoin(User, User.id == Group.teacher_id)
        .group_by(Group.teacher_id, User.full_name)
        .having(func.sum(lessons.c.held) > 0)
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
