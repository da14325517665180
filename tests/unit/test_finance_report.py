"""The finance report against a plain recomputation from the ledger rows, to the so'm.

The ledger: the small centre of tests/ledger_world.py charged for November, December and
January, with payments by every method (one at 00:30 on 1 December in Tashkent, which is
still 30 November in UTC), a reversal made a month after its payment, and a refund."""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.services import deletion
from bot.services.parsing import Invalid, Problem
from bot.services.payments import ledger
from bot.services.reports import finance
from bot.services.reports.period import Period, PeriodKind
from bot.services.reports.scope import Scope, ScopeKind, resolve
from db.models import Charge, Enrolment, Group, Payment, PaymentMethod, Refund, Role
from tests.conftest import make_settings
from tests.factories import make_user
from tests.ledger_world import build_centre, local

# every figure twice: from the maintained totals and from the rows
pytestmark = pytest.mark.usefixtures("report_source")

TZ = ZoneInfo("Asia/Tashkent")


@pytest.fixture
def billing(database_url: str):
    return make_settings(
        database_url, charge_day=10, payment_due_day=10, sibling_discount_percent=10
    )


async def build_ledger(session, billing):
    world = await build_centre(session)
    teacher = await make_user(session, None, roles=[Role.TEACHER], full_name="Teacher T")
    teacher_id = teacher.id
    await session.execute(
        update(Group)
        .where(Group.id.in_([world.groups["A"], world.groups["C"]]))
        .values(teacher_id=teacher_id)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    for month, today in (
        (date(2026, 11, 1), date(2026, 11, 10)),
        (date(2026, 12, 1), date(2026, 12, 10)),
        (date(2027, 1, 1), date(2027, 1, 10)),
    ):
        await ledger.charge_month(session, period=month, today=today, settings=billing)
    s = world.students

    async def pay(name, amount, method, at):
        result = await ledger.record_payment(
            session,
            actor_id=world.admin_id,
            student_id=s[name],
            amount=amount,
            method=method,
            note=None,
            now=at,
        )
        return result.payment.id

    await pay("Aziz", 600_000, PaymentMethod.CASH, local(date(2026, 11, 5), 10))
    wrong = await pay("Aziz", 6_000_000, PaymentMethod.CARD, local(date(2026, 11, 20), 12))
    await pay("Dilnoza", 300_000, PaymentMethod.TRANSFER, local(date(2026, 11, 30), 23))
    # 00:30 on 1 December in Tashkent is 30 November 19:30 UTC: a December payment
    await pay("Farruh", 300_000, PaymentMethod.CLICK, local(date(2026, 12, 1), 0, 30))
    await pay("Gulnora", 243_000, PaymentMethod.PAYME, local(date(2026, 12, 3), 9))
    await pay("Hasan", 2_500_000, PaymentMethod.TELEGRAM, local(date(2026, 12, 12), 15))
    await pay("Laylo", 100_000, PaymentMethod.OTHER, local(date(2026, 12, 20), 11))
    await pay("Aziz", 600_000, PaymentMethod.CASH, local(date(2027, 1, 3), 10))
    await ledger.reverse_payment(
        session,
        actor_id=world.admin_id,
        payment_id=wrong,
        reason="typed a zero too many",
        now=local(date(2026, 12, 2), 9),
    )
    await ledger.record_refund(
        session,
        actor_id=world.admin_id,
        student_id=s["Hasan"],
        amount=100_000,
        method=PaymentMethod.CASH,
        reason="paid too much",
        now=local(date(2026, 12, 28), 16),
    )
    return world, teacher_id


# --- the plain recomputation ----------------------------------------------------------------


def day_of(moment: datetime) -> date:
    return moment.astimezone(TZ).date()


def end_moment(period: Period) -> datetime:
    return datetime.combine(period.end + timedelta(days=1), datetime.min.time(), tzinfo=TZ)


async def rows(session):
    charges = (await session.scalars(select(Charge))).all()
    payments = (await session.scalars(select(Payment))).all()
    refunds = (await session.scalars(select(Refund))).all()
    enrolments = (await session.scalars(select(Enrolment))).all()
    groups = {g.id: g for g in (await session.scalars(select(Group))).all()}
    return charges, payments, refunds, enrolments, groups


def in_scope_groups(scope: Scope, groups) -> set[int]:
    if scope.kind is ScopeKind.CENTRE:
        return set(groups)
    attribute = {ScopeKind.COURSE: "course_id", ScopeKind.GROUP: "id"}.get(scope.kind, "teacher_id")
    return {g.id for g in groups.values() if getattr(g, attribute) == scope.id}


def recompute(ledger_rows, period: Period, scope: Scope):
    charges, payments, refunds, enrolments, groups = ledger_rows
    group_of = {e.id: e.group_id for e in enrolments}
    scoped = in_scope_groups(scope, groups)
    students = {
        e.student_id
        for e in enrolments
        if e.group_id in scoped
        and e.joined_on <= period.end
        and (e.left_on is None or e.left_on >= period.start)
    }
    centre = scope.kind is ScopeKind.CENTRE
    first = period.start.replace(day=1)

    def wanted_charge(c):
        return c.cancelled_at is None and (centre or group_of.get(c.enrolment_id) in scoped)

    def wanted_student(student_id):
        return centre or student_id in students

    def in_period(moment):
        return moment is not None and period.start <= day_of(moment) <= period.end

    expected = {
        "charged": sum(
            c.amount for c in charges if wanted_charge(c) and first <= c.period <= period.end
        ),
        "collected": sum(
            p.amount for p in payments if in_period(p.paid_at) and wanted_student(p.student_id)
        ),
        "reversed": sum(
            p.amount for p in payments if in_period(p.reversed_at) and wanted_student(p.student_id)
        ),
        "refunded": sum(
            r.amount for r in refunds if in_period(r.refunded_at) and wanted_student(r.student_id)
        ),
    }
    expected["by_method"] = {
        method: sum(
            p.amount
            for p in payments
            if p.method == method and in_period(p.paid_at) and wanted_student(p.student_id)
        )
        for method in PaymentMethod
    }
    # debt at the end, and each charge's part left uncovered, oldest charge first
    as_of = end_moment(period)
    credit = defaultdict(int)
    for p in payments:
        if p.paid_at < as_of and (p.reversed_at is None or p.reversed_at >= as_of):
            credit[p.student_id] += p.amount
    for r in refunds:
        if r.refunded_at < as_of:
            credit[r.student_id] -= r.amount
    owed = defaultdict(int)
    uncovered = {}
    for student in {c.student_id for c in charges}:
        mine = sorted(
            (c for c in charges if c.student_id == student and c.period <= period.end),
            key=lambda c: (c.due_date, c.id),
        )
        left = credit[student]
        for c in mine:
            owed[student] += c.amount
            covered = min(max(left, 0), c.amount)
            left -= covered
            uncovered[c.id] = c.amount - covered
        owed[student] -= credit[student]
    if centre:
        expected["debt"] = sum(max(amount, 0) for amount in owed.values())
    else:
        expected["debt"] = sum(
            uncovered[c.id]
            for c in charges
            if c.id in uncovered and group_of.get(c.enrolment_id) in scoped
        )
    by_group = defaultdict(lambda: [0, 0, 0])
    for c in charges:
        if c.id not in uncovered or not wanted_charge(c):
            continue
        line = by_group[group_of.get(c.enrolment_id)]
        if c.period >= first:
            line[0] += c.amount
            line[1] += uncovered[c.id]
        line[2] += uncovered[c.id]
    expected["by_group"] = {key: tuple(v) for key, v in by_group.items() if v[0] or v[2]}
    return expected


def months_of(ledger_rows, period: Period, scope: Scope):
    figures = {}
    for month in period.months():
        start = max(month, period.start)
        end = min((month + timedelta(days=32)).replace(day=1) - timedelta(days=1), period.end)
        figures[month] = recompute(ledger_rows, Period(PeriodKind.RANGE, start, end), scope)
    return figures


# --- the checks ---------------------------------------------------------------------------


async def check(session, period: Period, scope: Scope):
    report = await finance.build(session, period, scope, TZ)
    ledger_rows = await rows(session)
    expected = recompute(ledger_rows, period, scope)
    total = report.total
    assert total.charged == expected["charged"]
    assert total.collected == expected["collected"]
    assert total.reversed == expected["reversed"]
    assert total.refunded == expected["refunded"]
    assert total.by_method == expected["by_method"]
    assert total.net == expected["collected"] - expected["reversed"] - expected["refunded"]
    assert report.debt == expected["debt"]
    if expected["charged"]:
        assert total.collection_rate == pytest.approx(
            (expected["collected"] - expected["reversed"]) / expected["charged"]
        )
    assert {
        share.id: (share.charged, share.unpaid, share.debt) for share in report.by_group
    } == expected["by_group"]
    monthly = months_of(ledger_rows, period, scope)
    assert [row.month for row in report.months] == period.months()
    for row in report.months:
        wanted = monthly[row.month]
        assert (row.money.charged, row.money.collected, row.money.reversed) == (
            wanted["charged"] if row.month >= period.start.replace(day=1) else 0,
            wanted["collected"],
            wanted["reversed"],
        )
        assert row.money.refunded == wanted["refunded"]
        assert row.money.by_method == wanted["by_method"]
    return report, expected


async def test_every_figure_agrees_with_the_ledger(session, billing):
    world, teacher_id = await build_ledger(session, billing)
    periods = [
        Period.month(2026, 11),
        Period.month(2026, 12),
        Period.month(2027, 1),
        Period.year(2026),
        Period.days(date(2026, 11, 15), date(2027, 1, 10)),
        Period.month(2025, 5),  # nothing happened
    ]
    group_a = await session.get(Group, world.groups["A"])
    scopes = [
        Scope(),
        Scope(ScopeKind.GROUP, world.groups["A"]),
        Scope(ScopeKind.GROUP, world.groups["B"]),
        Scope(ScopeKind.COURSE, group_a.course_id),
        Scope(ScopeKind.TEACHER, teacher_id),
    ]
    for period in periods:
        for scope in scopes:
            await check(session, period, scope)


async def test_an_erased_students_money_stays_in_every_filter(session, billing):
    """Erasure moves a person's ledger to an anonymous reference: the filters' breakdowns
    (which read only their owners' ledger) count it as before, to the so'm."""
    world, teacher_id = await build_ledger(session, billing)
    group_a = await session.get(Group, world.groups["A"])
    scopes = [
        Scope(),
        Scope(ScopeKind.GROUP, world.groups["A"]),
        Scope(ScopeKind.COURSE, group_a.course_id),
        Scope(ScopeKind.TEACHER, teacher_id),
    ]
    periods = [Period.month(2026, 12), Period.year(2026)]

    async def figures():
        found = []
        for period in periods:
            for scope in scopes:
                report = await finance.build(session, period, scope, TZ)
                shares = sorted((s.id, s.charged, s.unpaid, s.debt) for s in report.by_group)
                found.append((report.total, report.debt, shares))
        return found

    before = await figures()
    assert any(debt for _total, debt, _shares in before[1:])  # a filter with a debt to keep
    for name in ("Aziz", "Dilnoza"):
        assert await deletion.delete_user(session, world.students[name], owner_ids=())
    assert await session.scalar(select(Charge.id).where(Charge.anon_ref.is_not(None)))
    assert await figures() == before


async def test_december_figures_by_hand(session, billing):
    """The same month written out, so a mistake shared by the report and the recomputation
    (both reading a wrong rule) shows too."""
    await build_ledger(session, billing)
    report, _ = await check(session, Period.month(2026, 12), Scope())
    total = report.total
    assert total.charged == 2_893_000  # tests/ledger_world.py's December
    assert total.collected == 300_000 + 243_000 + 2_500_000 + 100_000
    assert total.by_method[PaymentMethod.CLICK] == 300_000  # the 00:30 payment is December's
    assert total.by_method[PaymentMethod.TRANSFER] == 0  # 23:00 on 30 November is November's
    assert total.reversed == 6_000_000  # reversed in December, paid in November
    assert total.refunded == 100_000
    assert total.net == 3_143_000 - 6_000_000 - 100_000
    assert total.collection_rate is not None and total.collection_rate < 0
    assert [share.name for share in report.by_course][:1] == ["Course English A"]
    assert {share.name for share in report.by_teacher} == {"Teacher T", None}


async def test_an_empty_period_is_empty(session, billing):
    await build_ledger(session, billing)
    report = await finance.build(session, Period.month(2025, 5), Scope(), TZ)
    assert report.is_empty and report.debt == 0 and report.total.collection_rate is None
    assert report.by_group == [] and len(report.months) == 1


def test_periods_and_their_tokens():
    today = date(2026, 3, 15)
    assert Period.this_month(today) == Period.month(2026, 3)
    assert Period.last_month(today).start == date(2026, 2, 1)
    assert Period.last_month(date(2026, 1, 5)).start == date(2025, 12, 1)
    assert Period.last_month(today).end == date(2026, 2, 28)
    for period in (
        Period.month(2026, 2),
        Period.year(2026),
        Period.days(date(2026, 1, 31), date(2026, 3, 1)),
    ):
        assert Period.from_token(period.token) == period
        assert len(period.token) <= 18
    assert Period.days(date(2026, 1, 31), date(2026, 3, 1)).months() == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]
    for forged in (
        "m202613",
        "y20x6",
        "y0001",
        "y9999",
        "m000101",
        "r00010101-00010201",
        "r20260301-20260201",
        "r20200101-20260101",
        "",
        "x",
    ):
        assert Period.from_token(forged) is None
    start, end = Period.month(2026, 3).utc_bounds(TZ)
    assert start == datetime(2026, 2, 28, 19, tzinfo=UTC)
    assert end == datetime(2026, 3, 31, 19, tzinfo=UTC)


def test_typed_ranges_are_checked():
    assert Period.typed("01.03.2026", "31.05.2026") == Period(
        PeriodKind.RANGE, date(2026, 3, 1), date(2026, 5, 31)
    )
    assert Period.typed("1.3.2026", "1.3.2026").months() == [date(2026, 3, 1)]
    for start, end, problem in (
        ("31.05.2026", "01.03.2026", Problem.END_BEFORE_START),
        ("01.01.2023", "01.01.2026", Problem.RANGE_TOO_LONG),
        ("2026-03-01", "31.05.2026", Problem.DATE_FORMAT),
        ("01.03.2026", "31.02.2026", Problem.NO_SUCH_DAY),
        ("", "01.03.2026", Problem.DATE_FORMAT),
    ):
        with pytest.raises(Invalid) as error:
            Period.typed(start, end)
        assert error.value.problem is problem
    # three years less a day is the longest range; from 29 February to 28 February
    assert Period.typed("01.01.2023", "31.12.2025").end == date(2025, 12, 31)
    assert Period.typed("29.02.2024", "28.02.2027").end == date(2027, 2, 28)


def test_scope_tokens():
    for scope in (Scope(), Scope(ScopeKind.GROUP, 7), Scope(ScopeKind.TEACHER, 123_456_789)):
        assert Scope.from_token(scope.token) == scope
    assert Scope.from_token("g2147483647") == Scope(ScopeKind.GROUP, 2**31 - 1)
    for forged in ("g0", "g-1", "q5", "k", "g1x", "g2147483648", "g" + "9" * 30, "g٣"):
        assert Scope.from_token(forged) is None


async def test_a_filter_that_is_gone_does_not_resolve(session, billing):
    world, teacher_id = await build_ledger(session, billing)
    resolved = await resolve(session, Scope(ScopeKind.GROUP, world.groups["A"]))
    assert resolved is not None and resolved.name == "English A"
    assert await resolve(session, Scope(ScopeKind.GROUP, 999_999)) is None
    assert await resolve(session, Scope(ScopeKind.COURSE, 999_999)) is None
    assert await resolve(session, Scope(ScopeKind.TEACHER, world.admin_id)) is None
    teacher = await resolve(session, Scope(ScopeKind.TEACHER, teacher_id))
    assert teacher is not None and teacher.name == "Teacher T"
