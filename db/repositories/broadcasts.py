"""Queries for broadcasts and their deliveries (never commits).

A delivery moves pending → sending (claimed by one runner, right before the call to
Telegram) → sent / failed / blocked, or sending → retrying (a transient failure) →
sending again when its next attempt is due; pending and retrying → cancelled, and
sending → unknown when a crash left it in flight. Before its pacing wait a runner only
reserves the row (`claimed_by` on a pending or retrying row: nothing sent yet). Every
change of a delivery's status goes through a conditional UPDATE on the old status (and
on the claimant), so two runners (or a runner and a cancel) can never both move the
same row.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    AudienceType,
    Balance,
    Broadcast,
    BroadcastStatus,
    Course,
    Delivery,
    DeliveryStatus,
    Enrolment,
    EnrolmentStatus,
    Group,
    GroupStatus,
    Lesson,
    LessonStatus,
    RoleAssignment,
    User,
)

COUNTER_OF = {
    DeliveryStatus.SENT: "sent",
    DeliveryStatus.FAILED: "failed",
    DeliveryStatus.BLOCKED: "blocked",
    DeliveryStatus.UNKNOWN: "unknown",
    DeliveryStatus.CANCELLED: "cancelled",
    DeliveryStatus.RETRYING: "retrying",
}
# Rows a runner may take: never sent, or waiting for another attempt.
AVAILABLE = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)
INSERT_CHUNK = 1000


# --- the audience --------------------------------------------------------------------------


def _reachable(query: Select[Any]) -> Select[Any]:
    return query.where(User.telegram_id.is_not(None), User.deleted_at.is_(None))


def _enrolled(condition: ColumnElement[bool]) -> Select[Any]:
    return (
        select(User.id)
        .join(Enrolment, Enrolment.student_id == User.id)
        .join(Group, Group.id == Enrolment.group_id)
        .where(Enrolment.status == EnrolmentStatus.ACTIVE, condition)
    )


async def audience_user_ids(
    session: AsyncSession,
    audience: dict[str, Any],
    *,
    day_start: datetime,
    day_end: datetime,
) -> list[int]:
    """Users in the audience (students only for course, group, debtors and today).

    [day_start, day_end) is the centre's today in UTC, for the "lesson today" audience.
    Consent is not looked at here: the caller filters through `bot.delivery.recipients`.
    """
    kind = audience.get("type")
    if kind == AudienceType.ALL:
        query = select(User.id)
    elif kind == AudienceType.ROLE:
        query = select(User.id).join(RoleAssignment, RoleAssignment.user_id == User.id)
        query = query.where(RoleAssignment.role == audience.get("role"))
    elif kind == AudienceType.COURSE:
        query = _enrolled(Group.course_id == audience.get("id"))
        query = query.where(Group.status == GroupStatus.ACTIVE)
    elif kind == AudienceType.GROUP:
        query = _enrolled(Group.id == audience.get("id"))
    elif kind == AudienceType.DEBTORS:
        query = select(User.id).join(Balance, Balance.student_id == User.id)
        query = query.where(Balance.amount < 0)
    elif kind == AudienceType.TODAY:
        query = _enrolled(Group.status == GroupStatus.ACTIVE).join(
            Lesson, Lesson.group_id == Group.id
        )
        query = query.where(
            Lesson.starts_at >= day_start,
            Lesson.starts_at < day_end,
            Lesson.status != LessonStatus.CANCELLED,
        )
    else:
        return []
    rows = await session.scalars(_reachable(query).distinct())
    return sorted(rows)


async def course_name(session: AsyncSession, course_id: int) -> str | None:
    return await session.scalar(select(Course.name).where(Course.id == course_id))


async def group_name(session: AsyncSession, group_id: int) -> str | None:
    return await session.scalar(select(Group.name).where(Group.id == group_id))


async def courses_page(
    session: AsyncSession, offset: int, limit: int
) -> tuple[list[tuple[int, str]], int]:
    where = Course.is_active.is_(True)
    total = await session.scalar(select(func.count()).select_from(Course).where(where))
    rows = await session.execute(
        select(Course.id, Course.name).where(where).order_by(Course.name, Course.id)
        .offset(offset).limit(limit)
    )  # fmt: skip
    return [(row.id, row.name) for row in rows], int(total or 0)


async def groups_page(
    session: AsyncSession, offset: int, limit: int
) -> tuple[list[tuple[int, str]], int]:
    where = Group.status == GroupStatus.ACTIVE
    total = await session.scalar(select(func.count()).select_from(Group).where(where))
    rows = await session.execute(
        select(Group.id, Group.name).where(where).order_by(Group.name, Group.id)
        .offset(offset).limit(limit)
    )  # fmt: skip
    return [(row.id, row.name) for row in rows], int(total or 0)


# --- broadcasts ----------------------------------------------------------------------------


async def add_deliveries(session: AsyncSession, broadcast_id: int, user_ids: Sequence[int]) -> None:
    for start in range(0, len(user_ids), INSERT_CHUNK):
        chunk = user_ids[start : start + INSERT_CHUNK]
        await session.execute(
            insert(Delivery),
            [{"broadcast_id": broadcast_id, "user_id": user_id} for user_id in chunk],
        )


async def get(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    return await session.get(Broadcast, broadcast_id, populate_existing=True)


async def set_status(
    session: AsyncSession,
    broadcast_id: int,
    old: BroadcastStatus,
    new: BroadcastStatus,
    **values: Any,
) -> bool:
    """Move a broadcast from `old` to `new`; False when someone else moved it first."""
    result = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.status == old)
        .values(status=new, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


async def page(session: AsyncSession, offset: int, limit: int) -> tuple[list[Broadcast], int]:
    total = await session.scalar(select(func.count()).select_from(Broadcast))
    rows = await session.scalars(
        select(Broadcast).order_by(Broadcast.id.desc()).offset(offset).limit(limit)
    )
    return list(rows), int(total or 0)


async def due_scheduled(session: AsyncSession, now: datetime) -> list[int]:
    query = select(Broadcast.id).where(
        Broadcast.status == BroadcastStatus.SCHEDULED, Broadcast.scheduled_at <= now
    )
    return list(await session.scalars(query.order_by(Broadcast.scheduled_at, Broadcast.id)))


async def sending(session: AsyncSession) -> list[int]:
    query = select(Broadcast.id).where(Broadcast.status == BroadcastStatus.SENDING)
    return list(await session.scalars(query.order_by(Broadcast.id)))


async def last_incident_at(session: AsyncSession) -> datetime | None:
    query = (
        select(Broadcast.started_at)
        .where(Broadcast.incident.is_(True), Broadcast.started_at.is_not(None))
        .order_by(Broadcast.started_at.desc())
        .limit(1)
    )
    return await session.scalar(query)


# --- deliveries ----------------------------------------------------------------------------


async def status_counts(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(Delivery.status, func.count())
        .where(Delivery.broadcast_id == broadcast_id)
        .group_by(Delivery.status)
    )
    return {status: int(number) for status, number in rows}


async def sync_counts(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    """Set the broadcast's counters from its deliveries (the counters are only a cache)."""
    counts = await status_counts(session, broadcast_id)
    values = {column: counts.get(status, 0) for status, column in COUNTER_OF.items()}
    await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return counts


@dataclass(frozen=True, slots=True)
class Reserved:
    id: int
    status: DeliveryStatus  # pending or retrying: what the claim moves it from
    failing_since: datetime | None
    attempts: int  # calls made before this one


def _free(now: datetime, lease_cutoff: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        Delivery.status.in_(AVAILABLE),
        or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
        or_(Delivery.claimed_by.is_(None), Delivery.updated_at < lease_cutoff),
    )


async def reserve_next(
    session: AsyncSession,
    broadcast_id: int,
    claimant: str,
    now: datetime,
    lease_cutoff: datetime,
) -> Reserved | None:
    """Reserve one due delivery for `claimant` (None: nothing due now).

    A reservation older than `lease_cutoff` may be taken over: its holder's claim then
    fails, so the row is still sent once. PostgreSQL picks the row with SKIP LOCKED, so
    concurrent runners never wait on or take the same row; SQLite serializes writers,
    and the conditions hold there.
    """
    candidate = (
        select(Delivery.id)
        .where(Delivery.broadcast_id == broadcast_id, *_free(now, lease_cutoff))
        .order_by(Delivery.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id == candidate, *_free(now, lease_cutoff))
        .values(claimed_by=claimant, updated_at=now)
        .returning(Delivery.id, Delivery.status, Delivery.failing_since, Delivery.attempts)
        .execution_options(synchronize_session=False)
    )
    row = result.one_or_none()
    if row is None:
        return None
    return Reserved(row.id, DeliveryStatus(row.status), row.failing_since, row.attempts)


async def _bump(session: AsyncSession, broadcast_id: int, counter: str, by: int) -> None:
    column = getattr(Broadcast, counter)
    await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id)
        .values({column: column + by})
        .execution_options(synchronize_session=False)
    )


async def claim(
    session: AsyncSession,
    broadcast_id: int,
    reserved: Reserved,
    claimant: str,
    now: datetime,
) -> bool:
    """Reserved → sending, right before the call; False when the reservation was lost
    (taken over, or the broadcast cancelled)."""
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.id == reserved.id,
            Delivery.status == reserved.status,
            Delivery.claimed_by == claimant,
        )
        .values(status=DeliveryStatus.SENDING, attempts=Delivery.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    if reserved.status is DeliveryStatus.RETRYING:
        await _bump(session, broadcast_id, "retrying", -1)
    return True


async def unclaim(
    session: AsyncSession,
    broadcast_id: int,
    reserved: Reserved,
    claimant: str,
    now: datetime,
) -> None:
    """Sending → reserved again: a pause began after the claim, nothing was sent."""
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.id == reserved.id,
            Delivery.status == DeliveryStatus.SENDING,
            Delivery.claimed_by == claimant,
        )
        .values(status=reserved.status, attempts=Delivery.attempts - 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1 and reserved.status is DeliveryStatus.RETRYING:  # type: ignore[attr-defined]
        await _bump(session, broadcast_id, "retrying", 1)


async def retry_later(
    session: AsyncSession,
    broadcast_id: int,
    delivery_id: int,
    now: datetime,
    next_attempt_at: datetime,
    error: str,
) -> bool:
    """Sending → retrying after a transient failure; tried again from `next_attempt_at`."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.SENDING)
        .values(
            status=DeliveryStatus.RETRYING,
            next_attempt_at=next_attempt_at,
            failing_since=func.coalesce(Delivery.failing_since, now),
            claimed_by=None,
            last_error=error,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    await _bump(session, broadcast_id, "retrying", 1)
    return True


async def next_retry_at(session: AsyncSession, broadcast_id: int) -> datetime | None:
    """When the earliest retrying delivery of the broadcast is due (None: none retrying)."""
    return await session.scalar(
        select(func.min(Delivery.next_attempt_at)).where(
            Delivery.broadcast_id == broadcast_id, Delivery.status == DeliveryStatus.RETRYING
        )
    )


async def delivery_user(session: AsyncSession, delivery_id: int) -> User | None:
    query = (
        select(User).join(Delivery, Delivery.user_id == User.id).where(Delivery.id == delivery_id)
    )
    return await session.scalar(query)


async def settle(
    session: AsyncSession,
    broadcast_id: int,
    delivery_id: int,
    status: DeliveryStatus,
    now: datetime,
    error: str | None = None,
    *,
    reserved: Reserved | None = None,
    claimant: str | None = None,
) -> bool:
    """Record the final outcome of a claimed delivery and bump its broadcast's counter.

    With `reserved` (and its `claimant`), the row is settled from its reservation
    without having been sent (a person no longer reachable, or without consent).
    """
    values: dict[str, Any] = {
        "status": status,
        "updated_at": now,
        "last_error": error,
        "next_attempt_at": None,
    }
    if status is DeliveryStatus.SENT:
        values["sent_at"] = now
    condition = [Delivery.id == delivery_id, Delivery.status == DeliveryStatus.SENDING]
    if reserved is not None:
        condition = [
            Delivery.id == delivery_id,
            Delivery.status == reserved.status,
            Delivery.claimed_by == claimant,
        ]
    result = await session.execute(
        update(Delivery)
        .where(*condition)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    await _bump(session, broadcast_id, COUNTER_OF[status], 1)
    if reserved is not None and reserved.status is DeliveryStatus.RETRYING:
        await _bump(session, broadcast_id, "retrying", -1)
    return True


async def cancel_pending(session: AsyncSession, broadcast_id: int, now: datetime) -> int:
    result = await session.execute(
        update(Delivery)
        .where(Delivery.broadcast_id == broadcast_id, Delivery.status.in_(AVAILABLE))
        .values(status=DeliveryStatus.CANCELLED, updated_at=now, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _claims_to_settle(
    current: str, previous_runs_of: str | None, cutoff: datetime
) -> ColumnElement[bool]:
    """`sending` rows no live runner holds: those of this instance's previous runs (its
    name, another run id), and anyone's but this run's older than `cutoff`."""
    others = or_(Delivery.claimed_by.is_(None), Delivery.claimed_by != current)
    dead = and_(others, Delivery.updated_at < cutoff)
    if previous_runs_of is not None:
        mine_before = and_(
            Delivery.claimed_by.startswith(previous_runs_of, autoescape=True),
            Delivery.claimed_by != current,
        )
        dead = or_(dead, mine_before)
    return and_(Delivery.status == DeliveryStatus.SENDING, dead)


async def mark_stale_unknown(
    session: AsyncSession,
    now: datetime,
    *,
    current: str,
    previous_runs_of: str | None,
    cutoff: datetime,
) -> list[int]:
    """Claims left by dead runs become unknown (maybe delivered); their broadcasts."""
    stale = _claims_to_settle(current, previous_runs_of, cutoff)
    broadcast_ids = list(
        await session.scalars(select(Delivery.broadcast_id).where(stale).distinct())
    )
    if not broadcast_ids:
        return []
    await session.execute(
        update(Delivery)
        .where(stale)
        .values(status=DeliveryStatus.UNKNOWN, updated_at=now, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
    for broadcast_id in broadcast_ids:
        await sync_counts(session, broadcast_id)
    return sorted(broadcast_ids)


async def free_reservations(
    session: AsyncSession, *, current: str, previous_runs_of: str, now: datetime
) -> int:
    """Reservations of this instance's previous runs: never sent, free again at once."""
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.status.in_(AVAILABLE),
            Delivery.claimed_by.startswith(previous_runs_of, autoescape=True),
            Delivery.claimed_by != current,
        )
        .values(claimed_by=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def report_rows(session: AsyncSession, broadcast_id: int) -> list[Any]:
    query = (
        select(
            Delivery.user_id,
            User.full_name,
            User.username,
            Delivery.status,
            Delivery.attempts,
            Delivery.sent_at,
            Delivery.last_error,
        )
        .join(User, User.id == Delivery.user_id)
        .where(Delivery.broadcast_id == broadcast_id)
        .order_by(Delivery.id)
    )
    return list(await session.execute(query))
