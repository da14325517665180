"""Queries for erasing a person (POLICY 9). Nothing here commits."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db import report_totals
from db.models import (
    AdminPermission,
    AuditEntry,
    Balance,
    Broadcast,
    BroadcastStatus,
    Charge,
    Consent,
    Delivery,
    Grade,
    Group,
    Homework,
    Invite,
    Lead,
    NotificationLog,
    ParentLink,
    Payment,
    Refund,
    RoleAssignment,
    SupportTicket,
    User,
)

LEDGER_MODELS = (Charge, Payment, Refund, Balance)
ERASURE_ACTION = "user.deleted"


async def lock_live_user(session: AsyncSession, user_id: int) -> User | None:
    """The user unless already erased; PostgreSQL locks the row until the transaction ends."""
    return await session.scalar(
        select(User)
        .where(User.id == user_id, User.deleted_at.is_(None))
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def erase_user_row(session: AsyncSession, user_id: int, now: datetime) -> bool:
    """Blank the person's columns; False when another transaction erased them first.

    The `deleted_at IS NULL` condition makes the UPDATE itself the claim: of two
    concurrent erasures exactly one changes a row.
    """
    result = await session.execute(
        update(User)
        .where(User.id == user_id, User.deleted_at.is_(None))
        .values(
            telegram_id=None,
            full_name=None,
            username=None,
            phone=None,
            email=None,
            birth_date=None,
            last_seen_at=None,
            is_active=False,
            deleted_at=now,
        )
    )
    return result.rowcount == 1


async def delete_personal_rows(session: AsyncSession, user_id: int) -> None:
    """Roles, permissions, consents, parent links both ways, personal invites, send logs."""
    statements: tuple[Any, ...] = (
        delete(RoleAssignment).where(RoleAssignment.user_id == user_id),
        delete(AdminPermission).where(AdminPermission.user_id == user_id),
        delete(Consent).where(Consent.user_id == user_id),
        delete(ParentLink).where(
            or_(ParentLink.parent_id == user_id, ParentLink.student_id == user_id)
        ),
        delete(Invite).where(
            or_(
                Invite.user_id == user_id,
                Invite.student_id == user_id,
                Invite.used_by_id == user_id,
            )
        ),
        delete(NotificationLog).where(NotificationLog.user_id == user_id),
        delete(Delivery).where(Delivery.user_id == user_id),
    )
    for statement in statements:
        await session.execute(statement)


async def linked_free_texts(
    session: AsyncSession, user_id: int
) -> list[tuple[Any, tuple[str, ...]]]:
    """Rows tied to the person whose free-text columns may name them, with those columns.

    The rows themselves are kept (ledger, grades, homework, broadcasts, answers they wrote).
    """
    queries: tuple[tuple[Any, tuple[str, ...]], ...] = (
        (select(Payment).where(Payment.student_id == user_id), ("note", "reversal_reason")),
        (select(Refund).where(Refund.student_id == user_id), ("reason",)),
        (
            select(Grade).where(or_(Grade.student_id == user_id, Grade.given_by_id == user_id)),
            ("comment",),
        ),
        (select(Homework).where(Homework.posted_by_id == user_id), ("text",)),
        (select(Broadcast).where(Broadcast.author_id == user_id), ("preview_text",)),
        (select(SupportTicket).where(SupportTicket.answered_by_id == user_id), ("answer",)),
    )
    found: list[tuple[Any, tuple[str, ...]]] = []
    for query, columns in queries:
        found += [(row, columns) for row in await session.scalars(query)]
    return found


async def own_tickets(session: AsyncSession, user_id: int) -> list[SupportTicket]:
    return list(
        await session.scalars(select(SupportTicket).where(SupportTicket.user_id == user_id))
    )


async def leads_of(session: AsyncSession, user_id: int, phone: str | None) -> list[Lead]:
    condition = Lead.user_id == user_id
    if phone:
        condition = or_(condition, Lead.phone == phone)
    return list(await session.scalars(select(Lead).where(condition)))


async def detach_ledger(session: AsyncSession, user_id: int, anon_ref: str) -> int:
    """Move every ledger row and the balance from the person to `anon_ref`; rows moved
    (no amount, day or month changes: no report total moves)."""
    moved = 0
    for model in LEDGER_MODELS:
        result = await session.execute(
            update(model)
            .where(model.student_id == user_id)
            .values(student_id=None, anon_ref=anon_ref)
            .execution_options(**report_totals.TOUCHED)
        )
        moved += result.rowcount
    return moved


async def unassign_groups(session: AsyncSession, user_id: int) -> None:
    """A teacher who erased themselves teaches no group any more."""
    await session.execute(update(Group).where(Group.teacher_id == user_id).values(teacher_id=None))


async def retire_broadcasts(session: AsyncSession, user_id: int) -> None:
    """Forget the author's chat id where it is no longer needed to copy the message.

    A draft dies with its author; a scheduled or sending broadcast keeps the chat id
    so that its pending deliveries can still be copied from it.
    """
    authored = Broadcast.author_id == user_id
    await session.execute(
        update(Broadcast)
        .where(authored, Broadcast.status == BroadcastStatus.DRAFT)
        .values(status=BroadcastStatus.CANCELLED)
    )
    await session.execute(
        update(Broadcast)
        .where(authored, Broadcast.status.in_([BroadcastStatus.DONE, BroadcastStatus.CANCELLED]))
        .values(source_chat_id=0)
    )


async def audit_entries_containing(
    session: AsyncSession, fragments: Iterable[str]
) -> list[tuple[int, Any]]:
    """(id, details) of the entries whose details, as stored JSON text, contain any
    fragment (lower-case); earlier erasures' own entries hold no personal data."""
    details_text = func.lower(cast(AuditEntry.details, Text))
    conditions = [details_text.contains(fragment, autoescape=True) for fragment in fragments]
    if not conditions:
        return []
    rows = await session.execute(
        select(AuditEntry.id, AuditEntry.details)
        .where(or_(*conditions), AuditEntry.action != ERASURE_ACTION)
        .order_by(AuditEntry.id)
    )
    return [(row.id, row.details) for row in rows]
