"""Lessons: generated from the weekly slots, cancelled or moved one at a time.

Generation
----------
Each active group's slots (a local weekday and time in the centre's zone) are laid on
the calendar for the coming weeks, from the group's start date to its end date, and
turned into UTC `starts_at`. Rows are inserted with `ON CONFLICT DO NOTHING` on the
unique (group, starts_at), so generating twice, or from two processes, gives the same
rows. Only lessons after `now` are created.

A changed timetable (`refresh_group`) touches only the future lessons nobody marked:
scheduled lessons after `now` without attendance are deleted when their slot was
removed, the group stopped running, or their day falls outside the group's dates; a
slot whose length changed updates its lessons; then the missing lessons are generated.
A lesson that was moved by hand matches no removed slot, so it stays.

Moving a lesson keeps its row (and id); when its old time is one of the group's slots,
a cancelled lesson is left at the old time, so the generator does not bring the lesson
back there and the student's schedule shows it as cancelled.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.consent import Category
from bot.services.paging import page_bounds
from bot.services.recipients import Recipient, recipients
from db.base import utcnow
from db.models import Group, GroupStatus, Lesson, LessonStatus
from db.repositories import academic as repo

LESSON_WEEKS = 4
PAGE_SIZE = 10


class Slot(Protocol):
    weekday: int
    start: time
    minutes: int


def local_start(day: date, start: time, tz: ZoneInfo) -> datetime:
    """The UTC moment of `start` o'clock on `day` in the centre's zone."""
    return datetime.combine(day, start, tzinfo=tz).astimezone(UTC)


def local_key(moment: datetime, tz: ZoneInfo) -> tuple[int, time]:
    """(local weekday, local start time) of a lesson."""
    local = moment.astimezone(tz)
    return local.weekday(), local.time().replace(second=0, microsecond=0)


def planned(
    group: Group, slots: Iterable[Slot], *, now: datetime, tz: ZoneInfo, weeks: int
) -> list[dict[str, Any]]:
    """Rows of the group's lessons from today (local) for `weeks` weeks, after `now`."""
    if group.status != GroupStatus.ACTIVE:
        return []
    today = now.astimezone(tz).date()
    first = max(today, group.start_date)
    last = today + timedelta(days=weeks * 7 - 1)
    if group.end_date is not None:
        last = min(last, group.end_date)
    rows = []
    created = utcnow()
    for slot in slots:
        offset = (slot.weekday - first.weekday()) % 7
        day = first + timedelta(days=offset)
        while day <= last:
            starts_at = local_start(day, slot.start, tz)
            if starts_at > now:
                rows.append(
                    {
                        "group_id": group.id,
                        "starts_at": starts_at,
                        "duration_minutes": slot.minutes,
                        "status": LessonStatus.SCHEDULED.value,
                        "created_at": created,
                    }
                )
            day += timedelta(days=7)
    return rows


@dataclass(frozen=True, slots=True)
class _SlotRow:
    weekday: int
    start: time
    minutes: int


async def generate(
    session: AsyncSession,
    *,
    now: datetime,
    tz: ZoneInfo,
    weeks: int = LESSON_WEEKS,
    group_ids: Iterable[int] | None = None,
) -> int:
    """Insert the missing lessons of the active groups; returns how many are new. No commit."""
    groups = await repo.active_groups(session, group_ids)
    if not groups:
        return 0
    slots_by_group: dict[int, list[_SlotRow]] = {}
    for slot in await repo.slots_of(session, [group.id for group in groups]):
        slots_by_group.setdefault(slot.group_id, []).append(
            _SlotRow(slot.weekday, slot.start_time, slot.duration_minutes)
        )
    rows = []
    for group in groups:
        rows += planned(group, slots_by_group.get(group.id, []), now=now, tz=tz, weeks=weeks)
    return await repo.insert_lessons(session, rows)


async def generate_upcoming(
    session: AsyncSession, *, now: datetime, tz: ZoneInfo, weeks: int = LESSON_WEEKS
) -> int:
    """The daily job's use case: generate, audit when anything was added, commit."""
    added = await generate(session, now=now, tz=tz, weeks=weeks)
    if added:
        await audit.record(
            session, None, "lessons.generated", "lesson", details={"added": added, "weeks": weeks}
        )
    await session.commit()
    return added


async def refresh_group(
    session: AsyncSession,
    group: Group,
    old_slots: Sequence[Slot],
    new_slots: Sequence[Slot],
    *,
    now: datetime,
    tz: ZoneInfo,
    weeks: int = LESSON_WEEKS,
) -> tuple[int, int]:
    """Bring the group's future, unmarked lessons in line with its timetable and dates.

    Returns (removed, added). No commit: the caller's transaction holds the change.
    """
    new_by_key = {(slot.weekday, slot.start): slot for slot in new_slots}
    removed_keys = {(slot.weekday, slot.start) for slot in old_slots} - set(new_by_key)
    running = group.status == GroupStatus.ACTIVE
    stale: list[int] = []
    resized: dict[int, list[int]] = {}
    for lesson in await repo.future_unheld(session, group.id, now):
        key = local_key(lesson.starts_at, tz)
        day = lesson.starts_at.astimezone(tz).date()
        outside = day < group.start_date or (group.end_date is not None and day > group.end_date)
        if not running or outside or key in removed_keys:
            stale.append(lesson.id)
        elif key in new_by_key and new_by_key[key].minutes != lesson.duration_minutes:
            resized.setdefault(new_by_key[key].minutes, []).append(lesson.id)
    await repo.delete_lessons(session, stale)
    for minutes, ids in resized.items():
        await repo.set_lesson_duration(session, ids, minutes)
    added = await repo.insert_lessons(
        session, planned(group, new_slots, now=now, tz=tz, weeks=weeks)
    )
    return len(stale), added


# --- one lesson ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LessonInfo:
    id: int
    group_id: int
    group_name: str
    course_name: str
    room: str | None
    starts_at: datetime
    duration_minutes: int
    status: LessonStatus
    topic: str | None
    marked: bool

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)


@dataclass(frozen=True, slots=True)
class LessonPage:
    items: list[LessonInfo]
    total: int
    page: int
    pages: int


def _as_info(lesson: Lesson, group: Group, course_name: str, *, marked: bool) -> LessonInfo:
    return LessonInfo(
        id=lesson.id,
        group_id=group.id,
        group_name=group.name,
        course_name=course_name,
        room=group.room,
        starts_at=lesson.starts_at,
        duration_minutes=lesson.duration_minutes,
        status=LessonStatus(lesson.status),
        topic=lesson.topic,
        marked=marked,
    )


async def _info(session: AsyncSession, lesson: Lesson) -> LessonInfo | None:
    row = await repo.group_row(session, lesson.group_id)
    if row is None:
        return None
    marked = await repo.has_attendance(session, lesson.id)
    return _as_info(lesson, group=row[0], course_name=row[1], marked=marked)


async def lesson(session: AsyncSession, lesson_id: int) -> LessonInfo | None:
    row = await repo.get_lesson(session, lesson_id)
    return None if row is None else await _info(session, row)


async def upcoming(
    session: AsyncSession, group_id: int, page: int, *, now: datetime, tz: ZoneInfo
) -> LessonPage:
    """The group's lessons from the start of today (local), earliest first."""
    since = datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz).astimezone(UTC)
    total = await repo.count_lessons(session, group_id, since)
    page, pages = page_bounds(total, page, PAGE_SIZE)
    rows = await repo.lessons_page(session, group_id, since, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    row = await repo.group_row(session, group_id)
    items = []
    if row is not None:
        items = [
            _as_info(lesson, group=row[0], course_name=row[1], marked=False) for lesson in rows
        ]
    return LessonPage(items, total, page, pages)


class Refusal(StrEnum):
    MISSING = "missing"
    NOT_SCHEDULED = "not_scheduled"  # cancelled or held already
    STARTED = "started"  # it began (or is over): history is not rewritten
    MARKED = "marked"  # attendance was taken
    IN_THE_PAST = "in_the_past"  # the new time has passed
    TAKEN = "taken"  # the group has a lesson at the new time
    SAME_TIME = "same_time"


def check_changeable(info: LessonInfo | None, now: datetime) -> Refusal | None:
    if info is None:
        return Refusal.MISSING
    if info.status is not LessonStatus.SCHEDULED:
        return Refusal.NOT_SCHEDULED
    if info.starts_at <= now:
        return Refusal.STARTED
    if info.marked:
        return Refusal.MARKED
    return None


@dataclass(frozen=True, slots=True)
class Audience:
    """Who hears of a change to a lesson: its students, their parents, its teacher."""

    recipients: list[Recipient]
    children: dict[int, list[str]]  # parent's user id → names of their children concerned


async def lesson_audience(session: AsyncSession, group_id: int, policy_version: str) -> Audience:
    group = await repo.get_group(session, group_id)
    students, parents = await repo.group_audience(session, group_id)
    children: dict[int, list[str]] = {}
    for parent_id, child_name in parents:
        children.setdefault(parent_id, []).append(child_name or "—")
    ids = {row.id for row in students} | set(children)
    if group is not None and group.teacher_id is not None:
        ids.add(group.teacher_id)
    people = await recipients(session, ids, Category.ESSENTIAL, policy_version)
    return Audience(people, children)


@dataclass(frozen=True, slots=True)
class LessonChange:
    refusal: Refusal | None
    lesson: LessonInfo | None = None
    old_starts_at: datetime | None = None
    audience: Audience | None = None


async def cancel(
    session: AsyncSession, actor_id: int, lesson_id: int, *, now: datetime, policy_version: str
) -> LessonChange:
    info = await lesson(session, lesson_id)
    refusal = check_changeable(info, now)
    if refusal is not None:
        return LessonChange(refusal, info)
    assert info is not None
    if not await repo.cancel_if_scheduled(session, lesson_id):
        await session.rollback()
        return LessonChange(Refusal.NOT_SCHEDULED, await lesson(session, lesson_id))
    await audit.record(
        session,
        actor_id,
        "lesson.cancelled",
        "lesson",
        lesson_id,
        details={"group_id": info.group_id, "starts_at": info.starts_at.isoformat()},
    )
    # Gathered inside the transaction: nothing stays open while the notices go out.
    audience = await lesson_audience(session, info.group_id, policy_version)
    await session.commit()
    return LessonChange(None, replace(info, status=LessonStatus.CANCELLED), audience=audience)


async def check_move(
    session: AsyncSession, lesson_id: int, new_start: datetime, *, now: datetime
) -> Refusal | None:
    info = await lesson(session, lesson_id)
    refusal = check_changeable(info, now)
    if refusal is not None:
        return refusal
    assert info is not None
    if new_start <= now:
        return Refusal.IN_THE_PAST
    if new_start == info.starts_at:
        return Refusal.SAME_TIME
    if await repo.lesson_at(session, info.group_id, new_start) is not None:
        return Refusal.TAKEN
    return None


async def move(
    session: AsyncSession,
    actor_id: int,
    lesson_id: int,
    new_start: datetime,
    *,
    now: datetime,
    tz: ZoneInfo,
    policy_version: str,
) -> LessonChange:
    refusal = await check_move(session, lesson_id, new_start, now=now)
    info = await lesson(session, lesson_id)
    if refusal is not None:
        return LessonChange(refusal, info)
    assert info is not None
    old_start = info.starts_at
    if not await repo.move_if_scheduled(session, lesson_id, old_start, new_start):
        await session.rollback()
        return LessonChange(Refusal.NOT_SCHEDULED, await lesson(session, lesson_id))
    slot_keys = {
        (slot.weekday, slot.start_time) for slot in await repo.slots_of(session, [info.group_id])
    }
    placeholder = local_key(old_start, tz) in slot_keys
    if placeholder:
        session.add(
            Lesson(
                group_id=info.group_id,
                starts_at=old_start,
                duration_minutes=info.duration_minutes,
                status=LessonStatus.CANCELLED,
            )
        )
    await audit.record(
        session,
        actor_id,
        "lesson.moved",
        "lesson",
        lesson_id,
        details={
            "group_id": info.group_id,
            "from": old_start.isoformat(),
            "to": new_start.isoformat(),
            "cancelled_placeholder": placeholder,
        },
    )
    audience = await lesson_audience(session, info.group_id, policy_version)
    await session.commit()
    return LessonChange(
        None, replace(info, starts_at=new_start), old_starts_at=old_start, audience=audience
    )
