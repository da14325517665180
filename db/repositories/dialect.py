"""What differs between SQLite and PostgreSQL in the few statements that need it."""

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


def is_postgres(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def insert_for(session: AsyncSession):
    """The dialect's INSERT, which has ON CONFLICT DO NOTHING / DO UPDATE."""
    return pg_insert if is_postgres(session) else sqlite_insert


async def plan_for_the_values(session: AsyncSession) -> None:
    """PostgreSQL: plan the rest of the transaction's statements for the values they are
    given each time. A long-lived process runs the same statement (kept prepared by asyncpg)
    over and over; after five runs PostgreSQL may settle on one generic plan for any values,
    which for a period's facts (a month, or two months with a correction) reads them several
    times slower. SQLite plans every statement anew anyway."""
    if is_postgres(session):
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
