"""The student's views (schedule, attendance, grades, homework) and who may read them.

Reads only: each view costs a fixed handful of queries in the caller's session whatever
the number of lessons, and nothing is written. A parent reads a child's views after
`pick_child` found the child among their linked children (re-checked on every press).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services import mydata as mydata_service
from bot.services.mydata import PersonRef
from db.models import AttendanceStatus, LessonStatus
from db.repositories import student_views as repo

RECENT_MARKS = 5  # lessons shown under each group in /attendance
RECENT_HOMEWORK = timedelta(days=7)  # homework due this long ago still shows, as "recent"
UNDATED_HOMEWORK = timedelta(days=14)  # homework without a due date shows this long
ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)


class Relative(StrEnum):
    TODAY = "today"
    TOMORROW = "tomorrow"


class AttachmentKind(StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"


@dataclass(frozen=True, slots=True)
class GroupRef:
    id: int
    name: str
    course: str


# --- schedule -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LessonItem:
    id: int
    group: GroupRef
    room: str | None
    starts_at: datetime
    ends_at: datetime
    status: str
    topic: str | None
    moved: bool  # not at one of its group's weekly times: the admin moved it
    teacher: str | None = None  # the group's teacher's name

    @property
    def cancelled(self) -> bool:
        return self.status == LessonStatus.CANCELLED


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    relative: Relative | None
    next_week: bool
    lessons: list[LessonItem]


@dataclass(frozen=True, slots=True)
class Schedule:
    first_day: date  # today
    last_day: date  # Sunday of next week
    days: list[Day]


def schedule_window(now: datetime, tz: ZoneInfo) -> tuple[date, date, datetime, datetime]:
    """Today to the end of next week, local days: (first day, last day, start UTC, end UTC)."""
    today = now.astimezone(tz).date()
    last_day = today - timedelta(days=today.weekday()) + timedelta(days=13)
    start = datetime.combine(today, time.min, tzinfo=tz).astimezone(UTC)
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC)
    return today, last_day, start, end


def relative_day(day: date, today: date) -> Relative | None:
    if day == today:
        return Relative.TODAY
    if day == today + timedelta(days=1):
        return Relative.TOMORROW
    return None


async def _lessons_by_day(
    session: AsyncSession, student_id: int, start: datetime, end: datetime, tz: ZoneInfo
) -> dict[date, list[LessonItem]]:
    """The student's lessons with start <= starts_at < end by local day, each marked moved
    when it is not at one of its group's weekly times (two queries)."""
    rows = await repo.lessons_between(session, student_id, start, end)
    slots: dict[int, set[tuple[int, time]]] = defaultdict(set)
    if rows:
        for group_id, weekday, start_time in await repo.slots_of_current_groups(
            session, student_id
        ):
            slots[group_id].add((weekday, start_time.replace(second=0, microsecond=0)))
    by_day: dict[date, list[LessonItem]] = defaultdict(list)
    for (
        lesson_id,
        starts_at,
        duration,
        status,
        topic,
        group_id,
        group,
        room,
        course,
        teacher,
    ) in rows:
        local = starts_at.astimezone(tz)
        group_slots = slots.get(group_id)
        moved = bool(group_slots) and (
            (local.weekday(), local.time().replace(second=0, microsecond=0)) not in group_slots
        )
        by_day[local.date()].append(
            LessonItem(
                id=lesson_id,
                group=GroupRef(id=group_id, name=group, course=course),
                room=room,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=duration),
                status=status,
                topic=topic,
                moved=moved,
                teacher=teacher,
            )
        )
    return by_day


async def schedule(
    session: AsyncSession, student_id: int, *, now: datetime, tz: ZoneInfo
) -> Schedule:
    """The student's lessons from today to the end of next week, by local day (two queries)."""
    today, last_day, start, end = schedule_window(now, tz)
    by_day = await _lessons_by_day(session, student_id, start, end, tz)
    next_monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    days = [
        Day(
            day=day,
            relative=relative_day(day, today),
            next_week=day >= next_monday,
            lessons=lessons,
        )
        for day, lessons in sorted(by_day.items())
    ]
    return Schedule(first_day=today, last_day=last_day, days=days)


@dataclass(frozen=True, slots=True)
class Week:
    monday: date
    today: date  # in the centre's time zone
    days: list[Day]  # all seven, Monday first, the days without lessons too

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_window(monday: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00, local, as UTC moments."""
    start = datetime.combine(monday, time.min, tzinfo=tz).astimezone(UTC)
    end = datetime.combine(monday + timedelta(days=7), time.min, tzinfo=tz).astimezone(UTC)
    return start, end


async def week(
    session: AsyncSession,
    student_id: int,
    *,
    now: datetime,
    tz: ZoneInfo,
    day: date | None = None,
) -> Week:
    """The student's timetable of the week (Monday to Sunday, local) holding `day` (by
    default today): the same lessons, marks and moves as /schedule (two queries)."""
    today = now.astimezone(tz).date()
    monday = monday_of(day or today)
    start, end = week_window(monday, tz)
    by_day = await _lessons_by_day(session, student_id, start, end, tz)
    next_monday = monday_of(today) + timedelta(days=7)
    days = [
        Day(
            day=current,
            relative=relative_day(current, today),
            next_week=current >= next_monday,
            lessons=by_day.get(current, []),
        )
        for current in (monday + timedelta(days=offset) for offset in range(7))
    ]
    return Week(monday=monday, today=today, days=days)


# --- attendance -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mark:
    starts_at: datetime
    status: str


@dataclass(slots=True)
class GroupAttendance:
    group: GroupRef
    counts: dict[str, int] = field(default_factory=dict)
    recent: list[Mark] = field(default_factory=list)

    @property
    def marked(self) -> int:
        return sum(self.counts.values())

    @property
    def percent(self) -> int | None:
        """Present or late, of the lessons marked; None before the first mark."""
        if not self.marked:
            return None
        attended = sum(self.counts.get(status, 0) for status in ATTENDED)
        return round(100 * attended / self.marked)


async def attendance(
    session: AsyncSession, student_id: int, recent: int = RECENT_MARKS
) -> list[GroupAttendance]:
    """Per group (current ones, and any other with marks): counts and the latest marks."""
    groups: dict[int, GroupAttendance] = {}
    for group_id, group, course in await repo.groups_of(session, student_id):
        groups[group_id] = GroupAttendance(GroupRef(group_id, group, course))
    for group_id, group, course, status, count in await repo.attendance_counts(session, student_id):
        entry = groups.setdefault(group_id, GroupAttendance(GroupRef(group_id, group, course)))
        entry.counts[status] = count
    if any(entry.marked for entry in groups.values()):
        for group_id, starts_at, status in await repo.recent_attendance(
            session, student_id, recent
        ):
            groups[group_id].recent.append(Mark(starts_at=starts_at, status=status))
    return sorted(groups.values(), key=lambda g: (g.group.course, g.group.name, g.group.id))


# --- grades ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GradeItem:
    id: int
    kind: str
    score: int
    max_score: int
    comment: str | None
    given_at: datetime


@dataclass(frozen=True, slots=True)
class GroupGrades:
    group: GroupRef
    grades: list[GradeItem]  # newest first


async def grades(session: AsyncSession, student_id: int) -> list[GroupGrades]:
    """Every grade, by group, newest first (one query)."""
    by_group: dict[int, GroupGrades] = {}
    for grade, group_id, group, course in await repo.grades(session, student_id):
        entry = by_group.setdefault(group_id, GroupGrades(GroupRef(group_id, group, course), []))
        entry.grades.append(
            GradeItem(
                id=grade.id,
                kind=grade.kind,
                score=grade.score,
                max_score=grade.max_score,
                comment=grade.comment,
                given_at=grade.created_at,
            )
        )
    return sorted(by_group.values(), key=lambda g: (g.group.course, g.group.name, g.group.id))


# --- homework -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attachment:
    kind: AttachmentKind | None  # None: a bare file id, most likely a document
    file_id: str


def parse_attachment(stored: str) -> Attachment:
    """`photo:<file id>`, `document:<file id>` or a bare file id."""
    kind, separator, file_id = stored.partition(":")
    if separator and kind in {k.value for k in AttachmentKind} and file_id:
        return Attachment(AttachmentKind(kind), file_id)
    return Attachment(None, stored)


@dataclass(frozen=True, slots=True)
class HomeworkItem:
    id: int
    group: str
    course: str
    text: str
    due_at: datetime | None
    posted_at: datetime
    attachments: int


@dataclass(frozen=True, slots=True)
class HomeworkList:
    current: list[HomeworkItem]  # due from now on (or undated), soonest first
    recent: list[HomeworkItem]  # due in the past week, latest first

    @property
    def items(self) -> list[HomeworkItem]:
        return self.current + self.recent


async def homework(session: AsyncSession, student_id: int, *, now: datetime) -> HomeworkList:
    current: list[HomeworkItem] = []
    recent: list[HomeworkItem] = []
    rows = await repo.homework(
        session,
        student_id,
        due_since=now - RECENT_HOMEWORK,
        posted_since=now - UNDATED_HOMEWORK,
    )
    for item, group, course in rows:
        entry = HomeworkItem(
            id=item.id,
            group=group,
            course=course,
            text=item.text,
            due_at=item.due_at,
            posted_at=item.posted_at,
            attachments=len(item.attachments or []),
        )
        (recent if item.due_at is not None and item.due_at < now else current).append(entry)
    far = datetime.max.replace(tzinfo=UTC)
    current.sort(key=lambda h: (h.due_at or far, h.id))
    recent.sort(key=lambda h: (h.due_at, h.id), reverse=True)
    return HomeworkList(current=current, recent=recent)


@dataclass(frozen=True, slots=True)
class HomeworkFiles:
    group: str
    attachments: list[Attachment]


async def homework_files(
    session: AsyncSession, student_id: int, homework_id: int
) -> HomeworkFiles | None:
    """The files of a homework of one of the student's groups; None for any other."""
    row = await repo.homework_of_student(session, student_id, homework_id)
    if row is None:
        return None
    item, group = row
    return HomeworkFiles(
        group=group, attachments=[parse_attachment(a) for a in item.attachments or []]
    )


# --- parents --------------------------------------------------------------------------------


async def children(session: AsyncSession, parent_id: int) -> list[PersonRef]:
    """The parent's linked children (one query)."""
    return await mydata_service.children(session, parent_id)


def pick_child(children: list[PersonRef], child_id: int) -> PersonRef | None:
    """The child named in a button, only if it is one of the parent's linked children
    (`children` comes from the parent-link query, erased people already left out)."""
    return next((child for child in children if child.id == child_id), None)


async def refuse(session: AsyncSession, viewer_id: int, action: str, details: dict) -> None:
    """A forged or stale press: a `denied` audit entry, nothing else."""
    await audit.record_denied(session, actor_id=viewer_id, action=action, details=details)
