"""Grades: those already given for a lesson, and new ones; nothing here commits."""

from collections.abc import Iterable

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Grade


async def lesson_grades(
    session: AsyncSession, lesson_id: int, kind: str, student_ids: Iterable[int]
) -> dict[int, Grade]:
    """student id → the grade of this kind already given for the lesson."""
    ids = list(student_ids)
    if not ids:
        return {}
    rows = await session.scalars(
        select(Grade).where(
            and_(Grade.lesson_id == lesson_id, Grade.kind == kind, Grade.student_id.in_(ids))
        )
    )
    return {grade.student_id: grade for grade in rows}


def add_grades(session: AsyncSession, grades: Iterable[Grade]) -> None:
    session.add_all(grades)
