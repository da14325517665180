"""Ledger queries: charges, payments, refunds and the running balance. Never commits.

Balance changes are single statements (`amount = amount + :delta`, the row created by an
upsert), so two transactions changing one student's balance never lose an update.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Row,
    bindparam,
    case,
    delete,
    func,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db import report_totals
from db.models import (
    Balance,
    Charge,
    Course,
    Enrolment,
    EnrolmentFreeze,
    Group,
    Lesson,
    ParentLink,
    Payment,
    Refund,
    ScheduleSlot,
    User,
)
from db.repositories.dialect import insert_for

INSERT_CHUNK = 500


# --- balances -----------------------------------------------------------------------------


async def add_to_balance(session: AsyncSession, student_id: int, delta: int, now: datetime) -> int:
    """Add `delta` to the student's balance (creating the row); returns the new amount."""
    insert = insert_for(session)
    statement = insert(Balance).values(student_id=student_id, amount=delta, updated_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[Balance.student_id],
        set_={
            "amount": Balance.amount + statement.excluded.amount,
            "updated_at": statement.excluded.updated_at,
        },
    ).returning(Balance.amount)
    return int((await session.execute(statement)).scalar_one())


async def add_to_balances(session: AsyncSession, deltas: dict[int, int], now: datetime) -> None:
    """Many students at once, in student order (a steady lock order on PostgreSQL)."""
    for student_id in sorted(deltas):
        if deltas[student_id]:
            await add_to_balance(session, student_id, deltas[student_id], now)


async def take_from_credit(
    session: AsyncSession, student_id: int, amount: int, now: datetime
) -> int | None:
    """Lower the balance by `amount` only when it holds at least that much credit."""
    statement = (
        update(Balance)
        .where(Balance.student_id == student_id, Balance.amount >= amount)
        .values(amount=Balance.amount - amount, updated_at=now)
        .returning(Balance.amount)
    )
    value = (await session.execute(statement)).scalar_one_or_none()
    return None if value is None else int(value)


async def add_to_anon_balance(
    session: AsyncSession, anon_ref: str, delta: int, now: datetime
) -> None:
    """An erased person's balance (kept under anon_ref); only the recompute fix needs it."""
    result = await session.execute(
        update(Balance)
        .where(Balance.anon_ref == anon_ref, Balance.student_id.is_(None))
        .values(amount=Balance.amount + delta, updated_at=now)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        session.add(Balance(student_id=None, anon_ref=anon_ref, amount=delta, updated_at=now))
        await session.flush()


# The statement a student's /balance shows is five queries, built once each (constructing a
# statement and its cache key costs more than running it).
_BALANCE_OF = select(Balance.amount).where(Balance.student_id == bindparam("student_id"))


async def balance_of(session: AsyncSession, student_id: int) -> int:
    value = await session.scalar(_BALANCE_OF, {"student_id": student_id})
    return int(value or 0)


# --- payments and refunds -----------------------------------------------------------------


async def insert_payment(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """The new payment's id, or None when its external id is already recorded."""
    statement = insert_for(session)(Payment).values(**values)
    if values.get("external_id") is not None:
        statement = statement.on_conflict_do_nothing(index_elements=[Payment.external_id])
    report_totals.touch_moments(session, values.get("paid_at"), values.get("reversed_at"))
    statement = statement.returning(Payment.id).execution_options(**report_totals.TOUCHED)
    return (await session.execute(statement)).scalar_one_or_none()


async def delete_unreversed_payments(
    session: AsyncSession, payment_ids: Iterable[int]
) -> list[Row[Any]]:
    """Delete these payments unless reversed since (their moments' totals touched):
    (student_id, amount) of each row deleted, for the caller to move the balances back."""
    ids = list(payment_ids)
    if not ids:
        return []
    moments = await session.scalars(
        select(Payment.paid_at).where(Payment.id.in_(ids), Payment.reversed_at.is_(None))
    )
    report_totals.touch_moments(session, *moments)
    statement = (
        delete(Payment)
        .where(Payment.id.in_(ids), Payment.reversed_at.is_(None))
        .returning(Payment.student_id, Payment.amount)
        .execution_options(**report_totals.TOUCHED)
    )
    return list((await session.execute(statement)).all())


async def get_payment(session: AsyncSession, payment_id: int) -> Payment | None:
    return await session.scalar(
        select(Payment).where(Payment.id == payment_id).execution_options(populate_existing=True)
    )


async def payment_by_external_id(session: AsyncSession, external_id: str) -> Payment | None:
    return await session.scalar(select(Payment).where(Payment.external_id == external_id))


async def mark_reversed(
    session: AsyncSession, payment_id: int, actor_id: int | None, reason: str, now: datetime
) -> Row[Any] | None:
    """(student_id, amount) of the payment if this call reversed it; None otherwise."""
    statement = (
        update(Payment)
        .where(
            Payment.id == payment_id,
            Payment.reversed_at.is_(None),
            Payment.student_id.is_not(None),
        )
        .values(reversed_at=now, reversed_by_id=actor_id, reversal_reason=reason)
        .returning(Payment.student_id, Payment.amount)
        .execution_options(**report_totals.TOUCHED)
    )
    report_totals.touch_moments(session, now)
    return (await session.execute(statement)).one_or_none()


async def insert_refund(session: AsyncSession, values: dict[str, Any]) -> Refund:
    row = Refund(**values)
    session.add(row)
    await session.flush()
    return row


_LAST_PAYMENTS = (
    select(Payment)
    .where(Payment.student_id == bindparam("student_id"))
    .order_by(Payment.paid_at.desc(), Payment.id.desc())
    .limit(bindparam("limit"))
)


async def last_payments(session: AsyncSession, student_id: int, limit: int) -> Sequence[Payment]:
    parameters = {"student_id": student_id, "limit": limit}
    return (await session.scalars(_LAST_PAYMENTS, parameters)).all()


_LAST_REFUNDS = (
    select(Refund)
    .where(Refund.student_id == bindparam("student_id"))
    .order_by(Refund.refunded_at.desc(), Refund.id.desc())
    .limit(bindparam("limit"))
)


async def last_refunds(session: AsyncSession, student_id: int, limit: int) -> Sequence[Refund]:
    parameters = {"student_id": student_id, "limit": limit}
    return (await session.scalars(_LAST_REFUNDS, parameters)).all()


# --- charges ------------------------------------------------------------------------------


async def insert_charges(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[Row[Any]]:
    """Insert charges, skipping any (enrolment, period) that exists: (id, student_id, amount)
    of the rows this call inserted, and only those."""
    inserted: list[Row[Any]] = []
    insert = insert_for(session)
    report_totals.touch_periods(session, {row["period"] for row in rows})
    for start in range(0, len(rows), INSERT_CHUNK):
        statement = (
            insert(Charge)
            .values(list(rows[start : start + INSERT_CHUNK]))
            .on_conflict_do_nothing(index_elements=[Charge.enrolment_id, Charge.period])
            .returning(Charge.id, Charge.student_id, Charge.amount)
            .execution_options(**report_totals.TOUCHED)
        )
        inserted += (await session.execute(statement)).all()
    return inserted


async def delete_charges(session: AsyncSession, charge_ids: Iterable[int]) -> list[Row[Any]]:
    """Delete these charges (their months' totals touched): (student_id, amount) of each
    row deleted, for the caller to move the balances back."""
    ids = list(charge_ids)
    if not ids:
        return []
    periods = await session.scalars(select(Charge.period).where(Charge.id.in_(ids)).distinct())
    report_totals.touch_periods(session, set(periods))
    statement = (
        delete(Charge)
        .where(Charge.id.in_(ids))
        .returning(Charge.student_id, Charge.amount)
        .execution_options(**report_totals.TOUCHED)
    )
    return list((await session.execute(statement)).all())


async def charge_of(session: AsyncSession, enrolment_id: int, period: date) -> Charge | None:
    return await session.scalar(
        select(Charge).where(Charge.enrolment_id == enrolment_id, Charge.period == period)
    )


async def charged_enrolments(
    session: AsyncSession, period: date, enrolment_ids: Iterable[int]
) -> set[int]:
    ids = list(enrolment_ids)
    if not ids:
        return set()
    rows = await session.scalars(
        select(Charge.enrolment_id).where(Charge.period == period, Charge.enrolment_id.in_(ids))
    )
    return {row for row in rows if row is not None}


_LAST_CHARGES = (
    select(Charge, Group.name)
    .outerjoin(Enrolment, Enrolment.id == Charge.enrolment_id)
    .outerjoin(Group, Group.id == Enrolment.group_id)
    .where(Charge.student_id == bindparam("student_id"))
    .order_by(Charge.period.desc(), Charge.id.desc())
    .limit(bindparam("limit"))
)


async def last_charges(session: AsyncSession, student_id: int, limit: int) -> Sequence[Row[Any]]:
    """(Charge, group name) newest period first."""
    parameters = {"student_id": student_id, "limit": limit}
    return (await session.execute(_LAST_CHARGES, parameters)).all()


_MONTH_CHARGE_TOTAL = select(func.coalesce(func.sum(Charge.amount), 0)).where(
    Charge.student_id == bindparam("student_id"),
    Charge.period == bindparam("period"),
    Charge.cancelled_at.is_(None),
)


async def month_charge_total(session: AsyncSession, student_id: int, period: date) -> int:
    value = await session.scalar(_MONTH_CHARGE_TOTAL, {"student_id": student_id, "period": period})
    return int(value or 0)


# --- what a month's charge run reads ------------------------------------------------------


async def month_enrolments(
    session: AsyncSession,
    first: date,
    last: date,
    *,
    student_ids: Iterable[int] | None = None,
) -> Sequence[Row[Any]]:
    """(Enrolment, monthly price) of live students seated at some time in [first, last]."""
    query = (
        select(Enrolment, func.coalesce(Group.price_override, Course.monthly_price))
        .join(Group, Group.id == Enrolment.group_id)
        .join(Course, Course.id == Group.course_id)
        .join(User, User.id == Enrolment.student_id)
        .where(
            Enrolment.joined_on <= last,
            or_(Enrolment.left_on.is_(None), Enrolment.left_on > first),
            User.deleted_at.is_(None),
        )
        .order_by(Enrolment.id)
    )
    if student_ids is not None:
        query = query.where(Enrolment.student_id.in_(list(student_ids)))
    return (await session.execute(query)).all()


async def students_of_enrolments(session: AsyncSession, enrolment_ids: Iterable[int]) -> set[int]:
    ids = list(enrolment_ids)
    rows = await session.scalars(select(Enrolment.student_id).where(Enrolment.id.in_(ids)))
    return set(rows)


async def families(session: AsyncSession, student_ids: Iterable[int]) -> set[int]:
    """The students and every child of their parents (siblings through any parent)."""
    ids = set(student_ids)
    if not ids:
        return ids
    parents = select(ParentLink.parent_id).where(ParentLink.student_id.in_(ids))
    rows = await session.scalars(
        select(ParentLink.student_id).where(ParentLink.parent_id.in_(parents))
    )
    return ids | set(rows)


async def parent_links(session: AsyncSession, student_ids: Iterable[int]) -> Sequence[Row[Any]]:
    """(parent_id, student_id) of these students' links to live parents."""
    ids = list(student_ids)
    if not ids:
        return []
    return (
        await session.execute(
            select(ParentLink.parent_id, ParentLink.student_id)
            .join(User, User.id == ParentLink.parent_id)
            .where(ParentLink.student_id.in_(ids), User.deleted_at.is_(None))
        )
    ).all()


async def groups_of(session: AsyncSession, group_ids: Iterable[int]) -> Sequence[Group]:
    ids = list(group_ids)
    return (await session.scalars(select(Group).where(Group.id.in_(ids)))).all() if ids else []


async def slots_of(session: AsyncSession, group_ids: Iterable[int]) -> Sequence[ScheduleSlot]:
    ids = list(group_ids)
    if not ids:
        return []
    return (await session.scalars(select(ScheduleSlot).where(ScheduleSlot.group_id.in_(ids)))).all()


async def lessons_between(
    session: AsyncSession, group_ids: Iterable[int], start: datetime, end: datetime
) -> Sequence[Row[Any]]:
    """(group_id, starts_at, status) of lesson rows with start <= starts_at < end."""
    ids = list(group_ids)
    if not ids:
        return []
    return (
        await session.execute(
            select(Lesson.group_id, Lesson.starts_at, Lesson.status).where(
                Lesson.group_id.in_(ids), Lesson.starts_at >= start, Lesson.starts_at < end
            )
        )
    ).all()


async def freezes_of(
    session: AsyncSession, enrolment_ids: Iterable[int]
) -> Sequence[EnrolmentFreeze]:
    ids = list(enrolment_ids)
    if not ids:
        return []
    return (
        await session.scalars(select(EnrolmentFreeze).where(EnrolmentFreeze.enrolment_id.in_(ids)))
    ).all()


async def start_freeze(session: AsyncSession, enrolment_id: int, starts_on: date) -> None:
    session.add(EnrolmentFreeze(enrolment_id=enrolment_id, starts_on=starts_on))
    await session.flush()


async def end_freeze(session: AsyncSession, enrolment_id: int, ends_on: date) -> int:
    """Close the enrolment's open freezes on `ends_on` (never before they started)."""
    later = case((EnrolmentFreeze.starts_on > ends_on, EnrolmentFreeze.starts_on), else_=ends_on)
    result = await session.execute(
        update(EnrolmentFreeze)
        .where(EnrolmentFreeze.enrolment_id == enrolment_id, EnrolmentFreeze.ends_on.is_(None))
        .values(ends_on=later)
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


# --- open charges, debtors ----------------------------------------------------------------


def _credits(ids: list[int]):
    """(student_id, credit): payments not reversed − refunds, per student."""
    paid = select(Payment.student_id.label("student_id"), Payment.amount.label("amount")).where(
        Payment.student_id.in_(ids), Payment.reversed_at.is_(None)
    )
    refunded = select(Refund.student_id, -Refund.amount).where(Refund.student_id.in_(ids))
    moves = union_all(paid, refunded).subquery()
    return (
        select(moves.c.student_id, func.sum(moves.c.amount).label("credit"))
        .group_by(moves.c.student_id)
        .subquery()
    )


async def open_charges(session: AsyncSession, student_ids: Sequence[int]) -> Sequence[Row[Any]]:
    """(id, student_id, period, due_date, amount, uncovered) of charges the student's credit
    does not fully cover, FIFO by (due_date, id); uncovered = running total − credit."""
    ids = list(student_ids)
    if not ids:
        return []
    running = (
        select(
            Charge.id,
            Charge.student_id,
            Charge.period,
            Charge.due_date,
            Charge.amount,
            func.sum(Charge.amount)
            .over(partition_by=Charge.student_id, order_by=(Charge.due_date, Charge.id))
            .label("running"),
        )
        .where(Charge.student_id.in_(ids), Charge.cancelled_at.is_(None), Charge.amount > 0)
        .subquery()
    )
    credits = _credits(ids)
    uncovered = running.c.running - func.coalesce(credits.c.credit, 0)
    return (
        await session.execute(
            select(
                running.c.id,
                running.c.student_id,
                running.c.period,
                running.c.due_date,
                running.c.amount,
                uncovered.label("uncovered"),
            )
            .outerjoin(credits, credits.c.student_id == running.c.student_id)
            .where(uncovered > 0)
            .order_by(running.c.student_id, running.c.due_date, running.c.id)
        )
    ).all()


async def debtor_ids(session: AsyncSession) -> list[int]:
    rows = await session.scalars(
        select(Balance.student_id).where(Balance.amount < 0, Balance.student_id.is_not(None))
    )
    return list(rows)


async def count_debtors(session: AsyncSession) -> int:
    value = await session.scalar(
        select(func.count())
        .select_from(Balance)
        .where(Balance.amount < 0, Balance.student_id.is_not(None))
    )
    return int(value or 0)


async def debtors_page(session: AsyncSession, offset: int, limit: int) -> Sequence[Row[Any]]:
    """(student_id, full_name, amount) with the largest debt first (balances.amount index)."""
    return (
        await session.execute(
            select(Balance.student_id, User.full_name, Balance.amount)
            .join(User, User.id == Balance.student_id)
            .where(Balance.amount < 0)
            .order_by(Balance.amount, Balance.id)
            .offset(offset)
            .limit(limit)
        )
    ).all()


# --- checking the balances against the ledger ----------------------------------------------


async def balance_differences(session: AsyncSession) -> Sequence[Row[Any]]:
    """(student_id, anon_ref, stored, expected) wherever balances disagree with the ledger.

    One set-based query: every ledger row and every stored balance as (owner, ledger,
    stored), summed per owner (a student, or an erased person's anon_ref)."""
    zero = literal(0)
    parts = union_all(
        select(Payment.student_id, Payment.anon_ref, Payment.amount, zero).where(
            Payment.reversed_at.is_(None)
        ),
        select(Charge.student_id, Charge.anon_ref, -Charge.amount, zero).where(
            Charge.cancelled_at.is_(None)
        ),
        select(Refund.student_id, Refund.anon_ref, -Refund.amount, zero),
        select(Balance.student_id, Balance.anon_ref, zero, Balance.amount),
    ).subquery()
    student_id, anon_ref, ledger, stored = parts.c
    # anon_ref counts only for rows without a student (a student's rows group by id)
    anon = case((student_id.is_(None), anon_ref), else_=None)
    expected = func.sum(ledger)
    kept = func.sum(stored)
    return (
        await session.execute(
            select(student_id, anon, kept, expected)
            .group_by(student_id, anon)
            .having(expected != kept)
            .order_by(student_id, anon)
        )
    ).all()


async def count_balances(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Balance)) or 0)


async def names_of(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, str | None]:
    ids = list(user_ids)
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.full_name).where(User.id.in_(ids)))
    return {row.id: row.full_name for row in rows}
