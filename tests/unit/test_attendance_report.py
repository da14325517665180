"""The attendance report against a plain recomputation from the lesson and mark rows.

The centre: English E1 (Teacher One) and E2 (Teacher Two), Maths M1 (no teacher), lessons
from November 2026 to January 2027 in Asia/Tashkent, marked at random (seeded), some never
marked, one saved with nobody on its sheet, a cancelled one that kept its marks, a lesson
at 00:30 on 1 December (still 30 November in UTC). "Now" is 20 January 2027 at noon: that
day's lessons are still being taught, the later ones are to come."""

import io
import random
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import select

from bot.i18n import use_language
from bot.services.reports import attendance
from bot.services.reports.chart import HEIGHT_PX, WIDTH_PX, render_png
from bot.services.reports.period import Period
from bot.services.reports.scope import Scope, ScopeKind
from db.models import Attendance, AttendanceStatus, Group, Lesson, LessonStatus, Role
from handlers.admin.reports.attendance import chart
from tests.factories import make_group, make_lesson, make_user

# every figure twice: from the maintained totals and from the rows
pytestmark = pytest.mark.usefixtures("report_source")

TZ = ZoneInfo("Asia/Tashkent")
NOW = datetime(2027, 1, 20, 7, tzinfo=UTC)  # 12:00 in Tashkent
STATUSES = [s.value for s in AttendanceStatus]


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ).astimezone(UTC)


async def mark(session, lesson: Lesson, marks: dict[int, str]) -> None:
    session.add_all(
        Attendance(lesson_id=lesson.id, student_id=sid, status=status, marked_at=lesson.starts_at)
        for sid, status in marks.items()
    )
    lesson.status = LessonStatus.HELD if lesson.status == LessonStatus.SCHEDULED else lesson.status
    await session.commit()


async def build_centre(session) -> dict[str, int]:
    one = await make_user(session, None, roles=[Role.TEACHER], full_name="Teacher One")
    two = await make_user(session, None, roles=[Role.TEACHER], full_name="Teacher Two")
    e1 = await make_group(session, "E1", course="English", teacher_id=one.id)
    e2 = await make_group(session, "E2", course=e1.course_id, teacher_id=two.id)
    m1 = await make_group(session, "M1", course="Maths")
    ids = {"one": one.id, "two": two.id, "E1": e1.id, "E2": e2.id, "M1": m1.id}
    students = {}
    for name in ("Aziz", "Bek", "Dilnoza", "Farruh", "Gulnora", "Hasan", "Laylo"):
        students[name] = (await make_user(session, None, roles=[Role.STUDENT], full_name=name)).id
    rosters = {
        "E1": ["Aziz", "Bek", "Dilnoza"],
        "E2": ["Farruh", "Gulnora", "Aziz"],
        "M1": ["Hasan", "Laylo", "Bek", "Gulnora"],
    }
    chance = random.Random(17)
    day = date(2026, 11, 2)
    while day < date(2027, 1, 20):
        for group, hour in (("E1", 14), ("E2", 9), ("M1", 18)):
            if (day.toordinal() + hour) % 3 or date(2026, 12, 1) <= day <= date(2026, 12, 3):
                continue  # the 1st to the 3rd of December are the edges below
            lesson = await make_lesson(session, ids[group], local(day, hour))
            if chance.random() < 0.15:
                continue  # never marked
            marks = {
                students[name]: chance.choices(STATUSES, weights=[6, 2, 1, 1])[0]
                for name in rosters[group]
            }
            await mark(session, lesson, marks)
        day += timedelta(days=1)
    # at 00:30 on 1 December in Tashkent (30 November in UTC): a December lesson
    night = await make_lesson(session, ids["M1"], local(date(2026, 12, 1), 0, 30))
    await mark(session, night, {students["Hasan"]: "absent", students["Laylo"]: "absent"})
    # cancelled after it was marked: its marks do not count, nor is it held
    cancelled = await make_lesson(session, ids["E1"], local(date(2026, 12, 2), 10))
    await mark(session, cancelled, {students["Aziz"]: "absent"})
    cancelled.status = LessonStatus.CANCELLED
    # saved with nobody to mark: held, and not "not marked"
    await make_lesson(session, ids["E2"], local(date(2026, 12, 3), 11), status=LessonStatus.HELD)
    # today: one marked already (held), one not yet (still being taught)
    today = await make_lesson(session, ids["E1"], local(date(2027, 1, 20), 8))
    await mark(session, today, {students["Aziz"]: "late", students["Bek"]: "present"})
    await make_lesson(session, ids["E2"], local(date(2027, 1, 20), 11, 30))
    await make_lesson(session, ids["M1"], local(date(2027, 1, 25), 18))  # to come
    await session.commit()
    return ids


# --- the plain recomputation ----------------------------------------------------------------


def local_day(moment: datetime) -> date:
    return moment.astimezone(TZ).date()


async def recompute(session, period: Period, scope: Scope) -> dict:
    lessons = (await session.scalars(select(Lesson))).all()
    marks = (await session.scalars(select(Attendance))).all()
    groups = {g.id: g for g in (await session.scalars(select(Group))).all()}

    def in_scope(group: Group) -> bool:
        return {
            ScopeKind.CENTRE: True,
            ScopeKind.COURSE: group.course_id == scope.id,
            ScopeKind.GROUP: group.id == scope.id,
            ScopeKind.TEACHER: group.teacher_id == scope.id,
        }[scope.kind]

    wanted = {
        lesson.id: lesson
        for lesson in lessons
        if period.start <= local_day(lesson.starts_at) <= period.end
        and lesson.status != LessonStatus.CANCELLED
        and in_scope(groups[lesson.group_id])
    }
    counted = [m for m in marks if m.lesson_id in wanted]
    by = defaultdict(Counter)
    for m in counted:
        lesson = wanted[m.lesson_id]
        group = groups[lesson.group_id]
        by["total", None][m.status] += 1
        by["group", group.id][m.status] += 1
        by["teacher", group.teacher_id][m.status] += 1
        by["student", m.student_id][m.status] += 1
        by["month", local_day(lesson.starts_at).replace(day=1)][m.status] += 1
    marked = {m.lesson_id for m in marks}
    today = local_day(NOW)
    held, not_marked = Counter(), Counter()
    unmarked = []
    for lesson in wanted.values():
        teacher = groups[lesson.group_id].teacher_id
        over = local_day(lesson.starts_at) < today
        if over or lesson.status == LessonStatus.HELD:
            held[teacher] += 1
        if over and lesson.status == LessonStatus.SCHEDULED and lesson.id not in marked:
            not_marked[teacher] += 1
            unmarked.append((lesson.starts_at, lesson.id))
    return {
        "by": by,
        "lessons": {key: (held[key], not_marked[key]) for key in held},
        "unmarked": [lesson_id for _, lesson_id in sorted(unmarked)],
    }


def counts(tally: attendance.Tally) -> Counter:
    return Counter({s: tally.count(AttendanceStatus(s)) for s in STATUSES if tally.count(s)})


async def check(session, period: Period, scope: Scope) -> attendance.AttendanceReport:
    report = await attendance.build(session, period, scope, TZ, now=NOW)
    expected = await recompute(session, period, scope)
    by = expected["by"]
    assert counts(report.total) == by["total", None]
    assert [row.month for row in report.months] == period.months()
    for row in report.months:
        assert counts(row.tally) == by["month", row.month]
    for dimension, lines in (
        ("group", report.by_group),
        ("teacher", report.by_teacher),
        ("student", report.by_student),
    ):
        assert {line.id: counts(line.tally) for line in lines} == {
            key: value for (kind, key), value in by.items() if kind == dimension
        }
    for status in AttendanceStatus:
        marks = report.total.marks
        assert report.total.rate(status) == (
            pytest.approx(by["total", None][status.value] / marks) if marks else None
        )
    assert {line.id: (line.held, line.not_marked) for line in report.lessons} == expected["lessons"]
    assert [lesson.lesson_id for lesson in report.not_marked] == expected["unmarked"]
    absences = [line.tally.absent for line in report.most_absent]
    assert absences == sorted(absences, reverse=True) and all(absences)
    assert len(report.most_absent) == sum(1 for line in report.by_student if line.tally.absent)
    # the summary (the message and the chart) has the same figures but only the first
    # students with the most absences, each with all their marks
    brief = await attendance.summary(session, period, scope, TZ, now=NOW)
    assert brief.by_student is None and brief.not_marked is None
    assert brief.most_absent == report.most_absent[: attendance.MOST_ABSENT]
    lists = {"top_absent": [], "by_student": None, "not_marked": None}
    assert replace(brief, **lists) == replace(report, **lists)
    return report


async def test_every_figure_agrees_with_the_marks(session):
    ids = await build_centre(session)
    e1 = await session.get(Group, ids["E1"])
    periods = [
        Period.month(2026, 11),
        Period.month(2026, 12),
        Period.month(2027, 1),
        Period.year(2026),
        Period.days(date(2026, 11, 15), date(2027, 1, 31)),
        Period.days(date(2026, 12, 1), date(2026, 12, 1)),
        Period.month(2025, 5),  # nothing happened
    ]
    scopes = [
        Scope(),
        Scope(ScopeKind.GROUP, ids["E1"]),
        Scope(ScopeKind.GROUP, ids["M1"]),
        Scope(ScopeKind.COURSE, e1.course_id),
        Scope(ScopeKind.TEACHER, ids["two"]),
    ]
    for period in periods:
        for scope in scopes:
            await check(session, period, scope)
    december = await check(session, Period.month(2026, 12), Scope())
    assert all(december.total.count(status) for status in AttendanceStatus)  # not vacuous
    assert december.not_marked and december.not_marked_count == len(december.not_marked)
    assert {line.id for line in december.by_teacher} == {ids["one"], ids["two"], None}


async def test_the_edges(session):
    ids = await build_centre(session)
    one_day = Period.days(date(2026, 12, 1), date(2026, 12, 1))
    night = await attendance.build(session, one_day, Scope(ScopeKind.GROUP, ids["M1"]), TZ, now=NOW)
    assert night.total == attendance.Tally(absent=2)  # the 00:30 lesson is the 1st's
    assert night.total.rate(AttendanceStatus.ABSENT) == 1.0
    assert [line.name for line in night.most_absent] == ["Hasan", "Laylo"]
    the_2nd = Period.days(date(2026, 12, 2), date(2026, 12, 2))
    cancelled = await attendance.build(session, the_2nd, Scope(ScopeKind.GROUP, ids["E1"]), TZ)
    assert cancelled.total.marks == 0 and cancelled.lessons == []  # cancelled: not held
    the_3rd = Period.days(date(2026, 12, 3), date(2026, 12, 3))
    saved = await attendance.build(
        session, the_3rd, Scope(ScopeKind.TEACHER, ids["two"]), TZ, now=NOW
    )
    assert [(t.name, t.held, t.not_marked) for t in saved.lessons] == [("Teacher Two", 1, 0)]
    today = Period.days(date(2027, 1, 20), date(2027, 1, 31))
    now = await attendance.build(session, today, Scope(), TZ, now=NOW)
    assert now.total == attendance.Tally(present=1, late=1)
    assert [(t.name, t.held, t.not_marked) for t in now.lessons] == [("Teacher One", 1, 0)]
    assert now.not_marked == []  # today's unmarked lesson may still be marked
    later = await attendance.build(session, today, Scope(), TZ, now=NOW + timedelta(days=1))
    assert [lesson.group for lesson in later.not_marked] == ["E2"]  # its day is over
    empty = await attendance.build(session, Period.month(2025, 5), Scope(), TZ, now=NOW)
    assert empty.is_empty and empty.total.rate(AttendanceStatus.PRESENT) is None
    assert empty.by_group == [] and empty.most_absent == [] and len(empty.months) == 1


def test_the_chart_is_a_bar_a_group_within_a_month_and_a_bar_a_month_beyond():
    def report(period: Period, groups: int) -> attendance.AttendanceReport:
        tally = attendance.Tally(present=6, absent=2, late=1, excused=1)
        lines = [attendance.Line(i, f"Group number {i}", tally, "C") for i in range(groups)]
        months = [attendance.Month(month, tally) for month in period.months()]
        return attendance.AttendanceReport(period, Scope(), tally, months, lines, [], [], [], [])

    with use_language("en"):
        one_month = chart(report(Period.month(2026, 12), 15), None)
        assert len(one_month.categories) == 12 and one_month.stacked
        assert one_month.categories[0] == "Group number 0" and one_month.label_rotation
        assert [series.label for series in one_month.series] == [
            "Present",
            "Late",
            "Excused",
            "Absent",
        ]
        for bar in range(12):
            assert sum(series.values[bar] for series in one_month.series) == pytest.approx(100)
        assert one_month.series[3].values[0] == pytest.approx(20)
        year = chart(report(Period.year(2026), 15), None)
        assert len(year.categories) == 12 and year.categories[0] == "January"
        long = chart(report(Period.days(date(2024, 1, 1), date(2026, 12, 31)), 3), None)
        assert len(long.categories) == 12 and long.categories[0] == "Jan–Mar 24"
        for drawn in (one_month, year, long):
            image = Image.open(io.BytesIO(render_png(drawn)))
            assert image.size == (WIDTH_PX, HEIGHT_PX)
