"""Queries for broadcasts and their deliveries (never commits).

A delivery moves pending → sending (claimed by one runner) → sent / failed / blocked,
or pending → cancelled, or sending → unknown when a crash left it in flight. Every
change of a delivery's status goes through a conditional UPDATE on the old status, so
two runners (or a runner and a cancel) can never both move the same row.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, insert, select, update
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
}
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


async def claim_next(session: AsyncSession, broadcast_id: int, now: datetime) -> int | None:
    """Flip one pending delivery to sending and return its id (None: nothing left).

    PostgreSQL picks the row with SKIP LOCKED, so concurrent runners never wait on or
    take the same row; SQLite serializes writers, and the status condition holds there.
    """
    candidate = (
        select(Delivery.id)
        .where(Delivery.broadcast_id == broadcast_id, Delivery.status == DeliveryStatus.PENDING)
        .order_by(Delivery.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id == candidate, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SENDING, attempts=Delivery.attempts + 1, updated_at=now)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none()


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
) -> bool:
    """Record the outcome of a claimed delivery and bump its broadcast's counter."""
    values: dict[str, Any] = {"status": status, "updated_at": now, "last_error": error}
    if status is DeliveryStatus.SENT:
        values["sent_at"] = now
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.SENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    column = getattr(Broadcast, COUNTER_OF[status])
    await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id)
        .values({column: column + 1})
        .execution_options(synchronize_session=False)
    )
    return True


async def release(session: AsyncSession, delivery_id: int, now: datetime) -> None:
    """A claimed delivery that was never handed to Telegram goes back to pending."""
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.SENDING)
        .values(status=DeliveryStatus.PENDING, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def cancel_pending(session: AsyncSession, broadcast_id: int, now: datetime) -> int:
    result = await session.execute(
        update(Delivery)
        .where(Delivery.broadcast_id == broadcast_id, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.CANCELLED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def mark_stale_unknown(session: AsyncSession, cutoff: datetime, now: datetime) -> list[int]:
    """Deliveries left `sending` since before `cutoff` become unknown; their broadcasts."""
    stale = Delivery.status == DeliveryStatus.SENDING, Delivery.updated_at < cutoff
    broadcast_ids = list(
        await session.scalars(select(Delivery.broadcast_id).where(*stale).distinct())
    )
    if not broadcast_ids:
        return []
    await session.execute(
        update(Delivery)
        .where(*stale)
        .values(status=DeliveryStatus.UNKNOWN, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    for broadcast_id in broadcast_ids:
        await sync_counts(session, broadcast_id)
    return sorted(broadcast_ids)


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
