"""The payroll figures the profit-and-loss report reads: approved payslips only, per month and
group, corrections in the month of the payslip that carries them."""

from datetime import date

from sqlalchemy import text

from db.base import utcnow
from db.models import PayLineKind, Payslip, PayslipLine, PayslipStatus, Role
from db.repositories import payroll as payroll_repo
from db.repositories.dialect import is_postgres
from tests.factories import make_group, make_user


async def _payslip(session, teacher, month, status, lines) -> Payslip:
    payslip = Payslip(
        teacher_id=teacher.id,
        month=month,
        status=status,
        total=sum(amount for _kind, _group, amount in lines),
        approved_at=utcnow() if status == PayslipStatus.APPROVED else None,
    )
    session.add(payslip)
    await session.flush()
    session.add_all(
        PayslipLine(payslip_id=payslip.id, kind=kind, group_id=group, amount=amount)
        for kind, group, amount in lines
    )
    await session.commit()
    return payslip


async def test_approved_pay_by_month_and_group(session) -> None:
    ann = await make_user(session, roles=[Role.TEACHER], full_name="Ann")
    bob = await make_user(session, roles=[Role.TEACHER], full_name="Bob")
    a1 = await make_group(session, "A1", teacher_id=ann.id)
    b1 = await make_group(session, "B1", teacher_id=bob.id)
    approved, draft = PayslipStatus.APPROVED, PayslipStatus.DRAFT
    await _payslip(
        session,
        ann,
        date(2026, 10, 1),
        approved,
        [
            (PayLineKind.FIXED, None, 2_000_000),
            (PayLineKind.LESSONS, a1.id, 600_000),
            (PayLineKind.STUDENTS, a1.id, 150_000),
            (PayLineKind.BONUS, None, 100_000),
        ],
    )
    await _payslip(
        session,
        bob,
        date(2026, 10, 1),
        approved,
        [(PayLineKind.PERCENT, b1.id, 900_000), (PayLineKind.DEDUCTION, None, -50_000)],
    )
    await _payslip(
        session,
        ann,
        date(2026, 11, 1),
        approved,
        [(PayLineKind.LESSONS, a1.id, 500_000), (PayLineKind.CORRECTION, a1.id, 50_000)],
    )
    # A draft is not pay yet; a month outside [start, end) is left out.
    await _payslip(session, bob, date(2026, 11, 1), draft, [(PayLineKind.PERCENT, b1.id, 7)])
    await _payslip(session, bob, date(2026, 12, 1), approved, [(PayLineKind.PERCENT, b1.id, 9)])

    rows = await payroll_repo.approved_pay_by_month_and_group(
        session, date(2026, 10, 1), date(2026, 12, 1)
    )

    assert rows == [
        (date(2026, 10, 1), None, 2_050_000),
        (date(2026, 10, 1), a1.id, 750_000),
        (date(2026, 10, 1), b1.id, 900_000),
        (date(2026, 11, 1), a1.id, 550_000),
    ]
    assert await payroll_repo.approved_pay_by_month_and_group(
        session, date(2026, 12, 1), date(2027, 1, 1)
    ) == [(date(2026, 12, 1), b1.id, 9)]


async def test_the_facts_are_planned_for_their_period_until_the_transaction_ends(session) -> None:
    """PostgreSQL would settle on one generic plan for a statement run five times in a
    process (a month's facts and two months' are the same statement), several times slower
    for two months: the facts' reads are planned for their values, in their transaction."""
    await payroll_repo.start_reading_facts(session)
    if not is_postgres(session):
        return  # SQLite plans every statement anew
    assert await session.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
    await session.commit()
    assert await session.scalar(text("SHOW plan_cache_mode")) == "auto"
