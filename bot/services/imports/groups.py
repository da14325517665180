"""Importing groups with their weekly timetables from a filled template.

A row is a group: its name, its course (by name), its teacher (by phone, else by name;
optional), room, capacity, start date and the timetable as weekdays, a start time and a
length in minutes (`Mon Wed Fri`, `14:00`, `90`: one slot a weekday); a group whose
lessons are at different times takes a row per time (the same name, course and the rest).

A group is the one of that course with the same name (however cased): it stays as it is
(`unchanged`). A new group is checked by the academic service's own rules
(`academic.check_group`: an archived course, a taken name, …) and written by it
(`academic.add_group`), so a group imported is the group the chat form makes; the lessons
come from the lessons job, as for a group whose timetable the job has not reached yet. A
clash with another group's teacher or room is listed (ℹ️) and does not stop the row:
the dry run is the admin's confirmation. Undo removes the groups it created unless a
student has joined one or a lesson of it was held or marked since.
"""

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any

from babel.dates import get_day_names
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import academic
from bot.services.imports import values
from bot.services.imports.columns import ColumnSpec, HeaderMap
from bot.services.imports.people import (
    Applied,
    ApplyResult,
    Issue,
    Outcome,
    Parsed,
    PersonIn,
    Progress,
    RowIn,
    RowProblem,
    close_batch,
    open_batch,
)
from bot.services.parsing import DURATION_MAX, DURATION_MIN, Invalid, clean_text, parse_whole
from bot.services.people import fold
from db.repositories import imports as repo

KIND = "groups"
COLUMNS = (
    ColumnSpec("group_name", required=True, width=20),
    ColumnSpec("course_name", required=True, width=24),
    ColumnSpec("teacher", width=24),
    ColumnSpec("room", width=10),
    ColumnSpec("capacity", width=10),
    ColumnSpec("start_date", required=True, width=14),
    ColumnSpec("weekdays", required=True, width=18),
    ColumnSpec("start_time", required=True, width=10),
    ColumnSpec("duration", required=True, width=12),
)
COLUMN_KEYS = tuple(column.key for column in COLUMNS)
LANGUAGES = ("uz", "ru", "en")
_SEPARATORS = re.compile(r"[\s,;/+]+")
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})(?::00)?$")


def _weekday_words() -> dict[str, int]:
    """Every way a weekday is written in uz, ru and en (Babel's names: `Dush`, `пн`,
    `Monday`, …) and its number 1–7 (Monday = 1) → Monday = 0 … Sunday = 6."""
    words = {str(day + 1): day for day in range(7)}
    for language in LANGUAGES:
        for width in ("abbreviated", "wide", "short"):
            for day, name in get_day_names(width, locale=language).items():
                words[str(name).casefold().rstrip(".")] = day
    return words


WEEKDAY_WORDS = _weekday_words()


def weekdays(value: Any) -> tuple[int, ...]:
    """`Mon Wed Fri`, `пн, ср, пт`, `Du/Chor/Ju`, `1 3 5` → (0, 2, 4)."""
    raw = values.text(value).casefold().replace("ʻ", "'")
    parts = [part.rstrip(".") for part in _SEPARATORS.split(raw) if part]
    if not parts:
        raise ValueError("empty")
    days = [WEEKDAY_WORDS.get(part) for part in parts]
    if any(day is None for day in days):
        raise ValueError("unknown")
    return tuple(sorted({day for day in days if day is not None}))


def start_time(value: Any) -> time:
    """`14:00`, `9.30`, a time Excel stored, or its fraction of a day (0.5833 = 14:00)."""
    if isinstance(value, datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, float) and 0 <= value < 1:
        minutes = round(value * 24 * 60)
        return time(minutes // 60 % 24, minutes % 60)
    match = _TIME.match(values.text(value))
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError("time")
    return time(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True, slots=True)
class GroupIn:
    course: str
    teacher_phone: str | None
    teacher_name: str | None
    room: str | None
    capacity: int
    start_date: date
    slots: tuple[academic.SlotSpec, ...]
    more_rows: tuple[int, ...] = ()  # rows of the same group at other times, merged in


def _teacher(value: Any, region: str) -> tuple[str | None, str | None]:
    """(phone, name) of the teacher cell: a phone if it reads as one, else a name."""
    raw = values.text(value)
    if not raw:
        return None, None
    if not any(char.isalpha() for char in raw):
        return values.phone(raw, region), None
    return None, values.name(raw)


def _read_row(
    number: int, raw: tuple[Any, ...], at: dict[str, int], region: str
) -> tuple[str, GroupIn] | list[Issue]:
    """A row's group name and group, or the problems of its cells."""
    issues: list[Issue] = []

    def cell(key: str) -> Any:
        return raw[at[key]] if key in at else None

    def bad(key: str, problem: RowProblem) -> None:
        issues.append(Issue(number, key, problem, values.text(cell(key))))

    def text_of(key: str, limit: int, missing: RowProblem | None) -> str | None:
        if not values.text(cell(key)):
            if missing is not None:
                bad(key, missing)
            return None
        try:
            return clean_text(values.text(cell(key)), 1, limit)
        except Invalid:
            bad(key, RowProblem.TOO_LONG)
            return None

    name = text_of("group_name", academic.GROUP_NAME_MAX, RowProblem.MISSING_NAME)
    course = text_of("course_name", academic.COURSE_NAME_MAX, RowProblem.MISSING_VALUE)
    room = text_of("room", academic.ROOM_MAX, None)
    teacher_phone = teacher_name = None
    try:
        teacher_phone, teacher_name = _teacher(cell("teacher"), region)
    except values.BadCell as problem:
        bad("teacher", RowProblem(problem.problem))
    capacity = academic.DEFAULT_CAPACITY
    if values.text(cell("capacity")):
        try:
            capacity = parse_whole(values.text(cell("capacity")), 1, academic.CAPACITY_MAX)
        except Invalid:
            bad("capacity", RowProblem.BAD_NUMBER)
    start = None
    try:
        start = values.a_date(cell("start_date"))
        if start is None:
            bad("start_date", RowProblem.MISSING_VALUE)
    except values.BadCell as problem:
        bad("start_date", RowProblem(problem.problem))
    days: tuple[int, ...] = ()
    try:
        days = weekdays(cell("weekdays"))
    except ValueError:
        bad("weekdays", RowProblem.BAD_WEEKDAYS)
    at_time = None
    try:
        at_time = start_time(cell("start_time"))
    except ValueError:
        bad("start_time", RowProblem.BAD_TIME)
    minutes = None
    try:
        minutes = parse_whole(values.text(cell("duration")), DURATION_MIN, DURATION_MAX)
    except Invalid:
        bad("duration", RowProblem.BAD_DURATION)
    if issues:
        return issues
    assert name and course and start and at_time is not None and minutes
    slots = academic.sorted_slots(academic.SlotSpec(day, at_time, minutes) for day in days)
    return name, GroupIn(course, teacher_phone, teacher_name, room, capacity, start, slots)


def _merged(first: GroupIn, more: GroupIn) -> GroupIn | None:
    """A group's row with another row's slots (its lessons at other times), or None when
    the rows differ otherwise or a slot repeats or overlaps one (a duplicate row)."""
    if replace(more, slots=first.slots, more_rows=first.more_rows) != first:
        return None
    slots = first.slots
    try:
        for slot in more.slots:
            slots = academic.add_slot(slots, slot)
    except academic.SlotConflict:
        return None
    return replace(first, slots=slots)


def parse(table: Any, header: HeaderMap, *, region: str, today: date) -> Parsed:
    """Rows (a group in `RowIn.student`'s place: its name; the rest, a `GroupIn`, in
    `extra`) and the problems of their cells; pure (a worker thread may run it)."""
    del today
    rows: list[RowIn] = []
    issues: list[Issue] = []
    cells: dict[int, tuple[Any, ...]] = {}
    seen: dict[tuple[str, str], int] = {}  # a group → its index in `rows`
    total = 0
    for offset, raw in enumerate(table.rows):
        number = table.first_row + offset
        if all(values.text(cell) == "" for cell in raw):
            continue
        total += 1
        cells[number] = raw
        read = _read_row(number, raw, header.positions, region)
        if isinstance(read, list):
            issues.extend(read)
            continue
        name, group = read
        key = (fold(group.course), fold(name))
        if key in seen:
            merged = _merged(rows[seen[key]].extra, group)
            if merged is not None:
                merged = replace(merged, more_rows=(*merged.more_rows, number))
            if merged is None:
                issues.append(
                    Issue(number, None, RowProblem.DUPLICATE_ROW, other_row=rows[seen[key]].row)
                )
            else:  # the same group's lessons at another time: a row each
                rows[seen[key]] = RowIn(rows[seen[key]].row, PersonIn(name), None, extra=merged)
            continue
        seen[key] = len(rows)
        rows.append(RowIn(number, PersonIn(name), None, extra=group))
    return Parsed(tuple(rows), tuple(issues), cells, table.header, total)


# --- matching -------------------------------------------------------------------------------


@dataclass
class GroupPlan:
    parsed: Parsed
    issues: list[Issue]
    outcomes: dict[int, Outcome]
    new: list[academic.GroupDraft] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        skipped = self.parsed.total - len(self.outcomes)  # rows the reading skipped
        counts = {o.value: sum(1 for v in self.outcomes.values() if v is o) for o in Outcome}
        counts[Outcome.SKIP.value] += skipped
        counts["problems"] = len(self.issues)
        return counts

    @property
    def changes(self) -> bool:
        return bool(self.new)


@dataclass(frozen=True, slots=True)
class Centre:
    courses: dict[str, int]  # a folded course name → its id
    teachers_by_phone: dict[str, list[int]]
    teachers_by_name: dict[str, list[int]]


async def _centre(session: AsyncSession) -> Centre:
    courses = {fold(row.name): row.id for row in await repo.all_courses(session)}
    by_phone: dict[str, list[int]] = {}
    by_name: dict[str, list[int]] = {}
    for row in await repo.teacher_people(session):
        if row.phone:
            by_phone.setdefault(row.phone, []).append(row.id)
        by_name.setdefault(fold(row.full_name), []).append(row.id)
    return Centre(courses, by_phone, by_name)


def _skip(
    result: GroupPlan, row: int, column: str | None, problem: RowProblem, value: str = ""
) -> None:
    result.issues.append(Issue(row, column, problem, value))
    result.outcomes[row] = Outcome.SKIP


_REFUSALS = {
    academic.Outcome.COURSE_ARCHIVED: ("course_name", RowProblem.ARCHIVED_COURSE),
    academic.Outcome.NOT_A_TEACHER: ("teacher", RowProblem.UNKNOWN_TEACHER),
    academic.Outcome.NO_SLOTS: ("weekdays", RowProblem.BAD_WEEKDAYS),
    academic.Outcome.END_BEFORE_START: ("start_date", RowProblem.IMPOSSIBLE_DATE),
    academic.Outcome.MISSING: ("course_name", RowProblem.UNKNOWN_COURSE),
}


async def plan(session: AsyncSession, parsed: Parsed) -> GroupPlan:
    """What applying the rows would do, by the academic service's checks; reads only."""
    centre = await _centre(session)
    result = GroupPlan(parsed, list(parsed.issues), {})
    for row in parsed.rows:
        group: GroupIn = row.extra
        course_id = centre.courses.get(fold(group.course))
        if course_id is None:
            _skip(result, row.row, "course_name", RowProblem.UNKNOWN_COURSE, group.course)
            continue
        teacher_id = None
        if group.teacher_phone or group.teacher_name:
            found = (
                centre.teachers_by_phone.get(group.teacher_phone, [])
                if group.teacher_phone
                else centre.teachers_by_name.get(fold(group.teacher_name or ""), [])
            )
            shown = group.teacher_phone or group.teacher_name or ""
            if not found:
                _skip(result, row.row, "teacher", RowProblem.UNKNOWN_TEACHER, shown)
                continue
            if len(found) > 1:
                _skip(result, row.row, "teacher", RowProblem.AMBIGUOUS, shown)
                continue
            teacher_id = found[0]
        draft = academic.GroupDraft(
            course_id=course_id,
            name=row.student.name,
            teacher_id=teacher_id,
            room=group.room,
            capacity=group.capacity,
            start_date=group.start_date,
            end_date=None,
            price_override=None,
            slots=group.slots,
        )
        refusal = await academic.check_group(session, draft, None)
        if refusal is not None and refusal.outcome is academic.Outcome.NAME_TAKEN:
            result.outcomes[row.row] = Outcome.UNCHANGED
            continue
        if refusal is not None:
            column, problem = _REFUSALS.get(refusal.outcome, (None, RowProblem.BAD_NAME))
            _skip(result, row.row, column, problem)
            continue
        for clash in await academic.overlaps(session, draft, None):
            result.issues.append(Issue(row.row, "weekdays", RowProblem.OVERLAP, clash.other_group))
        result.new.append(draft)
        result.outcomes[row.row] = Outcome.CREATE
    for row in parsed.rows:  # a group's other rows (its other times) fare as its first
        for number in row.extra.more_rows:
            result.outcomes[number] = result.outcomes[row.row]
    result.issues.sort(key=lambda issue: issue.row)
    return result


async def dry_run(session: AsyncSession, parsed: Parsed) -> GroupPlan:
    return await plan(session, parsed)


async def apply(
    session: AsyncSession,
    actor_id: int,
    parsed: Parsed,
    *,
    file_name: str,
    digest: str,
    now: datetime,
    progress: Progress | None = None,
) -> ApplyResult:
    """ONE transaction: the new groups with their slots (by `academic.add_group`), the
    batch with an item per group, one audit entry; nothing on a failure."""
    progress = progress or Progress()
    try:
        the_plan = await plan(session, parsed)
        counts = the_plan.counts
        if not the_plan.changes:
            await session.rollback()
            return ApplyResult(Applied.NOTHING, counts)
        progress.total = len(the_plan.new)
        batch = await open_batch(session, actor_id, KIND, file_name, digest, counts, now)
        items = []
        for draft in the_plan.new:
            group = await academic.add_group(session, draft)
            items.append({"batch_id": batch.id, "object_type": "group", "object_id": group.id})
            progress.done += 1
        await close_batch(session, actor_id, batch, items, file_name)
    except BaseException:
        await session.rollback()
        raise
    return ApplyResult(Applied.DONE, counts, batch.id)
