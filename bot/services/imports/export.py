"""/export_centre (owners): the whole centre, to move it to another instance or keep it.

* **XLSX**: a sheet per kind in the import templates' format, so the file imports again
  (students and parents: one row per student and parent, a student without a parent once;
  teachers and courses: one row each; groups: a row per group and lesson time, weekdays as
  1–7; enrolments: a row per student seated in a group; phones in the international format,
  dates as DD.MM.YYYY).
* **JSON** for a machine: `{"format": "educrm-centre", "version": 1, "generated_at",
  "tables": {table: [row, …]}}` with every table's rows (times ISO 8601 UTC, dates ISO 8601,
  money integers). What would open an account is left out: the invitation codes' hashes.

The owner's export is audited (`centre.export`): it holds everyone's personal data.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.formatting import format_phone
from bot.services import audit
from db.base import Base
from db.repositories import imports as repo

FORMAT, VERSION = "educrm-centre", 1
LEFT_OUT = {"invites": {"code_hash"}}


@dataclass(frozen=True, slots=True)
class CentreExport:
    people: list[list[Any]]  # rows in the people template's column order
    teachers: list[list[Any]]  # rows in the teachers template's column order
    courses: list[list[Any]]  # rows in the courses template's column order
    groups: list[list[Any]]  # rows in the groups template's column order
    enrolments: list[list[Any]]  # rows in the enrolments template's column order
    balances: list[list[Any]]  # each balance that is not 0, as an opening balance
    tables: dict[str, list[dict[str, Any]]]
    generated_at: datetime


async def people_rows(session: AsyncSession) -> list[list[Any]]:
    rows = []
    for row in await repo.students_with_parents(session):
        rows.append(
            [
                row.full_name,
                format_phone(row.phone) if row.phone else None,
                row.birth_date.strftime("%d.%m.%Y") if row.birth_date else None,
                row.language,
                row.parent_name,
                format_phone(row.parent_phone) if row.parent_phone else None,
            ]
        )
    return rows


def _day(value: date | None) -> str | None:
    return value.strftime("%d.%m.%Y") if value else None


async def group_rows(session: AsyncSession) -> list[list[Any]]:
    """A row per group and lesson time (weekdays as 1–7, Monday 1: any language reads
    them), so a group whose lessons are at different times imports back whole."""
    times: dict[int, dict[tuple[Any, int], list[int]]] = {}
    for slot in await repo.export_slots(session):
        by_time = times.setdefault(slot.group_id, {})
        by_time.setdefault((slot.start_time, slot.duration_minutes), []).append(slot.weekday)
    rows = []
    for group in await repo.export_groups(session):
        teacher = format_phone(group.teacher_phone) if group.teacher_phone else group.teacher_name
        head = [group.name, group.course_name, teacher, group.room, group.capacity]
        for (start, minutes), days in times.get(group.id, {}).items():
            rows.append(
                [
                    *head,
                    _day(group.start_date),
                    " ".join(str(day + 1) for day in sorted(days)),
                    start.strftime("%H:%M"),
                    minutes,
                ]
            )
    return rows


async def enrolment_rows(session: AsyncSession) -> list[list[Any]]:
    return [
        [
            row.full_name,
            format_phone(row.phone) if row.phone else None,
            _day(row.birth_date),
            row.group_name,
            row.course_name,
            _day(row.joined_on),
            row.discount_percent,
        ]
        for row in await repo.export_enrolments(session)
    ]


async def balance_rows(session: AsyncSession, today: date) -> list[list[Any]]:
    return [
        [
            row.full_name,
            format_phone(row.phone) if row.phone else None,
            _day(row.birth_date),
            int(row.amount),
            _day(today),
        ]
        for row in await repo.export_balances(session)
    ]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


async def collect(session: AsyncSession, actor_id: int, now: datetime) -> CentreExport:
    """Everything, read in this session's one transaction (a consistent picture), then the
    audit entry."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in Base.metadata.sorted_tables:
        left_out = LEFT_OUT.get(table.name, set())
        tables[table.name] = [
            {key: _plain(value) for key, value in row.items() if key not in left_out}
            for row in await repo.table_rows(session, table)
        ]
    people = await people_rows(session)
    teachers = [
        [row.full_name, format_phone(row.phone) if row.phone else None, row.language]
        for row in await repo.teachers(session)
    ]
    courses = [
        [row.name, row.monthly_price, row.description] for row in await repo.all_courses(session)
    ]
    groups = await group_rows(session)
    enrolments = await enrolment_rows(session)
    balances = await balance_rows(session, now.date())
    await audit.record(
        session,
        actor_id,
        "centre.export",
        details={"tables": len(tables), "rows": sum(len(rows) for rows in tables.values())},
    )
    await session.commit()
    return CentreExport(people, teachers, courses, groups, enrolments, balances, tables, now)


def centre_json(export: CentreExport) -> bytes:
    document = {
        "format": FORMAT,
        "version": VERSION,
        "generated_at": export.generated_at.isoformat(),
        "tables": export.tables,
    }
    return json.dumps(document, ensure_ascii=False, indent=1, default=str).encode()


def counts(export: CentreExport) -> Sequence[tuple[str, int]]:
    return [(name, len(rows)) for name, rows in export.tables.items()]
