"""Totals the reports read instead of millions of rows, kept in the transaction that changes
the rows under them (db.models.reports):

* cash_day_totals — per centre day, kind (paid / reversed / refunded) and method;
* charge_month_totals — per charge month and group;
* attendance_month_totals — per centre month of the lesson, group, student and status;
  attendance_group_month_totals — the same added up per group; attendance_year_totals —
  added up per centre year;
* lesson_month_totals — per centre month, group and lesson status, the lessons and those
  without a mark (what "held" and "not marked" count for months gone by).

How they are kept. Every write to payments, refunds, charges, attendance or lessons names
what it touched: an ORM object flushed does it by itself (its moments, month or lesson,
before and after the change: a lesson moved touches both its months); a statement (an
INSERT … ON CONFLICT, an UPDATE) is run by a repository that calls `touch_*` and marks the
statement with TOUCHED — a statement on those tables without the mark raises, since a
writer that forgot would make the totals lie. Just before
the transaction commits, each touched key (a day, a charge month, a group's month) is
counted again from its rows, in that transaction. So a total is never a running sum that a
lost update could bend, and a rolled-back change touches nothing. On PostgreSQL the recounts
take one transaction-level lock (the last lock a writing transaction takes), so a second
writer of the same key counts after the first has committed and sees its rows.

Days and months are those of a time zone, recorded in report_totals_state (no row: the
DEFAULT_ZONE). The reports use the totals only when that is the zone they are asked for,
else they read the rows; the bot's start-up recounts everything when the TIMEZONE setting
changed (`ensure_zone`).
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Connection,
    case,
    delete,
    event,
    exists,
    func,
    insert,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy import inspect as inspect_object
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from db.models import (
    Attendance,
    AttendanceGroupMonthTotal,
    AttendanceMonthTotal,
    AttendanceYearTotal,
    CashDayTotal,
    Charge,
    ChargeMonthTotal,
    Enrolment,
    Lesson,
    LessonMonthTotal,
    LessonStatus,
    Payment,
    Refund,
    ReportTotalsState,
)

DEFAULT_ZONE = "Asia/Tashkent"
ZONE_KEY = "zone"
TOUCHED = {"report_totals": "touched"}  # .execution_options(**TOUCHED) of a touching statement
TRACKED = frozenset({"payments", "refunds", "charges", "attendance", "lessons"})
NO_GROUP = 0  # charge_month_totals.group_id of a charge of no group
_DAYS_A_STATEMENT = 31
_KEY = "report_totals.touched"
LOCK_KEY = 0x7265_706F_7274  # pg_advisory_xact_lock of the recount: a number no other lock uses


class UntrackedWrite(RuntimeError):
    """A statement changed rows under the totals without saying what it touched."""


@dataclass(slots=True)
class Touched:
    moments: set[datetime] = field(default_factory=set)  # their centre days
    periods: set[date] = field(default_factory=set)  # charge months
    lessons: set[int] = field(default_factory=set)  # their groups' months
    lesson_starts: set[tuple[int, datetime]] = field(default_factory=set)  # (group, start)

    def __bool__(self) -> bool:
        return bool(self.moments or self.periods or self.lessons or self.lesson_starts)


def _touched(session: Any) -> Touched:
    return session.info.setdefault(_KEY, Touched())


def touch_moments(session: Any, *moments: datetime | None) -> None:
    """Ledger rows were written at these moments (a payment's, a reversal's, a refund's)."""
    _touched(session).moments.update(moment for moment in moments if moment is not None)


def touch_periods(session: Any, periods: Iterable[date]) -> None:
    """Charges of these months were written."""
    _touched(session).periods.update(periods)


def touch_lessons(session: Any, lesson_ids: Iterable[int]) -> None:
    """These lessons, or their marks, were written (their months as they are at commit)."""
    _touched(session).lessons.update(lesson_ids)


def touch_lesson_starts(session: Any, starts: Iterable[tuple[int, datetime]]) -> None:
    """Lessons of these (group, start) were written: for a lesson deleted or moved, its
    month before the change."""
    _touched(session).lesson_starts.update(starts)


# --- what an ORM flush touched ---------------------------------------------------------------


def _values(row: Any, name: str) -> list[Any]:
    """The attribute's value now and, for a changed object, the one it had (read after the
    flush, so a new row's defaults are there)."""
    old = inspect_object(row).attrs[name].history.deleted
    return [value for value in (getattr(row, name), *old) if value is not None]


def _touch_row(session: Session, row: Any) -> None:
    if isinstance(row, Payment):
        touch_moments(session, *_values(row, "paid_at"), *_values(row, "reversed_at"))
    elif isinstance(row, Refund):
        touch_moments(session, *_values(row, "refunded_at"))
    elif isinstance(row, Charge):
        touch_periods(session, _values(row, "period"))
    elif isinstance(row, Attendance):
        touch_lessons(session, _values(row, "lesson_id"))
    elif isinstance(row, Lesson):
        starts = _touched(session).lesson_starts
        for group_id in _values(row, "group_id"):
            starts.update((group_id, start) for start in _values(row, "starts_at"))


def _on_flush(session: Session, _context: Any) -> None:
    for row in (*session.new, *session.dirty, *session.deleted):
        _touch_row(session, row)


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table in TRACKED and state.execution_options.get("report_totals") != "touched":
        raise UntrackedWrite(
            f"a statement on {table} must call db.report_totals.touch_* and carry TOUCHED"
        )


def _on_commit(session: Session) -> None:
    session.flush()  # what is still pending is flushed now, so it is seen as touched too
    touched = session.info.pop(_KEY, None)
    if touched:
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            # One recount at a time: the next one's statements start after this commit and
            # so count its rows (on SQLite the writer's lock does this already).
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        recount(connection, touched, ZoneInfo(zone_of(connection)))


def _on_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # a rollback forgets what it undid
        session.info.pop(_KEY, None)


def keep_in(session_class: type[Session]) -> None:
    """Make `session_class`'s sessions keep the totals (db.data_versions.VersionedSession)."""
    event.listen(session_class, "do_orm_execute", _on_execute)
    event.listen(session_class, "after_flush", _on_flush)
    event.listen(session_class, "before_commit", _on_commit)
    event.listen(session_class, "after_transaction_end", _on_transaction_end)


# --- the zone ------------------------------------------------------------------------------


def zone_of(connection: Connection) -> str:
    value = connection.execute(
        select(ReportTotalsState.value).where(ReportTotalsState.key == ZONE_KEY)
    ).scalar()
    return value or DEFAULT_ZONE


def ensure_zone(connection: Connection, zone: str) -> bool:
    """Record `zone` as the totals' zone, recounting everything if they were another's;
    True when it recounted."""
    table = ReportTotalsState.__table__
    if connection.execute(select(table.c.value).where(table.c.key == ZONE_KEY)).scalar() == zone:
        return False
    recount_needed = zone_of(connection) != zone
    connection.execute(delete(table).where(table.c.key == ZONE_KEY))
    connection.execute(insert(table).values(key=ZONE_KEY, value=zone))
    if recount_needed:
        rebuild(connection, ZoneInfo(zone))
    return recount_needed


# --- counting ------------------------------------------------------------------------------


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(tz)


def recount(connection: Connection, touched: Touched, tz: ZoneInfo) -> None:
    if touched.moments:
        days = sorted({_local(moment, tz).date() for moment in touched.moments})
        for run in _runs(days):
            _recount_days(connection, run, tz)
    if touched.periods:
        _recount_charges(connection, sorted(touched.periods))
    starts = set(touched.lesson_starts)
    if touched.lessons:
        rows = connection.execute(
            select(Lesson.group_id, Lesson.starts_at).where(Lesson.id.in_(sorted(touched.lessons)))
        )
        starts.update((group_id, starts_at) for group_id, starts_at in rows)
    months: dict[date, set[int]] = defaultdict(set)
    for group_id, starts_at in starts:
        months[_local(starts_at, tz).date().replace(day=1)].add(group_id)
    years: dict[date, set[int]] = defaultdict(set)
    for month in sorted(months):
        _recount_marks(connection, month, tz, sorted(months[month]))
        _recount_lessons(connection, month, tz, sorted(months[month]))
        years[month.replace(month=1)].update(months[month])
    for year in sorted(years):
        _recount_year(connection, year, sorted(years[year]))


def _runs(days: list[date]) -> Iterator[list[date]]:
    """Consecutive days, at most _DAYS_A_STATEMENT together."""
    run: list[date] = []
    for day in days:
        if run and (day - run[-1] != timedelta(days=1) or len(run) == _DAYS_A_STATEMENT):
            yield run
            run = []
        run.append(day)
    if run:
        yield run


def _bucket(column: Any, bounds: list[datetime]) -> Any:
    """The index of the day a moment falls in (the caller keeps it within the bounds)."""
    if len(bounds) == 2:
        return literal(0)
    return case(
        *[(column < bounds[index + 1], index) for index in range(len(bounds) - 2)],
        else_=len(bounds) - 2,
    )


def _recount_days(connection: Connection, days: list[date], tz: ZoneInfo) -> None:
    """Count again the consecutive `days`."""
    bounds = [local_midnight(day, tz) for day in days]
    bounds.append(local_midnight(days[-1] + timedelta(days=1), tz))

    def moved(kind: str, table: Any, moment: Any) -> Any:
        return select(
            _bucket(moment, bounds).label("day"),
            literal(kind).label("kind"),
            table.method.label("method"),
            table.amount.label("amount"),
        ).where(moment >= bounds[0], moment < bounds[-1])

    moves = union_all(
        moved("paid", Payment, Payment.paid_at),
        moved("reversed", Payment, Payment.reversed_at),
        moved("refunded", Refund, Refund.refunded_at),
    ).subquery()
    rows = connection.execute(
        select(
            moves.c.day, moves.c.kind, moves.c.method, func.sum(moves.c.amount), func.count()
        ).group_by(moves.c.day, moves.c.kind, moves.c.method)
    ).all()
    table = CashDayTotal.__table__
    connection.execute(delete(table).where(table.c.day.in_(days)))
    if rows:
        connection.execute(
            insert(table),
            [
                {"day": days[index], "kind": kind, "method": method, "amount": amount, "moves": n}
                for index, kind, method, amount, n in rows
            ],
        )


def _recount_charges(connection: Connection, periods: list[date] | None) -> None:
    """Count again the charge months `periods` (None: every month)."""
    group = func.coalesce(Enrolment.group_id, NO_GROUP)
    query = (
        select(Charge.period, group, func.sum(Charge.amount), func.count())
        .select_from(Charge)
        .outerjoin(Enrolment, Enrolment.id == Charge.enrolment_id)
        .where(Charge.cancelled_at.is_(None))
        .group_by(Charge.period, group)
    )
    table = ChargeMonthTotal.__table__
    if periods is None:
        connection.execute(delete(table))
    else:
        query = query.where(Charge.period.in_(periods))
        connection.execute(delete(table).where(table.c.period.in_(periods)))
    rows = connection.execute(query).all()
    if rows:
        connection.execute(
            insert(table),
            [
                {"period": period, "group_id": group_id, "amount": amount, "charges": n}
                for period, group_id, amount, n in rows
            ],
        )


def _recount_marks(
    connection: Connection, month: date, tz: ZoneInfo, group_ids: list[int] | None
) -> None:
    """Count again a month of the groups `group_ids` (None: every group): its marks per
    student and status, and their sums per group (then _recount_year, once a year)."""
    query = (
        select(Lesson.group_id, Attendance.student_id, Attendance.status, func.count())
        .select_from(Attendance)
        .join(Lesson, Lesson.id == Attendance.lesson_id)
        .where(
            Lesson.starts_at >= local_midnight(month, tz),
            Lesson.starts_at < local_midnight(next_month(month), tz),
            Lesson.status != LessonStatus.CANCELLED.value,
        )
        .group_by(Lesson.group_id, Attendance.student_id, Attendance.status)
    )
    if group_ids is not None:
        query = query.where(Lesson.group_id.in_(group_ids))
    rows = connection.execute(query).all()
    by_group: dict[tuple[int, str], int] = defaultdict(int)
    for group_id, _student_id, status, n in rows:
        by_group[group_id, status] += n
    fine, coarse = AttendanceMonthTotal.__table__, AttendanceGroupMonthTotal.__table__
    _replace(
        connection,
        fine,
        [fine.c.month == month],
        fine.c.group_id,
        group_ids,
        [
            {"month": month, "group_id": g, "student_id": s, "status": status, "marks": n}
            for g, s, status, n in rows
        ],
    )
    _replace(
        connection,
        coarse,
        [coarse.c.month == month],
        coarse.c.group_id,
        group_ids,
        [
            {"month": month, "group_id": g, "status": status, "marks": n}
            for (g, status), n in by_group.items()
        ],
    )


def _recount_lessons(
    connection: Connection, month: date, tz: ZoneInfo, group_ids: list[int] | None
) -> None:
    """Count again a month's lessons of the groups `group_ids` (None: every group) by
    status, and those of them without a mark."""
    unmarked = case((~exists().where(Attendance.lesson_id == Lesson.id), 1), else_=0)
    query = (
        select(Lesson.group_id, Lesson.status, func.count(), func.sum(unmarked))
        .where(
            Lesson.starts_at >= local_midnight(month, tz),
            Lesson.starts_at < local_midnight(next_month(month), tz),
        )
        .group_by(Lesson.group_id, Lesson.status)
    )
    if group_ids is not None:
        query = query.where(Lesson.group_id.in_(group_ids))
    table = LessonMonthTotal.__table__
    _replace(
        connection,
        table,
        [table.c.month == month],
        table.c.group_id,
        group_ids,
        [
            {"month": month, "group_id": g, "status": st, "lessons": n, "unmarked": int(u)}
            for g, st, n, u in connection.execute(query).all()
        ],
    )


def _recount_year(connection: Connection, year: date, group_ids: list[int] | None) -> None:
    """The year's marks per group, student and status, from the month totals."""
    fine = AttendanceMonthTotal
    query = (
        select(fine.group_id, fine.student_id, fine.status, func.sum(fine.marks))
        .where(fine.month >= year, fine.month < year.replace(year=year.year + 1))
        .group_by(fine.group_id, fine.student_id, fine.status)
    )
    if group_ids is not None:
        query = query.where(fine.group_id.in_(group_ids))
    table = AttendanceYearTotal.__table__
    _replace(
        connection,
        table,
        [table.c.year == year],
        table.c.group_id,
        group_ids,
        [
            {"year": year, "group_id": g, "student_id": s, "status": status, "marks": n}
            for g, s, status, n in connection.execute(query).all()
        ],
    )


def _replace(
    connection: Connection,
    table: Any,
    where: list[Any],
    group_column: Any,
    group_ids: list[int] | None,
    rows: list[dict[str, Any]],
) -> None:
    """Delete a key's rows (of these groups) and insert the new count."""
    if group_ids is not None:
        where = [*where, group_column.in_(group_ids)]
    connection.execute(delete(table).where(*where))
    if rows:
        connection.execute(insert(table), rows)


def _first_and_last(connection: Connection, *columns: Any) -> tuple[datetime, datetime] | None:
    found = [
        row
        for column in columns
        for row in connection.execute(select(func.min(column), func.max(column))).all()
        if row[0] is not None
    ]
    if not found:
        return None
    return min(row[0] for row in found), max(row[1] for row in found)


def _months(first: datetime, last: datetime, tz: ZoneInfo) -> Iterator[date]:
    month, end = _local(first, tz).date().replace(day=1), _local(last, tz).date()
    while month <= end:
        yield month
        month = next_month(month)


def rebuild(connection: Connection, tz: ZoneInfo) -> None:
    """Count every total again from all the rows (a migration, a change of zone)."""
    connection.execute(delete(CashDayTotal.__table__))
    for model in (
        AttendanceMonthTotal,
        AttendanceGroupMonthTotal,
        AttendanceYearTotal,
        LessonMonthTotal,
    ):
        connection.execute(delete(model.__table__))
    span = _first_and_last(connection, Payment.paid_at, Payment.reversed_at, Refund.refunded_at)
    if span is not None:
        for month in _months(*span, tz):
            days = [month + timedelta(days=n) for n in range((next_month(month) - month).days)]
            _recount_days(connection, days, tz)
    _recount_charges(connection, None)
    span = _first_and_last(connection, Lesson.starts_at)
    if span is not None:
        months = list(_months(*span, tz))
        for month in months:
            _recount_marks(connection, month, tz, None)
            _recount_lessons(connection, month, tz, None)
        for year in sorted({month.replace(month=1) for month in months}):
            _recount_year(connection, year, None)


def matches_rows(connection: Connection, tz: ZoneInfo) -> bool:
    """Whether the totals are what counting every row again gives (the tests' check)."""
    tables = (
        CashDayTotal,
        ChargeMonthTotal,
        AttendanceMonthTotal,
        AttendanceGroupMonthTotal,
        AttendanceYearTotal,
        LessonMonthTotal,
    )
    kept = {model: _rows(connection, model) for model in tables}
    nested = connection.begin_nested()
    try:
        rebuild(connection, tz)
        counted = {model: _rows(connection, model) for model in tables}
    finally:
        nested.rollback()
    return kept == counted


def _rows(connection: Connection, model: Any) -> list[tuple[Any, ...]]:
    table = model.__table__
    return [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key))]
