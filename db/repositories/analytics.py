"""Usage counts: one row per day, command and role."""

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import UsageCount
from db.repositories.dialect import insert_for


async def increment(
    session: AsyncSession, day: date, command: str, role: str, *, by: int = 1
) -> None:
    insert = insert_for(session)
    statement = insert(UsageCount).values(day=day, command=command, role=role, count=by)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[UsageCount.day, UsageCount.command, UsageCount.role],
            set_={"count": UsageCount.count + by},
        )
    )
