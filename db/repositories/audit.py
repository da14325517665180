"""The audit log: append-only."""

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEntry


async def add_entry(session: AsyncSession, entry: AuditEntry) -> None:
    session.add(entry)
