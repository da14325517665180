"""Payslips: the month's drafts (made on PAYROLL_DAY and on demand, made again while they
are drafts), adjustments with a reason, approval (which locks a payslip for good), payouts
(partial allowed, never more than owed) and their reversal, a teacher's own view, and the
check of every approved payslip against today's data.

A draft holds the month's computed lines (bot.services.payroll.compute), a correction line
per earlier approved month and group whose figure today's data counts differently (a lesson
marked after approval, a payment reversed since: up to `CORRECTION_MONTHS` back), and the
adjustments typed by an admin. Every change is audited, every refusal too (`denied`).
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.parsing import MONEY_MAX
from bot.services.payroll.compute import (
    BASE_KINDS,
    Line,
    add_months,
    by_group,
    compute_month,
    corrections,
    total,
)
from bot.services.payroll.facts import collection_paused, read_facts
from db.models import (
    PayLineKind,
    Payout,
    PayoutMethod,
    Payslip,
    PayslipLine,
    PayslipStatus,
)
from db.repositories import payroll as repo

# How many months back a draft looks for changed figures: the month before it, where late
# marks and reversals after approval happen (`payroll verify` checks every month).
CORRECTION_MONTHS = 1
BASE = frozenset(kind.value for kind in BASE_KINDS)
ADJUSTMENTS = frozenset({PayLineKind.BONUS.value, PayLineKind.DEDUCTION.value})


class PayOutcome(StrEnum):
    DONE = "done"
    MISSING = "missing"  # no such payslip or payout
    ALREADY_APPROVED = "already_approved"  # approving twice, or changing an approved one
    NOT_APPROVED = "not_approved"  # a payout before approval
    NEGATIVE = "negative"  # a total below zero cannot be approved
    BAD_AMOUNT = "bad_amount"
    OVER_OWED = "over_owed"
    NOTHING_OWED = "nothing_owed"
    ALREADY_REVERSED = "already_reversed"


@dataclass(frozen=True, slots=True)
class DraftsResult:
    month: date
    created: int
    refreshed: int
    approved: int  # already approved: left as they are
    total: int  # so'm over the month's drafts


@dataclass(frozen=True, slots=True)
class PayResult:
    outcome: PayOutcome
    payslip: Payslip | None = None
    payout: Payout | None = None
    owed: int = 0  # what is still owed after (or, refused, before) the call


async def deny(session: AsyncSession, actor_id: int | None, action: str, **details: object) -> None:
    await session.rollback()
    await audit.record_denied(
        session, actor_id=actor_id, action=f"payroll.{action}_denied", details=details
    )


# --- computing ------------------------------------------------------------------------------


def _settled(rows: Sequence, teacher_id: int, months: Sequence[date]) -> dict[date, dict]:
    """Month → group → what the approved payslips counted for it (their base lines and the
    corrections for it carried since)."""
    settled: dict[date, dict[int | None, int]] = {m: defaultdict(int) for m in months}
    for teacher, month, kind, group, for_month, amount in rows:
        if teacher != teacher_id:
            continue
        if kind in BASE and month in settled:
            settled[month][group] += amount
        elif kind == PayLineKind.CORRECTION and for_month in settled:
            settled[for_month][group] += amount
    return settled


async def compute_drafts(
    session: AsyncSession, month: date, tz: ZoneInfo, until: date | None = None
) -> dict[int, list[Line]]:
    """Teacher → the computed lines of `month` (base lines, then corrections), from one read
    of the facts of the month and of the earlier months that have approved payslips."""
    since = add_months(month, -CORRECTION_MONTHS)
    approved = await repo.approved_lines_since(session, since)
    approved_months: dict[int, set[date]] = defaultdict(set)
    for teacher, paid_month, *_rest in approved:
        if since <= paid_month < month:
            approved_months[teacher].add(paid_month)
    earlier = sorted({m for months in approved_months.values() for m in months})
    with collection_paused():
        facts = await read_facts(session, [*earlier, month], tz, until)
        computed = {m: compute_month(m, facts) for m in earlier}
        result = compute_month(month, facts, until)
    for teacher, months in approved_months.items():
        recounted = {m: computed[m].get(teacher, []) for m in months}
        fixes = corrections(recounted, _settled(approved, teacher, sorted(months)))
        if fixes:
            result[teacher] = [*result.get(teacher, []), *fixes]
    return result


def _line_row(line: Line) -> dict:
    return {
        "kind": line.kind,
        "group_id": line.group_id,
        "scheme_id": line.scheme_id,
        "quantity": line.quantity,
        "rate": line.rate,
        "amount": line.amount,
        "for_month": line.for_month,
    }


async def make_drafts(
    session: AsyncSession,
    actor_id: int | None,
    month: date,
    *,
    tz: ZoneInfo,
    now: datetime,
    teacher_id: int | None = None,
) -> DraftsResult:
    """The month's drafts made, or made again (an approved payslip is never touched), for
    every teacher with a scheme who teaches here now or whose month counted something, or
    for one teacher. One audit entry for the run."""
    computed = await compute_drafts(session, month, tz)
    existing = await repo.payslips_of_month(session, month)
    live_teachers = {row.id for row in await repo.teachers(session)}
    wanted = set(computed) | {t for t, p in existing.items() if p.status == PayslipStatus.DRAFT}
    if teacher_id is not None:
        wanted &= {teacher_id}
    refreshed = approved = money = 0
    new: list[dict] = []  # new payslips, written together after the loop
    new_lines: list[list[dict]] = []
    live = await repo.names(session, wanted)  # erased people keep no name and get none
    for teacher in sorted(wanted):
        lines = computed.get(teacher, [])
        payslip = existing.get(teacher)
        if payslip is not None and payslip.status == PayslipStatus.APPROVED:
            approved += 1
            continue
        if payslip is None:
            counts = any(line.amount for line in lines)
            if live.get(teacher) is None or not (teacher in live_teachers or counts):
                continue
            # a new payslip holds only these lines (no adjustment yet): they are its total
            new.append(
                {
                    "teacher_id": teacher,
                    "month": month,
                    "total": total(lines),
                    "computed_at": now,
                    "created_at": now,
                }
            )
            new_lines.append([_line_row(x) for x in lines])
            money += new[-1]["total"]
            continue
        payslip = await repo.lock_payslip(session, payslip.id)
        if payslip is None or payslip.status != PayslipStatus.DRAFT:
            approved += 1
            continue
        refreshed += 1
        await repo.replace_computed_lines(session, payslip.id, [_line_row(x) for x in lines])
        payslip.total = await repo.line_total(session, payslip.id)
        payslip.computed_at = now
        money += payslip.total
    created = len(await repo.add_payslips(session, new, new_lines))
    await audit.record(
        session,
        actor_id,
        "payroll.drafted",
        "payroll_month",
        month.isoformat(),
        details={
            "teacher_id": teacher_id,
            "created": created,
            "refreshed": refreshed,
            "approved": approved,
            "total": money,
        },
    )
    await session.commit()
    return DraftsResult(month, created, refreshed, approved, money)


# --- adjustments and approval ---------------------------------------------------------------


async def add_adjustment(
    session: AsyncSession,
    actor_id: int,
    payslip_id: int,
    kind: PayLineKind,
    amount: int,
    reason: str,
    *,
    now: datetime,
) -> PayResult:
    """A bonus or a deduction (amount > 0; a deduction is written negative) on a draft."""
    if kind.value not in ADJUSTMENTS:
        raise ValueError("an adjustment is a bonus or a deduction")
    details = {"payslip_id": payslip_id, "kind": kind.value, "amount": amount, "reason": reason}
    payslip = await repo.lock_payslip(session, payslip_id)
    if payslip is None:
        await deny(session, actor_id, "adjustment", outcome="missing", **details)
        return PayResult(PayOutcome.MISSING)
    if payslip.status != PayslipStatus.DRAFT:
        await deny(session, actor_id, "adjustment", outcome="already_approved", **details)
        return PayResult(PayOutcome.ALREADY_APPROVED, payslip)
    if not 0 < amount <= MONEY_MAX or not reason.strip():
        await deny(session, actor_id, "adjustment", outcome="bad_amount", **details)
        return PayResult(PayOutcome.BAD_AMOUNT, payslip)
    signed = amount if kind is PayLineKind.BONUS else -amount
    line = await repo.add_line(
        session,
        payslip_id=payslip.id,
        kind=kind.value,
        amount=signed,
        reason=reason.strip(),
        created_by_id=actor_id,
        created_at=now,
    )
    payslip.total = await repo.line_total(session, payslip.id)
    await audit.record(
        session,
        actor_id,
        "payroll.adjusted",
        "payslip",
        payslip.id,
        details=details | {"line_id": line.id},
    )
    await session.commit()
    return PayResult(PayOutcome.DONE, payslip, owed=payslip.total)


async def approve(
    session: AsyncSession, actor_id: int, payslip_id: int, *, tz: ZoneInfo, now: datetime
) -> PayResult:
    """Lock the draft as it stands: its lines and total never change again. The teacher's
    later drafts are made again (what this one settles is no longer a correction there)."""
    payslip = await repo.lock_payslip(session, payslip_id)
    if payslip is None:
        await deny(session, actor_id, "approve", payslip_id=payslip_id, outcome="missing")
        return PayResult(PayOutcome.MISSING)
    if payslip.status == PayslipStatus.APPROVED:
        await deny(session, actor_id, "approve", payslip_id=payslip_id, outcome="already_approved")
        return PayResult(PayOutcome.ALREADY_APPROVED, payslip)
    if payslip.total < 0:
        await deny(
            session,
            actor_id,
            "approve",
            payslip_id=payslip_id,
            outcome="negative",
            total=payslip.total,
        )
        return PayResult(PayOutcome.NEGATIVE, payslip)
    payslip.status = PayslipStatus.APPROVED.value
    payslip.approved_at, payslip.approved_by_id = now, actor_id
    await audit.record(
        session,
        actor_id,
        "payroll.approved",
        "payslip",
        payslip.id,
        details={
            "teacher_id": payslip.teacher_id,
            "month": payslip.month.isoformat(),
            "total": payslip.total,
        },
    )
    await session.commit()
    teacher, month = payslip.teacher_id, payslip.month
    for later in await repo.payslips_of_teacher(session, teacher, status=PayslipStatus.DRAFT):
        if later.month > month:
            await make_drafts(session, actor_id, later.month, tz=tz, now=now, teacher_id=teacher)
    await session.commit()
    return PayResult(PayOutcome.DONE, await repo.payslip(session, payslip_id), owed=payslip.total)


# --- payouts ---------------------------------------------------------------------------------


async def owed(session: AsyncSession, payslip: Payslip) -> int:
    return payslip.total - await repo.paid_out(session, payslip.id)


async def record_payout(
    session: AsyncSession,
    actor_id: int,
    payslip_id: int,
    amount: int,
    method: PayoutMethod,
    note: str | None,
    *,
    now: datetime,
) -> PayResult:
    """Money paid out against an approved payslip: at most what is still owed."""
    details = {"payslip_id": payslip_id, "amount": amount, "method": method.value}
    payslip = await repo.lock_payslip(session, payslip_id)
    if payslip is None:
        await deny(session, actor_id, "payout", outcome="missing", **details)
        return PayResult(PayOutcome.MISSING)
    left = await owed(session, payslip)
    refusal = None
    if payslip.status != PayslipStatus.APPROVED:
        refusal = PayOutcome.NOT_APPROVED
    elif left <= 0:
        refusal = PayOutcome.NOTHING_OWED
    elif not 0 < amount <= MONEY_MAX:
        refusal = PayOutcome.BAD_AMOUNT
    elif amount > left:
        refusal = PayOutcome.OVER_OWED
    if refusal is not None:
        await deny(session, actor_id, "payout", outcome=refusal.value, owed=left, **details)
        return PayResult(refusal, payslip, owed=left)
    row = await repo.add_payout(
        session,
        payslip_id=payslip.id,
        amount=amount,
        method=method.value,
        note=note,
        paid_at=now,
        paid_by_id=actor_id,
    )
    await audit.record(
        session,
        actor_id,
        "payroll.paid_out",
        "payout",
        row.id,
        details=details | {"owed": left - amount},
    )
    await session.commit()
    return PayResult(PayOutcome.DONE, payslip, row, owed=left - amount)


async def reverse_payout(
    session: AsyncSession, actor_id: int, payout_id: int, reason: str, *, now: datetime
) -> PayResult:
    """A payout entered by mistake: marked reversed (never deleted); the money is owed again."""
    row = await repo.payout(session, payout_id)
    payslip = await repo.lock_payslip(session, row.payslip_id) if row is not None else None
    if row is None or payslip is None:
        await deny(session, actor_id, "payout_reversal", payout_id=payout_id, outcome="missing")
        return PayResult(PayOutcome.MISSING)
    if not await repo.reverse_payout(session, payout_id, actor_id, reason, now):
        await deny(
            session, actor_id, "payout_reversal", payout_id=payout_id, outcome="already_reversed"
        )
        return PayResult(PayOutcome.ALREADY_REVERSED, payslip)
    left = await owed(session, payslip)
    await audit.record(
        session,
        actor_id,
        "payroll.payout_reversed",
        "payout",
        payout_id,
        details={"payslip_id": payslip.id, "amount": row.amount, "reason": reason, "owed": left},
    )
    await session.commit()
    return PayResult(PayOutcome.DONE, payslip, row, owed=left)


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PayslipView:
    payslip: Payslip
    teacher_name: str | None
    lines: list[PayslipLine]
    group_names: dict[int, str]
    payouts: list[Payout]
    paid: int

    @property
    def owed(self) -> int:
        return self.payslip.total - self.paid


async def view(session: AsyncSession, payslip_id: int) -> PayslipView | None:
    payslip = await repo.payslip(session, payslip_id)
    if payslip is None:
        return None
    lines = list(await repo.lines_of(session, payslip.id))
    payouts = list(await repo.payouts_of(session, payslip.id))
    names = await repo.names(session, [payslip.teacher_id])
    return PayslipView(
        payslip,
        names.get(payslip.teacher_id),
        lines,
        await repo.group_names(session, [line.group_id for line in lines]),
        payouts,
        sum(p.amount for p in payouts if p.reversed_at is None),
    )


@dataclass(frozen=True, slots=True)
class Running:
    """A teacher's month so far: the computed lines up to today (a draft's adjustments are
    not known before it is made)."""

    month: date
    lines: list[Line]
    group_names: dict[int, str]

    @property
    def total(self) -> int:
        return total(self.lines)


@dataclass(frozen=True, slots=True)
class Salary:
    running: Running
    payslips: list[tuple[Payslip, int]] = field(default_factory=list)  # (payslip, paid out)


async def salary(
    session: AsyncSession, teacher_id: int, today: date, tz: ZoneInfo, limit: int = 12
) -> Salary:
    """What /salary shows a teacher: this month so far, and their own approved payslips (a
    draft may still change: it is the staff's until approved)."""
    month = today.replace(day=1)
    lines = (await compute_drafts(session, month, tz, until=today)).get(teacher_id, [])
    lines = [line for line in lines if line.kind in BASE]
    payslips = await repo.payslips_of_teacher(
        session, teacher_id, status=PayslipStatus.APPROVED, limit=limit
    )
    paid = [(p, await repo.paid_out(session, p.id)) for p in payslips]
    names = await repo.group_names(session, [line.group_id for line in lines])
    await session.commit()  # a read: end it
    return Salary(Running(month, lines, names), paid)


# --- the check of approved payslips ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Difference:
    payslip_id: int
    teacher_id: int
    month: date
    group_id: int | None
    approved: int  # the approved payslip's base lines for the group
    corrected: int  # corrections for it carried by later approved payslips
    today: int  # what today's data counts

    @property
    def outstanding(self) -> int:
        return self.today - self.approved - self.corrected


@dataclass(frozen=True, slots=True)
class VerifyReport:
    checked: int
    differences: list[Difference]

    @property
    def outstanding(self) -> list[Difference]:
        return [d for d in self.differences if d.outstanding]


async def verify(session: AsyncSession, tz: ZoneInfo) -> VerifyReport:
    """Every approved payslip's base lines against what today's data counts for its month,
    per group; changes nothing. A difference already carried by a later correction is
    reported with it (`outstanding` 0)."""
    payslips = await repo.approved_payslips(session)
    if not payslips:
        return VerifyReport(0, [])
    rows = await repo.approved_lines_since(session, min(p.month for p in payslips))
    base: dict[tuple[int, date], dict[int | None, int]] = defaultdict(lambda: defaultdict(int))
    fixed: dict[tuple[int, date], dict[int | None, int]] = defaultdict(lambda: defaultdict(int))
    for teacher, month, kind, group, for_month, amount in rows:
        if kind in BASE:
            base[teacher, month][group] += amount
        elif kind == PayLineKind.CORRECTION:
            fixed[teacher, for_month][group] += amount
    differences = []
    by_month: dict[date, list[Payslip]] = defaultdict(list)
    for payslip in payslips:
        by_month[payslip.month].append(payslip)
    for month, slips in sorted(by_month.items()):
        computed = compute_month(month, await read_facts(session, [month], tz))
        for payslip in slips:
            key = (payslip.teacher_id, month)
            now = by_group(computed.get(payslip.teacher_id, []))
            then, carried = base.get(key, {}), fixed.get(key, {})
            for group in sorted(
                set(now) | set(then) | set(carried), key=lambda g: (g is not None, g or 0)
            ):
                counted = now.get(group, 0)
                if counted != then.get(group, 0):
                    differences.append(
                        Difference(
                            payslip.id,
                            payslip.teacher_id,
                            month,
                            group,
                            then.get(group, 0),
                            carried.get(group, 0),
                            counted,
                        )
                    )
    await session.commit()
    return VerifyReport(len(payslips), differences)
