"""Broadcasts (permission `broadcast`) and owners' incident notices (POLICY 17).

A broadcast is a message in its author's chat, copied (copyMessage) to an audience.
"Send" stores the broadcast and one pending delivery per recipient in ONE transaction;
`bot.notices.broadcast` then delivers them. A scheduled broadcast keeps only its
audience: who gets it (and who still consents) is decided when it starts.

Course, group, debtors and "lesson today" reach the students themselves, not their
parents: a parent is reached through the "parents" role.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from loguru import logger
from openpyxl import Workbook
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.services import audit
from bot.services.consent import Category
from bot.services.paging import page_bounds
from bot.services.recipients import Recipient, recipients
from db.models import (
    AudienceType,
    Broadcast,
    BroadcastCategory,
    BroadcastStatus,
    DeliveryStatus,
    Role,
)
from db.repositories import broadcasts as repo

RECIPIENT_CHUNK = 500
PREVIEW_MAX = 200
REPORT_COLUMNS = ("user_id", "full_name", "username", "status", "attempts", "sent_at", "error")


@dataclass(frozen=True, slots=True)
class Audience:
    type: AudienceType
    role: Role | None = None
    id: int | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type.value}
        if self.role is not None:
            data["role"] = self.role.value
        if self.id is not None:
            data["id"] = self.id
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Audience":
        role = data.get("role")
        return cls(AudienceType(data["type"]), Role(role) if role else None, data.get("id"))


@dataclass(frozen=True, slots=True)
class Draft:
    source_chat_id: int
    source_message_id: int
    preview_text: str | None
    audience: Audience
    category: BroadcastCategory


class CancelOutcome(StrEnum):
    CANCELLED = "cancelled"
    MISSING = "missing"
    FINISHED = "finished"  # done or cancelled already: nothing to stop


def consent_category(category: BroadcastCategory | str) -> Category:
    if category == BroadcastCategory.ESSENTIAL:
        return Category.ESSENTIAL
    return Category.ANNOUNCEMENTS


def day_bounds(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The centre's calendar day around `now`, as a UTC interval."""
    day = now.astimezone(tz).date()
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


async def audience_recipients(
    session: AsyncSession,
    audience: Audience,
    category: BroadcastCategory | str,
    settings: Settings,
    now: datetime,
) -> list[Recipient]:
    """Who would get it now: the audience, reachable, active and consenting to the category."""
    start, end = day_bounds(now, settings.centre.tz)
    ids = await repo.audience_user_ids(session, audience.as_json(), day_start=start, day_end=end)
    chosen: list[Recipient] = []
    kind, version = consent_category(category), settings.centre.policy_version
    for first in range(0, len(ids), RECIPIENT_CHUNK):
        chunk = ids[first : first + RECIPIENT_CHUNK]
        chosen.extend(await recipients(session, chunk, kind, version))
    chosen.sort(key=lambda recipient: recipient.user_id)
    return chosen


def preview_of(text: str | None) -> str | None:
    if not text:
        return None
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW_MAX else text[: PREVIEW_MAX - 1] + "…"


def _broadcast(actor_id: int | None, draft: Draft, **values: Any) -> Broadcast:
    return Broadcast(
        author_id=actor_id,
        audience=draft.audience.as_json(),
        category=draft.category,
        source_chat_id=draft.source_chat_id,
        source_message_id=draft.source_message_id,
        preview_text=draft.preview_text,
        **values,
    )


async def _created(session: AsyncSession, actor_id: int | None, broadcast: Broadcast) -> None:
    await audit.record(
        session,
        actor_id,
        "incident.created" if broadcast.incident else "broadcast.created",
        "broadcast",
        broadcast.id,
        details={"audience": broadcast.audience, "category": broadcast.category},
    )


async def send_now(
    session: AsyncSession,
    actor_id: int,
    draft: Draft,
    settings: Settings,
    now: datetime,
    *,
    progress: tuple[int, int] | None = None,
    incident: bool = False,
) -> Broadcast:
    """Store the broadcast (sending) and a pending delivery per recipient; one commit."""
    chosen = await audience_recipients(session, draft.audience, draft.category, settings, now)
    broadcast = _broadcast(
        actor_id,
        draft,
        status=BroadcastStatus.SENDING,
        started_at=now,
        total=len(chosen),
        incident=incident,
        progress_chat_id=progress[0] if progress else None,
        progress_message_id=progress[1] if progress else None,
    )
    session.add(broadcast)
    await session.flush()
    await repo.add_deliveries(session, broadcast.id, [r.user_id for r in chosen])
    await _created(session, actor_id, broadcast)
    await audit.record(
        session,
        actor_id,
        "incident.sent" if incident else "broadcast.sent",
        "broadcast",
        broadcast.id,
        details={"recipients": len(chosen)},
    )
    await session.commit()
    return broadcast


async def schedule(session: AsyncSession, actor_id: int, draft: Draft, when: datetime) -> Broadcast:
    broadcast = _broadcast(actor_id, draft, status=BroadcastStatus.SCHEDULED, scheduled_at=when)
    session.add(broadcast)
    await session.flush()
    await _created(session, actor_id, broadcast)
    await audit.record(
        session,
        actor_id,
        "broadcast.scheduled",
        "broadcast",
        broadcast.id,
        details={"at": when.isoformat()},
    )
    await session.commit()
    return broadcast


async def start_scheduled(
    session: AsyncSession, broadcast_id: int, settings: Settings, now: datetime
) -> int | None:
    """Start a due scheduled broadcast: its deliveries, decided now; one commit.

    Returns the number of recipients, or None when another process started (or someone
    cancelled) it first.
    """
    broadcast = await repo.get(session, broadcast_id)
    if broadcast is None or broadcast.status != BroadcastStatus.SCHEDULED:
        return None
    audience = Audience.from_json(broadcast.audience)
    chosen = await audience_recipients(session, audience, broadcast.category, settings, now)
    moved = await repo.set_status(
        session,
        broadcast_id,
        BroadcastStatus.SCHEDULED,
        BroadcastStatus.SENDING,
        started_at=now,
        total=len(chosen),
    )
    if not moved:
        await session.rollback()
        return None
    await repo.add_deliveries(session, broadcast_id, [r.user_id for r in chosen])
    await audit.record(
        session,
        None,
        "broadcast.started",
        "broadcast",
        broadcast_id,
        details={"recipients": len(chosen)},
    )
    await session.commit()
    return len(chosen)


async def cancel(
    session: AsyncSession, actor_id: int, broadcast_id: int, now: datetime
) -> CancelOutcome:
    """Stop a scheduled or running broadcast: nothing pending is sent any more."""
    broadcast = await repo.get(session, broadcast_id)
    if broadcast is None:
        return CancelOutcome.MISSING
    old = BroadcastStatus(broadcast.status)
    if old not in (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING):
        return CancelOutcome.FINISHED
    moved = await repo.set_status(
        session, broadcast_id, old, BroadcastStatus.CANCELLED, finished_at=now
    )
    if not moved:
        await session.rollback()
        return CancelOutcome.FINISHED
    stopped = await repo.cancel_pending(session, broadcast_id, now)
    await repo.sync_counts(session, broadcast_id)
    await audit.record(
        session,
        actor_id,
        "broadcast.cancelled",
        "broadcast",
        broadcast_id,
        details={"was": old.value, "not_sent": stopped},
    )
    await session.commit()
    return CancelOutcome.CANCELLED


async def finish_if_done(session: AsyncSession, broadcast_id: int, now: datetime) -> bool:
    """Mark a sending broadcast done once nothing is pending, retrying or in flight.

    True for the one caller that made the change (it sends the final report).
    """
    counts = await repo.sync_counts(session, broadcast_id)
    unfinished = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING, DeliveryStatus.SENDING)
    if any(counts.get(status, 0) for status in unfinished):
        await session.commit()
        return False
    done = await repo.set_status(
        session, broadcast_id, BroadcastStatus.SENDING, BroadcastStatus.DONE, finished_at=now
    )
    await session.commit()
    return done


async def recover(
    session: AsyncSession,
    now: datetime,
    *,
    current: str,
    cutoff: datetime,
    previous_runs_of: str | None = None,
) -> list[int]:
    """Deliveries a dead run left in flight become unknown (never resent); one commit.

    `current` is this run's claimant id: its own claims are never touched. With
    `previous_runs_of` (this instance's name, at start-up) the claims and reservations
    of its earlier runs are settled at once: that run is dead, this one replaced it.
    Anyone else's claim only once older than `cutoff`, which is far longer than a live
    run holds one (a claim covers one call to Telegram).
    """
    touched = await repo.mark_stale_unknown(
        session, now, current=current, previous_runs_of=previous_runs_of, cutoff=cutoff
    )
    if previous_runs_of is not None:
        await repo.free_reservations(
            session, current=current, previous_runs_of=previous_runs_of, now=now
        )
    await session.commit()
    if touched:
        logger.warning(
            "broadcasts {}: deliveries in flight at a crash are recorded as unknown", touched
        )
    return touched


async def get(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    return await repo.get(session, broadcast_id)


async def audience_name(session: AsyncSession, kind: AudienceType, audience_id: int) -> str | None:
    """The name of the course or group an audience points at; None when it is gone."""
    if kind is AudienceType.COURSE:
        return await repo.course_name(session, audience_id)
    return await repo.group_name(session, audience_id)


async def audience_page(
    session: AsyncSession, kind: AudienceType, number: int, size: int
) -> tuple[list[tuple[int, str]], int, int]:
    """(active courses or groups to choose from, the page clamped, the number of pages)."""
    page_of = repo.courses_page if kind is AudienceType.COURSE else repo.groups_page
    _, total = await page_of(session, 0, 0)
    number, pages = page_bounds(total, number, size)
    items, _ = await page_of(session, (number - 1) * size, size)
    return items, number, pages


async def page(session: AsyncSession, number: int, size: int) -> tuple[list[Broadcast], int, int]:
    """(broadcasts newest first, the page number clamped, the number of pages)."""
    _, total = await repo.page(session, 0, 0)
    number, pages = page_bounds(total, number, size)
    rows, _ = await repo.page(session, (number - 1) * size, size)
    return rows, number, pages


def _cell(value: object, tz: ZoneInfo) -> object:
    if isinstance(value, datetime):
        return value.astimezone(tz).replace(tzinfo=None)
    return value


def build_report(rows: Sequence[Any], tz: ZoneInfo) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("deliveries")
    sheet.append(list(REPORT_COLUMNS))
    for row in rows:
        sheet.append([_cell(value, tz) for value in row])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def report(
    session: AsyncSession, actor_id: int, broadcast_id: int, tz: ZoneInfo
) -> bytes | None:
    """The XLSX of recipients and their status (times in the centre's zone); audited."""
    if await repo.get(session, broadcast_id) is None:
        return None
    rows = await repo.report_rows(session, broadcast_id)
    data = await asyncio.to_thread(build_report, rows, tz)
    await audit.record(
        session,
        actor_id,
        "broadcast.report",
        "broadcast",
        broadcast_id,
        details={"rows": len(rows)},
    )
    await session.commit()
    return data
