"""Payroll queries: pay schemes, payslips and their lines, payouts, and the facts a payslip
is computed from (lessons held, attendance, the ledger). Never commits."""

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Attendance,
    Charge,
    Enrolment,
    Group,
    GroupStatus,
    Lesson,
    LessonStatus,
    PayLineKind,
    Payment,
    Payout,
    PayScheme,
    Payslip,
    PayslipLine,
    PayslipStatus,
    Role,
    RoleAssignment,
    User,
)
from db.repositories.dialect import plan_for_the_values


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


# --- pay schemes ------------------------------------------------------------------------------


async def all_schemes(session: AsyncSession) -> Sequence[PayScheme]:
    """The whole history (a few rows a teacher): the computation picks what is in force."""
    return (await session.scalars(select(PayScheme).order_by(PayScheme.id))).all()


async def schemes_of(session: AsyncSession, teacher_id: int) -> Sequence[PayScheme]:
    """A teacher's schemes, general first, then by group, each newest first."""
    rows = await session.scalars(
        select(PayScheme)
        .where(PayScheme.teacher_id == teacher_id)
        .order_by(
            PayScheme.group_id.is_not(None),
            PayScheme.group_id,
            PayScheme.valid_from.desc(),
            PayScheme.id.desc(),
        )
    )
    return rows.all()


async def add_scheme(session: AsyncSession, **values: Any) -> PayScheme:
    scheme = PayScheme(**values)
    session.add(scheme)
    await session.flush()
    return scheme


async def last_approved_month(session: AsyncSession, teacher_id: int) -> date | None:
    return await session.scalar(
        select(func.max(Payslip.month)).where(
            Payslip.teacher_id == teacher_id, Payslip.status == PayslipStatus.APPROVED
        )
    )


# --- teachers and their groups ------------------------------------------------------------


async def teachers(session: AsyncSession) -> Sequence[Row[Any]]:
    """(id, full name) of the live people holding the teacher role, by name."""
    rows = await session.execute(
        select(User.id, User.full_name)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == Role.TEACHER, User.deleted_at.is_(None))
        .order_by(User.full_name, User.id)
    )
    return rows.all()


async def names(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, str | None]:
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.full_name).where(User.id.in_(ids)))
    return {uid: name for uid, name in rows.all()}


async def group_teachers(session: AsyncSession) -> dict[int, int | None]:
    rows = await session.execute(select(Group.id, Group.teacher_id))
    return {gid: tid for gid, tid in rows.all()}


async def group_names(session: AsyncSession, group_ids: Iterable[int | None]) -> dict[int, str]:
    ids = sorted({gid for gid in group_ids if gid is not None})
    if not ids:
        return {}
    rows = await session.execute(select(Group.id, Group.name).where(Group.id.in_(ids)))
    return {gid: name for gid, name in rows.all()}


async def groups_of_teacher(session: AsyncSession, teacher_id: int) -> Sequence[Row[Any]]:
    """(id, name) of the groups the teacher has now, active first, by name."""
    rows = await session.execute(
        select(Group.id, Group.name)
        .where(Group.teacher_id == teacher_id)
        .order_by(Group.status != GroupStatus.ACTIVE.value, Group.name, Group.id)
    )
    return rows.all()


# --- the facts a payslip is computed from --------------------------------------------------


async def start_reading_facts(session: AsyncSession) -> None:
    """Before the facts' queries: each planned for its period (dialect.plan_for_the_values)."""
    await plan_for_the_values(session)


async def lesson_marks(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    statuses: Iterable[str],
    *,
    groups: Collection[int] | None = None,
    marked: Collection[int] | None = None,
) -> Sequence[Row[Any]]:
    """(lesson id, group id, starts at, status of a mark or None, marks) for every lesson held
    in [start, end): one row per lesson and status its marks have among `statuses` (those the
    caller counts; a lesson without such marks once, with None). With `groups`, the lessons
    of those groups alone; with `marked`, the marks of those groups' lessons alone (the
    others come once, with None)."""
    wanted = sorted(statuses)
    joined = and_(Attendance.lesson_id == Lesson.id, Attendance.status.in_(wanted))
    if marked is not None:
        joined = and_(joined, Lesson.group_id.in_(sorted(marked)))
    query = (
        select(
            Lesson.id,
            Lesson.group_id,
            Lesson.starts_at,
            Attendance.status,
            func.count(Attendance.id),
        )
        .outerjoin(Attendance, joined)
        .where(
            Lesson.status == LessonStatus.HELD.value,
            Lesson.starts_at >= start,
            Lesson.starts_at < end,
        )
        .group_by(Lesson.id, Lesson.group_id, Lesson.starts_at, Attendance.status)
    )
    if groups is not None:
        query = query.where(Lesson.group_id.in_(sorted(groups)))
    return (await session.execute(query)).all()


def _seated_in(groups: Collection[int]):
    """The students with an enrolment (any time) in one of the groups (a subquery of its own,
    never correlated with an outer query on the enrolments)."""
    return (
        select(Enrolment.student_id).where(Enrolment.group_id.in_(sorted(groups))).correlate(None)
    )


async def payments_between(
    session: AsyncSession, start: datetime, end: datetime, *, seated: Collection[int] | None = None
) -> Sequence[Row[Any]]:
    """(student id, paid at, amount) of the payments made in [start, end), not reversed, of
    students not erased (an erased person's payment is no group's any more); with `seated`,
    of the students who ever sat in one of those groups alone."""
    query = select(Payment.student_id, Payment.paid_at, Payment.amount).where(
        Payment.paid_at >= start,
        Payment.paid_at < end,
        Payment.reversed_at.is_(None),
        Payment.student_id.is_not(None),
    )
    if seated is not None:
        query = query.where(Payment.student_id.in_(_seated_in(seated)))
    return (await session.execute(query)).all()


async def charges_for(
    session: AsyncSession, periods: Sequence[date], *, seated: Collection[int] | None = None
) -> Sequence[Row[Any]]:
    """(student id, group id, period, amount) of the charges for these months, not
    cancelled, of an enrolment still known; with `seated`, of the students who ever sat in
    one of those groups alone."""
    query = (
        select(Charge.student_id, Enrolment.group_id, Charge.period, Charge.amount)
        .join(Enrolment, Enrolment.id == Charge.enrolment_id)
        .where(
            Charge.period.in_(list(periods)),
            Charge.cancelled_at.is_(None),
            Charge.student_id.is_not(None),
        )
    )
    if seated is not None:
        query = query.where(Charge.student_id.in_(_seated_in(seated)))
    return (await session.execute(query)).all()


async def seats_between(
    session: AsyncSession, start: date, end: date, *, seated: Collection[int] | None = None
) -> Sequence[Row[Any]]:
    """(student id, group id, joined on, left on) of the enrolments that overlap [start, end);
    with `seated`, of the students who ever sat in one of those groups alone."""
    query = select(
        Enrolment.student_id, Enrolment.group_id, Enrolment.joined_on, Enrolment.left_on
    ).where(
        Enrolment.joined_on < end,
        or_(Enrolment.left_on.is_(None), Enrolment.left_on > start),
    )
    if seated is not None:
        query = query.where(Enrolment.student_id.in_(_seated_in(seated)))
    return (await session.execute(query)).all()


# --- payslips ---------------------------------------------------------------------------------


async def payslip(session: AsyncSession, payslip_id: int) -> Payslip | None:
    return await session.get(Payslip, payslip_id)


async def lock_payslip(session: AsyncSession, payslip_id: int) -> Payslip | None:
    """The payslip, locked for the rest of the transaction (PostgreSQL; SQLite locks the
    whole database on the first write anyway), read afresh."""
    return await session.scalar(
        select(Payslip)
        .where(Payslip.id == payslip_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def payslips_of_month(session: AsyncSession, month: date) -> dict[int, Payslip]:
    rows = await session.scalars(select(Payslip).where(Payslip.month == month))
    return {p.teacher_id: p for p in rows.all()}


async def payslips_of_teacher(
    session: AsyncSession, teacher_id: int, *, status: str | None = None, limit: int = 24
) -> Sequence[Payslip]:
    query = select(Payslip).where(Payslip.teacher_id == teacher_id)
    if status is not None:
        query = query.where(Payslip.status == status)
    rows = await session.scalars(query.order_by(Payslip.month.desc()).limit(limit))
    return rows.all()


async def month_list(session: AsyncSession, month: date) -> Sequence[Row[Any]]:
    """(payslip, teacher's name, paid out) of the month's payslips, by name."""
    paid = (
        select(func.coalesce(func.sum(Payout.amount), 0))
        .where(Payout.payslip_id == Payslip.id, Payout.reversed_at.is_(None))
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Payslip, User.full_name, paid)
        .join(User, User.id == Payslip.teacher_id)
        .where(Payslip.month == month)
        .order_by(User.full_name, Payslip.id)
    )
    return rows.all()


async def lines_of(session: AsyncSession, payslip_id: int) -> Sequence[PayslipLine]:
    rows = await session.scalars(
        select(PayslipLine).where(PayslipLine.payslip_id == payslip_id).order_by(PayslipLine.id)
    )
    return rows.all()


async def approved_lines_since(session: AsyncSession, since: date) -> Sequence[Row[Any]]:
    """(teacher, payslip month, kind, group, for month, amount) of the lines of the approved
    payslips of months from `since` on: what earlier months were settled at."""
    rows = await session.execute(
        select(
            Payslip.teacher_id,
            Payslip.month,
            PayslipLine.kind,
            PayslipLine.group_id,
            PayslipLine.for_month,
            PayslipLine.amount,
        )
        .join(PayslipLine, PayslipLine.payslip_id == Payslip.id)
        .where(Payslip.status == PayslipStatus.APPROVED, Payslip.month >= since)
    )
    return rows.all()


async def approved_payslips(session: AsyncSession) -> Sequence[Payslip]:
    rows = await session.scalars(
        select(Payslip)
        .where(Payslip.status == PayslipStatus.APPROVED)
        .order_by(Payslip.month, Payslip.teacher_id)
    )
    return rows.all()


async def add_payslips(
    session: AsyncSession, payslips: Sequence[dict[str, Any]], lines: Sequence[Sequence[dict]]
) -> list[int]:
    """New payslips with their lines (`lines[n]` the rows of `payslips[n]`), in two
    statements however many: their ids, in order."""
    if not payslips:
        return []
    rows = await session.execute(
        insert(Payslip).returning(Payslip.id, sort_by_parameter_order=True), list(payslips)
    )
    ids = list(rows.scalars().all())
    values = [
        dict(row, payslip_id=payslip_id)
        for payslip_id, rows_of in zip(ids, lines, strict=True)
        for row in rows_of
    ]
    if values:
        await session.execute(insert(PayslipLine), values)
    return ids


async def replace_computed_lines(
    session: AsyncSession, payslip_id: int, rows: Sequence[dict[str, Any]]
) -> None:
    """A draft's lines made by the computation (all but the adjustments) replaced by `rows`."""
    await session.execute(
        delete(PayslipLine).where(
            PayslipLine.payslip_id == payslip_id,
            PayslipLine.kind.not_in([PayLineKind.BONUS.value, PayLineKind.DEDUCTION.value]),
        )
    )
    if rows:
        values = [dict(row, payslip_id=payslip_id) for row in rows]
        await session.execute(insert(PayslipLine), values)


async def add_line(session: AsyncSession, **values: Any) -> PayslipLine:
    line = PayslipLine(**values)
    session.add(line)
    await session.flush()
    return line


async def delete_line(session: AsyncSession, line_id: int) -> None:
    await session.execute(delete(PayslipLine).where(PayslipLine.id == line_id))


async def line_total(session: AsyncSession, payslip_id: int) -> int:
    found = await session.scalar(
        select(func.coalesce(func.sum(PayslipLine.amount), 0)).where(
            PayslipLine.payslip_id == payslip_id
        )
    )
    return int(found or 0)


# --- payouts ----------------------------------------------------------------------------------


async def paid_out(session: AsyncSession, payslip_id: int) -> int:
    found = await session.scalar(
        select(func.coalesce(func.sum(Payout.amount), 0)).where(
            Payout.payslip_id == payslip_id, Payout.reversed_at.is_(None)
        )
    )
    return int(found or 0)


async def payouts_of(session: AsyncSession, payslip_id: int) -> Sequence[Payout]:
    rows = await session.scalars(
        select(Payout).where(Payout.payslip_id == payslip_id).order_by(Payout.paid_at, Payout.id)
    )
    return rows.all()


async def payout(session: AsyncSession, payout_id: int) -> Payout | None:
    return await session.get(Payout, payout_id)


async def add_payout(session: AsyncSession, **values: Any) -> Payout:
    row = Payout(**values)
    session.add(row)
    await session.flush()
    return row


async def reverse_payout(
    session: AsyncSession, payout_id: int, by: int | None, reason: str, now: datetime
) -> bool:
    """Mark the payout reversed unless it already is; whether this call did it."""
    done = await session.execute(
        update(Payout)
        .where(Payout.id == payout_id, Payout.reversed_at.is_(None))
        .values(reversed_at=now, reversed_by_id=by, reversal_reason=reason)
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]
