"""The teachers report against a plain recomputation from the lesson, attendance and ledger
rows, and its revenue against the finance report's per-teacher lines.

The centre is the finance test's ledger (Teacher T teaches English A and Night C) with a
Teacher U for Maths B, a Teacher V with no group, a group D without a teacher, and lessons
with marks from November to January; "now" is 10 January 2027 18:00 in Tashkent, so a
lesson on the 11th is still to come."""

import io
from collections import defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from PIL import Image
from sqlalchemy import select, update

from bot.services.reports import finance, teachers
from bot.services.reports.chart import HEIGHT_PX, WIDTH_PX, Panel, PanelChart, Series, render_png
from bot.services.reports.period import Period
from bot.services.reports.scope import Scope, ScopeKind
from bot.services.reports.workbook import Column, Kind, Sheet, render_xlsx
from db.models import (
    Attendance,
    AttendanceStatus,
    Charge,
    Enrolment,
    Group,
    Lesson,
    LessonStatus,
    Role,
    RoleAssignment,
    User,
)
from tests.conftest import make_settings
from tests.factories import make_group, make_lesson, make_user
from tests.ledger_world import local
from tests.unit.test_finance_report import build_ledger

# every figure twice: from the maintained totals and from the rows
pytestmark = pytest.mark.usefixtures("report_source")

TZ = ZoneInfo("Asia/Tashkent")
NOW = local(date(2027, 1, 10), 18)
PRESENT, ABSENT, LATE, EXCUSED = (
    AttendanceStatus.PRESENT,
    AttendanceStatus.ABSENT,
    AttendanceStatus.LATE,
    AttendanceStatus.EXCUSED,
)


@pytest.fixture
def billing(database_url: str):
    return make_settings(
        database_url, charge_day=10, payment_due_day=10, sibling_discount_percent=10
    )


async def build_world(session, billing):
    world, teacher_t = await build_ledger(session, billing)
    teacher_u = (await make_user(session, None, roles=[Role.TEACHER], full_name="Teacher U")).id
    teacher_v = (await make_user(session, None, roles=[Role.TEACHER], full_name="Teacher V")).id
    await session.execute(
        update(Group)
        .where(Group.id == world.groups["B"])
        .values(teacher_id=teacher_u)
        .execution_options(synchronize_session=False)
    )
    orphan = (await make_group(session, "D", course="Course D")).id
    a, b, c = world.groups["A"], world.groups["B"], world.groups["C"]
    s = world.students
    held, cancelled = LessonStatus.HELD, LessonStatus.CANCELLED
    marks = {
        # A (Teacher T): 30 November 23:30 is still November in Tashkent
        (a, local(date(2026, 11, 30), 23, 30), held): {
            "Aziz": PRESENT,
            "Dilnoza": LATE,
            "Hasan": ABSENT,
        },
        (a, local(date(2026, 12, 2), 14), held): {"Aziz": PRESENT, "Bek": EXCUSED},
        (a, local(date(2026, 12, 4), 14), cancelled): {"Bek": PRESENT},  # not counted
        (a, local(date(2027, 1, 4), 14), held): {"Bek": ABSENT, "Dilnoza": ABSENT},
        (a, local(date(2027, 1, 11), 14), LessonStatus.SCHEDULED): {"Aziz": PRESENT},  # to come
        # B (Teacher U): Aziz came to a Maths lesson too — taught by two teachers
        (b, local(date(2026, 12, 1), 9), held): {"Farruh": PRESENT, "Gulnora": LATE},
        (b, local(date(2026, 12, 3), 9), LessonStatus.SCHEDULED): {"Aziz": LATE},
        (b, local(date(2027, 1, 5), 9), held): {},
        # D (no teacher): never anyone's
        (orphan, local(date(2026, 12, 2), 10), held): {"Laylo": PRESENT},
    }
    for (group, starts_at, status), marked in marks.items():
        lesson = await make_lesson(session, group, starts_at, status=status, commit=False)
        for name, mark in marked.items():
            session.add(Attendance(lesson_id=lesson.id, student_id=s[name], status=mark))
    # the ledger world's lessons: C on 1 December 00:30 (30 November in UTC) gets a mark
    night = await session.scalar(
        select(Lesson.id).where(Lesson.group_id == c, Lesson.status != cancelled)
    )
    session.add(Attendance(lesson_id=night, student_id=s["Laylo"], status=PRESENT))
    await session.commit()
    return world, {"T": teacher_t, "U": teacher_u, "V": teacher_v}, orphan


# --- the plain recomputation ----------------------------------------------------------------


def day_of(moment: datetime) -> date:
    return moment.astimezone(TZ).date()


async def recompute(session, period: Period, scope: Scope):
    groups = {g.id: g for g in (await session.scalars(select(Group))).all()}
    lessons = (await session.scalars(select(Lesson))).all()
    marks = (await session.scalars(select(Attendance))).all()
    charges = (await session.scalars(select(Charge))).all()
    enrolments = {e.id: e for e in (await session.scalars(select(Enrolment))).all()}
    live = {u.id for u in (await session.scalars(select(User))).all() if u.deleted_at is None}
    roles = (await session.scalars(select(RoleAssignment))).all()
    staff = {r.user_id for r in roles if r.role == Role.TEACHER and r.user_id in live}

    def in_scope(group: Group) -> bool:
        return {
            ScopeKind.CENTRE: True,
            ScopeKind.COURSE: group.course_id == scope.id,
            ScopeKind.GROUP: group.id == scope.id,
            ScopeKind.TEACHER: group.teacher_id == scope.id,
        }[scope.kind]

    if scope.kind is ScopeKind.TEACHER:
        wanted = {scope.id}
    else:
        wanted = {g.teacher_id for g in groups.values() if in_scope(g) and g.teacher_id}
        if scope.kind is ScopeKind.CENTRE:
            wanted |= staff
    held = {
        lesson.id: lesson
        for lesson in lessons
        if lesson.status != LessonStatus.CANCELLED
        and period.start <= day_of(lesson.starts_at) <= period.end
        and lesson.starts_at < NOW
        and groups[lesson.group_id].teacher_id is not None
        and in_scope(groups[lesson.group_id])
    }
    expected = {
        teacher: {
            "held": 0,
            "marked": 0,
            "attended": 0,
            "students": set(),
            "months": defaultdict(lambda: [0, 0, 0]),
            "revenue": 0,
        }
        for teacher in wanted
    }
    for lesson in held.values():
        line = expected[groups[lesson.group_id].teacher_id]
        line["held"] += 1
        line["months"][day_of(lesson.starts_at).replace(day=1)][0] += 1
    for mark in marks:
        lesson = held.get(mark.lesson_id)
        if lesson is None:
            continue
        line = expected[groups[lesson.group_id].teacher_id]
        month = line["months"][day_of(lesson.starts_at).replace(day=1)]
        line["marked"] += 1
        month[1] += 1
        if mark.status in (PRESENT, LATE):
            line["attended"] += 1
            month[2] += 1
            line["students"].add(mark.student_id)
    first = period.start.replace(day=1)
    for charge in charges:
        enrolment = enrolments.get(charge.enrolment_id)
        group = None if enrolment is None else groups[enrolment.group_id]
        if (
            charge.cancelled_at is None
            and first <= charge.period <= period.end
            and group is not None
            and group.teacher_id in expected
            and in_scope(group)
        ):
            expected[group.teacher_id]["revenue"] += charge.amount
    return expected


# --- the checks ---------------------------------------------------------------------------


async def check(session, period: Period, scope: Scope):
    report = await teachers.build(session, period, scope, TZ, now=NOW)
    expected = await recompute(session, period, scope)
    assert {line.id for line in report.teachers} == set(expected)
    for line in report.teachers:
        wanted = expected[line.id]
        assert (line.lessons.held, line.lessons.marked, line.lessons.attended) == (
            wanted["held"],
            wanted["marked"],
            wanted["attended"],
        ), (period, scope, line.name)
        assert line.students == len(wanted["students"])
        assert line.revenue == wanted["revenue"]
        assert {
            row.month: [row.lessons.held, row.lessons.marked, row.lessons.attended]
            for row in line.months
        } == dict(wanted["months"])
        if wanted["marked"]:
            assert line.lessons.rate == pytest.approx(wanted["attended"] / wanted["marked"])
        else:
            assert line.lessons.rate is None
    everyone = set().union(*(line["students"] for line in expected.values()))
    assert report.students == len(everyone)
    assert report.lessons.held == sum(line["held"] for line in expected.values())
    # the same revenue as finance's per-teacher lines, to the so'm
    money = await finance.build(session, period, scope, TZ)
    finance_lines = {share.id: share.charged for share in money.by_teacher if share.id}
    assert {line.id: line.revenue for line in report.teachers if line.revenue} == {
        key: charged for key, charged in finance_lines.items() if charged
    }
    return report


async def test_every_figure_agrees_with_the_rows(session, billing):
    world, staff, orphan = await build_world(session, billing)
    group_a = await session.get(Group, world.groups["A"])
    scopes = [
        Scope(),
        Scope(ScopeKind.GROUP, world.groups["A"]),
        Scope(ScopeKind.GROUP, world.groups["B"]),
        Scope(ScopeKind.GROUP, orphan),
        Scope(ScopeKind.COURSE, group_a.course_id),
        Scope(ScopeKind.TEACHER, staff["T"]),
        Scope(ScopeKind.TEACHER, staff["V"]),
    ]
    periods = [
        Period.month(2026, 11),
        Period.month(2026, 12),
        Period.month(2027, 1),  # its lesson on the 11th is still to come
        Period.year(2026),
        Period.days(date(2026, 11, 15), date(2027, 1, 10)),
        Period.month(2025, 5),  # nothing happened
        Period.month(2027, 3),  # still to come
    ]
    for period in periods:
        for scope in scopes:
            await check(session, period, scope)


async def test_the_winter_by_hand(session, billing):
    """15 November – 10 January written out, so a rule misread by both the report and the
    recomputation shows too."""
    await build_world(session, billing)
    report = await check(session, Period.days(date(2026, 11, 15), date(2027, 1, 10)), Scope())
    lines = {line.name: line for line in report.teachers}
    assert set(lines) == {"Teacher T", "Teacher U", "Teacher V"}
    t, u, v = lines["Teacher T"], lines["Teacher U"], lines["Teacher V"]
    # T: A on 30 Nov, 2 Dec, 23 Dec (the world's), 4 Jan; C on 1 Dec — not 4 Dec (cancelled)
    # nor 11 Jan (to come)
    assert t.lessons.held == 5 and (t.lessons.marked, t.lessons.attended) == (8, 4)
    assert t.students == 3  # Aziz, Dilnoza, Laylo; Bek was excused and absent only
    assert [(row.month, row.lessons.held) for row in t.months] == [
        (date(2026, 11, 1), 1),
        (date(2026, 12, 1), 3),
        (date(2027, 1, 1), 1),
    ]
    assert u.lessons.held == 3 and (u.lessons.marked, u.lessons.attended) == (3, 3)
    assert u.students == 3 and u.lessons.rate == 1.0  # Farruh, Gulnora, Aziz
    assert v.lessons == teachers.Lessons() and v.revenue == 0 and v.lessons.rate is None
    assert report.students == 5  # Aziz counts once
    assert [line.name for line in report.teachers] == ["Teacher T", "Teacher U", "Teacher V"]
    # December's charges of A and C (T) and B (U), from tests/ledger_world.py, with January's
    assert t.revenue + u.revenue == report.revenue
    december = await check(session, Period.month(2026, 12), Scope())
    by_name = {line.name: line.revenue for line in december.teachers}
    assert by_name["Teacher T"] == 600_000 + 500_000 + 510_000 + 450_000 + 200_000
    assert by_name["Teacher U"] == 300_000 + 243_000 + 90_000


async def test_a_period_to_come_and_a_teacher_without_groups(session, billing):
    _world, staff, orphan = await build_world(session, billing)
    future = await teachers.build(session, Period.month(2027, 3), Scope(), TZ, now=NOW)
    assert future.is_empty and future.students == 0 and future.lessons.rate is None
    alone = await teachers.build(
        session, Period.year(2026), Scope(ScopeKind.TEACHER, staff["V"]), TZ, now=NOW
    )
    assert [line.name for line in alone.teachers] == ["Teacher V"] and alone.is_empty
    nobody = await teachers.build(
        session, Period.year(2026), Scope(ScopeKind.GROUP, orphan), TZ, now=NOW
    )
    assert nobody.teachers == [] and nobody.is_empty


# --- the chart and the sheets' totals -----------------------------------------------------


def panel_chart(lessons, revenue, names) -> PanelChart:
    return PanelChart(
        title="Oʻqituvchilar — dekabr 2026",
        categories=names,
        panels=[Panel(Series("Darslar", lessons)), Panel(Series("Tushum, soʻm", revenue))],
        empty_text="Bu davr uchun maʼlumot yoʻq",
    )


def test_a_panel_chart_is_a_png_of_the_expected_size():
    png = render_png(panel_chart([12, 3], [2_061_000, 633_000], ["Teacher T", "Teacher U"]))
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (WIDTH_PX, HEIGHT_PX)
    colours = {colour for _count, colour in image.convert("RGB").getcolors(maxcolors=1 << 20)}
    assert {(0x2E, 0x7D, 0x32), (0x15, 0x65, 0xC0)} <= colours  # a panel's bars each
    empty = panel_chart([0, 0], [0, 0], ["Teacher T", "Teacher U"])
    assert empty.is_empty and panel_chart([], [], []).is_empty
    blank = Image.open(io.BytesIO(render_png(empty))).convert("RGB")
    assert (0x2E, 0x7D, 0x32) not in {c for _n, c in blank.getcolors(maxcolors=1 << 20)}
    with pytest.raises(ValueError):
        render_png(panel_chart([1] * 13, [1] * 13, [str(i) for i in range(13)]))


def test_a_column_with_a_fixed_total():
    sheet = Sheet(
        title="Teachers",
        intro=[],
        columns=[
            Column("Teacher"),
            Column("Lessons", Kind.NUMBER),
            Column("Students", Kind.NUMBER, total=5),
        ],
        rows=[("T", 5, 3), ("U", 3, 3)],
        totals_label="Total",
    )
    ws = openpyxl.load_workbook(io.BytesIO(render_xlsx([sheet], '#,##0 "soʻm"'))).active
    assert [c.value for c in ws[4]] == ["Total", "=SUM(B2:B3)", 5]
