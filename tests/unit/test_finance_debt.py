"""The finance report's fast paths against the reference: the centre's debt at a moment from
the maintained balances (reports.centre_debt_from_balances) against the whole-ledger
centre_debt_at, and the summary's report against the full one.

The ledger is test_finance_report's, plus what the rule must get right: a cancelled charge,
an erased student's rows (kept under anon_ref), a student with no charge whose credit went
below zero (a refund, then the payment reversed), and charges for a later month."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from bot.services.payments import ledger
from bot.services.reports import finance
from bot.services.reports.period import Period
from bot.services.reports.scope import Scope, ScopeKind
from db import report_totals
from db.models import Balance, Charge, PaymentMethod, Role
from db.repositories import deletion as deletion_repo
from db.repositories import reports as repo
from tests.factories import make_user
from tests.ledger_world import local
from tests.unit.test_finance_report import billing, build_ledger  # noqa: F401 (a fixture)

TZ = ZoneInfo("Asia/Tashkent")


async def add_edge_cases(session, world) -> None:
    s = world.students
    # a charge cancelled (the balance leaves it out, as recompute_balances keeps it)
    first = await session.scalar(select(func.min(Charge.id)).where(Charge.amount > 0))
    report_totals.touch_periods(
        session, [await session.scalar(select(Charge.period).where(Charge.id == first))]
    )
    await session.execute(
        update(Charge)
        .where(Charge.id == first)
        .values(cancelled_at=datetime(2026, 12, 15, tzinfo=UTC))
        .execution_options(synchronize_session=False, **report_totals.TOUCHED)
    )
    await session.commit()
    await ledger.recompute_balances(session, fix=True)
    await session.commit()
    # a student with no charge: paid, refunded part of it, then the payment reversed
    lone = await make_user(session, None, roles=[Role.STUDENT], full_name="Lone L")
    lone_id = lone.id
    paid = await ledger.record_payment(
        session,
        actor_id=world.admin_id,
        student_id=lone_id,
        amount=100_000,
        method=PaymentMethod.CASH,
        note=None,
        now=local(date(2026, 11, 2), 10),
    )
    await ledger.record_refund(
        session,
        actor_id=world.admin_id,
        student_id=lone_id,
        amount=60_000,
        method=PaymentMethod.CASH,
        reason="moved away",
        now=local(date(2026, 11, 3), 10),
    )
    await ledger.reverse_payment(
        session,
        actor_id=world.admin_id,
        payment_id=paid.payment.id,
        reason="bounced",
        now=local(date(2026, 12, 4), 10),
    )
    # an erased student: every row of theirs, and the balance, now under an anon_ref
    await deletion_repo.detach_ledger(session, s["Dilnoza"], "anon-dilnoza")
    await session.commit()


def moments() -> list[tuple[date, datetime]]:
    """(last day, the end of it) for days around the ledger's months and before any of it."""
    days = [date(2026, 1, 31), date(2026, 10, 31), date(2026, 11, 4), date(2026, 11, 30)]
    days += [date(2026, 12, 1), date(2026, 12, 3), date(2026, 12, 15), date(2026, 12, 31)]
    days += [date(2027, 1, 2), date(2027, 1, 31), date(2027, 6, 30)]
    return [(day, local(day + timedelta(days=1), 0)) for day in days]


async def test_the_debt_from_balances_is_the_ledgers(session, billing):  # noqa: F811
    world, _teacher = await build_ledger(session, billing)
    await add_edge_cases(session, world)
    assert await session.scalar(select(func.count()).where(Balance.anon_ref == "anon-dilnoza"))
    assert await ledger.recompute_balances(session) == []  # the balances agree with the ledger
    debts = []
    for last_day, as_of in moments():
        expected = await repo.centre_debt_at(session, last_day, as_of)
        assert await repo.centre_debt_from_balances(session, last_day, as_of) == expected, last_day
        debts.append(expected)
    assert debts[0] == 0 and len(set(debts)) > 4  # the moments tell the rules apart
    # a charge's month, not its moment, puts it before or after the end: a day's end
    # within a month counts the month's charges (a report's range ending mid-month)
    mid = date(2026, 12, 15)
    assert await repo.centre_debt_from_balances(
        session, mid, local(mid, 12)
    ) == await repo.centre_debt_at(session, mid, local(mid, 12))


async def test_the_summary_is_the_full_report_without_its_breakdowns(session, billing):  # noqa: F811
    world, teacher_id = await build_ledger(session, billing)
    await add_edge_cases(session, world)
    for period in (Period.month(2026, 12), Period.year(2026), Period.month(2025, 5)):
        for scope in (Scope(), Scope(ScopeKind.TEACHER, teacher_id)):
            full = await finance.build(session, period, scope, TZ)
            quick = await finance.summary(session, period, scope, TZ)
            assert (quick.total, quick.debt, quick.months) == (full.total, full.debt, full.months)
            if scope.kind is ScopeKind.CENTRE:  # the breakdowns wait for the spreadsheet
                assert quick.breakdowns is None
                with pytest.raises(LookupError):
                    _ = quick.by_group
            else:  # a filter's debt is its groups' lines: it has them already
                assert quick.breakdowns == full.breakdowns
            detailed = await finance.with_breakdowns(session, quick, TZ)
            assert detailed == full
