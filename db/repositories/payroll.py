"""Payroll queries: pay schemes, payslips and their lines, payouts, and the facts a payslip
is computed from (lessons held, attendance, the ledger). Never commits."""

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Payslip, PayslipLine, PayslipStatus


async def approved_pay_by_month_and_group(
    session: AsyncSession, start: date, end: date
) -> list[tuple[date, int | None, int]]:
    """(first day of the month, group id or None, so'm) over the approved payslips whose
    month lies in [start, end), summed per month and group.

    None gathers the lines tied to no group: a teacher's general fixed monthly amount and the
    adjustments (bonus, deduction). A correction line counts in the month of the payslip that
    carries it (when it is paid), with the group it corrects. Ordered by month, then group
    (None first)."""
    month, group = Payslip.month, PayslipLine.group_id
    rows = await session.execute(
        select(month, group, func.sum(PayslipLine.amount))
        .join(PayslipLine, PayslipLine.payslip_id == Payslip.id)
        .where(
            Payslip.status == PayslipStatus.APPROVED,
            Payslip.month >= start,
            Payslip.month < end,
        )
        .group_by(month, group)
        .order_by(month, group.is_not(None), group)
    )
    return [(m, g, int(total)) for m, g, total in rows.all()]
