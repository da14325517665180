"""Courses and groups with their weekly slots: the admin's academic catalogue.

The money, dates, times and small numbers the admin types into these forms are parsed
by `bot.services.parsing` (one home, one set of limits).

Saving
------
`save_course` and `save_group` write one form's result in one transaction with its
audit entry. A group's slots are compared with the other active groups of the same
teacher or room: an overlap is returned as a warning, and the group is saved only when
the admin confirms (`confirm_overlaps=True`). A changed timetable regenerates only
future lessons nobody has marked (see `bot.services.lessons`).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services import lessons as lessons_service
from bot.services.paging import Page, page_bounds
from bot.services.parsing import Invalid, Problem
from bot.services.people import APOSTROPHES, fold
from db.models import Course, Group, GroupStatus, Role, ScheduleSlot, User
from db.repositories import academic as repo

PAGE_SIZE = 10
CAPACITY_MAX = 200
COURSE_NAME_MIN, COURSE_NAME_MAX = 2, 128
GROUP_NAME_MAX = 128
ROOM_MAX = 64
DESCRIPTION_MAX = 1000
SLOTS_MAX = 14
MINUTES_PER_WEEK = 7 * 24 * 60
SEARCH_CAP = 200


# --- shared shapes ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SlotSpec:
    """A weekly lesson: local weekday (Monday=0), local start time, length in minutes."""

    weekday: int
    start: time
    minutes: int

    @property
    def key(self) -> tuple[int, time]:
        return self.weekday, self.start

    @property
    def end(self) -> time:
        moment = datetime.combine(date(2000, 1, 3), self.start) + timedelta(minutes=self.minutes)
        return moment.time()

    def week_interval(self) -> tuple[int, int]:
        start = self.weekday * 24 * 60 + self.start.hour * 60 + self.start.minute
        return start, start + self.minutes

    def overlaps(self, other: "SlotSpec") -> bool:
        a_start, a_end = self.week_interval()
        b_start, b_end = other.week_interval()
        for shift in (-MINUTES_PER_WEEK, 0, MINUTES_PER_WEEK):
            if a_start < b_end + shift and b_start + shift < a_end:
                return True
        return False

    def as_data(self) -> dict[str, Any]:
        return {
            "weekday": self.weekday,
            "start": self.start.strftime("%H:%M"),
            "minutes": self.minutes,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "SlotSpec":
        hours, minutes = (int(part) for part in str(data["start"]).split(":"))
        return cls(int(data["weekday"]), time(hours, minutes), int(data["minutes"]))

    @classmethod
    def of(cls, slot: ScheduleSlot) -> "SlotSpec":
        return cls(slot.weekday, slot.start_time, slot.duration_minutes)


def sorted_slots(slots: Any) -> tuple[SlotSpec, ...]:
    return tuple(sorted(slots, key=lambda slot: (slot.weekday, slot.start)))


class SlotProblem(StrEnum):
    DUPLICATE = "duplicate"
    OVERLAPS_OWN = "overlaps_own"
    TOO_MANY = "too_many"


def add_slot(slots: tuple[SlotSpec, ...], new: SlotSpec) -> tuple[SlotSpec, ...]:
    """The slots with `new` added; raises SlotConflict when it clashes with one of them."""
    if len(slots) >= SLOTS_MAX:
        raise SlotConflict(SlotProblem.TOO_MANY, None)
    for slot in slots:
        if slot.key == new.key:
            raise SlotConflict(SlotProblem.DUPLICATE, slot)
        if slot.overlaps(new):
            raise SlotConflict(SlotProblem.OVERLAPS_OWN, slot)
    return sorted_slots((*slots, new))


class SlotConflict(ValueError):
    def __init__(self, problem: SlotProblem, slot: SlotSpec | None) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.slot = slot


# --- courses ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CourseInfo:
    id: int
    name: str
    description: str | None
    monthly_price: int
    is_active: bool
    groups: int = 0
    active_groups: int = 0


def _course_info(course: Course, groups: int = 0, active: int = 0) -> CourseInfo:
    return CourseInfo(
        course.id,
        course.name,
        course.description,
        course.monthly_price,
        course.is_active,
        int(groups),
        int(active),
    )


async def courses(
    session: AsyncSession, page: int, *, only_active: bool = False
) -> Page[CourseInfo]:
    total = await repo.count_courses(session, only_active=only_active)
    page, pages = page_bounds(total, page, PAGE_SIZE)
    rows = await repo.courses_page(
        session, (page - 1) * PAGE_SIZE, PAGE_SIZE, only_active=only_active
    )
    return Page([_course_info(*row) for row in rows], total, page, pages)


async def course(session: AsyncSession, course_id: int) -> CourseInfo | None:
    row = await repo.course_with_counts(session, course_id)
    return None if row is None else _course_info(*row)


class Outcome(StrEnum):
    DONE = "done"
    UNCHANGED = "unchanged"
    MISSING = "missing"
    NAME_TAKEN = "name_taken"
    HAS_ACTIVE_GROUPS = "has_active_groups"
    COURSE_ARCHIVED = "course_archived"
    NOT_A_TEACHER = "not_a_teacher"
    BELOW_SEATED = "below_seated"
    NO_SLOTS = "no_slots"
    OVERLAP = "overlap"
    END_BEFORE_START = "end_before_start"


@dataclass(frozen=True, slots=True)
class CourseDraft:
    name: str
    description: str | None
    monthly_price: int

    def as_data(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "price": self.monthly_price}


@dataclass(frozen=True, slots=True)
class CourseResult:
    outcome: Outcome
    course: CourseInfo | None = None


async def course_name_free(session: AsyncSession, name: str, course_id: int | None) -> bool:
    existing = await repo.course_named(session, name)
    return existing is None or existing.id == course_id


async def save_course(
    session: AsyncSession, actor_id: int, course_id: int | None, draft: CourseDraft
) -> CourseResult:
    """Create (course_id None) or update a course; one commit with its audit entry."""
    if not await course_name_free(session, draft.name, course_id):
        return CourseResult(Outcome.NAME_TAKEN)
    if course_id is None:
        row = Course(
            name=draft.name, description=draft.description, monthly_price=draft.monthly_price
        )
        session.add(row)
        await session.flush()
        await audit.record(
            session, actor_id, "course.created", "course", row.id, details=draft.as_data()
        )
    else:
        row = await repo.get_course(session, course_id)
        if row is None:
            return CourseResult(Outcome.MISSING)
        changes = _changes(
            {"name": row.name, "description": row.description, "price": row.monthly_price},
            draft.as_data(),
        )
        if not changes:
            return CourseResult(Outcome.UNCHANGED, await course(session, course_id))
        row.name, row.description = draft.name, draft.description
        row.monthly_price = draft.monthly_price
        await audit.record(
            session, actor_id, "course.updated", "course", row.id, details={"changes": changes}
        )
    await session.commit()
    return CourseResult(Outcome.DONE, await course(session, row.id))


async def set_course_active(
    session: AsyncSession, actor_id: int, course_id: int, active: bool
) -> CourseResult:
    """Archive (active=False) or restore a course. A course with active groups stays."""
    info = await course(session, course_id)
    if info is None:
        return CourseResult(Outcome.MISSING)
    if info.is_active == active:
        return CourseResult(Outcome.UNCHANGED, info)
    if not active and info.active_groups:
        return CourseResult(Outcome.HAS_ACTIVE_GROUPS, info)
    row = await repo.get_course(session, course_id)
    assert row is not None
    row.is_active = active
    await audit.record(
        session, actor_id, "course.restored" if active else "course.archived", "course", course_id
    )
    await session.commit()
    return CourseResult(Outcome.DONE, await course(session, course_id))


def _changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    return {key: [old[key], new[key]] for key in new if old.get(key) != new[key]}


# --- groups -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroupDraft:
    """What the group form collects; JSON-safe through `as_data` / `from_data`."""

    course_id: int
    name: str
    teacher_id: int | None
    room: str | None
    capacity: int
    start_date: date
    end_date: date | None
    price_override: int | None
    slots: tuple[SlotSpec, ...]
    status: GroupStatus = GroupStatus.ACTIVE

    def as_data(self) -> dict[str, Any]:
        return {
            "course_id": self.course_id,
            "name": self.name,
            "teacher_id": self.teacher_id,
            "room": self.room,
            "capacity": self.capacity,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat() if self.end_date else None,
            "price_override": self.price_override,
            "slots": [slot.as_data() for slot in self.slots],
            "status": self.status.value,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> "GroupDraft":
        return cls(
            course_id=int(data["course_id"]),
            name=str(data["name"]),
            teacher_id=None if data.get("teacher_id") is None else int(data["teacher_id"]),
            room=data.get("room"),
            capacity=int(data["capacity"]),
            start_date=date.fromisoformat(data["start_date"]),
            end_date=date.fromisoformat(data["end_date"]) if data.get("end_date") else None,
            price_override=(
                None if data.get("price_override") is None else int(data["price_override"])
            ),
            slots=sorted_slots(SlotSpec.from_data(slot) for slot in data.get("slots", [])),
            status=GroupStatus(data.get("status", GroupStatus.ACTIVE)),
        )


@dataclass(frozen=True, slots=True)
class GroupInfo:
    id: int
    course_id: int
    course_name: str
    course_price: int
    teacher_id: int | None
    teacher_name: str | None
    name: str
    room: str | None
    capacity: int
    start_date: date
    end_date: date | None
    price_override: int | None
    status: GroupStatus
    seated: int
    slots: tuple[SlotSpec, ...] = ()

    @property
    def price(self) -> int:
        return self.course_price if self.price_override is None else self.price_override

    @property
    def is_full(self) -> bool:
        return self.seated >= self.capacity

    def draft(self) -> GroupDraft:
        return GroupDraft(
            course_id=self.course_id,
            name=self.name,
            teacher_id=self.teacher_id,
            room=self.room,
            capacity=self.capacity,
            start_date=self.start_date,
            end_date=self.end_date,
            price_override=self.price_override,
            slots=self.slots,
            status=self.status,
        )


def _group_info(row: Any, slots: tuple[SlotSpec, ...] = ()) -> GroupInfo:
    group, course_name, course_price, teacher_name, seated = row
    return GroupInfo(
        id=group.id,
        course_id=group.course_id,
        course_name=course_name,
        course_price=course_price,
        teacher_id=group.teacher_id,
        teacher_name=teacher_name,
        name=group.name,
        room=group.room,
        capacity=group.capacity,
        start_date=group.start_date,
        end_date=group.end_date,
        price_override=group.price_override,
        status=GroupStatus(group.status),
        seated=int(seated),
        slots=slots,
    )


async def groups(
    session: AsyncSession,
    page: int,
    course_id: int | None = None,
    *,
    only_active: bool = False,
    exclude_id: int | None = None,
) -> Page[GroupInfo]:
    total = await repo.count_groups(
        session, course_id, only_active=only_active, exclude_id=exclude_id
    )
    page, pages = page_bounds(total, page, PAGE_SIZE)
    rows = await repo.groups_page(
        session,
        (page - 1) * PAGE_SIZE,
        PAGE_SIZE,
        course_id,
        only_active=only_active,
        exclude_id=exclude_id,
    )
    return Page([_group_info(row) for row in rows], total, page, pages)


async def group(session: AsyncSession, group_id: int) -> GroupInfo | None:
    row = await repo.group_row(session, group_id)
    if row is None:
        return None
    slots = sorted_slots(SlotSpec.of(slot) for slot in await repo.slots_of(session, [group_id]))
    return _group_info(row, slots)


async def group_name_free(
    session: AsyncSession, course_id: int, name: str, group_id: int | None
) -> bool:
    return await repo.group_named(session, course_id, name, group_id) is None


async def seated(session: AsyncSession, group_id: int) -> int:
    """Students holding a seat (active or frozen)."""
    return await repo.seated(session, group_id)


@dataclass(frozen=True, slots=True)
class PersonItem:
    id: int
    name: str


async def people_with_role(session: AsyncSession, role: Role, page: int) -> Page[PersonItem]:
    total = await repo.count_with_role(session, role)
    page, pages = page_bounds(total, page, PAGE_SIZE)
    rows = await repo.with_role_page(session, role, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    return Page([PersonItem(row.id, row.full_name or "—") for row in rows], total, page, pages)


def _folded_name_sql() -> Any:
    expression: Any = User.full_name
    for mark in APOSTROPHES:
        expression = func.replace(expression, mark, "")
    return expression


async def find_with_role(
    session: AsyncSession, role: Role, query: str, page: int = 1
) -> Page[PersonItem]:
    """People holding `role` whose name contains every word of `query` (apostrophes and
    case ignored, as `bot.services.people.search` compares); `Invalid(TOO_SHORT)` for
    fewer than two letters. SQL narrows (SQLite folds ASCII case only, hence the
    spellings), Python checks exactly."""
    folded = fold(query)
    if len(folded.replace(" ", "")) < 2:
        raise Invalid(Problem.TOO_SHORT, minimum=2)
    tokens = folded.split()
    patterns = [list(dict.fromkeys([t, t.capitalize(), t.upper()])) for t in tokens]
    rows = await repo.with_role_matching(session, role, _folded_name_sql(), patterns, SEARCH_CAP)
    matches = [row for row in rows if all(t in fold(row.full_name or "") for t in tokens)]
    page, pages = page_bounds(len(matches), page, PAGE_SIZE)
    chosen = matches[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    items = [PersonItem(row.id, row.full_name or "—") for row in chosen]
    return Page(items, len(matches), page, pages)


async def person_with_role(session: AsyncSession, user_id: int, role: Role) -> PersonItem | None:
    user = await repo.holds_role(session, user_id, role)
    return None if user is None else PersonItem(user.id, user.full_name or "—")


DEFAULT_CAPACITY = 12
RECENT_GROUPS = 5


@dataclass(frozen=True, slots=True)
class GroupDefaults:
    """What a new group most likely has, from the groups opened last: of its course first,
    then of the whole centre (a centre's first group gets the capacity alone)."""

    teacher: PersonItem | None
    room: str | None
    capacity: int
    minutes: int | None  # the usual lesson length: "14:00" alone takes it
    from_group: bool  # False: no group yet, nothing but the capacity to suggest


def suggested_start(today: date) -> date:
    """The next Monday (today when it is one): groups start with a week."""
    return today + timedelta(days=-today.weekday() % 7)


async def group_defaults(session: AsyncSession, course_id: int) -> GroupDefaults:
    recent = [
        *await repo.latest_groups(session, course_id, RECENT_GROUPS),
        *await repo.latest_groups(session, None, RECENT_GROUPS),
    ]
    teacher = None
    for teacher_id in dict.fromkeys(g.teacher_id for g in recent if g.teacher_id is not None):
        teacher = await person_with_role(session, teacher_id, Role.TEACHER)
        if teacher is not None:
            break
    lengths: dict[int, int] = {}
    for slot in await repo.slots_of(session, [g.id for g in recent]):
        lengths.setdefault(slot.group_id, slot.duration_minutes)
    minutes = next((lengths[g.id] for g in recent if g.id in lengths), None)
    return GroupDefaults(
        teacher=teacher,
        room=next((g.room for g in recent if g.room), None),
        capacity=recent[0].capacity if recent else DEFAULT_CAPACITY,
        minutes=minutes,
        from_group=bool(recent),
    )


@dataclass(frozen=True, slots=True)
class Overlap:
    """One of our slots clashes with a slot of another active group."""

    slot: SlotSpec
    other_group: str
    other_slot: SlotSpec
    same_teacher: bool
    same_room: bool


def room_key(room: str | None) -> str | None:
    """What makes two rooms the same one (the clash rule of the timetable and the week's
    grid): the name, case aside; no room is no room."""
    return room.lower() if room else None


def _dates_meet(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    return (b_end is None or a_start <= b_end) and (a_end is None or b_start <= a_end)


async def overlaps(session: AsyncSession, draft: GroupDraft, group_id: int | None) -> list[Overlap]:
    """Slots of the other active groups with the same teacher or room that clash with ours
    (on the same weekday and time, while both groups run)."""
    if draft.status is not GroupStatus.ACTIVE:
        return []
    rows = await repo.neighbours_slots(session, draft.teacher_id, draft.room, group_id)
    found = []
    for row in rows:
        if not _dates_meet(draft.start_date, draft.end_date, row.start_date, row.end_date):
            continue
        other = SlotSpec(row.weekday, row.start_time, row.duration_minutes)
        same_teacher = draft.teacher_id is not None and row.teacher_id == draft.teacher_id
        same_room = room_key(draft.room) is not None and room_key(draft.room) == room_key(row.room)
        for slot in draft.slots:
            if slot.overlaps(other):
                found.append(Overlap(slot, row.name, other, same_teacher, same_room))
    return found


@dataclass(frozen=True, slots=True)
class GroupResult:
    outcome: Outcome
    group: GroupInfo | None = None
    overlaps: list[Overlap] = field(default_factory=list)
    lessons_added: int = 0
    lessons_removed: int = 0
    seated: int = 0


async def check_group(
    session: AsyncSession, draft: GroupDraft, group_id: int | None
) -> GroupResult | None:
    """The refusal a draft meets (None when it may be saved, overlaps aside)."""
    course_row = await repo.get_course(session, draft.course_id)
    existing = await repo.get_group(session, group_id) if group_id else None
    if course_row is None or (group_id and existing is None):
        return GroupResult(Outcome.MISSING)
    course_changed = existing is None or existing.course_id != draft.course_id
    if course_changed and not course_row.is_active:
        return GroupResult(Outcome.COURSE_ARCHIVED)
    if await repo.group_named(session, draft.course_id, draft.name, group_id):
        return GroupResult(Outcome.NAME_TAKEN)
    teacher_changed = existing is None or existing.teacher_id != draft.teacher_id
    if draft.teacher_id is not None and teacher_changed:
        if await repo.holds_role(session, draft.teacher_id, Role.TEACHER) is None:
            return GroupResult(Outcome.NOT_A_TEACHER)
    if draft.end_date is not None and draft.end_date < draft.start_date:
        return GroupResult(Outcome.END_BEFORE_START)
    if not draft.slots:
        return GroupResult(Outcome.NO_SLOTS)
    if group_id:
        seated = await repo.seated(session, group_id)
        if draft.capacity < seated:
            return GroupResult(Outcome.BELOW_SEATED, seated=seated)
    return None


def _group_values(draft: GroupDraft) -> dict[str, Any]:
    return {
        "course_id": draft.course_id,
        "name": draft.name,
        "teacher_id": draft.teacher_id,
        "room": draft.room,
        "capacity": draft.capacity,
        "start_date": draft.start_date,
        "end_date": draft.end_date,
        "price_override": draft.price_override,
        "status": draft.status.value,
    }


def _add_slots(session: AsyncSession, group_id: int, slots: tuple[SlotSpec, ...]) -> None:
    session.add_all(
        ScheduleSlot(
            group_id=group_id,
            weekday=slot.weekday,
            start_time=slot.start,
            duration_minutes=slot.minutes,
        )
        for slot in slots
    )


async def add_group(session: AsyncSession, draft: GroupDraft) -> Group:
    """A new group and its weekly slots, flushed in the caller's transaction (no lessons,
    no audit, no commit: `save_group` adds those; an import leaves lessons to the job).
    The caller has run `check_group`."""
    row = Group(**_group_values(draft))
    session.add(row)
    await session.flush()
    _add_slots(session, row.id, draft.slots)
    await session.flush()
    return row


async def save_group(
    session: AsyncSession,
    actor_id: int,
    group_id: int | None,
    draft: GroupDraft,
    *,
    now: datetime,
    tz: ZoneInfo,
    confirm_overlaps: bool = False,
) -> GroupResult:
    """Create (group_id None) or update a group and its slots, then bring its future
    lessons in line with the timetable; one commit with the audit entry."""
    refusal = await check_group(session, draft, group_id)
    if refusal is not None:
        return refusal
    if not confirm_overlaps:
        found = await overlaps(session, draft, group_id)
        if found:
            return GroupResult(Outcome.OVERLAP, overlaps=found)
    values = _group_values(draft)
    if group_id is None:
        row = await add_group(session, draft)
        old_slots = draft.slots
        changes = {"created": _json_values(draft)}
    else:
        found_row = await repo.get_group(session, group_id)
        assert found_row is not None  # check_group made sure
        row = found_row
        old_slots = sorted_slots(
            SlotSpec.of(slot) for slot in await repo.slots_of(session, [group_id])
        )
        before = _json_values(
            GroupDraft(
                course_id=row.course_id,
                name=row.name,
                teacher_id=row.teacher_id,
                room=row.room,
                capacity=row.capacity,
                start_date=row.start_date,
                end_date=row.end_date,
                price_override=row.price_override,
                slots=old_slots,
                status=GroupStatus(row.status),
            )
        )
        changes = _changes(before, _json_values(draft))
        if not changes:
            return GroupResult(Outcome.UNCHANGED, await group(session, group_id))
        for key, value in values.items():
            setattr(row, key, value)
    if old_slots != draft.slots:
        await repo.delete_slots(session, row.id)
        await session.flush()
        _add_slots(session, row.id, draft.slots)
    await session.flush()
    removed, added = await lessons_service.refresh_group(
        session, row, () if group_id is None else old_slots, draft.slots, now=now, tz=tz
    )
    await audit.record(
        session,
        actor_id,
        "group.created" if group_id is None else "group.updated",
        "group",
        row.id,
        details={
            ("values" if group_id is None else "changes"): (
                changes["created"] if group_id is None else changes
            ),
            "lessons_added": added,
            "lessons_removed": removed,
            "overlaps_confirmed": confirm_overlaps,
        },
    )
    await session.commit()
    return GroupResult(
        Outcome.DONE, await group(session, row.id), lessons_added=added, lessons_removed=removed
    )


def _json_values(draft: GroupDraft) -> dict[str, Any]:
    data = draft.as_data()
    data["slots"] = [
        f"{slot['weekday']} {slot['start']} {slot['minutes']}" for slot in data["slots"]
    ]
    return data
