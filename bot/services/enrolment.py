"""Enrolment: a student joins a group, gets a discount, freezes, moves, leaves.

Rules
-----
* Only a live person holding the student role is enrolled, and only into an active group.
* A student already seated in the group (active or frozen) is refused.
* A seat is held by an active or frozen enrolment. A full group refuses a new student
  unless the admin confirms an over-capacity add (`over_capacity=True`).
* A student seated in another group of the same course is allowed, with a warning the
  preview carries (`Preview.same_course`).
* Moving ends the old enrolment (status left, left_on today, reason `transfer`) and starts
  a new one in the target group with the same discount: the history stays.
* Leaving records the reason the admin chose (a LeaveReason other than `transfer`), or
  none when they skipped it; the audit entry carries it too.
* Status changes are conditional updates, so a double tap or a stale card changes
  nothing the second time.
* Money (bot.services.payments.ledger): a freeze records a freeze period (its lessons are not
  charged); an enrolment created, or unfrozen, after this month's charge run (local today
  ≥ charge day) is charged at once when `settings` is given; a move after the month was
  charged carries that charge over (the new enrolment gets a 0 charge for the month).

Each change commits once with its audit entry and returns the people to tell (the
student and their linked parents, essential category), gathered inside the transaction.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.consent import Category
from bot.services.paging import page_bounds
from bot.services.payments import ledger
from bot.services.recipients import Recipient, recipients
from db.base import utcnow
from db.models import Enrolment, EnrolmentStatus, GroupStatus, LeaveReason, Role
from db.repositories import academic as repo

PAGE_SIZE = 10


class Outcome(StrEnum):
    DONE = "done"
    MISSING = "missing"
    NOT_A_STUDENT = "not_a_student"
    GROUP_CLOSED = "group_closed"
    ALREADY = "already"
    FULL = "full"
    NOT_ACTIVE = "not_active"
    NOT_FROZEN = "not_frozen"
    SAME_GROUP = "same_group"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class EnrolmentInfo:
    id: int
    student_id: int
    student_name: str
    group_id: int
    joined_on: date
    left_on: date | None
    discount_percent: int
    status: EnrolmentStatus
    leave_reason: LeaveReason | None = None


# The reasons an admin may give when a student leaves (a move records TRANSFER itself).
CHOSEN_REASONS = tuple(reason for reason in LeaveReason if reason is not LeaveReason.TRANSFER)


@dataclass(frozen=True, slots=True)
class EnrolmentPage:
    items: list[EnrolmentInfo]
    total: int
    page: int
    pages: int


def _info(row: Enrolment, name: str | None) -> EnrolmentInfo:
    return EnrolmentInfo(
        id=row.id,
        student_id=row.student_id,
        student_name=name or "—",
        group_id=row.group_id,
        joined_on=row.joined_on,
        left_on=row.left_on,
        discount_percent=row.discount_percent,
        status=EnrolmentStatus(row.status),
        leave_reason=LeaveReason(row.leave_reason) if row.leave_reason else None,
    )


async def of_group(session: AsyncSession, group_id: int, page: int) -> EnrolmentPage:
    """The group's seated students (active and frozen), by name."""
    total = await repo.count_seated_enrolments(session, group_id)
    page, pages = page_bounds(total, page, PAGE_SIZE)
    rows = await repo.enrolments_page(session, group_id, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    return EnrolmentPage([_info(*row) for row in rows], total, page, pages)


async def enrolment(session: AsyncSession, enrolment_id: int) -> EnrolmentInfo | None:
    row = await repo.enrolment_row(session, enrolment_id)
    return None if row is None else _info(*row)


@dataclass(frozen=True, slots=True)
class Preview:
    """What adding (or moving) a student to a group would meet."""

    outcome: Outcome  # DONE when it may go ahead (perhaps over capacity)
    student_name: str = ""
    group_name: str = ""
    course_name: str = ""
    seated: int = 0
    capacity: int = 0
    same_course: list[str] = field(default_factory=list)

    @property
    def full(self) -> bool:
        return self.seated >= self.capacity

    def refusal(self, *, over_capacity: bool) -> Outcome | None:
        """Why the student may not be seated, or None (a full group only when allowed)."""
        if self.outcome is not Outcome.DONE:
            return self.outcome
        if self.full and not over_capacity:
            return Outcome.FULL
        return None


async def preview(
    session: AsyncSession, student_id: int, group_id: int, *, leaving_group_id: int | None = None
) -> Preview:
    """Checks for putting the student into the group (a move names the group they leave)."""
    student = await repo.holds_role(session, student_id, Role.STUDENT)
    row = await repo.group_row(session, group_id)
    if row is None:
        return Preview(Outcome.MISSING)
    group, course_name = row[0], row[1]
    if student is None:
        return Preview(Outcome.NOT_A_STUDENT, group_name=group.name, course_name=course_name)
    facts = {
        "student_name": student.full_name or "—",
        "group_name": group.name,
        "course_name": course_name,
        "seated": int(row[4]),
        "capacity": group.capacity,
    }
    if group.status != GroupStatus.ACTIVE:
        return Preview(Outcome.GROUP_CLOSED, **facts)
    if group_id == leaving_group_id:
        return Preview(Outcome.SAME_GROUP, **facts)
    if await repo.seated_enrolment(session, student_id, group_id) is not None:
        return Preview(Outcome.ALREADY, **facts)
    same_course = list(
        await repo.same_course_groups(session, student_id, group.course_id, group_id)
    )
    if leaving_group_id is not None:
        leaving = await repo.get_group(session, leaving_group_id)
        if leaving is not None and leaving.name in same_course:
            same_course.remove(leaving.name)
    return Preview(Outcome.DONE, same_course=same_course, **facts)


@dataclass(frozen=True, slots=True)
class Change:
    outcome: Outcome
    enrolment: EnrolmentInfo | None = None
    previous: EnrolmentInfo | None = None  # the enrolment a move ended
    preview: Preview | None = None
    notify: list[Recipient] = field(default_factory=list)
    student_id: int | None = None


async def _audience(session: AsyncSession, student_id: int, policy_version: str) -> list[Recipient]:
    parents = await repo.parents_of(session, [student_id])
    ids = {student_id} | {row.parent_id for row in parents}
    return await recipients(session, ids, Category.ESSENTIAL, policy_version)


async def _seat(
    session: AsyncSession, student_id: int, group_id: int, joined_on: date, discount_percent: int
) -> Enrolment:
    """A new active enrolment from `joined_on` (flushed: it has its id)."""
    row = Enrolment(
        student_id=student_id,
        group_id=group_id,
        joined_on=joined_on,
        discount_percent=discount_percent,
        status=EnrolmentStatus.ACTIVE,
    )
    session.add(row)
    await session.flush()
    return row


async def seat_many(
    session: AsyncSession,
    actor_id: int,
    seats: list[tuple[int, int, date, int]],
    *,
    today: date,
    settings: Any,
) -> tuple[list[int], list[int]]:
    """Enrolments brought in at once (an import: (student, group, joined on, discount) each,
    checked by `preview` beforehand), charged as `enrol` charges one: at once when this
    month's charge run is done. (enrolment ids, charge ids); no audit, no commit: the
    caller's transaction and entry hold them."""
    ids = [
        (await _seat(session, student, group, joined_on, discount)).id
        for student, group, joined_on, discount in seats
    ]
    run = await ledger.charge_at_once(
        session, ids, today=today, settings=settings, actor_id=actor_id
    )
    return ids, list(run.charge_ids) if run is not None else []


async def enrol(
    session: AsyncSession,
    actor_id: int,
    student_id: int,
    group_id: int,
    *,
    today: date,
    policy_version: str,
    over_capacity: bool = False,
    settings: Any = None,
) -> Change:
    checked = await preview(session, student_id, group_id)
    refusal = checked.refusal(over_capacity=over_capacity)
    if refusal is not None:
        return Change(refusal, preview=checked)
    row = await _seat(session, student_id, group_id, today, discount_percent=0)
    await audit.record(
        session,
        actor_id,
        "enrolment.created",
        "enrolment",
        row.id,
        details={
            "student_id": student_id,
            "group_id": group_id,
            "over_capacity": checked.full,
            "same_course_groups": len(checked.same_course),
        },
    )
    if settings is not None:
        await ledger.charge_at_once(
            session, [row.id], today=today, settings=settings, actor_id=actor_id
        )
    notify = await _audience(session, student_id, policy_version)
    await session.commit()
    return Change(
        Outcome.DONE,
        _info(row, checked.student_name),
        preview=checked,
        notify=notify,
        student_id=student_id,
    )


async def _status_change(
    session: AsyncSession,
    actor_id: int,
    enrolment_id: int,
    from_status: EnrolmentStatus,
    to_status: EnrolmentStatus,
    refusal: Outcome,
    action: str,
    *,
    today: date | None,
    policy_version: str,
    before_commit: Callable[[EnrolmentInfo], Awaitable[None]] | None = None,
    reason: LeaveReason | None = None,
) -> Change:
    info = await enrolment(session, enrolment_id)
    if info is None:
        return Change(Outcome.MISSING)
    if info.status is not from_status:
        return Change(refusal, info)
    left_on = today if to_status is EnrolmentStatus.LEFT else None
    if not await repo.change_enrolment_status(
        session, enrolment_id, from_status.value, to_status.value, left_on, reason
    ):
        await session.rollback()
        return Change(refusal, await enrolment(session, enrolment_id))
    details: dict[str, Any] = {"student_id": info.student_id, "group_id": info.group_id}
    if to_status is EnrolmentStatus.LEFT:
        details["reason"] = reason.value if reason else None
    await audit.record(
        session,
        actor_id,
        action,
        "enrolment",
        enrolment_id,
        details=details,
    )
    if before_commit is not None:
        await before_commit(info)
    notify = await _audience(session, info.student_id, policy_version)
    await session.commit()
    changed = replace(info, left_on=left_on or info.left_on, status=to_status, leave_reason=reason)
    return Change(Outcome.DONE, changed, notify=notify, student_id=info.student_id)


async def freeze(
    session: AsyncSession,
    actor_id: int,
    enrolment_id: int,
    *,
    policy_version: str,
    today: date | None = None,
) -> Change:
    day = today or utcnow().date()

    async def record_freeze(info: EnrolmentInfo) -> None:
        await ledger.start_freeze(session, info.id, today=day)

    return await _status_change(
        session,
        actor_id,
        enrolment_id,
        EnrolmentStatus.ACTIVE,
        EnrolmentStatus.FROZEN,
        Outcome.NOT_ACTIVE,
        "enrolment.frozen",
        today=None,
        policy_version=policy_version,
        before_commit=record_freeze,
    )


async def unfreeze(
    session: AsyncSession,
    actor_id: int,
    enrolment_id: int,
    *,
    policy_version: str,
    today: date | None = None,
    settings: Any = None,
) -> Change:
    day = today or utcnow().date()

    async def end_freeze(info: EnrolmentInfo) -> None:
        await ledger.end_freeze(session, info.id, today=day)
        if settings is not None:  # fully frozen when the month was charged: charge the rest
            await ledger.charge_at_once(
                session, [info.id], today=day, settings=settings, actor_id=actor_id
            )

    return await _status_change(
        session,
        actor_id,
        enrolment_id,
        EnrolmentStatus.FROZEN,
        EnrolmentStatus.ACTIVE,
        Outcome.NOT_FROZEN,
        "enrolment.unfrozen",
        today=None,
        policy_version=policy_version,
        before_commit=end_freeze,
    )


async def leave(
    session: AsyncSession,
    actor_id: int,
    enrolment_id: int,
    *,
    today: date,
    policy_version: str,
    reason: LeaveReason | None = None,
) -> Change:
    """End an active or frozen enrolment (status left, left_on today, the reason given)."""
    if reason is LeaveReason.TRANSFER:
        raise ValueError("a transfer is recorded by a move, not given as a reason")
    info = await enrolment(session, enrolment_id)
    if info is None:
        return Change(Outcome.MISSING)
    if info.status is EnrolmentStatus.LEFT:
        return Change(Outcome.NOT_ACTIVE, info)
    return await _status_change(
        session,
        actor_id,
        enrolment_id,
        info.status,
        EnrolmentStatus.LEFT,
        Outcome.NOT_ACTIVE,
        "enrolment.left",
        today=max(today, info.joined_on),
        policy_version=policy_version,
        reason=reason,
    )


async def set_discount(
    session: AsyncSession,
    actor_id: int,
    enrolment_id: int,
    percent: int,
    *,
    policy_version: str,
) -> Change:
    if not 0 <= percent <= 100:
        raise ValueError("a discount is 0..100 per cent")
    row = await repo.get_enrolment(session, enrolment_id)
    info = await enrolment(session, enrolment_id)
    if row is None or info is None:
        return Change(Outcome.MISSING)
    if info.status is EnrolmentStatus.LEFT:
        return Change(Outcome.NOT_ACTIVE, info)
    if row.discount_percent == percent:
        return Change(Outcome.UNCHANGED, info)
    old = row.discount_percent
    row.discount_percent = percent
    await audit.record(
        session,
        actor_id,
        "enrolment.discount",
        "enrolment",
        enrolment_id,
        details={"student_id": info.student_id, "from": old, "to": percent},
    )
    notify = await _audience(session, info.student_id, policy_version)
    await session.commit()
    changed = replace(info, discount_percent=percent)
    return Change(Outcome.DONE, changed, notify=notify, student_id=info.student_id)


async def move(
    session: AsyncSession,
    actor_id: int,
    enrolment_id: int,
    target_group_id: int,
    *,
    today: date,
    policy_version: str,
    over_capacity: bool = False,
    settings: Any = None,
) -> Change:
    """End the enrolment and start one in the target group, keeping the discount."""
    info = await enrolment(session, enrolment_id)
    if info is None:
        return Change(Outcome.MISSING)
    if info.status is EnrolmentStatus.LEFT:
        return Change(Outcome.NOT_ACTIVE, info)
    checked = await preview(
        session, info.student_id, target_group_id, leaving_group_id=info.group_id
    )
    refusal = checked.refusal(over_capacity=over_capacity)
    if refusal is not None:
        return Change(refusal, info, preview=checked)
    left_on = max(today, info.joined_on)
    if not await repo.change_enrolment_status(
        session,
        enrolment_id,
        info.status.value,
        EnrolmentStatus.LEFT.value,
        left_on,
        LeaveReason.TRANSFER,
    ):
        await session.rollback()
        return Change(Outcome.NOT_ACTIVE, await enrolment(session, enrolment_id))
    row = await _seat(session, info.student_id, target_group_id, today, info.discount_percent)
    await audit.record(
        session,
        actor_id,
        "enrolment.moved",
        "enrolment",
        row.id,
        details={
            "student_id": info.student_id,
            "from_group_id": info.group_id,
            "to_group_id": target_group_id,
            "previous_enrolment_id": info.id,
            "over_capacity": checked.full,
        },
    )
    carried = await ledger.carry_over_move(session, info.id, row.id, today=today)
    if not carried and settings is not None:
        await ledger.charge_at_once(
            session, [row.id], today=today, settings=settings, actor_id=actor_id
        )
    notify = await _audience(session, info.student_id, policy_version)
    await session.commit()
    previous = replace(
        info, left_on=left_on, status=EnrolmentStatus.LEFT, leave_reason=LeaveReason.TRANSFER
    )
    return Change(
        Outcome.DONE,
        _info(row, info.student_name),
        previous=previous,
        preview=checked,
        notify=notify,
        student_id=info.student_id,
    )
