"""Support tickets (POLICY 10): a user writes, admins answer, the user is told.

Rules: a ticket's text is 5-2000 characters, an answer 1-2000; a ticket is answered
once (the first answer wins, a second is refused and changes nothing); only open
tickets can be answered or closed; a user sees only their own tickets; an open ticket
older than 24 hours reminds the staff once. Each use case commits once, audit entry
included, and returns plain data for the caller to send after the commit.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.paging import page_bounds
from bot.services.recipients import Recipient, staff_recipients
from db.base import utcnow
from db.models import Permission, SupportTicket, TicketStatus, TicketTopic, User
from db.repositories import support as support_repo

TEXT_MIN = 5
TEXT_MAX = 2000
ANSWER_MIN = 1
ANSWER_MAX = 2000
PAGE_SIZE = 10
RECENT_LIMIT = 5
REPLY_PROMISE = timedelta(hours=24)
REMINDER_BATCH = 100


class TextProblem(StrEnum):
    NOT_TEXT = "not_text"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"


class Outcome(StrEnum):
    DONE = "done"  # this call answered / closed the ticket
    ANSWERED = "answered"  # it had been answered already
    CLOSED = "closed"  # it had been closed already
    MISSING = "missing"  # no such ticket


@dataclass(frozen=True, slots=True)
class TicketInfo:
    id: int
    topic: TicketTopic
    text: str
    status: TicketStatus
    created_at: datetime
    author_id: int | None
    author_name: str | None
    answer: str | None = None
    answered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TicketNotice:
    """A ticket to tell the staff about, and whom to tell."""

    ticket: TicketInfo
    recipients: tuple[Recipient, ...]


@dataclass(frozen=True, slots=True)
class Resolution:
    """What answering or closing did, and whom to tell (None: the author is unreachable)."""

    outcome: Outcome
    ticket: TicketInfo | None = None
    author: Recipient | None = None


@dataclass(frozen=True, slots=True)
class TicketPage:
    items: list[TicketInfo]
    page: int
    pages: int
    total: int


def check_text(
    text: str | None, minimum: int = TEXT_MIN, maximum: int = TEXT_MAX
) -> TextProblem | None:
    if text is None:
        return TextProblem.NOT_TEXT
    length = len(text.strip())
    if length < minimum:
        return TextProblem.TOO_SHORT
    if length > maximum:
        return TextProblem.TOO_LONG
    return None


def check_answer(text: str | None) -> TextProblem | None:
    return check_text(text, ANSWER_MIN, ANSWER_MAX)


def _info(ticket: SupportTicket, author: User | None) -> TicketInfo:
    return TicketInfo(
        id=ticket.id,
        topic=TicketTopic(ticket.topic),
        text=ticket.text,
        status=TicketStatus(ticket.status),
        created_at=ticket.created_at,
        author_id=ticket.user_id,
        author_name=author.full_name if author is not None and author.deleted_at is None else None,
        answer=ticket.answer,
        answered_at=ticket.answered_at,
    )


def _reachable(user: User | None) -> Recipient | None:
    if user is None or user.telegram_id is None or user.deleted_at is not None:
        return None
    return Recipient(user_id=user.id, telegram_id=user.telegram_id, language=user.language)


async def staff(session: AsyncSession, owner_ids: tuple[int, ...]) -> tuple[Recipient, ...]:
    """Who is told of tickets: admins with the `users` permission and the owners."""
    return tuple(await staff_recipients(session, Permission.USERS, owner_ids))


async def open_ticket(
    session: AsyncSession,
    user_id: int,
    topic: TicketTopic,
    text: str,
    owner_ids: tuple[int, ...],
    now: datetime | None = None,
) -> TicketNotice:
    """Store a new open ticket; returns it with the staff to notify (after the commit)."""
    problem = check_text(text)
    if problem is not None:
        raise ValueError(f"ticket text rejected: {problem}")
    ticket = await support_repo.add(
        session, user_id, TicketTopic(topic), text.strip(), now or utcnow()
    )
    await audit.record(
        session,
        user_id,
        "ticket.opened",
        "support_ticket",
        ticket.id,
        details={"topic": ticket.topic, "length": len(ticket.text)},
    )
    found = await support_repo.get_with_author(session, ticket.id)
    assert found is not None
    recipients = await staff(session, owner_ids)
    await session.commit()
    return TicketNotice(ticket=_info(*found), recipients=recipients)


async def recent_of_user(session: AsyncSession, user_id: int) -> list[TicketInfo]:
    return [
        _info(ticket, None)
        for ticket in await support_repo.recent_of_user(session, user_id, RECENT_LIMIT)
    ]


async def ticket_of_user(session: AsyncSession, user_id: int, ticket_id: int) -> TicketInfo | None:
    """The user's own ticket; None for anyone else's (or none at all)."""
    found = await support_repo.get_with_author(session, ticket_id)
    if found is None or found[0].user_id != user_id:
        return None
    return _info(*found)


async def get_ticket(session: AsyncSession, ticket_id: int) -> TicketInfo | None:
    """Any ticket, for staff."""
    found = await support_repo.get_with_author(session, ticket_id)
    return None if found is None else _info(*found)


async def open_tickets_page(session: AsyncSession, page: int) -> TicketPage:
    """Open tickets, oldest first; a page past the end shows the last one."""
    total = await support_repo.count_open(session)
    page, pages = page_bounds(total, page, PAGE_SIZE)
    rows = await support_repo.open_page(session, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    return TicketPage(
        items=[_info(ticket, user) for ticket, user in rows], page=page, pages=pages, total=total
    )


async def _refusal(session: AsyncSession, ticket_id: int) -> Resolution:
    ticket = await get_ticket(session, ticket_id)
    if ticket is None:
        return Resolution(Outcome.MISSING)
    if ticket.status is TicketStatus.ANSWERED:
        return Resolution(Outcome.ANSWERED, ticket)
    return Resolution(Outcome.CLOSED, ticket)


async def _author_of(session: AsyncSession, ticket_id: int) -> tuple[TicketInfo, Recipient | None]:
    found = await support_repo.get_with_author(session, ticket_id)
    assert found is not None
    return _info(*found), _reachable(found[1])


async def answer_ticket(
    session: AsyncSession,
    ticket_id: int,
    admin_id: int,
    answer: str,
    now: datetime | None = None,
) -> Resolution:
    """Answer an open ticket. The first answer wins; a later one changes nothing."""
    if check_answer(answer) is not None:
        raise ValueError("answer text rejected")
    answer = answer.strip()
    if not await support_repo.set_answer(session, ticket_id, answer, admin_id, now or utcnow()):
        return await _refusal(session, ticket_id)
    return await _resolved(session, ticket_id, admin_id, "ticket.answered", {"length": len(answer)})


async def close_ticket(session: AsyncSession, ticket_id: int, admin_id: int) -> Resolution:
    """Close an open ticket without a written answer."""
    if not await support_repo.set_closed(session, ticket_id):
        return await _refusal(session, ticket_id)
    return await _resolved(session, ticket_id, admin_id, "ticket.closed")


async def _resolved(
    session: AsyncSession,
    ticket_id: int,
    admin_id: int,
    action: str,
    details: dict | None = None,
) -> Resolution:
    """The admin's answer or close is recorded and committed; the ticket as it is now."""
    await audit.record(session, admin_id, action, "support_ticket", ticket_id, details=details)
    ticket, author = await _author_of(session, ticket_id)
    await session.commit()
    return Resolution(Outcome.DONE, ticket, author)


async def claim_reminders(
    session: AsyncSession, now: datetime, owner_ids: tuple[int, ...]
) -> list[TicketNotice]:
    """Claim the reminder of every open ticket older than the promised reply time.

    Each ticket is claimed by a conditional update (reminded_at IS NULL), so of two
    jobs, in one process or two, exactly one wins it; the claims are committed before
    anything is sent.
    """
    candidates = await support_repo.due_for_reminder(session, now - REPLY_PROMISE, REMINDER_BATCH)
    claimed = [tid for tid in candidates if await support_repo.claim_reminder(session, tid, now)]
    if not claimed:
        await session.rollback()
        return []
    notices = []
    recipients = await staff(session, owner_ids)
    for ticket_id in claimed:
        await audit.record(
            session,
            None,
            "ticket.reminded",
            "support_ticket",
            ticket_id,
            details={"staff": len(recipients)},
        )
        ticket, _ = await _author_of(session, ticket_id)
        notices.append(TicketNotice(ticket=ticket, recipients=recipients))
    await session.commit()
    return notices
