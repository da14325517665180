"""The retention report against a plain recomputation from the enrolment rows.

The centre: two courses (English: E1 taught by T, E2; Maths: M1 taught by T), a few
students with hand-made histories (a move inside a course and one across courses, a join
on a month's first day, a leave on the period's last day, a freeze over a month's end, a
frozen student who leaves, a rejoin, two places left on one day) and thirty seeded random
ones. Every figure — period, month by month, by course, the reasons and the leavers — is
recounted here in Python from the rows, by the definitions in the README, for several
periods and every kind of filter."""

import io
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import openpyxl
from PIL import Image

from bot.services.reports import retention
from bot.services.reports.chart import HEIGHT_PX, WIDTH_PX, BarChart, RateLine, Series, render_png
from bot.services.reports.period import Period, month_end
from bot.services.reports.scope import Scope, ScopeKind
from bot.services.reports.workbook import Column, Kind, Sheet, render_xlsx
from db.models import EnrolmentFreeze, EnrolmentStatus, LeaveReason, Role
from tests.factories import make_course, make_enrolment, make_group, make_user

TZ = ZoneInfo("Asia/Tashkent")
CHOSEN = [reason for reason in LeaveReason if reason is not LeaveReason.TRANSFER]


@dataclass
class Place:
    id: int
    student: int
    name: str
    group: str
    joined: date
    left: date | None
    reason: str | None
    freezes: list[tuple[date, date | None]] = field(default_factory=list)


@dataclass
class World:
    places: list[Place]
    groups: dict[str, int]  # name -> id
    courses: dict[str, int]  # name -> id
    course_of: dict[str, str]  # group -> course
    teacher_of: dict[str, int | None]
    teacher: int


async def build_world(session) -> World:
    teacher = (await make_user(session, None, roles=[Role.TEACHER], full_name="T")).id
    english = await make_course(session, "English")
    maths = await make_course(session, "Maths")
    courses = {"English": english.id, "Maths": maths.id}
    course_of = {"E1": "English", "E2": "English", "M1": "Maths"}
    teacher_of = {"E1": teacher, "E2": None, "M1": teacher}
    groups = {}
    for name, course in course_of.items():
        row = await make_group(session, name, course=courses[course], teacher_id=teacher_of[name])
        groups[name] = row.id
    places: list[Place] = []

    async def place(student, name, group, joined, left=None, reason=None, freezes=()):
        frozen_now = any(end is None for _, end in freezes)
        status = (
            EnrolmentStatus.LEFT
            if left
            else (EnrolmentStatus.FROZEN if frozen_now else EnrolmentStatus.ACTIVE)
        )
        row = await make_enrolment(
            session,
            student,
            groups[group],
            joined_on=joined,
            left_on=left,
            status=status,
            leave_reason=reason,
            commit=False,
        )
        for start, end in freezes:
            session.add(EnrolmentFreeze(enrolment_id=row.id, starts_on=start, ends_on=end))
        places.append(Place(row.id, student, name, group, joined, left, reason, list(freezes)))

    async def student(name):
        return (await make_user(session, None, roles=[Role.STUDENT], full_name=name)).id

    d = date
    ali = await student("Ali")  # moves E1 → E2 (same course) on 10 March
    await place(ali, "Ali", "E1", d(2026, 1, 5), d(2026, 3, 10), "transfer")
    await place(ali, "Ali", "E2", d(2026, 3, 10))
    bek = await student("Bek")  # moves E2 → M1 (another course), leaves M1 on 30 June
    await place(bek, "Bek", "E2", d(2026, 2, 1), d(2026, 4, 1), "transfer")
    await place(bek, "Bek", "M1", d(2026, 4, 1), d(2026, 6, 30), "price")
    cho = await student("Cho")  # joins on 1 March, freezes 20 March – 10 May, leaves frozen
    await place(
        cho,
        "Cho",
        "E1",
        d(2026, 3, 1),
        d(2026, 9, 1),
        "moved_away",
        freezes=[(d(2026, 3, 20), d(2026, 5, 10)), (d(2026, 8, 1), None)],
    )
    dan = await student("Dan")  # in E1 and M1, leaves both on one day, rejoins E1 later
    await place(dan, "Dan", "E1", d(2025, 11, 3), d(2026, 5, 15), "schedule")
    await place(dan, "Dan", "M1", d(2025, 12, 1), d(2026, 5, 15), None)
    await place(dan, "Dan", "E1", d(2026, 10, 1))
    eve = await student("Eve")  # joins and leaves on the same day
    await place(eve, "Eve", "M1", d(2026, 7, 7), d(2026, 7, 7), "quality")

    rng = random.Random(17)
    names = list(groups)
    for number in range(30):
        sid = await student(f"R{number:02d}")
        day = d(2025, 10, 1) + timedelta(days=rng.randrange(0, 330))
        for _ in range(rng.randrange(1, 4)):
            if day > d(2027, 1, 31):
                break
            length = rng.randrange(0, 200)
            left = day + timedelta(days=length) if rng.random() < 0.7 else None
            freezes = []
            if length > 20 and rng.random() < 0.5:
                start = day + timedelta(days=rng.randrange(1, length - 5))
                end = start + timedelta(days=rng.randrange(1, 60))
                if left is not None and end > left:
                    end = left
                freezes.append((start, end if rng.random() < 0.8 else None))
            reason = rng.choice([*CHOSEN, None]) if left else None
            await place(sid, f"R{number:02d}", rng.choice(names), day, left, reason, freezes)
            if left is None:
                break
            day = left + timedelta(days=rng.choice([0, 0, 3, 40]))
        if rng.random() < 0.4:  # a second place at the same time, in any group
            extra = d(2025, 10, 1) + timedelta(days=rng.randrange(0, 400))
            left = extra + timedelta(days=rng.randrange(0, 150)) if rng.random() < 0.6 else None
            reason = rng.choice([*CHOSEN, None]) if left else None
            await place(sid, f"R{number:02d}", rng.choice(names), extra, left, reason)
    await session.commit()
    return World(places, groups, courses, course_of, teacher_of, teacher)


# --- the plain recomputation ------------------------------------------------------------


def in_scope(world: World, scope: Scope, place: Place) -> bool:
    if scope.kind is ScopeKind.COURSE:
        return world.courses[world.course_of[place.group]] == scope.id
    if scope.kind is ScopeKind.GROUP:
        return world.groups[place.group] == scope.id
    if scope.kind is ScopeKind.TEACHER:
        return world.teacher_of[place.group] == scope.id
    return True


def seated(place: Place, day: date) -> bool:
    return place.joined <= day and (place.left is None or place.left > day)


def frozen(place: Place, day: date) -> bool:
    return any(s <= day and (e is None or day < e) for s, e in place.freezes)


def standing(places: list[Place], day: date) -> tuple[int, int]:
    sat = {p.student for p in places if seated(p, day)}
    active = {p.student for p in places if seated(p, day) and not frozen(p, day)}
    return len(sat), len(active)


def arrivals(places: list[Place], first: date, last: date) -> set[tuple[int, date]]:
    found = set()
    for p in places:
        if not first <= p.joined <= last:
            continue
        stays = any(
            o.student == p.student
            and o.id != p.id
            and o.joined < p.joined
            and (o.left is None or o.left >= p.joined)
            for o in places
        )
        if not stays:
            found.add((p.student, p.joined))
    return found


def departing(places: list[Place], first: date, last: date) -> list[Place]:
    return [
        p
        for p in places
        if p.left is not None
        and first <= p.left <= last
        and not any(o.student == p.student and o.id != p.id and seated(o, p.left) for o in places)
    ]


def departures(places: list[Place], first: date, last: date) -> set[tuple[int, date]]:
    return {(p.student, p.left) for p in departing(places, first, last)}


def froze(places: list[Place], first: date, last: date) -> set[tuple[int, date]]:
    return {(p.student, s) for p in places for s, _ in p.freezes if first <= s <= last}


def figures(places: list[Place], first: date, last: date) -> retention.Figures:
    start = standing(places, first - timedelta(days=1))
    end = standing(places, last)
    return retention.Figures(
        active_start=start[1],
        frozen_start=start[0] - start[1],
        joined=len(arrivals(places, first, last)),
        left=len(departures(places, first, last)),
        froze=len(froze(places, first, last)),
        active_end=end[1],
        frozen_end=end[0] - end[1],
    )


def expected_reasons(places: list[Place], first: date, last: date) -> dict:
    per_departure: dict[tuple[int, date], list[str]] = defaultdict(list)
    for p in departing(places, first, last):
        per_departure[(p.student, p.left)].append(p.reason)
    counts: dict = defaultdict(int)
    for reasons in per_departure.values():
        given = [reason for reason in reasons if reason]
        counts[LeaveReason(max(given)) if given else None] += 1
    return dict(counts)


# --- the checks ---------------------------------------------------------------------------

PERIODS = [
    Period.year(2026),
    Period.month(2026, 3),
    Period.month(2026, 5),
    Period.days(date(2026, 2, 15), date(2026, 6, 30)),
    Period.days(date(2025, 10, 1), date(2027, 3, 31)),
]


def scopes(world: World) -> list[Scope]:
    return [
        Scope(),
        Scope(ScopeKind.COURSE, world.courses["English"]),
        Scope(ScopeKind.COURSE, world.courses["Maths"]),
        Scope(ScopeKind.GROUP, world.groups["E1"]),
        Scope(ScopeKind.TEACHER, world.teacher),
    ]


async def test_every_figure_agrees_with_a_recount(session):
    world = await build_world(session)
    for scope in scopes(world):
        places = [p for p in world.places if in_scope(world, scope, p)]
        for period in PERIODS:
            where = f"{scope.token} {period.token}"
            report = await retention.build(session, period, scope, TZ)
            assert report.by_course == [] and report.leavers == []  # the spreadsheet's only
            report = await retention.with_details(session, report, TZ)
            assert report.total == figures(places, period.start, period.end), where
            months = [
                (m, max(m, period.start), min(month_end(m), period.end)) for m in period.months()
            ]
            assert [row.month for row in report.months] == [m for m, _, _ in months]
            for row, (_, first, last) in zip(report.months, months, strict=True):
                assert row.figures == figures(places, first, last), (where, row.month)
            assert report.reasons == expected_reasons(places, period.start, period.end), where
            leavers = sorted(
                departing(places, period.start, period.end),
                key=lambda p: (p.left, p.name, p.group, p.id),
            )
            assert [(x.student, x.group, x.day, x.reason) for x in report.leavers] == [
                (p.name, p.group, p.left, LeaveReason(p.reason) if p.reason else None)
                for p in leavers
            ], where
            by_course = {line.name: line.figures for line in report.by_course}
            expected = {}
            for course in world.courses:
                mine = [p for p in places if world.course_of[p.group] == course]
                if mine:
                    counted = figures(mine, period.start, period.end)
                    if counted != retention.Figures():
                        expected[course] = counted
            assert by_course == expected, where


async def full_report(session, period: Period, scope: Scope) -> retention.RetentionReport:
    """build, then what only the spreadsheet shows (by course, the leavers), as /reports does."""
    report = await retention.build(session, period, scope, TZ)
    return await retention.with_details(session, report, TZ)


async def test_moves_rejoins_and_frozen_leavers_by_hand(session):
    world = await build_world(session)
    english = Scope(ScopeKind.COURSE, world.courses["English"])
    march = await full_report(session, Period.month(2026, 3), english)
    # Ali's move E1 → E2 on 10 March is neither a join nor a leave of the course; Cho's
    # join on 1 March is a join (active at the start is the evening of 28 February)
    ali_cho = [p for p in world.places if p.name in ("Ali", "Cho")]
    assert {(p.name, p.joined) for p in ali_cho if date(2026, 3, 1) <= p.joined} == {
        ("Ali", date(2026, 3, 10)),
        ("Cho", date(2026, 3, 1)),
    }
    assert march.total.joined >= 1 and not any(x.student == "Ali" for x in march.leavers)
    e1 = Scope(ScopeKind.GROUP, world.groups["E1"])
    march_e1 = await full_report(session, Period.month(2026, 3), e1)
    assert [(x.student, x.reason) for x in march_e1.leavers if x.student == "Ali"] == [
        ("Ali", LeaveReason.TRANSFER)
    ]
    # Dan leaves E1 and M1 on 15 May: one departure of the centre, two rows of leavers,
    # the recorded reason over none
    may = await full_report(session, Period.month(2026, 5), Scope())
    assert [x.group for x in may.leavers if x.student == "Dan"] == ["E1", "M1"]
    # Bek leaves English for Maths on 1 April: a departure of English, not of the centre
    april = await full_report(session, Period.month(2026, 4), english)
    april_centre = await full_report(session, Period.month(2026, 4), Scope())
    assert any(x.student == "Bek" for x in april.leavers)
    assert not any(x.student == "Bek" for x in april_centre.leavers)
    # Cho leaves while frozen on 1 September: a leaver, though not active at the start
    september = await full_report(session, Period.month(2026, 9), e1)
    assert [(x.student, x.reason) for x in september.leavers if x.student == "Cho"] == [
        ("Cho", LeaveReason.MOVED_AWAY)
    ]


async def test_an_empty_period_is_empty(session):
    await build_world(session)
    report = await full_report(session, Period.month(2020, 1), Scope())
    assert report.is_empty and report.total.churn_rate is None
    assert report.leavers == [] and report.by_course == [] and report.reasons == {}


def test_a_chart_with_a_rate_line_and_a_sheet_with_dates_and_counts_not_summed():
    bars = BarChart(
        title="Retention",
        categories=["yan", "fev", "mar"],
        series=[Series("Joined", [3, 1, 0]), Series("Left", [1, 0, 2])],
        axis_label="students",
        empty_text="—",
        rate=RateLine("Churn rate", [0.1, None, 0.25]),
    )
    plain = BarChart(bars.title, bars.categories, bars.series, "students", "—")
    with_line, without = render_png(bars), render_png(plain)
    image = Image.open(io.BytesIO(with_line))
    assert image.size == (WIDTH_PX, HEIGHT_PX) and with_line != without

    sheet = Sheet(
        title="By month",
        intro=[("Report", "Retention")],
        columns=[
            Column("Month"),
            Column("Active", Kind.NUMBER, summed=False),
            Column("Left", Kind.NUMBER),
            Column("Left on", Kind.DATE),
        ],
        rows=[("Jan", 5, 1, date(2026, 1, 9)), ("Feb", 4, 2, date(2026, 2, 3))],
        totals_label="Total",
    )
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx([sheet], "#,##0")))["By month"]
    assert [c.value for c in book[6]] == ["Total", None, "=SUM(C4:C5)", None]
    assert book["D4"].number_format == "DD.MM.YYYY" and book["D4"].value.day == 9
