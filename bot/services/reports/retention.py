"""The retention report: who was studying, who came, who left and why, who froze.

Counted in students (a student in two groups of the scope is one), from the enrolments'
dates (joined_on, left_on) and their freezes (db.repositories.report_retention):

* active at the start: active at the end of the day before the period's first day (so a
  student who joins on the first day is a joiner, not already active); active at the end:
  at the end of its last day. Active = seated (joined on or before that day, not left by
  it) and not frozen that day; a student whose every place is frozen counts as frozen;
* joined / left: arrivals into and departures out of the scope (a move between two of its
  groups is neither), once per student and day; left by the reason recorded;
* froze: freezes started in the period;
* churn rate = left ÷ active at the start (None when nobody was active) — a frozen student
  who leaves is a leaver though not counted active.

The same month by month (a month's start and end clipped to the period) and per course
(leaving one course for another is a departure from the first).
"""

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.reports.period import Period, month_end
from bot.services.reports.scope import Scope
from db.models import LeaveReason
from db.repositories import report_retention as repo


def churn(left: int, active: int) -> float | None:
    return None if active <= 0 else left / active


@dataclass(frozen=True, slots=True)
class Figures:
    active_start: int = 0
    frozen_start: int = 0
    joined: int = 0
    left: int = 0
    froze: int = 0
    active_end: int = 0
    frozen_end: int = 0

    @property
    def churn_rate(self) -> float | None:
        return churn(self.left, self.active_start)


@dataclass(frozen=True, slots=True)
class Month:
    month: date
    figures: Figures


@dataclass(frozen=True, slots=True)
class CourseLine:
    id: int
    name: str
    figures: Figures


@dataclass(frozen=True, slots=True)
class Leaver:
    student: str
    group: str
    course: str
    day: date
    reason: LeaveReason | None


@dataclass(frozen=True, slots=True)
class RetentionReport:
    period: Period
    scope: Scope
    total: Figures
    months: list[Month]
    by_course: list[CourseLine]
    reasons: dict[LeaveReason | None, int]  # departures by reason, None: not recorded
    leavers: list[Leaver]

    @property
    def is_empty(self) -> bool:
        total = self.total
        return not (
            total.active_start
            or total.frozen_start
            or total.joined
            or total.left
            or total.froze
            or total.active_end
            or total.frozen_end
        )


def month_days(period: Period) -> list[tuple[date, date]]:
    """Each month's first and last day within the period."""
    return [(max(m, period.start), min(month_end(m), period.end)) for m in period.months()]


def _figures(start: tuple[int, int], end: tuple[int, int], counts: dict[str, int]) -> Figures:
    """From (seated, active) at the start and at the end, and the events' counts."""
    return Figures(
        active_start=start[1],
        frozen_start=start[0] - start[1],
        joined=counts.get(repo.JOINED, 0),
        left=counts.get(repo.LEFT, 0),
        froze=counts.get(repo.FROZE, 0),
        active_end=end[1],
        frozen_end=end[0] - end[1],
    )


Key = tuple[int, int | None]  # (day or month index, course id or None)


@dataclass(frozen=True, slots=True)
class _Tally:
    standing: dict[Key, tuple[int, int]]  # (seated, active) at the end of each day
    counts: dict[Key, dict[str, int]]  # joined / left / froze in each month
    reasons: dict[LeaveReason | None, int]  # departures by reason, all months


async def _tally(
    session: AsyncSession,
    period: Period,
    days: list[date],
    month_starts: list[date],
    filters: repo.ScopeFilter,
    *,
    by_course: bool = False,
) -> _Tally:
    """Two statements whatever the period's length: the students seated on each of `days`
    and the month's moves in one (repo.movements), the frozen among the seated in the
    other."""
    seated: dict[Key, int] = {}
    counts: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_KINDS, 0))
    reasons: dict[LeaveReason | None, int] = defaultdict(int)
    rows = await repo.movements(
        session, period.start, period.end, days, month_starts, filters, by_course=by_course
    )
    for kind, index, course, reason, first, second, third in rows:
        key = (int(index), course)
        if kind == repo.SEATED:
            seated[key] = int(first)
            continue
        tally = counts[key]
        tally[repo.JOINED] += int(first)
        tally[repo.LEFT] += int(second)
        tally[repo.FROZE] += int(third)
        if second:
            reasons[LeaveReason(reason) if reason else None] += int(second)
    frozen = {
        (int(index), course): int(count)
        for index, course, count in await repo.frozen(session, days, filters, by_course=by_course)
    }
    standing = {key: (count, count - frozen.get(key, 0)) for key, count in seated.items()}
    return _Tally(standing, dict(counts), dict(reasons))


async def build(
    session: AsyncSession, period: Period, scope: Scope, tz: ZoneInfo
) -> RetentionReport:
    """The figures of the summary and the chart: the period's and each month's. What only
    the spreadsheet shows — by course, the leavers — is read by `with_details`.
    `tz` is unused: enrolment dates are already the centre's calendar days."""
    filters = scope.filters()
    spans = month_days(period)
    # the end of the day before each month starts, then the end of each month's last day
    days = [first - timedelta(days=1) for first, _ in spans] + [last for _, last in spans]
    tally = await _tally(session, period, days, [first for first, _ in spans], filters)
    months = len(spans)
    month_rows = [
        Month(
            first.replace(day=1),
            _figures(
                tally.standing.get((index, None), (0, 0)),
                tally.standing.get((months + index, None), (0, 0)),
                tally.counts.get((index, None), {}),
            ),
        )
        for index, (first, _) in enumerate(spans)
    ]
    total = _figures(
        tally.standing.get((0, None), (0, 0)),
        tally.standing.get((2 * months - 1, None), (0, 0)),
        {kind: sum(row.get(kind, 0) for row in tally.counts.values()) for kind in _KINDS},
    )
    return RetentionReport(
        period=period,
        scope=scope,
        total=total,
        months=month_rows,
        by_course=[],
        reasons=tally.reasons,
        leavers=[],
    )


async def with_details(
    session: AsyncSession, report: RetentionReport, tz: ZoneInfo
) -> RetentionReport:
    """The report with what only its spreadsheet shows: the figures by course and every
    leaver (thousands of rows over a year of a large centre)."""
    filters = report.scope.filters()
    period = report.period
    leavers = [
        Leaver(student or "—", group, course, day, LeaveReason(reason) if reason else None)
        for student, group, course, day, reason in await repo.leavers(
            session, period.start, period.end, filters
        )
    ]
    return replace(report, by_course=await _courses(session, period, filters), leavers=leavers)


_KINDS = (repo.JOINED, repo.LEFT, repo.FROZE)


async def _courses(
    session: AsyncSession, period: Period, filters: repo.ScopeFilter
) -> list[CourseLine]:
    days = [period.start - timedelta(days=1), period.end]
    tally = await _tally(session, period, days, [period.start], filters, by_course=True)
    ids = sorted({course for _, course in tally.standing} | {course for _, course in tally.counts})
    names = await repo.course_names(session, ids)
    lines = [
        CourseLine(
            course,
            names.get(course, "—"),
            _figures(
                tally.standing.get((0, course), (0, 0)),
                tally.standing.get((1, course), (0, 0)),
                tally.counts.get((0, course), {}),
            ),
        )
        for course in ids
    ]
    return sorted(lines, key=lambda line: (-line.figures.active_start, line.name))
