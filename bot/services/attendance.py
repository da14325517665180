"""The teacher's day, groups and attendance sheets, and who may mark what when.

Rules:
- A teacher sees and marks only their own groups (groups.teacher_id); an admin with the
  `academic` permission may open and mark any group's sheet.
- Marking opens 15 minutes before the lesson and closes at the end of the lesson's day in
  the centre's time zone; after that only an admin with `academic` may change marks.
  A cancelled lesson is not marked.
- Everyone actively enrolled is on the sheet (present until tapped otherwise); a frozen
  student is shown but not marked.
- Saving writes one row per student and lesson (an upsert; two saves at once still give
  one row each, the later one audited as a change with old and new values), marks the
  lesson held, and claims the absence notices, all in one transaction. The notices are
  sent by the caller after the commit, once per student and lesson however often the
  sheet is saved.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from math import ceil
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.access import Actor
from bot.services.consent import Category
from bot.services.recipients import Recipient, recipients
from db.models import (
    AttendanceStatus,
    EnrolmentStatus,
    Group,
    Lesson,
    LessonStatus,
    NotificationKind,
    Permission,
    Role,
)
from db.repositories import attendance as repo
from db.repositories import notifications as notifications_repo

MARKING_OPENS = timedelta(minutes=15)  # before the lesson starts
CYCLE = (
    AttendanceStatus.PRESENT,
    AttendanceStatus.ABSENT,
    AttendanceStatus.LATE,
    AttendanceStatus.EXCUSED,
)
PAGE_SIZE = 10
ROSTER_LIMIT = 95  # Telegram allows 100 buttons in one keyboard; a few are navigation


class Verdict(StrEnum):
    ALLOWED = "allowed"
    FOREIGN = "foreign"  # neither this group's teacher nor an admin with `academic`
    TOO_EARLY = "too_early"
    TOO_LATE = "too_late"  # the lesson's day is over: an admin with `academic` may still
    CANCELLED = "cancelled"


def next_status(status: str) -> AttendanceStatus:
    """present → absent → late → excused → present."""
    current = AttendanceStatus(status)
    return CYCLE[(CYCLE.index(current) + 1) % len(CYCLE)]


def teaches(actor: Actor, group: Group) -> bool:
    return actor.has_role(Role.TEACHER) and group.teacher_id == actor.user_id


def may_manage(actor: Actor, group: Group) -> bool:
    """May see the group's students and lessons (and grade them, post homework)."""
    return teaches(actor, group) or actor.can(Permission.ACADEMIC)


def local_day_end(moment: datetime, tz: ZoneInfo) -> datetime:
    """Midnight after `moment`'s day in the centre's time zone."""
    day = moment.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=tz)


def marking_window(lesson: Lesson, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return lesson.starts_at - MARKING_OPENS, local_day_end(lesson.starts_at, tz)


def may_mark(actor: Actor, group: Group, lesson: Lesson, now: datetime, tz: ZoneInfo) -> Verdict:
    """May `actor` mark (or change the marks of) this lesson now?"""
    admin = actor.can(Permission.ACADEMIC)
    if lesson.group_id != group.id or not (teaches(actor, group) or admin):
        return Verdict.FOREIGN
    if lesson.status == LessonStatus.CANCELLED:
        return Verdict.CANCELLED
    opens, closes = marking_window(lesson, tz)
    if now < opens:
        return Verdict.TOO_EARLY
    if now >= closes and not admin:
        return Verdict.TOO_LATE
    return Verdict.ALLOWED


# --- what the screens show ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LessonRef:
    id: int
    group_id: int
    group_name: str
    room: str | None
    starts_at: datetime
    duration_minutes: int
    status: str

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def cancelled(self) -> bool:
        return self.status == LessonStatus.CANCELLED


@dataclass(frozen=True, slots=True)
class Student:
    id: int
    name: str
    frozen: bool


@dataclass(frozen=True, slots=True)
class Sheet:
    """An attendance sheet: the lesson, its roster, the stored marks, what the actor may do."""

    lesson: LessonRef
    course: str
    students: list[Student]
    stored: dict[int, str]
    verdict: Verdict
    opens_at: datetime
    closes_at: datetime
    own_group: bool  # the actor teaches the group (the sheet links back to it)

    @property
    def markable(self) -> list[Student]:
        return [student for student in self.students if not student.frozen]

    def marks(self, pending: Mapping[int, str] | None = None) -> dict[int, str]:
        """Each markable student's mark: pending, else stored, else present."""
        pending = pending or {}
        return {
            s.id: pending.get(s.id) or self.stored.get(s.id) or AttendanceStatus.PRESENT.value
            for s in self.markable
        }

    def unsaved(self, pending: Mapping[int, str] | None = None) -> bool:
        return any(self.stored.get(sid) != status for sid, status in self.marks(pending).items())


@dataclass(frozen=True, slots=True)
class GroupItem:
    id: int
    name: str
    course: str
    students: int


@dataclass(frozen=True, slots=True)
class Slot:
    weekday: int
    start: time
    duration_minutes: int


@dataclass(frozen=True, slots=True)
class GroupCard:
    id: int
    name: str
    course: str
    room: str | None
    capacity: int
    slots: list[Slot]
    students: list[Student]
    next_lesson: datetime | None


def lesson_ref(lesson: Lesson, group: Group) -> LessonRef:
    return LessonRef(
        id=lesson.id,
        group_id=group.id,
        group_name=group.name,
        room=group.room,
        starts_at=lesson.starts_at,
        duration_minutes=lesson.duration_minutes,
        status=lesson.status,
    )


def _students(rows: list[tuple[int, str | None, str]]) -> list[Student]:
    return [
        Student(id=sid, name=name or "—", frozen=status == EnrolmentStatus.FROZEN)
        for sid, name, status in rows
    ]


async def managed_group(session: AsyncSession, actor: Actor, group_id: int) -> Group | None:
    """The group when the actor may manage it; None for another teacher's group (or none)."""
    group = await repo.get_group(session, group_id)
    if group is None or not may_manage(actor, group):
        return None
    return group


async def today(
    session: AsyncSession, actor: Actor, now: datetime, tz: ZoneInfo
) -> tuple[date, list[LessonRef]]:
    """The teacher's lessons on today's date in the centre's time zone."""
    day = now.astimezone(tz).date()
    start = datetime.combine(day, time(0), tzinfo=tz)
    rows = await repo.teacher_lessons_between(
        session, actor.user_id, start, local_day_end(start, tz)
    )
    return day, [
        LessonRef(
            id=lesson.id,
            group_id=lesson.group_id,
            group_name=name,
            room=room,
            starts_at=lesson.starts_at,
            duration_minutes=lesson.duration_minutes,
            status=lesson.status,
        )
        for lesson, name, room in rows
    ]


async def my_groups(
    session: AsyncSession, actor: Actor, page: int
) -> tuple[list[GroupItem], int, int]:
    """(one page of the teacher's own groups, page, pages); a page out of range is clamped."""
    total = await repo.count_teacher_groups(session, actor.user_id)
    pages = max(1, ceil(total / PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = await repo.teacher_groups(
        session, actor.user_id, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    items = [GroupItem(id=i, name=n, course=c, students=s) for i, n, c, s in rows]
    return items, page, pages


async def group_card(
    session: AsyncSession, actor: Actor, group_id: int, now: datetime
) -> GroupCard | None:
    group = await managed_group(session, actor, group_id)
    if group is None:
        return None
    upcoming = await repo.next_lesson(session, group.id, now)
    return GroupCard(
        id=group.id,
        name=group.name,
        course=await repo.course_name(session, group.course_id),
        room=group.room,
        capacity=group.capacity,
        slots=[
            Slot(s.weekday, s.start_time, s.duration_minutes)
            for s in await repo.slots(session, group.id)
        ],
        students=_students(await repo.roster(session, group.id)),
        next_lesson=upcoming.starts_at if upcoming else None,
    )


async def group_lessons(
    session: AsyncSession, actor: Actor, group_id: int, page: int, now: datetime, tz: ZoneInfo
) -> tuple[Group, list[LessonRef], int, int] | None:
    """The group's lessons up to the end of today, newest first, one page of them."""
    group = await managed_group(session, actor, group_id)
    if group is None:
        return None
    until = local_day_end(now, tz)
    total = await repo.count_lessons_before(session, group.id, until)
    pages = max(1, ceil(total / PAGE_SIZE))
    page = min(max(page, 1), pages)
    lessons = await repo.lessons_before(
        session, group.id, until, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    return group, [lesson_ref(lesson, group) for lesson in lessons], page, pages


async def _lesson_and_group(
    session: AsyncSession, lesson_id: int
) -> tuple[Lesson, Group] | tuple[None, None]:
    lesson = await repo.get_lesson(session, lesson_id)
    group = await repo.get_group(session, lesson.group_id) if lesson else None
    if lesson is None or group is None:
        return None, None
    return lesson, group


async def _judge(
    session: AsyncSession, actor: Actor, lesson_id: int, now: datetime, tz: ZoneInfo
) -> tuple[Lesson | None, Group | None, Verdict]:
    lesson, group = await _lesson_and_group(session, lesson_id)
    if lesson is None or group is None:
        return None, None, Verdict.FOREIGN
    return lesson, group, may_mark(actor, group, lesson, now, tz)


async def sheet(
    session: AsyncSession, actor: Actor, lesson_id: int, now: datetime, tz: ZoneInfo
) -> Sheet | None:
    """The lesson's sheet as the actor may see it; None for a lesson they may not see
    (three queries: the lesson with its group and course, the roster, the marks)."""
    found = await repo.lesson_group_course(session, lesson_id)
    if found is None:
        return None
    lesson, group, course = found
    verdict = may_mark(actor, group, lesson, now, tz)
    if verdict is Verdict.FOREIGN:
        return None
    return Sheet(
        lesson=lesson_ref(lesson, group),
        course=course,
        students=_students(await repo.roster(session, group.id))[:ROSTER_LIMIT],
        stored=await repo.marks_of(session, lesson.id),
        verdict=verdict,
        opens_at=marking_window(lesson, tz)[0],
        closes_at=marking_window(lesson, tz)[1],
        own_group=teaches(actor, group),
    )


async def deny_group(session: AsyncSession, actor: Actor, group_id: int) -> None:
    """Audit an attempt to open another teacher's group (a forged or stale button)."""
    await audit.record_denied(
        session,
        actor_id=actor.user_id,
        action="teaching.denied",
        details={"group_id": group_id, "reason": Verdict.FOREIGN.value},
    )


async def deny(
    session: AsyncSession, actor: Actor, lesson_id: int, reason: str, **details: object
) -> None:
    """Audit a refused attempt on a lesson (a forged button, a sheet after its day)."""
    await audit.record_denied(
        session,
        actor_id=actor.user_id,
        action="attendance.denied",
        details={"lesson_id": lesson_id, "reason": reason, **details},
    )


# --- saving ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    student_id: int
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class AbsenceNotice:
    """One notice to send after the commit: to the absent student, or to a parent of theirs."""

    claim_id: int
    recipient: Recipient
    student_name: str
    about_self: bool
    group_name: str
    starts_at: datetime


@dataclass(frozen=True, slots=True)
class SaveResult:
    verdict: Verdict
    sheet: Sheet | None = None
    counts: dict[str, int] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    notices: list[AbsenceNotice] = field(default_factory=list)


def absence_key(lesson_id: int, student_id: int) -> str:
    return f"lesson:{lesson_id}:student:{student_id}"


def _clean(pending: Mapping[int, str]) -> dict[int, str]:
    valid = {status.value for status in AttendanceStatus}
    return {int(sid): status for sid, status in pending.items() if status in valid}


async def save(
    session: AsyncSession,
    actor: Actor,
    lesson_id: int,
    pending: Mapping[int, str],
    *,
    now: datetime,
    tz: ZoneInfo,
    policy_version: str,
) -> SaveResult:
    """Write the sheet's marks in one transaction; refusals write nothing (the caller audits)."""
    lesson, group, verdict = await _judge(session, actor, lesson_id, now, tz)
    if verdict is not Verdict.ALLOWED or lesson is None or group is None:
        return SaveResult(verdict)
    # Read first what a concurrent save does not change: the lock below is, on SQLite, the
    # database's one write lock, and every other writer waits while it is held (a save held
    # it ~140 ms under load, a dozen statements each waiting for a busy event loop).
    # Only the students the sheet can show are marked (see ROSTER_LIMIT).
    students = _students(await repo.roster(session, group.id))[:ROSTER_LIMIT]
    course = await repo.course_name(session, group.course_id)

    def sheet_of(lesson: Lesson, group: Group, stored: dict[int, str]) -> Sheet:
        opens_at, closes_at = marking_window(lesson, tz)
        return Sheet(
            lesson=lesson_ref(lesson, group),
            course=course,
            students=students,
            stored=stored,
            verdict=Verdict.ALLOWED,
            opens_at=opens_at,
            closes_at=closes_at,
            own_group=teaches(actor, group),
        )

    before = sheet_of(lesson, group, await repo.marks_of(session, lesson.id))
    absent_before = _absent(before.marks(_clean(pending)))
    audience = await _absence_audience(session, absent_before, policy_version)

    await repo.lock_lesson(session, lesson_id)
    # Read again under the lock: a cancellation, a new teacher, or a save that came first.
    lesson, group, verdict = await _judge(session, actor, lesson_id, now, tz)
    if verdict is not Verdict.ALLOWED or lesson is None or group is None:
        await session.rollback()
        return SaveResult(verdict)

    stored = await repo.marks_of(session, lesson.id)
    current = sheet_of(lesson, group, stored)
    marks = current.marks(_clean(pending))
    changes = [
        Change(sid, stored[sid], status)
        for sid, status in marks.items()
        if sid in stored and stored[sid] != status
    ]
    to_write = {sid: status for sid, status in marks.items() if stored.get(sid) != status}
    await repo.upsert_marks(session, lesson.id, to_write, actor.user_id, now)
    if lesson.status == LessonStatus.SCHEDULED:
        await repo.set_lesson_status(session, lesson.id, LessonStatus.HELD)

    counts = Counter(marks.values())
    await audit.record(
        session,
        actor.user_id,
        "attendance.changed" if changes else "attendance.saved",
        "lesson",
        lesson.id,
        details={
            "group_id": group.id,
            "counts": {status.value: counts.get(status.value, 0) for status in CYCLE},
            "changes": [{"student_id": c.student_id, "old": c.old, "new": c.new} for c in changes],
            "after_day": now >= current.closes_at,
        },
    )
    absent = _absent(marks)
    if missing := [sid for sid in absent if sid not in absent_before]:  # a save came first
        audience = audience.with_(await _absence_audience(session, missing, policy_version))
    notices = await _claim_absence_notices(session, current, absent, audience, now=now)
    await session.commit()

    saved = Sheet(
        lesson=lesson_ref(lesson, group),
        course=current.course,
        students=students,
        stored={**stored, **marks},
        verdict=verdict,
        opens_at=current.opens_at,
        closes_at=current.closes_at,
        own_group=current.own_group,
    )
    return SaveResult(
        Verdict.ALLOWED,
        sheet=saved,
        counts={status.value: counts.get(status.value, 0) for status in CYCLE},
        changes=changes,
        notices=notices,
    )


def _absent(marks: Mapping[int, str]) -> list[int]:
    return [sid for sid, status in marks.items() if status == AttendanceStatus.ABSENT]


@dataclass(frozen=True, slots=True)
class AbsenceAudience:
    """Who may be told that a student was absent: the student and their linked parents,
    those of them who may be messaged (consent, not blocked)."""

    parents: dict[int, list[int]]
    allowed: dict[int, Recipient]

    def with_(self, other: "AbsenceAudience") -> "AbsenceAudience":
        return AbsenceAudience(self.parents | other.parents, self.allowed | other.allowed)


async def students_and_parents(
    session: AsyncSession, student_ids: Iterable[int], category: Category, policy_version: str
) -> list[tuple[int, Recipient]]:
    """(student id, recipient) for each student and each of their linked parents who may be
    sent a message of `category`: students in order, each before their parents."""
    ids = list(student_ids)
    parents = await repo.parents_of(session, ids)
    wanted = {sid: [sid, *parents.get(sid, [])] for sid in ids}
    allowed = {
        r.user_id: r
        for r in await recipients(
            session, [uid for users in wanted.values() for uid in users], category, policy_version
        )
    }
    return [
        (sid, allowed[uid])
        for sid, users in sorted(wanted.items())
        for uid in users
        if uid in allowed
    ]


async def _absence_audience(
    session: AsyncSession, student_ids: list[int], policy_version: str
) -> AbsenceAudience:
    """Absence notices are essential (Category.ESSENTIAL): they concern the child's safety
    (a parent must learn that the child did not arrive), like a cancelled lesson, so a
    parent who turned reminders off still gets them."""
    if not student_ids:
        return AbsenceAudience({}, {})
    parents = await repo.parents_of(session, student_ids)
    users = [*student_ids, *(parent for ids in parents.values() for parent in ids)]
    allowed = await recipients(session, users, Category.ESSENTIAL, policy_version)
    return AbsenceAudience(parents, {r.user_id: r for r in allowed})


async def _claim_absence_notices(
    session: AsyncSession,
    current: Sheet,
    absent: list[int],
    audience: AbsenceAudience,
    *,
    now: datetime,
) -> list[AbsenceNotice]:
    """Claim one notice per absent student and lesson, for the student and each parent."""
    if not absent:
        return []
    allowed = audience.allowed
    claims = [
        (user_id, NotificationKind.ABSENCE.value, absence_key(current.lesson.id, sid))
        for sid in absent
        for user_id in [sid, *audience.parents.get(sid, [])]
        if user_id in allowed
    ]
    claimed = await notifications_repo.claim_notices(session, claims, now)
    names = {student.id: student.name for student in current.students}
    notices = []
    for claim_id, user_id, key in claimed:
        student_id = int(key.rsplit(":", 1)[1])
        notices.append(
            AbsenceNotice(
                claim_id=claim_id,
                recipient=allowed[user_id],
                student_name=names.get(student_id, "—"),
                about_self=user_id == student_id,
                group_name=current.lesson.group_name,
                starts_at=current.lesson.starts_at,
            )
        )
    return notices
