"""Support tickets: queries and conditional updates. Never commits."""

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    SupportTicket,
    TicketStatus,
    User,
)


async def add(
    session: AsyncSession, user_id: int, topic: str, text: str, now: datetime
) -> SupportTicket:
    ticket = SupportTicket(
        user_id=user_id, topic=topic, text=text, status=TicketStatus.OPEN, created_at=now
    )
    session.add(ticket)
    await session.flush()
    return ticket


async def get_with_author(
    session: AsyncSession, ticket_id: int
) -> tuple[SupportTicket, User | None] | None:
    row = (
        await session.execute(
            select(SupportTicket, User)
            .outerjoin(User, User.id == SupportTicket.user_id)
            .where(SupportTicket.id == ticket_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def recent_of_user(session: AsyncSession, user_id: int, limit: int) -> list[SupportTicket]:
    rows = await session.scalars(
        select(SupportTicket)
        .where(SupportTicket.user_id == user_id)
        .order_by(SupportTicket.created_at.desc(), SupportTicket.id.desc())
        .limit(limit)
    )
    return list(rows)


async def count_open(session: AsyncSession) -> int:
    return await session.scalar(
        select(func.count())
        .select_from(SupportTicket)
        .where(SupportTicket.status == TicketStatus.OPEN)
    )


async def open_page(
    session: AsyncSession, offset: int, limit: int
) -> list[tuple[SupportTicket, User | None]]:
    """Open tickets, oldest first, with their authors."""
    rows = await session.execute(
        select(SupportTicket, User)
        .outerjoin(User, User.id == SupportTicket.user_id)
        .where(SupportTicket.status == TicketStatus.OPEN)
        .order_by(SupportTicket.created_at, SupportTicket.id)
        .offset(offset)
        .limit(limit)
    )
    return [(ticket, user) for ticket, user in rows]


async def set_answer(
    session: AsyncSession, ticket_id: int, answer: str, answered_by_id: int, now: datetime
) -> bool:
    """Answer an open ticket; False when it is not open (any more): one answer wins."""
    result = await session.execute(
        update(SupportTicket)
        .where(SupportTicket.id == ticket_id, SupportTicket.status == TicketStatus.OPEN)
        .values(
            status=TicketStatus.ANSWERED,
            answer=answer,
            answered_by_id=answered_by_id,
            answered_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def set_closed(session: AsyncSession, ticket_id: int) -> bool:
    """Close an open ticket; False when it is not open (any more)."""
    result = await session.execute(
        update(SupportTicket)
        .where(SupportTicket.id == ticket_id, SupportTicket.status == TicketStatus.OPEN)
        .values(status=TicketStatus.CLOSED)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def due_for_reminder(session: AsyncSession, cutoff: datetime, limit: int) -> list[int]:
    """Open tickets created before `cutoff` whose staff have not been reminded yet."""
    rows = await session.scalars(
        select(SupportTicket.id)
        .where(
            SupportTicket.status == TicketStatus.OPEN,
            SupportTicket.reminded_at.is_(None),
            SupportTicket.created_at < cutoff,
        )
        .order_by(SupportTicket.created_at, SupportTicket.id)
        .limit(limit)
    )
    return list(rows)


async def claim_reminder(session: AsyncSession, ticket_id: int, now: datetime) -> bool:
    """Mark the reminder as taken; only one caller (of any process) gets True."""
    result = await session.execute(
        update(SupportTicket)
        .where(
            SupportTicket.id == ticket_id,
            SupportTicket.status == TicketStatus.OPEN,
            SupportTicket.reminded_at.is_(None),
        )
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
