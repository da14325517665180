"""Homework: a new assignment; nothing here commits."""

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Homework


async def add_homework(session: AsyncSession, homework: Homework) -> Homework:
    session.add(homework)
    await session.flush()
    return homework
