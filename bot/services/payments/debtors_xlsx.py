"""The debtors list as an XLSX file: every debtor (not one page), most debt first.

Columns: name, phone, debt (whole so'm, a number), oldest unpaid due date, days overdue,
parents ("name, phone; name, phone"). Headers come from the caller in the admin's
language. The export is audited (`debtors.export`, with the row count).
"""

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.formatting import format_phone
from bot.services import audit
from bot.services.payments import ledger
from db.models import ParentLink, User

ACTION = "debtors.export"
EXPORT_MAX = 100_000
CHUNK = 500  # ids per IN (…) list


@dataclass(frozen=True, slots=True)
class DebtorsFile:
    name: str
    data: bytes
    rows: int


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


async def _phones(session: AsyncSession, ids: Sequence[int]) -> dict[int, str | None]:
    found: dict[int, str | None] = {}
    for chunk in _chunks(ids):
        rows = await session.execute(select(User.id, User.phone).where(User.id.in_(chunk)))
        found.update({user_id: phone for user_id, phone in rows})
    return found


async def _parents(session: AsyncSession, ids: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for chunk in _chunks(ids):
        rows = await session.execute(
            select(ParentLink.student_id, User.full_name, User.phone)
            .join(User, User.id == ParentLink.parent_id)
            .where(ParentLink.student_id.in_(chunk), User.deleted_at.is_(None))
            .order_by(ParentLink.student_id, User.full_name, User.id)
        )
        for student_id, name, phone in rows:
            text = ", ".join(
                part for part in (name, format_phone(phone) if phone else None) if part
            )
            found.setdefault(student_id, []).append(text)
    return found


def build_xlsx(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("debtors")
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def export(
    session: AsyncSession, actor_id: int, today: date, headers: Sequence[str]
) -> DebtorsFile:
    debtors, _total = await ledger.debtors(session, today=today, offset=0, limit=EXPORT_MAX)
    ids = [debtor.student_id for debtor in debtors]
    phones = await _phones(session, ids)
    parents = await _parents(session, ids)
    rows = [
        [
            debtor.name,
            format_phone(phones[debtor.student_id]) if phones.get(debtor.student_id) else "",
            debtor.debt,
            debtor.oldest_due,
            debtor.days_overdue,
            "; ".join(parents.get(debtor.student_id, [])),
        ]
        for debtor in debtors
    ]
    # openpyxl is CPU work: keep the event loop free for other users meanwhile.
    data = await asyncio.to_thread(build_xlsx, headers, rows)
    await audit.record(session, actor_id, ACTION, "debtors", details={"rows": len(rows)})
    await session.commit()
    return DebtorsFile(name=f"debtors-{today.isoformat()}.xlsx", data=data, rows=len(rows))
