"""The money ledger: monthly charges, payments, reversals, refunds and running balances.

Money is whole so'm (int) everywhere, never a float.

Balance = payments not reversed − charges not cancelled − refunds. It is kept per student
in `balances` and changed in the same transaction as each ledger row, by one atomic
statement (`amount = amount + delta`), never read-modify-write. `recompute_balances`
checks it against the ledger.

Monthly charges (`charge_month`)
--------------------------------
Every enrolment seated at some time during the month is charged

    price × share × (100 − discount)% × (100 − sibling)%

* price: the group's price override, else the course's monthly price.
* share = lessons charged / lessons of the month. The month's lessons are the group's
  weekly slots laid on the calendar (centre time zone, within the group's dates), minus
  lesson rows cancelled, plus lesson rows at other times (moved or extra lessons): lesson
  rows need not exist yet for the whole month. A lesson is charged when its local day is on
  or after joined_on, before left_on and outside every freeze [starts_on, ends_on).
* sibling: settings.reminders.sibling_discount_percent for the second and later child of a
  parent (children ordered by the earliest joined_on of their charged enrolments of the
  month, then user id).
* Rounding: the exact fraction is rounded half up to whole so'm once, at the end
  (`round_half_up`), with integer arithmetic only.
* A charge that comes to 0 (fully frozen, 100 % discount, no lessons) is not written: the
  daily run looks at the enrolment again, so one unfrozen later in the month is charged
  for the lessons left. A move after the month was charged writes a 0 charge for the new
  enrolment (the month stays paid by the old one) — the only zero rows.
* due_date: the month's payment_due_day, or the join date when the student joined after it.

Rows are inserted with ON CONFLICT (enrolment_id, period) DO NOTHING RETURNING, and only the
rows actually inserted move balances, in the same transaction: running twice, twice at
once, or again after a crash changes nothing more.

A charge made in advance is not reduced when the student leaves or freezes later in the
same month (corrections are a refund or the next month's business).
"""

import calendar
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.parsing import MONEY_MAX
from db.base import utcnow
from db.models import Group, GroupStatus, LessonStatus, Payment, PaymentMethod, Refund, Role, User
from db.repositories import academic as academic_repo
from db.repositories.payments import ledger as repo

MAX_TEXT = 500


class LedgerOutcome(StrEnum):
    DONE = "done"
    MISSING = "missing"
    NOT_A_STUDENT = "not_a_student"
    DUPLICATE = "duplicate"
    ALREADY_REVERSED = "already_reversed"
    EXCEEDS_CREDIT = "exceeds_credit"


@dataclass(frozen=True, slots=True)
class PaymentInfo:
    id: int
    student_id: int | None
    amount: int
    method: PaymentMethod
    paid_at: datetime
    note: str | None
    reversed_at: datetime | None
    reversal_reason: str | None
    external_id: str | None
    received_by_id: int | None = None

    @property
    def reversed(self) -> bool:
        return self.reversed_at is not None


@dataclass(frozen=True, slots=True)
class PaymentResult:
    outcome: LedgerOutcome
    payment: PaymentInfo | None = None
    balance: int = 0  # the student's balance after it (0 when nothing was written)


@dataclass(frozen=True, slots=True)
class RefundInfo:
    id: int
    student_id: int | None
    amount: int
    method: PaymentMethod
    reason: str
    refunded_at: datetime
    refunded_by_id: int | None = None


@dataclass(frozen=True, slots=True)
class RefundResult:
    outcome: LedgerOutcome
    refund: RefundInfo | None = None
    balance: int = 0  # the student's balance after it (0 when nothing was written)


@dataclass(frozen=True, slots=True)
class ChargeLine:
    id: int
    period: date
    amount: int
    due_date: date
    enrolment_id: int | None
    group_name: str | None
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class Statement:
    balance: int
    month_charge: int
    charges: list[ChargeLine]
    payments: list[PaymentInfo]
    refunds: list[RefundInfo]


@dataclass(frozen=True, slots=True)
class OpenCharge:
    charge_id: int
    student_id: int
    period: date
    due_date: date
    amount: int
    unpaid: int


@dataclass(frozen=True, slots=True)
class Debtor:
    student_id: int
    name: str
    debt: int  # positive so'm owed
    oldest_due: date | None
    days_overdue: int


@dataclass(frozen=True, slots=True)
class BalanceDifference:
    student_id: int | None
    anon_ref: str | None
    stored: int
    expected: int

    @property
    def delta(self) -> int:
        return self.expected - self.stored


@dataclass(slots=True)
class ChargeRun:
    period: date
    enrolments: int = 0  # seated during the month (or the ones asked for)
    created: int = 0
    existing: int = 0  # already charged for the month
    zero: int = 0  # came to 0: not written
    total: int = 0  # so'm charged by this run
    skipped: bool = False  # before the charge day: nothing done
    charge_ids: list[int] = field(default_factory=list)


# --- validation ---------------------------------------------------------------------------


def check_amount(amount: int) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("money is an integer number of so'm")
    if not 0 < amount <= MONEY_MAX:
        raise ValueError(f"an amount is 1..{MONEY_MAX} so'm")
    return amount


def _text(value: str | None, *, required: bool) -> str | None:
    value = (value or "").strip() or None
    if required and value is None:
        raise ValueError("a reason is required")
    if value is not None and len(value) > MAX_TEXT:
        raise ValueError(f"at most {MAX_TEXT} characters")
    return value


def payment_info(row: Payment) -> PaymentInfo:
    return PaymentInfo(
        id=row.id,
        student_id=row.student_id,
        amount=int(row.amount),
        method=PaymentMethod(row.method),
        paid_at=row.paid_at,
        note=row.note,
        reversed_at=row.reversed_at,
        reversal_reason=row.reversal_reason,
        external_id=row.external_id,
        received_by_id=row.received_by_id,
    )


def refund_info(row: Refund) -> RefundInfo:
    return RefundInfo(
        id=row.id,
        student_id=row.student_id,
        amount=int(row.amount),
        method=PaymentMethod(row.method),
        reason=row.reason,
        refunded_at=row.refunded_at,
        refunded_by_id=row.refunded_by_id,
    )


MAX_ID = 2**63 - 1  # larger ids (forged input) exist nowhere and overflow the drivers


def _valid_id(value: int) -> bool:
    return isinstance(value, int) and 0 < value <= MAX_ID


async def _live_user(session: AsyncSession, user_id: int) -> User | None:
    if not _valid_id(user_id):
        return None
    user = await session.get(User, user_id)
    return None if user is None or user.deleted_at is not None else user


# --- payments, reversals, refunds ---------------------------------------------------------


async def _payment_done(session: AsyncSession, payment_id: int, new_balance: int) -> PaymentResult:
    """DONE, with the payment row read back after the commit."""
    row = await repo.get_payment(session, payment_id)
    assert row is not None
    return PaymentResult(LedgerOutcome.DONE, payment_info(row), new_balance)


async def record_payment(
    session: AsyncSession,
    *,
    actor_id: int | None,
    student_id: int,
    amount: int,
    method: PaymentMethod,
    note: str | None,
    now: datetime,
    external_id: str | None = None,
) -> PaymentResult:
    """The payment, the balance and the audit entry in one transaction; commits.

    A repeated external_id (a provider's callback twice) → DUPLICATE with the payment
    already recorded, nothing changed. Raises ValueError / TypeError on a bad amount."""
    check_amount(amount)
    method = PaymentMethod(method)
    note = _text(note, required=False)
    if await _live_user(session, student_id) is None:
        return PaymentResult(LedgerOutcome.MISSING)
    if await academic_repo.holds_role(session, student_id, Role.STUDENT) is None:
        return PaymentResult(LedgerOutcome.NOT_A_STUDENT)
    payment_id = await repo.insert_payment(
        session,
        {
            "student_id": student_id,
            "amount": amount,
            "method": method.value,
            "paid_at": now,
            "received_by_id": actor_id,
            "note": note,
            "external_id": external_id,
            "created_at": now,
        },
    )
    if payment_id is None:
        await session.rollback()
        existing = await repo.payment_by_external_id(session, external_id or "")
        return PaymentResult(
            LedgerOutcome.DUPLICATE,
            None if existing is None else payment_info(existing),
            await repo.balance_of(session, student_id),
        )
    new_balance = await repo.add_to_balance(session, student_id, amount, now)
    await audit.record(
        session,
        actor_id,
        "payment.recorded",
        "payment",
        payment_id,
        details={
            "student_id": student_id,
            "amount": amount,
            "method": method.value,
            "external": external_id is not None,
            "balance": new_balance,
        },
    )
    await session.commit()
    return await _payment_done(session, payment_id, new_balance)


async def reverse_payment(
    session: AsyncSession,
    *,
    actor_id: int | None,
    payment_id: int,
    reason: str,
    now: datetime,
) -> PaymentResult:
    """Mark the payment reversed (it stays listed) and take its amount off the balance."""
    reason = _text(reason, required=True) or ""
    if not _valid_id(payment_id):
        return PaymentResult(LedgerOutcome.MISSING)
    reversed_row = await repo.mark_reversed(session, payment_id, actor_id, reason, now)
    if reversed_row is None:
        await session.rollback()
        row = await repo.get_payment(session, payment_id)
        if row is None or row.student_id is None:
            return PaymentResult(LedgerOutcome.MISSING)
        return PaymentResult(
            LedgerOutcome.ALREADY_REVERSED,
            payment_info(row),
            await repo.balance_of(session, row.student_id),
        )
    student_id, amount = reversed_row.student_id, int(reversed_row.amount)
    new_balance = await repo.add_to_balance(session, student_id, -amount, now)
    await audit.record(
        session,
        actor_id,
        "payment.reversed",
        "payment",
        payment_id,
        details={"student_id": student_id, "amount": amount, "balance": new_balance},
    )
    await session.commit()
    return await _payment_done(session, payment_id, new_balance)


async def record_refund(
    session: AsyncSession,
    *,
    actor_id: int | None,
    student_id: int,
    amount: int,
    method: PaymentMethod,
    reason: str,
    now: datetime,
) -> RefundResult:
    """Pay back part or all of a credit: refused (EXCEEDS_CREDIT) beyond the credit held.

    The credit check and the balance change are one conditional UPDATE, so two refunds at
    once cannot both spend the same credit."""
    check_amount(amount)
    method = PaymentMethod(method)
    reason = _text(reason, required=True) or ""
    if await _live_user(session, student_id) is None:
        return RefundResult(LedgerOutcome.MISSING)
    new_balance = await repo.take_from_credit(session, student_id, amount, now)
    if new_balance is None:
        await session.rollback()
        return RefundResult(
            LedgerOutcome.EXCEEDS_CREDIT, balance=await repo.balance_of(session, student_id)
        )
    row = await repo.insert_refund(
        session,
        {
            "student_id": student_id,
            "amount": amount,
            "method": method.value,
            "reason": reason,
            "refunded_by_id": actor_id,
            "refunded_at": now,
        },
    )
    await audit.record(
        session,
        actor_id,
        "refund.recorded",
        "refund",
        row.id,
        details={
            "student_id": student_id,
            "amount": amount,
            "method": method.value,
            "balance": new_balance,
        },
    )
    info = refund_info(row)
    await session.commit()
    return RefundResult(LedgerOutcome.DONE, info, new_balance)


# --- reads --------------------------------------------------------------------------------


async def balance(session: AsyncSession, student_id: int) -> int:
    """> 0 credit, < 0 debt."""
    return await repo.balance_of(session, student_id) if _valid_id(student_id) else 0


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


async def statement(
    session: AsyncSession, student_id: int, *, today: date, limit: int = 5
) -> Statement:
    """Balance, this month's charge, the last `limit` charges, payments and refunds."""
    if not _valid_id(student_id):
        return Statement(0, 0, [], [], [])
    charges = [
        ChargeLine(
            id=row.id,
            period=row.period,
            amount=int(row.amount),
            due_date=row.due_date,
            enrolment_id=row.enrolment_id,
            group_name=name,
            cancelled=row.cancelled_at is not None,
        )
        for row, name in await repo.last_charges(session, student_id, limit)
    ]
    return Statement(
        balance=await repo.balance_of(session, student_id),
        month_charge=await repo.month_charge_total(session, student_id, month_start(today)),
        charges=charges,
        payments=[
            payment_info(row) for row in await repo.last_payments(session, student_id, limit)
        ],
        refunds=[refund_info(row) for row in await repo.last_refunds(session, student_id, limit)],
    )


async def open_charges(
    session: AsyncSession, *, student_ids: Sequence[int] | None = None
) -> list[OpenCharge]:
    """Charges not fully covered: each student's credit (payments − refunds) pays their
    charges in (due_date, id) order. Without student_ids: every student in debt (only a
    negative balance can leave a charge open, so the balances index finds them)."""
    if student_ids is None:
        ids = await repo.debtor_ids(session)
    else:
        ids = [sid for sid in student_ids if _valid_id(sid)]
    result = []
    for start in range(0, len(ids), 5000):
        for row in await repo.open_charges(session, ids[start : start + 5000]):
            amount = int(row.amount)
            result.append(
                OpenCharge(
                    charge_id=row.id,
                    student_id=row.student_id,
                    period=row.period,
                    due_date=row.due_date,
                    amount=amount,
                    unpaid=min(amount, int(row.uncovered)),
                )
            )
    return result


async def debtors(
    session: AsyncSession, *, today: date, offset: int, limit: int
) -> tuple[list[Debtor], int]:
    """A page of students in debt, largest debt first, and how many there are in all.

    Reads the balances table (indexed amount); days overdue come from the oldest open
    charge's due date, computed for this page's students only."""
    rows = await repo.debtors_page(session, offset, limit)
    oldest: dict[int, date] = {}
    for charge in await open_charges(session, student_ids=[row.student_id for row in rows]):
        oldest.setdefault(charge.student_id, charge.due_date)  # FIFO: the first is the oldest
    items = []
    for row in rows:
        due = oldest.get(row.student_id)
        items.append(
            Debtor(
                student_id=row.student_id,
                name=row.full_name or "—",
                debt=-int(row.amount),
                oldest_due=due,
                days_overdue=max(0, (today - due).days) if due else 0,
            )
        )
    return items, await repo.count_debtors(session)


# --- checking balances --------------------------------------------------------------------


async def recompute_balances(
    session: AsyncSession, *, fix: bool = False, actor_id: int | None = None
) -> list[BalanceDifference]:
    """Every balance recomputed from the ledger in one set-based query; the differences.

    fix=True adds each difference to the stored balance (a delta, so payments committed
    meanwhile are not lost), audits and commits."""
    differences = [
        BalanceDifference(row[0], row[1], int(row[2] or 0), int(row[3] or 0))
        for row in await repo.balance_differences(session)
    ]
    if not fix:
        await session.rollback()
        return differences
    if differences:
        now = utcnow()
        for item in differences:
            if item.student_id is not None:
                await repo.add_to_balance(session, item.student_id, item.delta, now)
            elif item.anon_ref is not None:
                await repo.add_to_anon_balance(session, item.anon_ref, item.delta, now)
        await audit.record(
            session,
            actor_id,
            "balances.fixed",
            "balance",
            details={
                "differences": len(differences),
                "students": [item.student_id for item in differences[:50]],
                "total_delta": sum(item.delta for item in differences),
            },
        )
    await session.commit()
    return differences


# --- monthly charges ----------------------------------------------------------------------


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up to a whole number (both ≥ 0, integers)."""
    return (2 * numerator + denominator) // (2 * denominator)


def charge_amount(
    price: int, charged: int, lessons: int, discount_percent: int, sibling_percent: int
) -> int:
    """price × charged/lessons × (100 − discount)% × (100 − sibling)%, rounded half up once."""
    if lessons <= 0 or charged <= 0:
        return 0
    numerator = price * charged * (100 - discount_percent) * (100 - sibling_percent)
    return round_half_up(numerator, lessons * 100 * 100)


def month_lesson_days(
    group: Group,
    slots: Iterable[Any],
    lesson_rows: Iterable[Any],
    period: date,
    tz: ZoneInfo,
) -> list[date]:
    """Local days of the group's lessons in the month (one entry per lesson).

    Slots (weekday, start_time local) laid on the month within the group's dates, minus
    lesson rows cancelled, plus lesson rows at a time no slot has (moved, extra). A group
    that no longer runs counts only its lesson rows."""
    first, last = month_start(period), month_end(period)
    planned: set[datetime] = set()
    if group.status == GroupStatus.ACTIVE:
        start = max(first, group.start_date)
        end = last if group.end_date is None else min(last, group.end_date)
        for slot in slots:
            day = start + timedelta(days=(slot.weekday - start.weekday()) % 7)
            while day <= end:
                planned.add(datetime.combine(day, slot.start_time, tzinfo=tz).astimezone(UTC))
                day += timedelta(days=7)
    for row in lesson_rows:
        if row.status == LessonStatus.CANCELLED:
            planned.discard(row.starts_at)
        else:
            planned.add(row.starts_at)
    return sorted(moment.astimezone(tz).date() for moment in planned)


def charged_days(
    days: Sequence[date], joined_on: date, left_on: date | None, freezes: Iterable[Any]
) -> int:
    spans = [(item.starts_on, item.ends_on) for item in freezes]

    def counts(day: date) -> bool:
        if day < joined_on or (left_on is not None and day >= left_on):
            return False
        return not any(s <= day and (e is None or day < e) for s, e in spans)

    return sum(1 for day in days if counts(day))


def local_month_bounds(period: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the month in the centre's zone."""
    first = month_start(period)
    following = month_end(period) + timedelta(days=1)
    return (
        datetime.combine(first, time(0), tzinfo=tz).astimezone(UTC),
        datetime.combine(following, time(0), tzinfo=tz).astimezone(UTC),
    )


@dataclass(slots=True)
class _Candidate:
    enrolment: Any
    price: int
    charged: int = 0
    lessons: int = 0
    sibling: int = 0

    def amount(self) -> int:
        return charge_amount(
            self.price, self.charged, self.lessons, self.enrolment.discount_percent, self.sibling
        )


async def _candidates(
    session: AsyncSession, period: date, tz: ZoneInfo, student_ids: set[int] | None
) -> list[_Candidate]:
    first, last = month_start(period), month_end(period)
    rows = await repo.month_enrolments(session, first, last, student_ids=student_ids)
    candidates = [_Candidate(row[0], int(row[1])) for row in rows]
    group_ids = {item.enrolment.group_id for item in candidates}
    groups = {group.id: group for group in await repo.groups_of(session, group_ids)}
    slots: dict[int, list[Any]] = defaultdict(list)
    for slot in await repo.slots_of(session, group_ids):
        slots[slot.group_id].append(slot)
    start, end = local_month_bounds(period, tz)
    lessons: dict[int, list[Any]] = defaultdict(list)
    for row in await repo.lessons_between(session, group_ids, start, end):
        lessons[row.group_id].append(row)
    days = {
        gid: month_lesson_days(groups[gid], slots[gid], lessons[gid], period, tz)
        for gid in group_ids
    }
    freezes: dict[int, list[Any]] = defaultdict(list)
    for item in await repo.freezes_of(session, [c.enrolment.id for c in candidates]):
        freezes[item.enrolment_id].append(item)
    for item in candidates:
        enrolment = item.enrolment
        group_days = days[enrolment.group_id]
        item.lessons = len(group_days)
        item.charged = charged_days(
            group_days, enrolment.joined_on, enrolment.left_on, freezes[enrolment.id]
        )
    return candidates


async def _apply_sibling_discount(
    session: AsyncSession, candidates: list[_Candidate], percent: int
) -> None:
    """The second and later child of a parent (by earliest joined_on, then id) get `percent`."""
    if not percent:
        return
    first_joined: dict[int, date] = {}
    for item in candidates:
        if item.amount() > 0:
            student = item.enrolment.student_id
            joined = item.enrolment.joined_on
            first_joined[student] = min(first_joined.get(student, joined), joined)
    children: dict[int, list[int]] = defaultdict(list)
    for parent_id, student_id in await repo.parent_links(session, first_joined):
        children[parent_id].append(student_id)
    discounted: set[int] = set()
    for kids in children.values():
        ordered = sorted(kids, key=lambda kid: (first_joined[kid], kid))
        discounted.update(ordered[1:])
    for item in candidates:
        if item.enrolment.student_id in discounted:
            item.sibling = percent


def due_date(period: date, joined_on: date, due_day: int) -> date:
    due = month_start(period).replace(day=due_day)
    return max(due, joined_on)


async def charge_month(
    session: AsyncSession,
    *,
    period: date,
    today: date,
    settings: Any,
    enrolment_ids: Iterable[int] | None = None,
    actor_id: int | None = None,
    commit: bool = True,
) -> ChargeRun:
    """Charge the month for every enrolment seated during it (or only `enrolment_ids`).

    One transaction: charges inserted with ON CONFLICT DO NOTHING, balances moved for the
    rows inserted, one audit entry. `commit=False` leaves the commit to the caller (an
    enrolment charged at once commits with the enrolment)."""
    period = month_start(period)
    reminders = settings.reminders
    wanted = None if enrolment_ids is None else set(enrolment_ids)
    students = None
    if wanted is not None:
        students = await repo.families(session, await repo.students_of_enrolments(session, wanted))
    candidates = await _candidates(session, period, settings.centre.tz, students)
    await _apply_sibling_discount(session, candidates, reminders.sibling_discount_percent)
    if wanted is not None:
        candidates = [item for item in candidates if item.enrolment.id in wanted]
    run = ChargeRun(period=period, enrolments=len(candidates))
    charged = await repo.charged_enrolments(session, period, [c.enrolment.id for c in candidates])
    now = utcnow()
    rows = []
    for item in candidates:
        if item.enrolment.id in charged:
            run.existing += 1
            continue
        amount = item.amount()
        if amount <= 0:
            run.zero += 1
            continue
        rows.append(
            {
                "student_id": item.enrolment.student_id,
                "enrolment_id": item.enrolment.id,
                "period": period,
                "amount": amount,
                "due_date": due_date(period, item.enrolment.joined_on, reminders.payment_due_day),
                "created_at": now,
            }
        )
    inserted = await repo.insert_charges(session, rows)
    run.existing += len(rows) - len(inserted)  # a concurrent run got there first
    deltas: dict[int, int] = defaultdict(int)
    for row in inserted:
        deltas[row.student_id] -= int(row.amount)
        run.total += int(row.amount)
        run.charge_ids.append(row.id)
    run.created = len(inserted)
    await repo.add_to_balances(session, deltas, now)
    if wanted is None or run.created:
        await audit.record(
            session,
            actor_id,
            "charges.created",
            "charge_run",
            period.isoformat(),
            details={
                "period": period.isoformat(),
                "today": today.isoformat(),
                "enrolments": run.enrolments,
                "created": run.created,
                "existing": run.existing,
                "zero": run.zero,
                "total": run.total,
                **({"enrolment_ids": sorted(wanted)} if wanted is not None else {}),
            },
        )
    if commit:
        await session.commit()
    logger.info(
        "charges {}: {} enrolments, {} created ({} so'm), {} already charged, {} at zero",
        period.isoformat(),
        run.enrolments,
        run.created,
        run.total,
        run.existing,
        run.zero,
    )
    return run


def charge_run_done(today: date, settings: Any) -> bool:
    """Whether this month's charge run is due or done (local today ≥ charge day)."""
    return today.day >= settings.reminders.charge_day


async def charge_at_once(
    session: AsyncSession,
    enrolment_ids: Iterable[int],
    *,
    today: date,
    settings: Any,
    actor_id: int | None,
) -> ChargeRun | None:
    """Charge enrolments created (or unfrozen) after this month's run; no commit."""
    if not charge_run_done(today, settings):
        return None
    return await charge_month(
        session,
        period=today,
        today=today,
        settings=settings,
        enrolment_ids=enrolment_ids,
        actor_id=actor_id,
        commit=False,
    )


async def remove_charges(session: AsyncSession, charge_ids: Iterable[int]) -> int:
    """Take back charges written by mistake (an undone import's at-once charges): deleted,
    and each student's balance moved back by their amount, so balances and the ledger
    agree. The number removed; no commit, no audit (the caller's entry names them)."""
    deltas: dict[int, int] = defaultdict(int)
    removed = await repo.delete_charges(session, charge_ids)
    for row in removed:
        if row.student_id is not None:
            deltas[row.student_id] += int(row.amount)
    await repo.add_to_balances(session, deltas, utcnow())
    return len(removed)


OPENING_NOTE = "opening balance"


async def open_balances(
    session: AsyncSession,
    actor_id: int,
    balances: Sequence[tuple[int, int, date]],
    *,
    now: datetime,
) -> tuple[list[int], list[int]]:
    """What students owed or had in credit on the day the centre started with the bot:
    (student, amount: positive credit, negative debt, that day) each. A credit is a payment
    (method other, note «opening balance», paid that day), a debt a charge outside any
    enrolment (that day's month, due that day); each balance moves with its entry, so
    balances and the ledger agree. (payment ids, charge ids); one audit entry, no commit."""
    payment_ids: list[int] = []
    charges: list[dict[str, Any]] = []
    deltas: dict[int, int] = defaultdict(int)
    for student_id, amount, day in balances:
        if amount > 0:
            paid_at = datetime.combine(day, time(), tzinfo=UTC)
            payment_id = await repo.insert_payment(
                session,
                {
                    "student_id": student_id,
                    "amount": check_amount(amount),
                    "method": PaymentMethod.OTHER.value,
                    "paid_at": paid_at,
                    "received_by_id": actor_id,
                    "note": OPENING_NOTE,
                    "created_at": now,
                },
            )
            assert payment_id is not None  # no external id: never a duplicate
            payment_ids.append(payment_id)
            deltas[student_id] += amount
        elif amount < 0:
            charges.append(
                {
                    "student_id": student_id,
                    "enrolment_id": None,
                    "period": month_start(day),
                    "amount": check_amount(-amount),
                    "due_date": day,
                    "created_at": now,
                }
            )
    charge_ids: list[int] = []
    for row in await repo.insert_charges(session, charges):
        deltas[row.student_id] -= int(row.amount)
        charge_ids.append(row.id)
    await repo.add_to_balances(session, deltas, now)
    await audit.record(
        session,
        actor_id,
        "balances.opened",
        "balance",
        details={
            "students": len(balances),
            "credits": len(payment_ids),
            "debts": len(charge_ids),
            "total": sum(amount for _student, amount, _day in balances),
        },
    )
    return payment_ids, charge_ids


async def remove_payments(session: AsyncSession, payment_ids: Iterable[int]) -> int:
    """Take back payments written by mistake (an undone import's opening credits) unless
    reversed since: deleted, each student's balance moved back. The number removed."""
    deltas: dict[int, int] = defaultdict(int)
    removed = await repo.delete_unreversed_payments(session, payment_ids)
    for row in removed:
        if row.student_id is not None:
            deltas[row.student_id] -= int(row.amount)
    await repo.add_to_balances(session, deltas, utcnow())
    return len(removed)


async def carry_over_move(
    session: AsyncSession, old_enrolment_id: int, new_enrolment_id: int, *, today: date
) -> bool:
    """After a move: when the old enrolment is charged for this month, the new one gets a 0
    charge for it, so the month is not charged twice. True when one was written; no commit."""
    period = month_start(today)
    old = await repo.charge_of(session, old_enrolment_id, period)
    if old is None or old.student_id is None:
        return False
    inserted = await repo.insert_charges(
        session,
        [
            {
                "student_id": old.student_id,
                "enrolment_id": new_enrolment_id,
                "period": period,
                "amount": 0,
                "due_date": old.due_date,
                "created_at": utcnow(),
            }
        ],
    )
    return bool(inserted)


async def start_freeze(session: AsyncSession, enrolment_id: int, *, today: date) -> None:
    await repo.start_freeze(session, enrolment_id, today)


async def end_freeze(session: AsyncSession, enrolment_id: int, *, today: date) -> None:
    await repo.end_freeze(session, enrolment_id, today)


@dataclass(frozen=True, slots=True)
class BalanceCheck:
    balances: int  # balance rows checked
    differences: list[BalanceDifference]
    names: dict[int, str | None]


async def check_balances(session: AsyncSession) -> BalanceCheck:
    """recompute_balances without fixing, with the students' names, for the owners' report."""
    differences = await recompute_balances(session)
    names = await repo.names_of(
        session, [item.student_id for item in differences if item.student_id is not None]
    )
    count = await repo.count_balances(session)
    await session.rollback()
    return BalanceCheck(count, differences, names)
