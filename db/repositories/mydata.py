"""One person's records, for /mydata and /export: a query per table, never one per row."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Attendance,
    AuditEntry,
    AuditOutcome,
    Balance,
    Charge,
    Consent,
    Course,
    Enrolment,
    Grade,
    Group,
    Lead,
    Lesson,
    NotificationLog,
    ParentLink,
    Payment,
    Refund,
    RoleAssignment,
    SupportTicket,
    User,
)


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def roles(session: AsyncSession, user_id: int) -> Sequence[Row[Any]]:
    """(role, assigned at)."""
    rows = await session.execute(
        select(RoleAssignment.role, RoleAssignment.created_at)
        .where(RoleAssignment.user_id == user_id)
        .order_by(RoleAssignment.created_at, RoleAssignment.id)
    )
    return rows.all()


async def enrolments(session: AsyncSession, student_id: int) -> Sequence[Row[Any]]:
    """(Enrolment, group name, course name), newest first."""
    rows = await session.execute(
        select(Enrolment, Group.name, Course.name)
        .join(Group, Group.id == Enrolment.group_id)
        .join(Course, Course.id == Group.course_id)
        .where(Enrolment.student_id == student_id)
        .order_by(Enrolment.joined_on.desc(), Enrolment.id.desc())
    )
    return rows.all()


async def attendance_counts(session: AsyncSession, student_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(Attendance.status, func.count())
        .where(Attendance.student_id == student_id)
        .group_by(Attendance.status)
    )
    return {status: count for status, count in rows}


async def attendance(session: AsyncSession, student_id: int) -> Sequence[Row[Any]]:
    """(lesson id, status, marked at, lesson start, group name), oldest lesson first.

    Plain columns, not entities: a student may have thousands of marks.
    """
    rows = await session.execute(
        select(
            Attendance.lesson_id,
            Attendance.status,
            Attendance.marked_at,
            Lesson.starts_at,
            Group.name,
        )
        .join(Lesson, Lesson.id == Attendance.lesson_id)
        .join(Group, Group.id == Lesson.group_id)
        .where(Attendance.student_id == student_id)
        .order_by(Lesson.starts_at, Attendance.id)
    )
    return rows.all()


async def count_grades(session: AsyncSession, student_id: int) -> int:
    return (
        await session.scalar(
            select(func.count()).select_from(Grade).where(Grade.student_id == student_id)
        )
        or 0
    )


async def grades(
    session: AsyncSession, student_id: int, limit: int | None = None
) -> Sequence[Row[Any]]:
    """(Grade, group name), newest first."""
    statement = (
        select(Grade, Group.name)
        .join(Group, Group.id == Grade.group_id)
        .where(Grade.student_id == student_id)
        .order_by(Grade.created_at.desc(), Grade.id.desc())
        .limit(limit)
    )
    return (await session.execute(statement)).all()


async def count_payments(session: AsyncSession, student_id: int) -> int:
    return (
        await session.scalar(
            select(func.count()).select_from(Payment).where(Payment.student_id == student_id)
        )
        or 0
    )


async def payments(
    session: AsyncSession, student_id: int, limit: int | None = None
) -> Sequence[Payment]:
    """Newest first."""
    rows = await session.scalars(
        select(Payment)
        .where(Payment.student_id == student_id)
        .order_by(Payment.paid_at.desc(), Payment.id.desc())
        .limit(limit)
    )
    return rows.all()


async def charges(session: AsyncSession, student_id: int) -> Sequence[Row[Any]]:
    """(Charge, group name or None), newest period first."""
    rows = await session.execute(
        select(Charge, Group.name)
        .outerjoin(Enrolment, Enrolment.id == Charge.enrolment_id)
        .outerjoin(Group, Group.id == Enrolment.group_id)
        .where(Charge.student_id == student_id)
        .order_by(Charge.period.desc(), Charge.id.desc())
    )
    return rows.all()


async def refunds(session: AsyncSession, student_id: int) -> Sequence[Refund]:
    rows = await session.scalars(
        select(Refund)
        .where(Refund.student_id == student_id)
        .order_by(Refund.refunded_at.desc(), Refund.id.desc())
    )
    return rows.all()


async def balance(session: AsyncSession, student_id: int) -> int | None:
    return await session.scalar(select(Balance.amount).where(Balance.student_id == student_id))


async def children(session: AsyncSession, parent_id: int) -> Sequence[User]:
    """The parent's linked children (erased people left out), by name."""
    rows = await session.scalars(
        select(User)
        .join(ParentLink, ParentLink.student_id == User.id)
        .where(ParentLink.parent_id == parent_id, User.deleted_at.is_(None))
        .order_by(User.full_name, User.id)
    )
    return rows.all()


async def parents(session: AsyncSession, student_id: int) -> Sequence[User]:
    rows = await session.scalars(
        select(User)
        .join(ParentLink, ParentLink.parent_id == User.id)
        .where(ParentLink.student_id == student_id, User.deleted_at.is_(None))
        .order_by(User.full_name, User.id)
    )
    return rows.all()


async def is_linked_child(session: AsyncSession, parent_id: int, student_id: int) -> bool:
    return bool(
        await session.scalar(
            select(
                exists().where(
                    ParentLink.parent_id == parent_id, ParentLink.student_id == student_id
                )
            )
        )
    )


async def consents(session: AsyncSession, user_id: int) -> Sequence[Consent]:
    """The whole consent history, oldest first (the last row is the current choice)."""
    rows = await session.scalars(
        select(Consent).where(Consent.user_id == user_id).order_by(Consent.at, Consent.id)
    )
    return rows.all()


async def tickets(session: AsyncSession, user_id: int) -> Sequence[SupportTicket]:
    rows = await session.scalars(
        select(SupportTicket)
        .where(SupportTicket.user_id == user_id)
        .order_by(SupportTicket.created_at.desc(), SupportTicket.id.desc())
    )
    return rows.all()


async def notifications(session: AsyncSession, user_id: int) -> Sequence[NotificationLog]:
    rows = await session.scalars(
        select(NotificationLog)
        .where(NotificationLog.user_id == user_id)
        .order_by(NotificationLog.claimed_at, NotificationLog.id)
    )
    return rows.all()


async def leads(session: AsyncSession, user_id: int) -> Sequence[Row[Any]]:
    """(Lead, course name or None)."""
    rows = await session.execute(
        select(Lead, Course.name)
        .outerjoin(Course, Course.id == Lead.course_id)
        .where(Lead.user_id == user_id)
        .order_by(Lead.created_at, Lead.id)
    )
    return rows.all()


async def latest_action_at(session: AsyncSession, actor_id: int, action: str) -> datetime | None:
    """When this actor last did `action` successfully (the audit log is the clock)."""
    return await session.scalar(
        select(func.max(AuditEntry.at)).where(
            AuditEntry.actor_id == actor_id,
            AuditEntry.action == action,
            AuditEntry.outcome == AuditOutcome.OK,
        )
    )
