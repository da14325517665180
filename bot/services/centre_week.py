"""The centre's week at a glance: every lesson of seven days, laid out by room or by
teacher, with the clashes marked (the Mini App's week grid).

A clash is the timetable's own rule (`bot.services.academic`, used when a group's slots
are saved): two lessons that are not cancelled, of the same teacher or in the same room
(the room's name, case aside), whose times overlap — one starts before the other ends.
Lessons that only touch (one ends at 10:00, the next starts at 10:00) do not clash.

`week` reads the week in one query (the lessons' starts_at index) and `clashes` is a
plain function of the rows, tested on its own.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.academic import room_key
from db.models import LessonStatus
from db.repositories import academic as repo

DAYS = 7


class ClashKind(StrEnum):
    ROOM = "room"
    TEACHER = "teacher"


@dataclass(frozen=True, slots=True)
class WeekLesson:
    id: int
    starts_at: datetime  # UTC
    minutes: int
    status: LessonStatus
    group_id: int
    group: str
    course: str
    room: str | None
    teacher_id: int | None
    teacher: str | None
    clashes: frozenset[ClashKind] = frozenset()

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.minutes)

    @property
    def cancelled(self) -> bool:
        return self.status is LessonStatus.CANCELLED


@dataclass(frozen=True, slots=True)
class Clash:
    kind: ClashKind
    first: int  # lesson ids, the earlier (or the smaller id) first
    second: int


@dataclass(frozen=True, slots=True)
class Week:
    start: date  # the first day (local)
    days: list[date]
    lessons: list[WeekLesson]  # earliest first, each with the kinds of clash it is in
    clashes: list[Clash] = field(default_factory=list)


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def times_meet(a: WeekLesson, b: WeekLesson) -> bool:
    return a.starts_at < b.ends_at and b.starts_at < a.ends_at


def clashes(lessons: Iterable[WeekLesson]) -> list[Clash]:
    """Every pair of lessons that are not cancelled and overlap in the same room or with
    the same teacher; sorted by start, so each lesson is compared only with those still
    running when it starts."""
    by_key: dict[tuple[ClashKind, object], list[WeekLesson]] = defaultdict(list)
    for lesson in lessons:
        if lesson.cancelled:
            continue
        room = room_key(lesson.room)
        if room is not None:
            by_key[(ClashKind.ROOM, room)].append(lesson)
        if lesson.teacher_id is not None:
            by_key[(ClashKind.TEACHER, lesson.teacher_id)].append(lesson)
    found: list[Clash] = []
    for (kind, _key), items in by_key.items():
        items.sort(key=lambda item: (item.starts_at, item.id))
        running: list[WeekLesson] = []
        for lesson in items:
            running = [other for other in running if other.ends_at > lesson.starts_at]
            found.extend(Clash(kind, other.id, lesson.id) for other in running)
            running.append(lesson)
    found.sort(key=lambda clash: (clash.first, clash.second, clash.kind))
    return found


def marked(lessons: Sequence[WeekLesson], found: Iterable[Clash]) -> list[WeekLesson]:
    """The lessons, each with the kinds of clash it takes part in."""
    kinds: dict[int, set[ClashKind]] = defaultdict(set)
    for clash in found:
        kinds[clash.first].add(clash.kind)
        kinds[clash.second].add(clash.kind)
    return [
        WeekLesson(**{**_fields(lesson), "clashes": frozenset(kinds.get(lesson.id, ()))})
        for lesson in lessons
    ]


def _fields(lesson: WeekLesson) -> dict[str, object]:
    return {name: getattr(lesson, name) for name in WeekLesson.__slots__}


def _utc_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


async def week(session: AsyncSession, first_day: date, tz: ZoneInfo) -> Week:
    """The seven days from `first_day`'s Monday, in the centre's zone."""
    start = week_start(first_day)
    days = [start + timedelta(days=offset) for offset in range(DAYS)]
    rows = await repo.lessons_between(
        session, _utc_midnight(start, tz), _utc_midnight(start + timedelta(days=DAYS), tz)
    )
    lessons = [
        WeekLesson(
            id=row[0],
            starts_at=row[1],
            minutes=row[2],
            status=LessonStatus(row[3]),
            group_id=row[4],
            group=row[5],
            room=row[6],
            teacher_id=row[7],
            teacher=row[8],
            course=row[9],
        )
        for row in rows
    ]
    found = clashes(lessons)
    return Week(start, days, marked(lessons, found), found)


async def teacher_name(session: AsyncSession, group_id: int) -> str | None:
    """The name of the group's teacher (a lesson's card), or None."""
    row = await repo.group_row(session, group_id)
    return None if row is None else row[3]
