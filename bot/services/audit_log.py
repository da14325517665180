"""Reading the audit log (POLICY 14): pages of entries, filtered by user and by action."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.paging import page_bounds
from db.ids import parse_row_id, parse_telegram_id
from db.models import AuditEntry, User
from db.repositories import audit as audit_repo

PAGE_SIZE = 10


@dataclass(frozen=True, slots=True)
class AuditFilter:
    action: str = ""  # a prefix such as "consent" or "consent.accepted"
    user_id: int = 0  # the actor's internal id; 0: everyone


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[tuple[AuditEntry, str | None]]
    page: int
    pages: int
    total: int


async def read_page(session: AsyncSession, page: int, audit_filter: AuditFilter) -> AuditPage:
    """Entries of one page (1-based); a page past the end gives the last one."""
    action, actor_id = audit_filter.action or None, audit_filter.user_id or None
    total = await audit_repo.count_entries(session, action_prefix=action, actor_id=actor_id)
    page, pages = page_bounds(total, page, PAGE_SIZE)
    rows = await audit_repo.entries(
        session,
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
        action_prefix=action,
        actor_id=actor_id,
    )
    return AuditPage(entries=rows, page=page, pages=pages, total=total)


async def find_actor(session: AsyncSession, reference: str) -> int | None:
    """A user named by Telegram id or by internal id written as #N."""
    reference = reference.strip()
    if reference.startswith("#"):
        user_id = parse_row_id(reference[1:])
        user = await session.get(User, user_id) if user_id is not None else None
        return user.id if user else None
    telegram_id = parse_telegram_id(reference)
    if telegram_id is None:
        return None
    return await session.scalar(select(User.id).where(User.telegram_id == telegram_id))


async def action_groups(session: AsyncSession) -> list[str]:
    return await audit_repo.action_groups(session)
