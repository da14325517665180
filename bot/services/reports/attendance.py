"""The attendance report: how the marks of a period's lessons split between present, absent,
late and excused, and which lessons were never marked.

* a mark counts when its lesson starts in the period (centre time) and is not cancelled;
  a rate is a status's marks ÷ all the marks (None when there are none);
* by month, by group, by teacher (the group's teacher) and by student; the students with
  the most absences are those with the most "absent" marks (excused is not an absence);
* held lessons: not cancelled, and saved or their day over (today's not yet saved are
  still being taught); not marked: a held lesson whose day is over, never saved, without
  a mark — its teacher can no longer take attendance. Counted per teacher, and listed.

With a filter, everything is about the lessons of its groups.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Subquery
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.reports.period import Period, local_midnight, month_bounds
from bot.services.reports.scope import Scope
from db.base import utcnow
from db.models import AttendanceStatus
from db.repositories import report_attendance as repo
from db.repositories import report_totals as totals
from db.repositories.reports import ScopeFilter

STATUSES = tuple(AttendanceStatus)
MOST_ABSENT = 10  # in the summary; the spreadsheet lists every student with an absence


@dataclass(frozen=True, slots=True)
class Tally:
    """Marks by status (the fields in AttendanceStatus's order)."""

    present: int = 0
    absent: int = 0
    late: int = 0
    excused: int = 0

    @property
    def marks(self) -> int:
        return self.present + self.absent + self.late + self.excused

    def count(self, status: AttendanceStatus | str) -> int:
        return int(getattr(self, AttendanceStatus(status).value))

    def rate(self, status: AttendanceStatus | str) -> float | None:
        return None if not self.marks else self.count(status) / self.marks

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(*(self.count(status) + other.count(status) for status in STATUSES))


def tally_of(counts: Mapping[str, int]) -> Tally:
    return Tally(**{status.value: counts.get(status.value, 0) for status in STATUSES})


def total_of(tallies: list[Tally]) -> Tally:
    return sum(tallies, Tally())


@dataclass(frozen=True, slots=True)
class Month:
    month: date
    tally: Tally


@dataclass(frozen=True, slots=True)
class Line:
    """A group's, teacher's or student's marks (id None: groups without a teacher)."""

    id: int | None
    name: str | None
    tally: Tally
    course: str | None = None  # a group's


@dataclass(frozen=True, slots=True)
class TeacherLessons:
    id: int | None  # None: groups without a teacher
    name: str | None
    held: int
    not_marked: int

    @property
    def marked(self) -> int:
        return self.held - self.not_marked


@dataclass(frozen=True, slots=True)
class UnmarkedLesson:
    lesson_id: int
    starts_at: datetime  # in the centre's time zone
    group: str
    course: str
    teacher_id: int | None
    teacher: str | None


@dataclass(frozen=True, slots=True)
class AttendanceReport:
    period: Period
    scope: Scope
    total: Tally
    months: list[Month]
    by_group: list[Line]
    by_teacher: list[Line]
    lessons: list[TeacherLessons]  # per teacher, most not marked first
    top_absent: list[Line]  # the MOST_ABSENT students with the most absences
    day_over: datetime  # the first moment of the centre's day the report was made on
    # the lists of the spreadsheet, None in a summary's (see with_lists):
    by_student: list[Line] | None = None
    not_marked: list[UnmarkedLesson] | None = None  # oldest first

    @property
    def is_empty(self) -> bool:
        return not self.total.marks and not self.lessons

    @property
    def most_absent(self) -> list[Line]:
        """Every student with an absence, most first (then by name); a summary's: the first
        MOST_ABSENT of them."""
        if self.by_student is None:
            return self.top_absent
        absent = [line for line in self.by_student if line.tally.absent]
        return sorted(absent, key=_by_absences)

    @property
    def held(self) -> int:
        return sum(line.held for line in self.lessons)

    @property
    def not_marked_count(self) -> int:
        return sum(line.not_marked for line in self.lessons)


def chart_buckets(months: list[Month], most: int = 12) -> list[list[Month]]:
    """The months in at most `most` bars: one a month, or n consecutive months a bar."""
    size = max(1, -(-len(months) // most))
    return [months[index : index + size] for index in range(0, len(months), size)]


def _by_absences(line: Line) -> tuple[int, str, int]:
    return (-line.tally.absent, line.name or "", line.id or 0)


def _window(period: Period, tz: ZoneInfo) -> repo.Window:
    months = period.months()
    return repo.Window(months, month_bounds(months, tz), *period.utc_bounds(tz))


async def build(
    session: AsyncSession,
    period: Period,
    scope: Scope,
    tz: ZoneInfo,
    now: datetime | None = None,
) -> AttendanceReport:
    """The whole report: the summary's figures and the spreadsheet's lists."""
    return await with_lists(session, await summary(session, period, scope, tz, now), tz)


async def with_lists(
    session: AsyncSession, report: AttendanceReport, tz: ZoneInfo
) -> AttendanceReport:
    """The report with every student's line and every lesson not marked (the
    spreadsheet's)."""
    if report.by_student is not None:
        return report
    from_totals = await totals.usable(session, tz)
    window, filters = _window(report.period, tz), report.scope.filters()
    marks = repo.marks_source(window, filters, from_totals, students=True)
    unmarked = await repo.not_marked_lessons(
        session, window.start, window.end, report.day_over, filters
    )
    return replace(
        report,
        by_student=await _students(session, marks),
        not_marked=[
            UnmarkedLesson(lesson_id, starts_at.astimezone(tz), *rest)
            for lesson_id, starts_at, *rest in unmarked
        ],
    )


async def summary(
    session: AsyncSession,
    period: Period,
    scope: Scope,
    tz: ZoneInfo,
    now: datetime | None = None,
) -> AttendanceReport:
    """The figures of the summary and the chart: all but the spreadsheet's lists."""
    months = period.months()
    filters = scope.filters()
    day_over = local_midnight((now or utcnow()).astimezone(tz).date(), tz)
    window = _window(period, tz)
    from_totals = await totals.usable(session, tz)
    marks = repo.marks_source(window, filters, from_totals)

    by_month: dict[int, Counter[str]] = defaultdict(Counter)
    by_group: dict[int, Counter[str]] = defaultdict(Counter)
    for index, status, count in await repo.marks_by(session, marks, "month"):
        by_month[index][status] += int(count)
    for group_id, status, count in await repo.marks_by(session, marks, "group_id"):
        by_group[group_id][status] += int(count)
    month_rows = [Month(month, tally_of(by_month[index])) for index, month in enumerate(months)]
    groups = {row[0]: row for row in await repo.groups(session, filters)}
    by_teacher: dict[int | None, Counter[str]] = defaultdict(Counter)
    for group_id, counts in by_group.items():
        by_teacher[groups[group_id][3]].update(counts)
    teacher_names = {teacher_id: name for _, _, _, teacher_id, name in groups.values()}
    return AttendanceReport(
        period=period,
        scope=scope,
        total=total_of([row.tally for row in month_rows]),
        months=month_rows,
        by_group=_by_count(
            Line(key, groups[key][1], tally_of(counts), course=groups[key][2])
            for key, counts in by_group.items()
        ),
        by_teacher=_by_count(
            Line(key, teacher_names.get(key), tally_of(counts))
            for key, counts in by_teacher.items()
        ),
        top_absent=await _most_absent(session, window, filters, from_totals),
        lessons=await _teacher_lessons(session, window, day_over, filters, from_totals),
        day_over=day_over,
    )


def _by_count(lines: Iterable[Line]) -> list[Line]:
    return sorted(lines, key=lambda line: (-line.tally.marks, line.name or "", line.id or 0))


async def _most_absent(
    session: AsyncSession, window: repo.Window, filters: ScopeFilter, from_totals: bool
) -> list[Line]:
    absent = (AttendanceStatus.ABSENT.value,)
    absences = repo.marks_source(window, filters, from_totals, students=True, statuses=absent)
    top = await repo.most_absent(session, absences, MOST_ABSENT)
    if not top:
        return []
    ids = [student_id for student_id, _name, _absent in top]
    marks = repo.marks_source(window, filters, from_totals, students=True, student_ids=ids)
    counts = {line.id: line.tally for line in await _students(session, marks)}
    return sorted((Line(key, name, counts[key]) for key, name, _ in top), key=_by_absences)


async def _students(session: AsyncSession, marks: Subquery) -> list[Line]:
    """Every student marked, by name (a long list: to find someone in it)."""
    lines = [
        Line(student_id, name, Tally(*(int(count) for count in counts)))
        for student_id, name, *counts in await repo.marks_by_student(session, marks)
    ]
    return sorted(lines, key=lambda line: (line.name or "", line.id or 0))


async def _teacher_lessons(
    session: AsyncSession,
    window: repo.Window,
    day_over: datetime,
    filters: ScopeFilter,
    from_totals: bool,
) -> list[TeacherLessons]:
    """Most not marked first."""
    lines = [
        TeacherLessons(key, name, int(held), int(not_marked or 0))
        for key, name, held, not_marked in await repo.lessons_by_teacher(
            session, window, day_over, filters, from_totals
        )
    ]
    return sorted(lines, key=lambda line: (-line.not_marked, -line.held, line.name or ""))
