"""What differs between SQLite and PostgreSQL in the few statements that need it."""

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


def is_postgres(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def insert_for(session: AsyncSession):
    """The dialect's INSERT, which has ON CONFLICT DO NOTHING / DO UPDATE."""
    return pg_insert if is_postgres(session) else sqlite_insert
