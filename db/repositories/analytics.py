"""Usage counts: one row per day, command and role."""

from datetime import date

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import UsageCount


async def increment(session: AsyncSession, day: date, command: str, role: str) -> None:
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(UsageCount).values(day=day, command=command, role=role, count=1)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[UsageCount.day, UsageCount.command, UsageCount.role],
            set_={"count": UsageCount.count + 1},
        )
    )
