"""The payroll computation: worked examples of each scheme kind, and a property test
(hypothesis) against a plain recomputation on random centres."""

import calendar
import gc
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.services.payroll.compute import (
    Charged,
    Counting,
    Facts,
    LessonHeld,
    Line,
    Paid,
    Scheme,
    Seat,
    compute_month,
    corrections,
    counting,
    share,
    total,
)
from bot.services.payroll.facts import Days, collection_paused

NOV = date(2026, 11, 1)
T, U = 7, 8  # teachers
A, B = 1, 2  # groups


def kinds(lines: list[Line]) -> dict[tuple[str, int | None], int]:
    found: dict[tuple[str, int | None], int] = {}
    for line in lines:
        found[line.kind, line.group_id] = found.get((line.kind, line.group_id), 0) + line.amount
    return found


def test_each_kind_of_scheme() -> None:
    general = Scheme(1, T, None, date(2026, 1, 1), fixed_monthly=3_000_000, per_lesson=50_000)
    override = Scheme(2, T, B, date(2026, 1, 1), per_student=10_000, percent=40)
    facts = Facts(
        schemes=[general, override],
        group_teacher={A: T, B: T},
        lessons=[
            LessonHeld(A, date(2026, 11, 2), {"present": 5, "absent": 1}),
            LessonHeld(A, date(2026, 11, 4), {"present": 4, "late": 1}),
            LessonHeld(B, date(2026, 11, 3), {"present": 3, "late": 2, "excused": 1}),
        ],
        charges=[Charged(100, B, NOV, 500_000)],
        payments=[Paid(100, date(2026, 11, 5), 500_000)],
    )

    lines = compute_month(NOV, facts)[T]

    assert kinds(lines) == {
        ("fixed", None): 3_000_000,  # the whole month in force
        ("lessons", A): 100_000,  # 2 lessons × 50 000 (A follows the general scheme)
        ("students", B): 50_000,  # 5 present or late × 10 000 (B's override)
        ("percent", B): 200_000,  # 40 % of 500 000
    }
    percent = next(line for line in lines if line.kind == "percent")
    assert (percent.quantity, percent.rate, percent.scheme_id) == (500_000, 40, 2)


def test_a_new_scheme_applies_from_its_day_and_fixed_is_pro_rata() -> None:
    old = Scheme(1, T, None, date(2026, 1, 1), fixed_monthly=3_000_000, per_lesson=50_000)
    new = Scheme(2, T, None, date(2026, 11, 16), fixed_monthly=6_000_000, per_lesson=80_000)
    facts = Facts(
        schemes=[old, new],
        group_teacher={A: T},
        lessons=[LessonHeld(A, date(2026, 11, 10)), LessonHeld(A, date(2026, 11, 20))],
    )

    lines = compute_month(NOV, facts)[T]

    fixed = [(x.scheme_id, x.quantity, x.amount) for x in lines if x.kind == "fixed"]
    assert fixed == [(1, 15, 1_500_000), (2, 15, 3_000_000)]
    lessons = [(x.scheme_id, x.amount) for x in lines if x.kind == "lessons"]
    assert lessons == [(1, 50_000), (2, 80_000)]


def test_money_is_shared_by_the_months_charges_else_by_seats() -> None:
    assert share(1_000, {A: 1, B: 2}) == {A: 333, B: 667}
    facts = Facts(
        schemes=[
            Scheme(1, T, None, date(2026, 1, 1), percent=10),
            Scheme(2, U, None, NOV, percent=50),
        ],
        group_teacher={A: T, B: U},
        charges=[Charged(100, A, NOV, 300_000), Charged(100, B, NOV, 600_000)],
        payments=[Paid(100, date(2026, 11, 9), 900_000), Paid(200, date(2026, 11, 9), 100_000)],
        seats=[Seat(200, B, date(2026, 1, 1)), Seat(200, A, date(2026, 1, 1), date(2026, 11, 1))],
    )

    result = compute_month(NOV, facts)

    assert kinds(result[T]) == {("percent", A): 30_000}  # 10 % of 300 000
    # 50 % of 600 000 (charged) + 100 000 (no charge: the group the student sits in)
    assert kinds(result[U]) == {("percent", B): 350_000}


def test_no_scheme_no_pay_and_a_teachers_lessons_follow_the_group() -> None:
    facts = Facts(
        schemes=[Scheme(1, T, None, date(2026, 12, 1), per_lesson=50_000)],
        group_teacher={A: T, B: None},
        lessons=[LessonHeld(A, date(2026, 11, 2)), LessonHeld(B, date(2026, 11, 2))],
    )
    assert compute_month(NOV, facts) == {T: []}


def test_corrections_are_the_difference_per_group() -> None:
    recounted = {date(2026, 10, 1): [Line("lessons", A, 150_000), Line("fixed", None, 1_000)]}
    settled = {date(2026, 10, 1): {A: 100_000, None: 1_000, B: 20_000}}
    assert corrections(recounted, settled) == [
        Line("correction", A, 50_000, for_month=date(2026, 10, 1)),
        Line("correction", B, -20_000, for_month=date(2026, 10, 1)),
    ]


# --- the property: the function agrees with a plain recomputation ------------------------------


def plain_pay(month: date, facts: Facts) -> dict[int, dict[tuple[str, int | None, int], int]]:
    """By hand, day by day: teacher → (kind, group, scheme) → so'm."""
    days_in = calendar.monthrange(month.year, month.month)[1]
    days = [month + timedelta(n) for n in range(days_in)]

    def in_force(teacher: int, group: int | None, day: date) -> Scheme | None:
        mine = [s for s in facts.schemes if s.teacher_id == teacher and s.group_id == group]
        mine = [s for s in mine if s.valid_from <= day]
        return max(mine, key=lambda s: (s.valid_from, s.id)) if mine else None

    def applying(group: int, day: date) -> tuple[int, Scheme] | None:
        teacher = facts.group_teacher.get(group)
        if teacher is None:
            return None
        scheme = in_force(teacher, group, day) or in_force(teacher, None, day)
        return (teacher, scheme) if scheme else None

    counted: dict[int, dict[tuple[str, int | None, int, int], Fraction]] = {}

    def add(teacher: int, kind: str, group: int | None, scheme: Scheme, rate: int, n) -> None:
        if rate and n:
            key = (kind, group, scheme.id, rate)
            bucket = counted.setdefault(teacher, {})
            bucket[key] = bucket.get(key, 0) + n

    teachers = {s.teacher_id for s in facts.schemes}
    for teacher in teachers:
        for day in days:
            general = in_force(teacher, None, day)
            if general:
                add(teacher, "fixed", None, general, general.fixed_monthly, 1)
            for group, owner in facts.group_teacher.items():
                if owner == teacher and (override := in_force(teacher, group, day)):
                    add(teacher, "fixed", group, override, override.fixed_monthly, 1)
    for lesson in facts.lessons:
        if lesson.day.replace(day=1) == month and (found := applying(lesson.group_id, lesson.day)):
            teacher, scheme = found
            present = lesson.marks.get("present", 0) + lesson.marks.get("late", 0)
            add(teacher, "lessons", lesson.group_id, scheme, scheme.per_lesson, 1)
            add(teacher, "students", lesson.group_id, scheme, scheme.per_student, present)
    for payment in facts.payments:
        if payment.day.replace(day=1) != month:
            continue
        weights = {}
        for charge in facts.charges:
            if charge.student_id == payment.student_id and charge.period == month:
                weights[charge.group_id] = weights.get(charge.group_id, 0) + charge.amount
        weights = {g: w for g, w in weights.items() if w > 0}
        if not weights:
            weights = {
                s.group_id: 1
                for s in facts.seats
                if s.student_id == payment.student_id
                and s.joined_on <= payment.day
                and (s.left_on is None or payment.day < s.left_on)
            }
        if not weights:
            continue
        whole = sum(weights.values())
        parts = {g: Fraction(payment.amount * w, whole) for g, w in weights.items()}
        floors = {g: int(p) for g, p in parts.items()}
        top = sorted(weights, key=lambda g: (-weights[g], g))[0]
        floors[top] += payment.amount - sum(floors.values())
        for group, part in floors.items():
            if found := applying(group, payment.day):
                teacher, scheme = found
                add(teacher, "percent", group, scheme, scheme.percent, part)
    result: dict[int, dict[tuple[str, int | None, int], int]] = {t: {} for t in teachers}
    for teacher, bucket in counted.items():
        for (kind, group, scheme_id, rate), n in bucket.items():
            if kind == "fixed":
                amount = int(Fraction(rate * n, days_in))
            elif kind == "percent":
                amount = int(Fraction(n * rate, 100))
            else:
                amount = int(n * rate)
            key = (kind, group, scheme_id)
            result[teacher][key] = result[teacher].get(key, 0) + amount
    return result


DAYS = st.dates(date(2026, 9, 20), date(2026, 12, 10))
GROUPS = st.integers(1, 4)
STUDENTS = st.integers(100, 105)
TEACHERS = st.integers(10, 12)
MONEY = st.integers(0, 3_000_000)


@st.composite
def centres(draw) -> Facts:
    schemes = [
        Scheme(
            id=n,
            teacher_id=draw(TEACHERS),
            group_id=draw(st.none() | GROUPS),
            valid_from=draw(DAYS),
            fixed_monthly=draw(st.sampled_from([0, 0, 1_000_000, 2_999_999])),
            per_lesson=draw(st.sampled_from([0, 50_000, 77_777])),
            per_student=draw(st.sampled_from([0, 10_000, 3_333])),
            percent=draw(st.integers(0, 100)),
        )
        for n in range(1, draw(st.integers(0, 6)) + 1)
    ]
    group_teacher = {g: draw(st.none() | TEACHERS) for g in range(1, 5)}
    statuses = st.sampled_from(["present", "absent", "late", "excused"])
    lessons = draw(
        st.lists(
            st.builds(
                LessonHeld,
                GROUPS,
                DAYS,
                st.dictionaries(statuses, st.integers(0, 12), max_size=4),
            ),
            max_size=25,
        )
    )
    payments = draw(
        st.lists(st.builds(Paid, STUDENTS, DAYS, st.integers(1, 2_000_000)), max_size=15)
    )
    periods = st.sampled_from([date(2026, 10, 1), NOV, date(2026, 12, 1)])
    charges = draw(st.lists(st.builds(Charged, STUDENTS, GROUPS, periods, MONEY), max_size=12))
    seats = draw(st.lists(st.builds(Seat, STUDENTS, GROUPS, DAYS, st.none() | DAYS), max_size=10))
    return Facts(schemes, group_teacher, lessons, payments, charges, seats)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(centres(), st.sampled_from([date(2026, 10, 1), NOV]))
def test_compute_month_agrees_with_a_plain_recomputation(facts: Facts, month: date) -> None:
    computed = compute_month(month, facts)
    expected = plain_pay(month, facts)

    assert set(computed) == set(expected)
    for teacher, lines in computed.items():
        got: dict[tuple[str, int | None, int], int] = {}
        for line in lines:
            assert line.amount >= 0 and line.quantity > 0 and line.rate > 0
            key = (line.kind, line.group_id, line.scheme_id)
            got[key] = got.get(key, 0) + line.amount
        assert {k: v for k, v in got.items()} == {
            k: v for k, v in expected[teacher].items() if k in got or v
        }
        assert total(lines) == sum(expected[teacher].values())


def only_what_counts(facts: Facts) -> Facts:
    """The facts as the reader reads them (bot.services.payroll.facts): the lessons of the
    groups `counting` keeps, their marks only where they count, the money of the students
    with a charge or a seat in a group paid a percent (in the database a charge is an
    enrolment's, and the reader keeps the students who ever sat in one)."""
    needed = counting(facts.schemes, facts.group_teacher)
    money = {c.student_id for c in facts.charges if c.group_id in needed.money}
    money |= {s.student_id for s in facts.seats if s.group_id in needed.money}
    return Facts(
        facts.schemes,
        facts.group_teacher,
        [
            LessonHeld(x.group_id, x.day, x.marks if x.group_id in needed.marks else {})
            for x in facts.lessons
            if x.group_id in needed.lessons
        ],
        [p for p in facts.payments if p.student_id in money],
        [c for c in facts.charges if c.student_id in money],
        [s for s in facts.seats if s.student_id in money],
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(centres(), st.sampled_from([date(2026, 10, 1), NOV]))
def test_the_facts_left_out_change_no_line(facts: Facts, month: date) -> None:
    """Leaving out what `counting` says cannot earn (the lessons, marks and money of groups
    no scheme pays for them) gives the same lines, to the so'm."""
    assert compute_month(month, only_what_counts(facts)) == compute_month(month, facts)


def test_counting_keeps_a_group_for_each_kind_its_schemes_pay() -> None:
    schemes = [
        Scheme(1, T, None, date(2026, 1, 1), fixed_monthly=1_000_000),
        Scheme(2, T, A, date(2026, 1, 1), percent=40),  # an override: A's money counts
        Scheme(3, T, None, date(2026, 12, 1), per_lesson=50_000),  # from a later day: kept
        Scheme(4, U, None, date(2026, 1, 1), per_student=10_000),
    ]
    needed = counting(schemes, {A: T, B: T, 3: U, 4: None, 5: 99})
    assert needed.lessons == {A, B, 3}
    assert needed.marks == {3}
    assert needed.money == {A}
    fixed_only = counting([Scheme(1, T, None, date(2026, 1, 1), fixed_monthly=1)], {A: T})
    assert fixed_only == Counting()


@given(st.integers(0, 10**9), st.dictionaries(GROUPS, st.integers(1, 10**6), min_size=1))
def test_a_share_adds_up(amount: int, weights: dict[int, int]) -> None:
    parts = share(amount, weights)
    assert sum(parts.values()) == amount
    assert all(part >= 0 for part in parts.values())


@pytest.mark.parametrize(
    "zone", ["Asia/Tashkent", "Europe/Berlin", "America/Santiago", "America/Havana", "UTC"]
)
def test_the_day_of_a_moment_is_the_centres_calendar_day(zone: str) -> None:
    """The facts' reader finds a moment's day by a search over the days' first moments: the
    same day as converting it, across the changes of clocks (some at midnight), every
    quarter of an hour of a year, and none outside the months asked."""
    tz = ZoneInfo(zone)
    months = [date(2026, m, 1) for m in range(1, 13) if m != 6]  # June not asked
    days = Days(date(2026, 1, 1), date(2027, 1, 1), months, tz)
    moment = datetime.combine(date(2026, 1, 1), time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(date(2027, 1, 1), time(0), tzinfo=tz).astimezone(UTC)
    while moment < end:
        day = moment.astimezone(tz).date()
        assert days.of(moment) == (None if day.month == 6 else day), moment
        moment += timedelta(minutes=15)
    assert days.of(end) is None
    assert days.of(end - timedelta(days=400)) is None


def test_collection_is_paused_while_the_facts_are_read_and_back_on_after() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collection_paused():
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()  # off before: left off
    finally:
        gc.enable()
