"""People as the staff see them: search, cards, parent links, staff, invites and leads.

Queries only; the services commit.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    AdminPermission,
    Consent,
    Course,
    Delivery,
    Invite,
    Lead,
    LeadStatus,
    NotificationLog,
    ParentLink,
    Permission,
    Role,
    RoleAssignment,
    SupportTicket,
    User,
)
from db.models.leads import REACHED_AT

OPEN_LEAD_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.TRIAL)


# --- people -------------------------------------------------------------------------------


async def live_user(session: AsyncSession, user_id: int) -> User | None:
    user = await session.get(User, user_id)
    return None if user is None or user.deleted_at is not None else user


async def name_candidates(
    session: AsyncSession, folded: ColumnElement[str], patterns: Sequence[Sequence[str]], limit: int
) -> Sequence[Row[Any]]:
    """(id, full_name, phone) of live people whose `folded` name contains, for every token,
    one of its spellings (a list of spellings per token)."""
    conditions = [
        or_(*(folded.icontains(spelling, autoescape=True) for spelling in spellings))
        for spellings in patterns
    ]
    rows = await session.execute(
        select(User.id, User.full_name, User.phone)
        .where(User.deleted_at.is_(None), User.full_name.is_not(None), *conditions)
        .order_by(User.full_name, User.id)
        .limit(limit)
    )
    return rows.all()


async def phone_candidates(session: AsyncSession, digits: str, limit: int) -> Sequence[Row[Any]]:
    """(id, full_name, phone) of live people whose phone holds these digits."""
    rows = await session.execute(
        select(User.id, User.full_name, User.phone)
        .where(User.deleted_at.is_(None), User.phone.contains(digits, autoescape=True))
        .order_by(User.full_name, User.id)
        .limit(limit)
    )
    return rows.all()


async def with_phone(session: AsyncSession, phone: str) -> Sequence[User]:
    rows = await session.scalars(
        select(User).where(User.deleted_at.is_(None), User.phone == phone).order_by(User.id)
    )
    return rows.all()


async def roles_by_user(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, set[str]]:
    ids = list(user_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(RoleAssignment.user_id, RoleAssignment.role).where(RoleAssignment.user_id.in_(ids))
    )
    found: dict[int, set[str]] = {}
    for user_id, role in rows:
        found.setdefault(user_id, set()).add(role)
    return found


async def has_role(session: AsyncSession, user_id: int, role: Role) -> bool:
    found = await session.scalar(
        select(RoleAssignment.id).where(
            RoleAssignment.user_id == user_id, RoleAssignment.role == role
        )
    )
    return found is not None


async def remove_role(session: AsyncSession, user_id: int, role: Role) -> int:
    result = await session.execute(
        delete(RoleAssignment).where(RoleAssignment.user_id == user_id, RoleAssignment.role == role)
    )
    return result.rowcount or 0


async def set_permissions(
    session: AsyncSession, user_id: int, permissions: Iterable[Permission]
) -> None:
    await session.execute(delete(AdminPermission).where(AdminPermission.user_id == user_id))
    session.add_all(AdminPermission(user_id=user_id, permission=p) for p in permissions)


async def is_linked(session: AsyncSession, parent_id: int, student_id: int) -> bool:
    found = await session.scalar(
        select(ParentLink.id).where(
            ParentLink.parent_id == parent_id, ParentLink.student_id == student_id
        )
    )
    return found is not None


async def first_child(session: AsyncSession, parent_id: int) -> int | None:
    return await session.scalar(
        select(ParentLink.student_id)
        .join(User, User.id == ParentLink.student_id)
        .where(ParentLink.parent_id == parent_id, User.deleted_at.is_(None))
        .order_by(ParentLink.id)
        .limit(1)
    )


async def has_links(session: AsyncSession, user_id: int) -> bool:
    found = await session.scalar(
        select(ParentLink.id)
        .where(or_(ParentLink.parent_id == user_id, ParentLink.student_id == user_id))
        .limit(1)
    )
    return found is not None


async def staff_page(session: AsyncSession, offset: int, limit: int) -> tuple[list[User], int]:
    """Live admins and teachers, by name."""
    is_staff = (
        select(RoleAssignment.user_id)
        .where(RoleAssignment.role.in_([Role.ADMIN, Role.TEACHER]))
        .scalar_subquery()
    )
    condition = and_(User.deleted_at.is_(None), User.id.in_(is_staff))
    total = await session.scalar(select(func.count()).select_from(User).where(condition)) or 0
    rows = await session.scalars(
        select(User).where(condition).order_by(User.full_name, User.id).offset(offset).limit(limit)
    )
    return list(rows), total


async def move_records(session: AsyncSession, from_id: int, to_id: int) -> None:
    """Hand one person's own records to another row of the same person (an account merge).

    Their audit entries move through bot.services.audit.move_actor, which keeps the chain.
    """
    for column in (
        Consent.user_id,
        SupportTicket.user_id,
        Lead.user_id,
        NotificationLog.user_id,
        Delivery.user_id,
    ):
        await session.execute(
            update(column.class_).where(column == from_id).values({column.key: to_id})
        )


# --- invites ------------------------------------------------------------------------------


async def invite_by_hash(session: AsyncSession, code_hash: str) -> Invite | None:
    return await session.scalar(select(Invite).where(Invite.code_hash == code_hash))


async def claim_invite(session: AsyncSession, invite_id: int, now: datetime) -> bool:
    """Mark an open invite used; False when another opening or a revocation came first."""
    result = await session.execute(
        update(Invite)
        .where(
            Invite.id == invite_id,
            Invite.used_at.is_(None),
            Invite.revoked_at.is_(None),
            Invite.expires_at > now,
        )
        .values(used_at=now)
    )
    return result.rowcount == 1


async def revoke_open_invites(session: AsyncSession, kind: str, user_id: int, now: datetime) -> int:
    """Revoke the unused invites that would bind the same person (a new link replaces them)."""
    result = await session.execute(
        update(Invite)
        .where(
            Invite.kind == kind,
            Invite.user_id == user_id,
            Invite.used_at.is_(None),
            Invite.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return result.rowcount or 0


async def open_invite_count(session: AsyncSession, user_id: int, now: datetime) -> int:
    return (
        await session.scalar(
            select(func.count())
            .select_from(Invite)
            .where(
                or_(Invite.user_id == user_id, Invite.student_id == user_id),
                Invite.used_at.is_(None),
                Invite.revoked_at.is_(None),
                Invite.expires_at > now,
            )
        )
        or 0
    )


# --- leads --------------------------------------------------------------------------------


async def active_courses(session: AsyncSession) -> Sequence[Row[Any]]:
    """(id, name) of the courses that take students."""
    rows = await session.execute(
        select(Course.id, Course.name).where(Course.is_active.is_(True)).order_by(Course.name)
    )
    return rows.all()


async def course_name(session: AsyncSession, course_id: int | None) -> str | None:
    if course_id is None:
        return None
    return await session.scalar(select(Course.name).where(Course.id == course_id))


async def open_lead_of(session: AsyncSession, user_id: int) -> Lead | None:
    return await session.scalar(
        select(Lead)
        .where(Lead.user_id == user_id, Lead.status.in_(OPEN_LEAD_STATUSES))
        .order_by(Lead.id.desc())
        .limit(1)
    )


async def leads_page(
    session: AsyncSession, *, closed: bool, offset: int, limit: int
) -> tuple[list[Row[Any]], int]:
    """(Lead, course name) newest first: the open ones, or the enrolled and lost ones."""
    condition = (
        Lead.status.not_in(OPEN_LEAD_STATUSES) if closed else Lead.status.in_(OPEN_LEAD_STATUSES)
    )
    total = await session.scalar(select(func.count()).select_from(Lead).where(condition)) or 0
    rows = await session.execute(
        select(Lead, Course.name)
        .outerjoin(Course, Course.id == Lead.course_id)
        .where(condition)
        .order_by(Lead.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows.all()), total


async def lead_with_course(session: AsyncSession, lead_id: int) -> Row[Any] | None:
    row = await session.execute(
        select(Lead, Course.name)
        .outerjoin(Course, Course.id == Lead.course_id)
        .where(Lead.id == lead_id)
    )
    return row.first()


async def set_lead_status(
    session: AsyncSession, lead_id: int, expected: str, status: str, now: datetime
) -> bool:
    """Change a lead's status only if nobody changed it meanwhile (two admins at once); the
    first time it reaches a status is kept (`REACHED_AT`)."""
    reached = REACHED_AT.get(LeadStatus(status))
    stamp = {} if reached is None else {reached: func.coalesce(getattr(Lead, reached), now)}
    result = await session.execute(
        update(Lead)
        .where(Lead.id == lead_id, Lead.status == expected)
        .values(status=status, updated_at=now, **stamp)
    )
    return result.rowcount == 1
