"""Importing people: students with their parents, from a filled template.

**Reading** (`parse`): every row becomes a student and, when the parent's columns are
filled, a parent; a bad cell is an `Issue` (row, column, reason) and the row is skipped.
A row equal to an earlier one is a duplicate; blank rows are no rows.

**Matching** (`plan`): against everyone at the centre and the rows above it.

* A student is the person holding the student role with the same phone (normalised to
  E.164) whose name has the same words (`Ali Valiyev` = `Valiyev Ali`; a sibling who shares
  a parent's phone has other words), and whose birth date does not say otherwise; else the
  student with exactly the same name and the same birth date (or none yet on one side,
  and then no other phone either). Several such people: the row is ambiguous, skipped.
* A parent is the person with the parent's phone (and the same words in the name), or a
  parent of that student with the same name; else a new parent.
* A match only fills fields that are empty (phone, birth date); a value that differs from
  what the centre has is a conflict, listed, and the centre's value stays.

**Applying** (`apply`): the file is matched again inside the one transaction that writes
it (the centre may have changed since the dry run): new people with their roles, filled
fields, parent links, one invitation per new person, one `ImportBatch` with an item per
record created or field filled, and one audit entry. The same file again finds everybody
and changes nothing. **Undo** (`undo`, 24 hours) removes what the batch created and empties
what it filled, except a person who has since been bound to Telegram or given anything
else (a group, a charge, a payment, an attendance mark, a grade, another role or link): they
stay and are counted.
"""

import asyncio
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit, worker
from bot.services import invites as invites_service
from bot.services.imports import values
from bot.services.imports.columns import ColumnSpec, HeaderMap
from bot.services.imports.reading import Table
from bot.services.payments import ledger
from bot.services.people import fold
from db.models import (
    AuditOutcome,
    Course,
    Enrolment,
    Group,
    ImportBatch,
    ImportItem,
    Invite,
    InviteKind,
    ParentLink,
    Role,
    RoleAssignment,
    User,
)
from db.repositories import academic as academic_repo
from db.repositories import imports as repo

KIND = "people"
COLUMNS = (
    ColumnSpec("student_name", required=True, width=28),
    ColumnSpec("student_phone", width=18),
    ColumnSpec("birth_date", width=14),
    ColumnSpec("language", width=10),
    ColumnSpec("parent_name", width=28),
    ColumnSpec("parent_phone", width=18),
)
COLUMN_KEYS = tuple(column.key for column in COLUMNS)
UNDO_WINDOW = timedelta(hours=24)
INVITE_TTL = timedelta(days=30)  # printed or sent by SMS: longer than a link sent in chat
FLUSH_EVERY = 500
INVITE_KINDS = {
    Role.STUDENT: InviteKind.STUDENT,
    Role.PARENT: InviteKind.PARENT,
    Role.TEACHER: InviteKind.TEACHER,
}  # rows written between two progress steps


class RowProblem(StrEnum):
    MISSING_NAME = "missing_name"
    BAD_NAME = "bad_name"
    INVALID_PHONE = "invalid_phone"
    BAD_DATE = "bad_date"
    IMPOSSIBLE_DATE = "impossible_date"
    UNKNOWN_LANGUAGE = "unknown_language"
    PARENT_NAME_MISSING = "parent_name_missing"  # a parent's phone without a name
    DUPLICATE_ROW = "duplicate_row"  # `other_row`: the row it repeats
    AMBIGUOUS = "ambiguous"  # several people at the centre fit the row
    CONFLICT = "conflict"  # the file says otherwise than the centre: the centre's value stays
    BAD_PRICE = "bad_price"  # not a whole amount of so'm within the limit
    TOO_LONG = "too_long"  # a text over its limit
    MISSING_VALUE = "missing_value"  # a required cell (not a name) is empty
    BAD_NUMBER = "bad_number"  # not a whole number within its limits (a capacity)
    BAD_WEEKDAYS = "bad_weekdays"
    BAD_TIME = "bad_time"
    BAD_DURATION = "bad_duration"
    UNKNOWN_COURSE = "unknown_course"
    ARCHIVED_COURSE = "archived_course"
    UNKNOWN_TEACHER = "unknown_teacher"
    OVERLAP = "overlap"  # another group's teacher or room at that time: listed, not skipped
    UNKNOWN_STUDENT = "unknown_student"
    UNKNOWN_GROUP = "unknown_group"
    AMBIGUOUS_GROUP = "ambiguous_group"  # groups of that name in several courses
    GROUP_CLOSED = "group_closed"
    GROUP_FULL = "group_full"
    BAD_DISCOUNT = "bad_discount"
    BAD_BALANCE = "bad_balance"


@dataclass(frozen=True, slots=True)
class Issue:
    row: int
    column: str | None  # a column key; None: the row as a whole
    problem: RowProblem
    value: str = ""  # what the cell says (for a conflict: what the file says)
    other_row: int | None = None
    kept: str = ""  # a conflict: what the centre has and keeps

    @property
    def skips(self) -> bool:
        return self.problem not in (RowProblem.CONFLICT, RowProblem.OVERLAP)


@dataclass(frozen=True, slots=True)
class PersonIn:
    name: str
    phone: str | None = None
    birth_date: date | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class RowIn:
    row: int
    student: PersonIn  # the person (or, for another kind, the named thing) of the row
    parent: PersonIn | None
    extra: Any = None  # another kind's other values (a course's price and description)


@dataclass(frozen=True, slots=True)
class Parsed:
    rows: tuple[RowIn, ...]
    issues: tuple[Issue, ...]
    cells: dict[int, tuple[Any, ...]]  # row number → the sheet's cells (the problems file)
    header: tuple[str, ...]
    total: int  # rows that are not blank


_CELL_COLUMNS = {
    "student_name": "name",
    "parent_name": "name",
    "student_phone": "phone",
    "parent_phone": "phone",
    "birth_date": "birth_date",
    "language": "language",
}


def parse(table: Table, header: HeaderMap, *, region: str, today: date) -> Parsed:
    """Rows and the problems of their cells; pure (a worker thread may run it)."""
    rows: list[RowIn] = []
    issues: list[Issue] = []
    cells: dict[int, tuple[Any, ...]] = {}
    seen: dict[tuple[Any, ...], int] = {}
    total = 0
    at = header.positions
    for offset, raw in enumerate(table.rows):
        number = table.first_row + offset
        if all(values.text(cell) == "" for cell in raw):
            continue
        total += 1
        cells[number] = raw
        got: dict[str, Any] = {}
        row_issues: list[Issue] = []
        for key in COLUMN_KEYS:
            cell = raw[at[key]] if key in at else None
            try:
                got[key] = _cell(key, cell, region, today)
            except values.BadCell as bad:
                row_issues.append(Issue(number, key, RowProblem(bad.problem), values.text(cell)))
        has_parent = bool(values.text(raw[at["parent_name"]]) if "parent_name" in at else "")
        parent_phone_text = values.text(raw[at["parent_phone"]]) if "parent_phone" in at else ""
        if parent_phone_text and not has_parent:
            row_issues.append(Issue(number, "parent_name", RowProblem.PARENT_NAME_MISSING))
        if row_issues:
            issues.extend(row_issues)
            continue
        student = PersonIn(got["student_name"], got["student_phone"], got["birth_date"])
        student = PersonIn(student.name, student.phone, student.birth_date, got["language"])
        parent = (
            PersonIn(got["parent_name"], got["parent_phone"], None, got["language"])
            if got["parent_name"]
            else None
        )
        key = (
            fold(student.name),
            student.phone,
            student.birth_date,
            fold(parent.name) if parent else None,
            parent.phone if parent else None,
        )
        if key in seen:
            issues.append(Issue(number, None, RowProblem.DUPLICATE_ROW, other_row=seen[key]))
            continue
        seen[key] = number
        rows.append(RowIn(number, student, parent))
    return Parsed(tuple(rows), tuple(issues), cells, table.header, total)


def _cell(key: str, cell: Any, region: str, today: date) -> Any:
    kind = _CELL_COLUMNS[key]
    if kind == "name":
        return values.name(cell, required=key == "student_name")
    if kind == "phone":
        return values.phone(cell, region)
    if kind == "birth_date":
        return values.birth_date(cell, today)
    return values.language(cell)


# --- matching -------------------------------------------------------------------------------


@dataclass(slots=True)
class Known:
    id: int  # negative: a person this file creates (not written yet)
    name: str
    phone: str | None
    birth_date: date | None
    language: str
    roles: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        return fold(self.name)

    @property
    def words(self) -> frozenset[str]:
        return frozenset(self.key.split())


class Directory:
    """Everyone at the centre (and whom the file adds, as it is matched), indexed."""

    def __init__(self) -> None:
        self.people: dict[int, Known] = {}
        self.by_phone: dict[str, list[int]] = {}
        self.by_name: dict[str, list[int]] = {}
        self.links: set[tuple[int, int]] = set()
        self.parents_of: dict[int, list[int]] = {}
        self._next_new = 0

    @classmethod
    async def load(cls, session: AsyncSession) -> "Directory":
        # indexing a centre of thousands: in a worker thread, the bot answers meanwhile
        return await asyncio.to_thread(cls.of, *await cls.rows(session))

    @staticmethod
    async def rows(session: AsyncSession) -> tuple[list[Any], list[Any], list[Any]]:
        """The centre's people, roles and links as plain rows (what `of` indexes)."""
        people = await repo.live_people(session)
        roles = await repo.all_roles(session)
        links = await repo.all_links(session)
        return list(people), list(roles), list(links)

    @classmethod
    def of(cls, people: Sequence[Any], roles: Sequence[Any], links: Sequence[Any]) -> "Directory":
        directory = cls()
        for row in people:
            if row.full_name:
                directory.add(Known(row.id, row.full_name, row.phone, row.birth_date, row.language))
        for row in roles:
            if row.user_id in directory.people:
                directory.people[row.user_id].roles.add(row.role)
        for row in links:
            directory.link(row.parent_id, row.student_id)
        return directory

    def add(self, person: Known) -> Known:
        self.people[person.id] = person
        if person.phone:
            self.by_phone.setdefault(person.phone, []).append(person.id)
        self.by_name.setdefault(person.key, []).append(person.id)
        return person

    def new(self, person: PersonIn, language: str, role: Role) -> Known:
        self._next_new -= 1
        known = Known(self._next_new, person.name, person.phone, person.birth_date, language)
        known.roles.add(role.value)
        return self.add(known)

    def fill_phone(self, person: Known, phone: str) -> None:
        person.phone = phone
        self.by_phone.setdefault(phone, []).append(person.id)

    def link(self, parent_id: int, student_id: int) -> None:
        if (parent_id, student_id) not in self.links:
            self.links.add((parent_id, student_id))
            self.parents_of.setdefault(student_id, []).append(parent_id)

    def with_phone(self, phone: str | None, role: Role | None = None) -> list[Known]:
        found = [self.people[i] for i in self.by_phone.get(phone or "", ())]
        return [p for p in found if role is None or role.value in p.roles]


def same_words(person: Known, wanted: PersonIn) -> bool:
    words = frozenset(fold(wanted.name).split())
    return words <= person.words or person.words <= words


def _dates_agree(person: Known, wanted: PersonIn) -> bool:
    return not (person.birth_date and wanted.birth_date and person.birth_date != wanted.birth_date)


def _find_student(directory: Directory, wanted: PersonIn) -> Known | list[Known] | None:
    """The student the row means, None for a new one, or the several that fit."""
    if wanted.phone:
        fits = [
            p
            for p in directory.with_phone(wanted.phone, Role.STUDENT)
            if same_words(p, wanted) and _dates_agree(p, wanted)
        ]
        exact = [p for p in fits if p.key == fold(wanted.name)]
        if exact or len(fits) == 1:
            return (exact or fits)[0]
    named = [
        directory.people[i]
        for i in directory.by_name.get(fold(wanted.name), ())
        if Role.STUDENT.value in directory.people[i].roles
    ]
    fits = [p for p in named if name_fits(p, wanted)]
    dated = [p for p in fits if wanted.birth_date and p.birth_date == wanted.birth_date]
    if len(dated) == 1:
        return dated[0]
    if len(fits) == 1:
        return fits[0]
    return fits or None


find_student = _find_student  # another kind's student (an enrolment's), found the same way


def name_fits(person: Known, wanted: PersonIn) -> bool:
    """A namesake is the row's person unless a birth date says otherwise, or another phone
    does where no birth date agrees (an empty field on either side agrees)."""
    if not _dates_agree(person, wanted):
        return False
    same_day = person.birth_date is not None and person.birth_date == wanted.birth_date
    other_phone = bool(person.phone and wanted.phone and person.phone != wanted.phone)
    return same_day or not other_phone


def _find_parent(directory: Directory, wanted: PersonIn, student_id: int) -> Known | None:
    if wanted.phone:
        fits = [
            p
            for p in directory.with_phone(wanted.phone)
            if p.id != student_id and same_words(p, wanted)
        ]
        if fits:
            exact = [p for p in fits if p.key == fold(wanted.name)]
            return (exact or fits)[0]
    for parent_id in directory.parents_of.get(student_id, ()):
        parent = directory.people[parent_id]
        if parent.key == fold(wanted.name):
            return parent
    return None


@dataclass(frozen=True, slots=True)
class Fill:
    person: int
    field: str  # "phone" or "birth_date"
    value: Any


@dataclass(frozen=True, slots=True)
class AddRole:
    person: int
    role: Role


class Outcome(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    SKIP = "skip"


@dataclass
class Plan:
    parsed: Parsed
    issues: list[Issue]  # the file's and the matching's, by row
    outcomes: dict[int, Outcome]  # row number → what happens to it
    new: list[Known] = field(default_factory=list)  # people created, in order
    child_of: dict[int, int] = field(default_factory=dict)  # a new parent → their first child
    fills: list[Fill] = field(default_factory=list)
    roles: list[AddRole] = field(default_factory=list)
    links: list[tuple[int, int]] = field(default_factory=list)  # (parent, student)

    def count(self, outcome: Outcome) -> int:
        skipped = self.parsed.total - len(self.parsed.rows)
        found = sum(1 for value in self.outcomes.values() if value is outcome)
        return found + (skipped if outcome is Outcome.SKIP else 0)

    @property
    def counts(self) -> dict[str, int]:
        counts = {outcome.value: self.count(outcome) for outcome in Outcome}
        counts["problems"] = len(self.issues)
        return counts

    @property
    def changes(self) -> bool:
        return bool(self.new or self.fills or self.roles or self.links)


def fill_empty(plan: Plan, person: Known, wanted: PersonIn, row: int, prefix: str) -> bool:
    """Empty fields filled from the row; differing ones listed. True when something fills."""
    changed = False
    if wanted.phone and person.phone != wanted.phone:
        if person.phone is None:
            plan.fills.append(Fill(person.id, "phone", wanted.phone))
            changed = True
        else:
            plan.issues.append(
                Issue(row, f"{prefix}_phone", RowProblem.CONFLICT, wanted.phone, kept=person.phone)
            )
    if prefix == "student" and wanted.birth_date and person.birth_date != wanted.birth_date:
        if person.birth_date is None:
            plan.fills.append(Fill(person.id, "birth_date", wanted.birth_date))
            changed = True
        else:
            plan.issues.append(
                Issue(
                    row,
                    "birth_date",
                    RowProblem.CONFLICT,
                    wanted.birth_date.strftime("%d.%m.%Y"),
                    kept=person.birth_date.strftime("%d.%m.%Y"),
                )
            )
    if person.key != fold(wanted.name):
        plan.issues.append(
            Issue(row, f"{prefix}_name", RowProblem.CONFLICT, wanted.name, kept=person.name)
        )
    return changed


def plan(directory: Directory, parsed: Parsed, *, default_language: str) -> Plan:
    """What applying the rows would do; changes only `directory` (the file's own people)."""
    result = Plan(parsed, list(parsed.issues), {})
    for row in parsed.rows:
        language = row.student.language or default_language
        found = _find_student(directory, row.student)
        if isinstance(found, list):
            result.issues.append(Issue(row.row, "student_name", RowProblem.AMBIGUOUS))
            result.outcomes[row.row] = Outcome.SKIP
            continue
        created = updated = False
        if found is None:
            student = directory.new(row.student, language, Role.STUDENT)
            result.new.append(student)
            created = True
        else:
            student = found
            before = len(result.fills)
            updated |= fill_empty(result, student, row.student, row.row, "student")
            for item in result.fills[before:]:
                note_fill(directory, student, item)
        if row.parent is not None:
            parent = _find_parent(directory, row.parent, student.id)
            if parent is None:
                parent = directory.new(row.parent, language, Role.PARENT)
                result.new.append(parent)
                result.child_of[parent.id] = student.id
                created = True
            else:
                before = len(result.fills)
                updated |= fill_empty(result, parent, row.parent, row.row, "parent")
                for item in result.fills[before:]:
                    note_fill(directory, parent, item)
                if Role.PARENT.value not in parent.roles:
                    parent.roles.add(Role.PARENT.value)
                    result.roles.append(AddRole(parent.id, Role.PARENT))
                    updated = True
            if (parent.id, student.id) not in directory.links:
                directory.link(parent.id, student.id)
                result.links.append((parent.id, student.id))
                updated = True
        result.outcomes[row.row] = (
            Outcome.CREATE if created else Outcome.UPDATE if updated else Outcome.UNCHANGED
        )
    result.issues.sort(key=issue_order)
    return result


def issue_order(issue: Issue) -> tuple[int, int]:
    column = COLUMN_KEYS.index(issue.column) if issue.column in COLUMN_KEYS else -1
    return issue.row, column


def note_fill(directory: Directory, person: Known, item: Fill) -> None:
    if item.field == "phone":
        directory.fill_phone(person, item.value)
    else:
        person.birth_date = item.value


Planner = Callable[..., Plan]  # (directory, parsed, *, default_language) → the plan


async def dry_run(
    session: AsyncSession,
    parsed: Parsed,
    *,
    default_language: str,
    planner: Planner | None = None,
) -> Plan:
    """The plan, read only: nothing is written."""
    return await _matched(session, parsed, planner or plan, default_language)


def _match(
    rows: tuple[list[Any], list[Any], list[Any]],
    parsed: Parsed,
    planner: Planner,
    default_language: str,
) -> Plan:
    the_plan = planner(Directory.of(*rows), parsed, default_language=default_language)
    the_plan.parsed = None  # type: ignore[assignment]  # the caller has it: not sent back
    return the_plan


async def _matched(
    session: AsyncSession, parsed: Parsed, planner: Planner, default_language: str
) -> Plan:
    """The centre read here, indexed and matched with the file in the worker process:
    thousands of rows are a second of Python, which a thread would share with every other
    update (`worker`)."""
    rows = await Directory.rows(session)
    the_plan = await worker.run(_match, rows, parsed, planner, default_language)
    the_plan.parsed = parsed
    return the_plan


# --- applying -------------------------------------------------------------------------------


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Progress:
    """How far an apply is: the handler's progress message reads it every few seconds."""

    done: int = 0
    total: int = 0


@dataclass(frozen=True, slots=True)
class Invited:
    name: str
    phone: str | None
    role: Role
    code: str
    child: str | None = None  # a parent's child


class Applied(StrEnum):
    DONE = "done"
    NOTHING = "nothing"  # everybody is there already: nothing was written


@dataclass(frozen=True, slots=True)
class ApplyResult:
    outcome: Applied
    counts: dict[str, int]
    batch_id: int | None = None
    invited: tuple[Invited, ...] = ()


async def open_batch(
    session: AsyncSession,
    actor_id: int,
    kind: str,
    file_name: str,
    digest: str,
    counts: dict[str, int],
    now: datetime,
) -> ImportBatch:
    """Every kind's apply: the batch its items belong to (flushed, so it has its id)."""
    batch = ImportBatch(
        kind=kind,
        file_name=file_name[:255],
        file_hash=digest,
        counts=counts,
        actor_id=actor_id,
        applied_at=now,
    )
    session.add(batch)
    await session.flush()
    return batch


async def close_batch(
    session: AsyncSession,
    actor_id: int,
    batch: ImportBatch,
    items: list[dict[str, Any]],
    file_name: str,
    **details: object,
) -> None:
    """Every kind's apply: the batch's items, the one audit entry naming the file and the
    counts (and `details`), the commit."""
    await repo.insert_rows(session, ImportItem, items)
    await audit.record(
        session,
        actor_id,
        "import.apply",
        "import_batch",
        batch.id,
        details={
            "kind": batch.kind,
            "file": file_name,
            "sha256": batch.file_hash,
            "counts": batch.counts,
            **details,
        },
    )
    await session.commit()


async def apply(
    session: AsyncSession,
    actor_id: int,
    parsed: Parsed,
    *,
    file_name: str,
    digest: str,
    default_language: str,
    now: datetime,
    progress: Progress | None = None,
    kind: str = KIND,
    planner: Planner | None = None,
) -> ApplyResult:
    """Write the file in ONE transaction (see the module); nothing is left on a failure.
    `kind` and `planner`: another template's (teachers), matched by its own rules."""
    progress = progress or Progress()
    try:
        the_plan = await _matched(session, parsed, planner or plan, default_language)
        result = await _apply(session, actor_id, the_plan, file_name, digest, kind, now, progress)
    except BaseException:
        await session.rollback()
        raise
    return result


async def _apply(
    session: AsyncSession,
    actor_id: int,
    the_plan: Plan,
    file_name: str,
    digest: str,
    kind: str,
    now: datetime,
    progress: Progress,
) -> ApplyResult:
    counts = the_plan.counts
    if not the_plan.changes:
        await session.rollback()  # the reads' transaction
        return ApplyResult(Applied.NOTHING, counts)
    progress.total = len(the_plan.new) + len(the_plan.fills) + len(the_plan.links)
    batch = await open_batch(session, actor_id, kind, file_name, digest, counts, now)
    items: list[dict[str, Any]] = []

    def record(object_type: str, ids: Sequence[int]) -> None:
        items.extend(
            {"batch_id": batch.id, "object_type": object_type, "object_id": i} for i in ids
        )

    ids: dict[int, int] = {}  # a new person's temporary id → the row's id
    for start in range(0, len(the_plan.new), FLUSH_EVERY):
        chunk = the_plan.new[start : start + FLUSH_EVERY]
        user_ids = await repo.insert_returning_ids(
            session,
            User,
            [
                {
                    "full_name": person.name,
                    "phone": person.phone,
                    "birth_date": person.birth_date,
                    "language": person.language,
                    "is_active": True,
                    "created_at": now,
                }
                for person in chunk
            ],
        )
        for person, user_id in zip(chunk, user_ids, strict=True):
            ids[person.id] = user_id
        role_ids = await repo.insert_returning_ids(
            session,
            RoleAssignment,
            [{"user_id": ids[p.id], "role": next(iter(p.roles)), "created_at": now} for p in chunk],
        )
        record("user", user_ids)
        record("role", role_ids)
        progress.done += len(chunk)

    def real(person_id: int) -> int:
        return ids.get(person_id, person_id)

    stored = {u.id: u for u in await repo.users(session, {real(f.person) for f in the_plan.fills})}
    for item in the_plan.fills:
        user = stored[real(item.person)]
        if getattr(user, item.field) is None:
            setattr(user, item.field, item.value)
            text = item.value if isinstance(item.value, str) else item.value.isoformat()
            items.append(
                {
                    "batch_id": batch.id,
                    "object_type": "user",
                    "object_id": user.id,
                    "field": item.field,
                    "value": text,
                }
            )
        progress.done += 1
    await session.flush()
    added = [
        {"user_id": real(r.person), "role": r.role.value, "created_at": now} for r in the_plan.roles
    ]
    record("role", await repo.insert_returning_ids(session, RoleAssignment, added))
    links = [
        {"parent_id": real(p), "student_id": real(s), "created_at": now} for p, s in the_plan.links
    ]
    for start in range(0, len(links), FLUSH_EVERY):
        chunk_ids = await repo.insert_returning_ids(
            session, ParentLink, links[start : start + FLUSH_EVERY]
        )
        record("link", chunk_ids)
        progress.done += len(chunk_ids)

    # 10 000 random codes and their hashes: a fifth of a second, off the event loop
    invited, invites = await asyncio.to_thread(_invites, the_plan, real, actor_id, now)
    record("invite", await repo.insert_returning_ids(session, Invite, invites))
    await close_batch(session, actor_id, batch, items, file_name)
    return ApplyResult(Applied.DONE, counts, batch.id, tuple(invited))


def _invites(
    the_plan: Plan, real: Any, actor_id: int, now: datetime
) -> tuple[list[Invited], list[dict[str, Any]]]:
    """One link per new person: a student's binds them, a parent's binds them to the child."""
    names = {person.id: person.name for person in the_plan.new}
    invited: list[Invited] = []
    rows: list[dict[str, Any]] = []
    for person in the_plan.new:
        code = invites_service.new_code()
        role = next(iter(person.roles))
        is_parent = role == Role.PARENT.value
        child = the_plan.child_of.get(person.id) if is_parent else None
        rows.append(
            {
                "code_hash": invites_service.hash_code(code),
                "kind": INVITE_KINDS[Role(role)].value,
                "user_id": real(person.id),
                "student_id": real(child) if child is not None else None,
                "created_by_id": actor_id,
                "expires_at": now + INVITE_TTL,
                "created_at": now,
            }
        )
        invited.append(
            Invited(
                person.name,
                person.phone,
                Role(role),
                code,
                names.get(child) if child is not None else None,
            )
        )
    return invited, rows


# --- undo -----------------------------------------------------------------------------------


class Undo(StrEnum):
    DONE = "done"
    MISSING = "missing"
    ALREADY = "already"
    TOO_LATE = "too_late"


@dataclass(frozen=True, slots=True)
class UndoResult:
    outcome: Undo
    removed: int = 0  # people removed
    kept: int = 0  # people kept: bound or given something since
    emptied: int = 0  # fields the import had filled, emptied again
    file_name: str = ""
    courses_removed: int = 0
    courses_kept: int = 0  # a group was opened in them since
    groups_removed: int = 0
    groups_kept: int = 0  # a student joined or a lesson was held since
    enrolments_removed: int = 0
    enrolments_kept: int = 0  # charged again, marked, frozen or ended since
    balances_removed: int = 0  # opening credits and debts taken back
    balances_kept: int = 0  # credits reversed since


@dataclass(frozen=True, slots=True)
class BatchInfo:
    id: int
    kind: str
    file_name: str
    applied_at: datetime
    undone_at: datetime | None


async def get_batch(session: AsyncSession, batch_id: int) -> BatchInfo | None:
    batch = await session.get(ImportBatch, batch_id)
    if batch is None:
        return None
    return BatchInfo(batch.id, batch.kind, batch.file_name, batch.applied_at, batch.undone_at)


async def undo(session: AsyncSession, actor_id: int, batch_id: int, now: datetime) -> UndoResult:
    batch = await session.get(ImportBatch, batch_id)
    if batch is None:
        return UndoResult(Undo.MISSING)
    refused = None
    if batch.undone_at is not None:
        refused = Undo.ALREADY
    elif now - batch.applied_at > UNDO_WINDOW:
        refused = Undo.TOO_LATE
    if refused is not None:
        await audit.record(
            session,
            actor_id,
            "import.undo",
            "import_batch",
            batch.id,
            outcome=AuditOutcome.FAILED,
            details={"file": batch.file_name, "reason": refused.value},
        )
        await session.commit()
        return UndoResult(refused, file_name=batch.file_name)
    by_type: dict[str, list[Any]] = {}
    for item in await repo.items(session, batch.id):
        by_type.setdefault(item.object_type, []).append(item)
    created = [i.object_id for i in by_type.get("user", ()) if i.field is None]
    fills = [i for i in by_type.get("user", ()) if i.field is not None]
    role_ids = {i.object_id for i in by_type.get("role", ())}
    link_ids = {i.object_id for i in by_type.get("link", ())}
    people = await repo.telegram_ids(session, created)  # id → Telegram id (None: unbound)
    busy = await repo.with_records(session, people, batch.id)
    kept = {i for i, bound in people.items() if bound is not None or i in busy}
    removable = [i for i in people if i not in kept]

    await repo.delete_rows(
        session,
        Invite,
        await repo.unused_invites(session, [i.object_id for i in by_type.get("invite", ())]),
    )
    kept_links = await repo.links_of(session, link_ids, kept)
    kept_roles = await repo.roles_of(session, role_ids, kept)
    await repo.delete_rows(session, ParentLink, link_ids - kept_links)
    await repo.delete_rows(session, RoleAssignment, role_ids - kept_roles)
    emptied = 0
    filled_users = {u.id: u for u in await repo.users(session, {i.object_id for i in fills})}
    for item in fills:
        user = filled_users.get(item.object_id)
        if user is None or user.id in removable:
            continue
        current = getattr(user, item.field or "")
        current_text = current.isoformat() if isinstance(current, date) else current
        if current_text == item.value:  # not changed by hand since
            setattr(user, item.field or "", None)
            emptied += 1
    await repo.delete_rows(session, User, removable)
    courses = [i.object_id for i in by_type.get("course", ()) if i.field is None]
    in_use = await repo.courses_in_use(session, courses)
    await repo.delete_rows(session, Course, [i for i in courses if i not in in_use])
    for item in by_type.get("course", ()):
        if item.field is None or item.object_id in courses:
            continue
        course = await session.get(Course, item.object_id)
        if course is not None and (course.description or "")[:254] == item.value:
            course.description = None
            emptied += 1
    groups = [i.object_id for i in by_type.get("group", ())]
    groups_kept = await repo.groups_in_use(session, groups, now)
    groups_removed = [i for i in groups if i not in groups_kept]
    for group_id in groups_removed:  # the lessons the job planned since, then the group
        lessons = await academic_repo.future_unheld(session, group_id, now)
        await academic_repo.delete_lessons(session, [lesson.id for lesson in lessons])
        await academic_repo.delete_slots(session, group_id)
    await repo.delete_rows(session, Group, groups_removed)
    enrolments = [i.object_id for i in by_type.get("enrolment", ())]
    own_charges = {i.object_id for i in by_type.get("charge", ())}
    enrolments_kept = await repo.enrolments_in_use(session, enrolments, own_charges)
    enrolments_removed = [i for i in enrolments if i not in enrolments_kept]
    charges = await repo.charges_of(session, own_charges, enrolments_removed)
    await ledger.remove_charges(session, charges)
    await repo.delete_rows(session, Enrolment, enrolments_removed)
    balances_removed = balances_kept = 0
    if batch.kind == "balances":  # its charges are opening debts, outside any enrolment
        credits = [i.object_id for i in by_type.get("payment", ())]
        credits_removed = await ledger.remove_payments(session, credits)
        balances_removed = credits_removed + await ledger.remove_charges(session, own_charges)
        balances_kept = len(credits) - credits_removed
    batch.undone_at = now
    batch.undone_by_id = actor_id
    await audit.record(
        session,
        actor_id,
        "import.undo",
        "import_batch",
        batch.id,
        details={
            "file": batch.file_name,
            "removed": len(removable),
            "kept": len(kept),
            "courses_removed": len(courses) - len(in_use),
            "courses_kept": len(in_use),
            "groups_removed": len(groups_removed),
            "groups_kept": len(groups_kept),
            "enrolments_removed": len(enrolments_removed),
            "enrolments_kept": len(enrolments_kept),
            "charges_removed": len(charges),
            "balances_removed": balances_removed,
            "balances_kept": balances_kept,
            "emptied": emptied,
        },
    )
    await session.commit()
    return UndoResult(
        Undo.DONE,
        len(removable),
        len(kept),
        emptied,
        batch.file_name,
        courses_removed=len(courses) - len(in_use),
        courses_kept=len(in_use),
        groups_removed=len(groups_removed),
        groups_kept=len(groups_kept),
        enrolments_removed=len(enrolments_removed),
        enrolments_kept=len(enrolments_kept),
        balances_removed=balances_removed,
        balances_kept=balances_kept,
    )


def problem_rows(parsed: Parsed, issues: Sequence[Issue]) -> list[tuple[int, list[Issue]]]:
    """The rows with problems, in order, each with its issues (the problems file)."""
    by_row: dict[int, list[Issue]] = {}
    for issue in issues:
        by_row.setdefault(issue.row, []).append(issue)
    return sorted(by_row.items())
