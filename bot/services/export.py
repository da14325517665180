"""/export (POLICY 7): a copy of everything stored about a person, as JSON and XLSX.

Both files come from the same tables, built in memory. At most one export per
requester per minute; the clock is the audit log (the latest successful
`data.export` entry of the requester), so the limit survives a restart and holds
across several bot processes.

The JSON document (stable keys; times ISO 8601 in UTC, dates ISO 8601, money in whole
so'm as integers, enum values as their English codes):

    format          "educrm-export"
    version         1
    generated_at    when the file was made
    subject_id      the person's id in the centre's database
    profile         {id, telegram_id, full_name, username, phone, email, language,
                     birth_date, created_at, last_seen_at, is_active}
    balance         payments − charges − refunds in so'm (negative: debt), or null
    roles           [{role, since}]                 role: admin|teacher|student|parent
    enrolments      [{id, group_id, group, course, joined_on, left_on, status,
                      discount_percent}]            status: active|frozen|left
    attendance      [{lesson_id, group, lesson_starts_at, status, marked_at}]
                                                    status: present|absent|late|excused
    grades          [{id, group, lesson_id, kind, score, max_score, comment, created_at}]
    payments        [{id, amount, method, paid_at, note, reversed, reversed_at,
                      reversal_reason}]             reversed payments stay, marked
    charges         [{id, group, period, amount, due_date, cancelled, cancelled_at}]
                                                    period: the first day of the month
    refunds         [{id, amount, method, reason, refunded_at}]
    consents        [{event, policy_version, at, reminders, announcements, analytics}]
                                                    oldest first; the last is in force
    support_tickets [{id, topic, text, status, answer, created_at, answered_at}]
    family          [{relation, user_id, full_name}]  relation: child|parent
    notifications   [{kind, key, status, claimed_at, sent_at}]
    leads           [{id, name, phone, course, source, status, created_at}]

The workbook has a sheet per table with the same keys as column headers (`profile`
has `field` / `value` rows and includes the balance); its times are UTC.
"""

import asyncio
import json
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services import mydata as mydata_service
from bot.services.mydata import PersonData
from db.repositories import mydata as repo

FORMAT, VERSION = "educrm-export", 1
ACTION = "data.export"
INTERVAL = timedelta(minutes=1)

PROFILE_KEYS = (
    "id",
    "telegram_id",
    "full_name",
    "username",
    "phone",
    "email",
    "language",
    "birth_date",
    "created_at",
    "last_seen_at",
    "is_active",
)
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "roles": ("role", "since"),
    "enrolments": (
        "id",
        "group_id",
        "group",
        "course",
        "joined_on",
        "left_on",
        "status",
        "discount_percent",
    ),
    "attendance": ("lesson_id", "group", "lesson_starts_at", "status", "marked_at"),
    "grades": ("id", "group", "lesson_id", "kind", "score", "max_score", "comment", "created_at"),
    "payments": (
        "id",
        "amount",
        "method",
        "paid_at",
        "note",
        "reversed",
        "reversed_at",
        "reversal_reason",
    ),
    "charges": ("id", "group", "period", "amount", "due_date", "cancelled", "cancelled_at"),
    "refunds": ("id", "amount", "method", "reason", "refunded_at"),
    "consents": ("event", "policy_version", "at", "reminders", "announcements", "analytics"),
    "support_tickets": ("id", "topic", "text", "status", "answer", "created_at", "answered_at"),
    "family": ("relation", "user_id", "full_name"),
    "notifications": ("kind", "key", "status", "claimed_at", "sent_at"),
    "leads": ("id", "name", "phone", "course", "source", "status", "created_at"),
}


@dataclass(frozen=True, slots=True)
class ExportFiles:
    subject_id: int
    full_name: str | None
    json_name: str
    json_bytes: bytes
    xlsx_name: str
    xlsx_bytes: bytes


async def seconds_to_wait(session: AsyncSession, actor_id: int, now: datetime) -> int:
    """0 when the actor may export now, else the whole seconds left (at least 1)."""
    last = await repo.latest_action_at(session, actor_id, ACTION)
    if last is None:
        return 0
    left = (last + INTERVAL - now).total_seconds()
    return max(1, math.ceil(left)) if left > 0 else 0


def _fields(row: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: getattr(row, key) for key in keys}


def tables(data: PersonData) -> dict[str, list[dict[str, Any]]]:
    """Each table's rows as plain dicts with native values (dates, aware datetimes)."""
    keys = TABLE_KEYS
    return {
        "roles": [_fields(row, keys["roles"]) for row in data.roles],
        "enrolments": [_fields(row, keys["enrolments"]) for row in data.enrolments],
        "attendance": [_fields(row, keys["attendance"]) for row in data.attendance],
        "grades": [_fields(row, keys["grades"]) for row in data.grades],
        "payments": [_fields(row, keys["payments"]) for row in data.payments],
        "charges": [
            _fields(row, keys["charges"][:-2])
            | {"cancelled": row.cancelled_at is not None, "cancelled_at": row.cancelled_at}
            for row in data.charges
        ],
        "refunds": [_fields(row, keys["refunds"]) for row in data.refunds],
        "consents": [_fields(row, keys["consents"]) for row in data.consents],
        "support_tickets": [_fields(row, keys["support_tickets"]) for row in data.tickets],
        "family": [
            {"relation": "child", "user_id": ref.id, "full_name": ref.full_name}
            for ref in data.children
        ]
        + [
            {"relation": "parent", "user_id": ref.id, "full_name": ref.full_name}
            for ref in data.parents
        ],
        "notifications": [_fields(row, keys["notifications"]) for row in data.notifications],
        "leads": [_fields(row, keys["leads"]) for row in data.leads],
    }


def document(data: PersonData, generated_at: datetime) -> dict[str, Any]:
    """The JSON document described in the module docstring (native values)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "generated_at": generated_at,
        "subject_id": data.profile.id,
        "profile": _fields(data.profile, PROFILE_KEYS),
        "balance": data.balance,
        **tables(data),
    }


def _iso(value: object) -> str:
    if isinstance(value, date | datetime):  # datetime is a date
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def build_json(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=2, default=_iso).encode()


def _cell(value: object) -> object:
    # Excel has no time zones: times go in as UTC without the zone.
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None) - (value.utcoffset() or timedelta())
    return value


def build_xlsx(doc: dict[str, Any]) -> bytes:
    workbook = Workbook(write_only=True)
    profile = workbook.create_sheet("profile")
    profile.append(["field", "value"])
    for key, value in doc["profile"].items():
        profile.append([key, _cell(value)])
    profile.append(["balance", doc["balance"]])
    for name, keys in TABLE_KEYS.items():
        sheet = workbook.create_sheet(name)
        sheet.append(list(keys))
        for row in doc[name]:
            sheet.append([_cell(row[key]) for key in keys])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def export(
    session: AsyncSession, actor_id: int, subject_id: int, now: datetime
) -> ExportFiles | None:
    """Build both files for `subject_id`, audited and committed; None for an erased person.

    The caller checked that the actor may see the subject and `seconds_to_wait`.
    """
    data = await mydata_service.everything(session, subject_id)
    if data is None:
        return None
    doc = document(data, now)
    json_bytes = build_json(doc)
    # openpyxl is CPU work: keep the event loop free for other users meanwhile.
    xlsx_bytes = await asyncio.to_thread(build_xlsx, doc)
    await audit.record(
        session,
        actor_id,
        ACTION,
        "user",
        subject_id,
        details={"rows": sum(len(doc[name]) for name in TABLE_KEYS)},
    )
    await session.commit()
    stem = f"educrm-data-{subject_id}-{now.date().isoformat()}"
    return ExportFiles(
        subject_id=subject_id,
        full_name=data.profile.full_name,
        json_name=f"{stem}.json",
        json_bytes=json_bytes,
        xlsx_name=f"{stem}.xlsx",
        xlsx_bytes=xlsx_bytes,
    )
