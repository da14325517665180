"""The teachers report: per teacher, what they held in a period and what their groups earned.

* lessons held: their groups' lessons not cancelled that began in the period and before now
  (a lesson is its group's teacher's: lessons do not record who taught them);
* students taught: the distinct students marked present or late at least once in those
  lessons (a student enrolled who never came is not taught); over several teachers a student
  counts once;
* attendance rate = (present + late) ÷ marks of those lessons, None when none was marked;
* revenue: their groups' charges for the period, finance's per-teacher "charged" (from
  the maintained totals, or `finance.shares`), so the two reports agree to the so'm.

The teachers are the filter's: the whole centre, every teacher on the staff and whoever
teaches a group; a course or a group, the teachers of its groups; a teacher, that one.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.reports import finance
from bot.services.reports.period import Period, month_bounds, month_start
from bot.services.reports.scope import Scope
from db.base import utcnow
from db.repositories import report_attendance as attendance_repo
from db.repositories import report_teachers as repo
from db.repositories import report_totals as totals


@dataclass(frozen=True, slots=True)
class Lessons:
    held: int = 0
    marked: int = 0
    attended: int = 0  # marks present or late

    @property
    def rate(self) -> float | None:
        return None if self.marked <= 0 else self.attended / self.marked

    def __add__(self, other: "Lessons") -> "Lessons":
        return Lessons(
            self.held + other.held, self.marked + other.marked, self.attended + other.attended
        )


@dataclass(frozen=True, slots=True)
class TeacherMonth:
    month: date
    lessons: Lessons


@dataclass(frozen=True, slots=True)
class TeacherLine:
    id: int
    name: str
    lessons: Lessons
    students: int
    revenue: int
    months: list[TeacherMonth]  # the months with a lesson held, in order


@dataclass(frozen=True, slots=True)
class TeachersReport:
    period: Period
    scope: Scope
    teachers: list[TeacherLine]  # most lessons first, then most revenue, then by name
    students: int  # distinct over all the teachers

    @property
    def lessons(self) -> Lessons:
        return sum((line.lessons for line in self.teachers), Lessons())

    @property
    def revenue(self) -> int:
        return sum(line.revenue for line in self.teachers)

    @property
    def is_empty(self) -> bool:
        return not (self.lessons.held or self.revenue)


async def build(
    session: AsyncSession,
    period: Period,
    scope: Scope,
    tz: ZoneInfo,
    now: datetime | None = None,
) -> TeachersReport:
    months = period.months()
    start, end = period.utc_bounds(tz)
    until = min(end, now or utcnow())
    filters = scope.filters()

    names = await repo.scope_teachers(session, filters)
    from_totals = await totals.usable(session, tz)
    by_month: dict[int, dict[int, Lessons]] = defaultdict(dict)
    if start < until:
        window = attendance_repo.Window(months, month_bounds(months, tz), start, until)
        held = {
            (teacher_id, index): int(count)
            for teacher_id, index, count in await repo.held_by_month(
                session, window, filters, from_totals
            )
        }
        marks = attendance_repo.marks_source(window, filters, from_totals)
        counted = {
            (teacher_id, index): (int(marked), int(attended))
            for teacher_id, index, marked, attended in await repo.marks_by_month(session, marks)
        }
        for teacher_id, index in held.keys() | counted.keys():
            marked, attended = counted.get((teacher_id, index), (0, 0))
            by_month[teacher_id][index] = Lessons(
                held.get((teacher_id, index), 0), marked, attended
            )
        taught = attendance_repo.taught_source(window, filters, from_totals)
        students, everyone = await repo.students_taught(session, taught)
    else:  # the period is still to come
        students, everyone = {}, 0
    revenue = await _revenue(session, period, scope, tz, from_totals)
    lines = []
    for teacher_id in names.keys() | by_month.keys() | revenue.keys():
        mine = by_month.get(teacher_id, {})
        lines.append(
            TeacherLine(
                id=teacher_id,
                name=names.get(teacher_id, "—"),
                lessons=sum(mine.values(), Lessons()),
                students=int(students.get(teacher_id, 0)),
                revenue=revenue.get(teacher_id, 0),
                months=[TeacherMonth(months[i], mine[i]) for i in sorted(mine)],
            )
        )
    lines.sort(key=lambda line: (-line.lessons.held, -line.revenue, line.name, line.id))
    return TeachersReport(period=period, scope=scope, teachers=lines, students=everyone)


async def _revenue(
    session: AsyncSession, period: Period, scope: Scope, tz: ZoneInfo, from_totals: bool
) -> dict[int, int]:
    """{teacher id: finance's "charged" of their groups for the period's months}."""
    if from_totals:
        first_month = month_start(period.start)
        found = await totals.charged_by(
            session, "teacher", first_month, period.end, scope.filters()
        )
    else:
        shares = await finance.shares(session, "teacher", period, scope, tz)
        found = {share.id: share.charged for share in shares}
    return {teacher_id: amount for teacher_id, amount in found.items() if teacher_id is not None}
