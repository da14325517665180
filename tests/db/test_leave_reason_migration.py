"""Revision 0008: the places that earlier moves ended become `transfer`, the rest none."""

import asyncio
from datetime import date

from alembic import command
from sqlalchemy import text

from bot.startup.migrate import alembic_config
from db.engine import create_engine
from tests.db.test_migrations import empty_database  # noqa: F401 (the fixture)

ROWS = [
    # (id, student, group, joined_on, left_on, status)
    (1, 1, 1, date(2026, 1, 5), date(2026, 3, 10), "left"),  # moved: group 2 on 10 March
    (2, 1, 2, date(2026, 3, 10), None, "active"),
    (3, 2, 1, date(2026, 1, 5), date(2026, 2, 1), "left"),  # left for good
    (4, 2, 2, date(2026, 5, 1), None, "active"),  # rejoined months later: no move
    (5, 3, 1, date(2026, 1, 5), None, "active"),
]


async def _seed(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        for user in (1, 2, 3):
            await connection.execute(
                text("INSERT INTO users (id, full_name, language) VALUES (:id, 'S', 'en')"),
                {"id": user},
            )
        await connection.execute(
            text("INSERT INTO courses (id, name, monthly_price) VALUES (1, 'English', 100)")
        )
        for group in (1, 2):
            await connection.execute(
                text(
                    "INSERT INTO groups (id, course_id, name, start_date, capacity) "
                    "VALUES (:id, 1, :name, :start, 10)"
                ),
                {"id": group, "name": f"G{group}", "start": date(2026, 1, 5)},
            )
        for row_id, student, group, joined, left, status in ROWS:
            await connection.execute(
                text(
                    "INSERT INTO enrolments (id, student_id, group_id, joined_on, left_on, status)"
                    " VALUES (:id, :student, :group, :joined, :left, :status)"
                ),
                {
                    "id": row_id,
                    "student": student,
                    "group": group,
                    "joined": joined,
                    "left": left,
                    "status": status,
                },
            )
    await engine.dispose()


async def _reasons(url: str) -> list[tuple[int, str | None]]:
    engine = create_engine(url)
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT id, leave_reason FROM enrolments ORDER BY id"))
        found = [tuple(row) for row in rows]
    await engine.dispose()
    return found


def test_earlier_moves_become_transfers(empty_database: str) -> None:  # noqa: F811
    config = alembic_config(empty_database)
    command.upgrade(config, "0007")
    asyncio.run(_seed(empty_database))
    command.upgrade(config, "0008")
    assert asyncio.run(_reasons(empty_database)) == [
        (1, "transfer"),
        (2, None),
        (3, None),
        (4, None),
        (5, None),
    ]
    command.downgrade(config, "0007")
    command.upgrade(config, "head")
