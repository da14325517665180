"""Setting a teacher's pay scheme (general, or an override for one of their groups) from a
day on. A scheme is never edited: a change is a new scheme, and the history stays.

Refused, with nothing written and a `denied` audit entry: someone who is not (or no longer)
a teacher here, a group that is not theirs, a percent outside 0–100, an amount below 0 or
above `MONEY_MAX`, and a start before the end of the teacher's last approved month (an
approved payslip is never recounted on another scheme).
"""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.parsing import MONEY_MAX
from bot.services.payroll.compute import next_month
from db.models import PayScheme, Role
from db.repositories import academic as academic_repo
from db.repositories import payroll as repo

LATEST_START_DAYS = 366  # a start further ahead than a year is a typing slip


class SchemeOutcome(StrEnum):
    DONE = "done"
    NOT_A_TEACHER = "not_a_teacher"  # never was, left, or was erased
    NOT_THEIR_GROUP = "not_their_group"
    BAD_PERCENT = "bad_percent"
    BAD_AMOUNT = "bad_amount"
    BEFORE_APPROVED = "before_approved"
    TOO_FAR = "too_far"


@dataclass(frozen=True, slots=True)
class SchemeDraft:
    teacher_id: int
    group_id: int | None
    valid_from: date
    fixed_monthly: int = 0
    per_lesson: int = 0
    per_student: int = 0
    percent: int = 0


@dataclass(frozen=True, slots=True)
class SchemeResult:
    outcome: SchemeOutcome
    scheme: PayScheme | None = None
    # For BEFORE_APPROVED: the first day a new scheme may start.
    earliest: date | None = None


def problem_with(draft: SchemeDraft) -> SchemeOutcome | None:
    """What is wrong with the figures themselves (the form checks them as they are typed)."""
    if not 0 <= draft.percent <= 100:
        return SchemeOutcome.BAD_PERCENT
    amounts = (draft.fixed_monthly, draft.per_lesson, draft.per_student)
    if any(not 0 <= amount <= MONEY_MAX for amount in amounts):
        return SchemeOutcome.BAD_AMOUNT
    return None


async def earliest_start(session: AsyncSession, teacher_id: int) -> date | None:
    """The first day a new scheme of the teacher may start: after their last approved month
    (None: any day)."""
    last = await repo.last_approved_month(session, teacher_id)
    return None if last is None else next_month(last)


async def refuse(
    session: AsyncSession, actor_id: int, reason: str, details: dict | None = None
) -> None:
    """A refused scheme (a typed value in the form or the save), in its own transaction."""
    await audit.record_denied(
        session,
        actor_id=actor_id,
        action="payroll.scheme_denied",
        details={"reason": reason, **(details or {})},
    )


async def set_scheme(
    session: AsyncSession, actor_id: int, draft: SchemeDraft, *, today: date, now: datetime
) -> SchemeResult:
    details = {
        "teacher_id": draft.teacher_id,
        "group_id": draft.group_id,
        "valid_from": draft.valid_from.isoformat(),
        "fixed_monthly": draft.fixed_monthly,
        "per_lesson": draft.per_lesson,
        "per_student": draft.per_student,
        "percent": draft.percent,
    }
    outcome = problem_with(draft)
    earliest = None
    if (
        outcome is None
        and await academic_repo.holds_role(session, draft.teacher_id, Role.TEACHER) is None
    ):
        outcome = SchemeOutcome.NOT_A_TEACHER
    if outcome is None and draft.group_id is not None:
        group = await academic_repo.get_group(session, draft.group_id)
        if group is None or group.teacher_id != draft.teacher_id:
            outcome = SchemeOutcome.NOT_THEIR_GROUP
    if outcome is None:
        earliest = await earliest_start(session, draft.teacher_id)
        if earliest is not None and draft.valid_from < earliest:
            outcome = SchemeOutcome.BEFORE_APPROVED
        elif (draft.valid_from - today).days > LATEST_START_DAYS:
            outcome = SchemeOutcome.TOO_FAR
    if outcome is not None:
        await session.rollback()
        await refuse(session, actor_id, outcome.value, details)
        return SchemeResult(outcome, earliest=earliest)
    scheme = await repo.add_scheme(
        session,
        teacher_id=draft.teacher_id,
        group_id=draft.group_id,
        valid_from=draft.valid_from,
        fixed_monthly=draft.fixed_monthly,
        per_lesson=draft.per_lesson,
        per_student=draft.per_student,
        percent=draft.percent,
        created_by_id=actor_id,
        created_at=now,
    )
    await audit.record(
        session, actor_id, "payroll.scheme_set", "pay_scheme", scheme.id, details=details
    )
    await session.commit()
    return SchemeResult(SchemeOutcome.DONE, scheme)


@dataclass(frozen=True, slots=True)
class SchemeLine:
    scheme: PayScheme
    group_name: str | None
    in_force: bool  # the one applying today (for its group, or in general)


async def history(session: AsyncSession, teacher_id: int, today: date) -> list[SchemeLine]:
    """The teacher's schemes, general first then per group, newest first; which apply today."""
    schemes = await repo.schemes_of(session, teacher_id)
    names = await repo.group_names(session, [s.group_id for s in schemes])
    current: dict[int | None, int] = {}
    for scheme in schemes:
        if scheme.valid_from <= today and scheme.group_id not in current:
            current[scheme.group_id] = scheme.id
    return [
        SchemeLine(
            s,
            names.get(s.group_id) if s.group_id is not None else None,
            current.get(s.group_id) == s.id,
        )
        for s in schemes
    ]
