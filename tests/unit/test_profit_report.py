"""The profit and loss report against a plain recomputation from the rows, to the so'm.

The ledger is finance's test centre (tests/unit/test_finance_report.py: November to January,
a payment at 00:30 on 1 December Tashkent time, a reversal a month after its payment, a
refund); on top of it approved and draft payslips (lines tied to groups and to none), and
expenses in several categories, one reversed, one on the last day of a month, one outside
the periods."""

from collections import defaultdict
from datetime import date

import pytest
from sqlalchemy import select

from bot.services import expenses as expenses_service
from bot.services.reports import finance, profit
from bot.services.reports.period import Period
from bot.services.reports.scope import Scope
from db.base import utcnow
from db.models import (
    Expense,
    ExpenseCategory,
    Group,
    PayLineKind,
    Payment,
    Payslip,
    PayslipLine,
    PayslipStatus,
    Refund,
)
from tests.conftest import make_settings
from tests.unit.test_finance_report import TZ, build_ledger, day_of

# every figure twice: from the maintained totals and from the rows
pytestmark = pytest.mark.usefixtures("report_source")


@pytest.fixture
def billing(database_url: str):
    return make_settings(
        database_url, charge_day=10, payment_due_day=10, sibling_discount_percent=10
    )


async def payslip(session, teacher_id, month, status, lines):
    row = Payslip(
        teacher_id=teacher_id,
        month=month,
        status=status,
        total=sum(amount for _kind, _group, amount in lines),
        approved_at=utcnow() if status == PayslipStatus.APPROVED else None,
    )
    session.add(row)
    await session.flush()
    session.add_all(
        PayslipLine(payslip_id=row.id, kind=kind, group_id=group, amount=amount)
        for kind, group, amount in lines
    )
    await session.commit()


async def category(session, code):
    return await session.scalar(select(ExpenseCategory.id).where(ExpenseCategory.code == code))


async def centre(session, billing):
    world, teacher_id = await build_ledger(session, billing)
    a, c = world.groups["A"], world.groups["C"]
    approved, draft = PayslipStatus.APPROVED, PayslipStatus.DRAFT
    await payslip(
        session,
        teacher_id,
        date(2026, 11, 1),
        approved,
        [
            (PayLineKind.FIXED, None, 1_000_000),
            (PayLineKind.LESSONS, a, 400_000),
            (PayLineKind.PERCENT, c, 250_000),
        ],
    )
    await payslip(
        session,
        teacher_id,
        date(2026, 12, 1),
        approved,
        [(PayLineKind.LESSONS, a, 450_000), (PayLineKind.BONUS, None, 100_000)],
    )
    await payslip(session, teacher_id, date(2027, 1, 1), draft, [(PayLineKind.LESSONS, a, 9_999)])
    own = await expenses_service.add_category(
        session, world.admin_id, "Cleaning", frozenset(), utcnow()
    )
    assert own.category is not None
    rent, supplies = await category(session, "rent"), await category(session, "supplies")
    today = date(2027, 2, 1)
    for category_id, amount, day in (
        (rent, 5_000_000, date(2026, 11, 5)),
        (supplies, 320_000, date(2026, 11, 30)),
        (rent, 5_000_000, date(2026, 12, 5)),
        (own.category.id, 150_000, date(2026, 12, 31)),
        (supplies, 77_000, date(2027, 1, 2)),
        (rent, 9_000_000, date(2026, 10, 31)),  # before every period below
    ):
        await expenses_service.record_expense(
            session,
            actor_id=world.admin_id,
            category_id=category_id,
            amount=amount,
            spent_on=day,
            note="for the test",
            receipt_file_id=None,
            today=today,
            now=utcnow(),
        )
    wrong = await expenses_service.record_expense(
        session,
        actor_id=world.admin_id,
        category_id=supplies,
        amount=3_200_000,
        spent_on=date(2026, 12, 10),
        note="an extra zero",
        receipt_file_id=None,
        today=today,
        now=utcnow(),
    )
    assert wrong.expense is not None
    await expenses_service.reverse_expense(
        session, actor_id=world.admin_id, expense_id=wrong.expense.id, reason="typo", now=utcnow()
    )
    return world, teacher_id


# --- the plain recomputation ----------------------------------------------------------------


async def recompute(session, period: Period, tz=TZ):
    payments = (await session.scalars(select(Payment))).all()
    refunds = (await session.scalars(select(Refund))).all()
    expenses = (await session.scalars(select(Expense))).all()
    slips = (await session.scalars(select(Payslip))).all()
    lines = (await session.scalars(select(PayslipLine))).all()
    groups = {g.id: g for g in (await session.scalars(select(Group))).all()}
    months = period.months()

    def month_of(day: date) -> date:
        return day.replace(day=1)

    def inside(day: date) -> bool:
        return period.start <= day <= period.end

    figures = {month: defaultdict(int) for month in months}
    for payment in payments:
        if inside(day_of(payment.paid_at)):
            figures[month_of(day_of(payment.paid_at))]["collected"] += payment.amount
        if payment.reversed_at is not None and inside(day_of(payment.reversed_at)):
            figures[month_of(day_of(payment.reversed_at))]["reversed"] += payment.amount
    for refund in refunds:
        if inside(day_of(refund.refunded_at)):
            figures[month_of(day_of(refund.refunded_at))]["refunded"] += refund.amount
    by_category = defaultdict(int)
    for expense in expenses:
        if expense.reversed_at is None and inside(expense.spent_on):
            figures[month_of(expense.spent_on)]["expenses"] += expense.amount
            by_category[expense.category_id] += expense.amount
    approved = {s.id: s for s in slips if s.status == PayslipStatus.APPROVED}
    pay_by_course = defaultdict(int)
    for line in lines:
        slip = approved.get(line.payslip_id)
        if slip is None or slip.month not in figures:
            continue
        figures[slip.month]["payroll"] += line.amount
        course = groups[line.group_id].course_id if line.group_id else None
        pay_by_course[course] += line.amount
    return figures, dict(by_category), dict(pay_by_course)


PERIODS = (
    Period.month(2026, 11),
    Period.month(2026, 12),
    Period.days(date(2026, 11, 15), date(2027, 1, 31)),
    Period.year(2026),
)


@pytest.mark.parametrize("period", PERIODS, ids=[p.token for p in PERIODS])
async def test_profit_matches_a_plain_recomputation(session, billing, period):
    await centre(session, billing)
    report = await profit.build(session, period, Scope(), TZ)
    figures, by_category, pay_by_course = await recompute(session, period)

    assert [row.month for row in report.months] == period.months()
    for row in report.months:
        plain = figures[row.month]
        assert row.figures.collected == plain["collected"], row.month
        assert row.figures.reversed == plain["reversed"], row.month
        assert row.figures.refunded == plain["refunded"], row.month
        assert row.figures.payroll == plain["payroll"], row.month
        assert row.figures.expenses == plain["expenses"], row.month
        income = plain["collected"] - plain["reversed"] - plain["refunded"]
        assert row.figures.profit == income - plain["payroll"] - plain["expenses"]
    assert {line.id: line.amount for line in report.categories} == by_category
    assert report.total.expenses == sum(by_category.values())

    # finance's own figures agree to the so'm
    money = (await finance.summary(session, period, Scope(), TZ)).total
    assert (report.total.collected, report.total.reversed) == (money.collected, money.reversed)
    assert report.total.refunded == money.refunded

    # per course: revenue is finance's "charged" of its groups, pay the approved lines
    charged = {
        s.id: s.charged for s in await finance.shares(session, "course", period, Scope(), TZ)
    }
    margins = {line.id: line for line in report.courses}
    assert {key: line.pay for key, line in margins.items() if line.pay} == {
        key: amount for key, amount in pay_by_course.items() if amount
    }
    for key, line in margins.items():
        assert line.revenue == charged.get(key, 0)
        assert line.margin == line.revenue - line.pay
    assert sum(line.pay for line in report.courses) == report.total.payroll


async def test_the_figures_by_hand_for_december(session, billing):
    """December 2026 written out: collected 3 143 000 (Farruh's 00:30 payment is December's),
    the 6 000 000 card payment reversed, 100 000 refunded; payroll 550 000 (November's and
    January's draft payslip are not December's); expenses 5 150 000 (the reversed 3 200 000
    counts nowhere, 31 December counts)."""
    await centre(session, billing)
    report = await profit.build(session, Period.month(2026, 12), Scope(), TZ)
    total = report.total
    assert total.collected == 300_000 + 243_000 + 2_500_000 + 100_000
    assert (total.reversed, total.refunded) == (6_000_000, 100_000)
    assert (total.payroll, total.expenses) == (550_000, 5_150_000)
    assert total.profit == 3_143_000 - 6_000_000 - 100_000 - 550_000 - 5_150_000
    assert total.profit < 0 and total.margin is None  # a loss, and no income to divide by
    cleaning = next(line for line in report.categories if line.name == "Cleaning")
    assert cleaning.amount == 150_000
    no_group = report.courses[-1]
    assert (no_group.id, no_group.pay) == (None, 100_000)  # the bonus: tied to no group


async def test_an_empty_period(session, billing):
    await centre(session, billing)
    report = await profit.build(session, Period.month(2025, 3), Scope(), TZ)
    assert report.is_empty and report.total.profit == 0
    assert report.categories == [] and report.courses == []
