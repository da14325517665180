"""Importing enrolments from a filled template: a student, a group, a join date and a
discount a row.

The student is found as the people import finds one (phone, then name and birth date:
`people.find_student`), never created here: import the people first. The group is the one
with that name (however cased); the course's name tells apart groups of the same name in
several courses. The enrolment service checks every row (`enrolment.preview`: an active
group, a student not seated in it already — then the row is `unchanged` —, a free seat,
counting the rows above) and seats them (`enrolment.seat_many`), charging each as enrolling
in chat does: at once when this month's charge run is done. One transaction with the
batch (an item per enrolment and per charge) and one audit entry. Undo removes the
enrolments it created with the charges it made for them (balances moved back through the
ledger), unless the centre has worked with one since (another charge, an attendance mark,
a freeze, the student left or moved): that one stays, counted.
"""

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import enrolment as enrolment_service
from bot.services.imports import values
from bot.services.imports.columns import ColumnSpec, HeaderMap
from bot.services.imports.people import (
    Applied,
    ApplyResult,
    Directory,
    Issue,
    Outcome,
    Parsed,
    PersonIn,
    Progress,
    RowIn,
    RowProblem,
    close_batch,
    find_student,
    open_batch,
)
from bot.services.parsing import Invalid, parse_whole
from bot.services.people import fold
from db.repositories import imports as repo

KIND = "enrolments"
COLUMNS = (
    ColumnSpec("student_name", required=True, width=28),
    ColumnSpec("student_phone", width=18),
    ColumnSpec("birth_date", width=14),
    ColumnSpec("group_name", required=True, width=20),
    ColumnSpec("course_name", width=24),
    ColumnSpec("joined_on", required=True, width=14),
    ColumnSpec("discount", width=10),
)


@dataclass(frozen=True, slots=True)
class SeatIn:
    group: str
    course: str | None
    joined_on: date
    discount: int


def _read_row(
    number: int, raw: tuple[Any, ...], at: dict[str, int], region: str, today: date
) -> RowIn | list[Issue]:
    issues: list[Issue] = []

    def cell(key: str) -> Any:
        return raw[at[key]] if key in at else None

    def bad(key: str, problem: RowProblem) -> None:
        issues.append(Issue(number, key, problem, values.text(cell(key))))

    readers = {
        "student_name": values.name,
        "student_phone": lambda value: values.phone(value, region),
        "birth_date": lambda value: values.birth_date(value, today),
        "joined_on": values.a_date,
    }
    got: dict[str, Any] = {}
    for key, read in readers.items():
        try:
            got[key] = read(cell(key))
        except values.BadCell as problem:
            bad(key, RowProblem(problem.problem))
    group = values.text(cell("group_name"))
    if not group:
        bad("group_name", RowProblem.MISSING_VALUE)
    if "joined_on" in got and got["joined_on"] is None:
        bad("joined_on", RowProblem.MISSING_VALUE)
    discount = 0
    if values.text(cell("discount")):
        try:
            discount = parse_whole(values.text(cell("discount")), 0, 100)
        except Invalid:
            bad("discount", RowProblem.BAD_DISCOUNT)
    if issues:
        return issues
    student = PersonIn(got["student_name"], got["student_phone"], got["birth_date"])
    course = values.text(cell("course_name")) or None
    return RowIn(number, student, None, extra=SeatIn(group, course, got["joined_on"], discount))


def parse(table: Any, header: HeaderMap, *, region: str, today: date) -> Parsed:
    """Rows (the student in `RowIn.student`, the rest a `SeatIn` in `extra`) and the
    problems of their cells; pure (a worker thread may run it)."""
    rows: list[RowIn] = []
    issues: list[Issue] = []
    cells: dict[int, tuple[Any, ...]] = {}
    seen: dict[tuple[Any, ...], int] = {}
    total = 0
    for offset, raw in enumerate(table.rows):
        number = table.first_row + offset
        if all(values.text(cell) == "" for cell in raw):
            continue
        total += 1
        cells[number] = raw
        read = _read_row(number, raw, header.positions, region, today)
        if isinstance(read, list):
            issues.extend(read)
            continue
        seat: SeatIn = read.extra
        key = (
            fold(read.student.name),
            read.student.phone,
            read.student.birth_date,
            fold(seat.group),
            fold(seat.course or ""),
        )
        if key in seen:
            issues.append(Issue(number, None, RowProblem.DUPLICATE_ROW, other_row=seen[key]))
            continue
        seen[key] = number
        rows.append(read)
    return Parsed(tuple(rows), tuple(issues), cells, table.header, total)


# --- matching -------------------------------------------------------------------------------


@dataclass
class EnrolmentPlan:
    parsed: Parsed
    issues: list[Issue]
    outcomes: dict[int, Outcome]
    new: list[tuple[int, int, date, int]] = field(default_factory=list)  # student, group, …

    @property
    def counts(self) -> dict[str, int]:
        skipped = self.parsed.total - len(self.parsed.rows)
        counts = {o.value: sum(1 for v in self.outcomes.values() if v is o) for o in Outcome}
        counts[Outcome.SKIP.value] += skipped
        counts["problems"] = len(self.issues)
        return counts

    @property
    def changes(self) -> bool:
        return bool(self.new)


_REFUSALS = {
    enrolment_service.Outcome.GROUP_CLOSED: RowProblem.GROUP_CLOSED,
    enrolment_service.Outcome.MISSING: RowProblem.UNKNOWN_GROUP,
}


async def plan(session: AsyncSession, parsed: Parsed) -> EnrolmentPlan:
    """What applying the rows would do, by the enrolment service's checks; reads only."""
    directory = await Directory.load(session)
    groups: dict[str, list[tuple[int, str]]] = {}
    for row in await repo.group_names(session):
        groups.setdefault(fold(row.name), []).append((row.id, fold(row.course_name)))
    result = EnrolmentPlan(parsed, list(parsed.issues), {})
    taken: dict[int, int] = {}  # group → seats the rows above take
    planned: set[tuple[int, int]] = set()

    def skip(row: RowIn, column: str | None, problem: RowProblem, value: str = "") -> None:
        result.issues.append(Issue(row.row, column, problem, value))
        result.outcomes[row.row] = Outcome.SKIP

    for row in parsed.rows:
        seat: SeatIn = row.extra
        found = await asyncio.to_thread(find_student, directory, row.student)
        if isinstance(found, list):
            skip(row, "student_name", RowProblem.AMBIGUOUS)
            continue
        if found is None:
            skip(row, "student_name", RowProblem.UNKNOWN_STUDENT, row.student.name)
            continue
        named = groups.get(fold(seat.group), [])
        if seat.course:
            named = [group for group in named if group[1] == fold(seat.course)]
        if len(named) != 1:
            problem = RowProblem.AMBIGUOUS_GROUP if named else RowProblem.UNKNOWN_GROUP
            skip(row, "group_name", problem, seat.group)
            continue
        group_id = named[0][0]
        if (found.id, group_id) in planned:
            result.outcomes[row.row] = Outcome.UNCHANGED
            continue
        checked = await enrolment_service.preview(session, found.id, group_id)
        if checked.outcome is enrolment_service.Outcome.ALREADY:
            result.outcomes[row.row] = Outcome.UNCHANGED
            continue
        if checked.outcome is not enrolment_service.Outcome.DONE:
            skip(row, "group_name", _REFUSALS.get(checked.outcome, RowProblem.UNKNOWN_GROUP))
            continue
        if checked.seated + taken.get(group_id, 0) >= checked.capacity:
            skip(row, "group_name", RowProblem.GROUP_FULL, seat.group)
            continue
        taken[group_id] = taken.get(group_id, 0) + 1
        planned.add((found.id, group_id))
        result.new.append((found.id, group_id, seat.joined_on, seat.discount))
        result.outcomes[row.row] = Outcome.CREATE
    result.issues.sort(key=lambda issue: issue.row)
    return result


async def dry_run(session: AsyncSession, parsed: Parsed) -> EnrolmentPlan:
    return await plan(session, parsed)


async def apply(
    session: AsyncSession,
    actor_id: int,
    parsed: Parsed,
    *,
    file_name: str,
    digest: str,
    now: datetime,
    today: date,
    settings: Any,
    progress: Progress | None = None,
) -> ApplyResult:
    """ONE transaction: the enrolments (and the charges enrolling makes), the batch with an
    item per enrolment and per charge, one audit entry; nothing on a failure."""
    progress = progress or Progress()
    try:
        the_plan = await plan(session, parsed)
        counts = the_plan.counts
        if not the_plan.changes:
            await session.rollback()
            return ApplyResult(Applied.NOTHING, counts)
        progress.total = len(the_plan.new)
        batch = await open_batch(session, actor_id, KIND, file_name, digest, counts, now)
        enrolment_ids, charge_ids = await enrolment_service.seat_many(
            session, actor_id, the_plan.new, today=today, settings=settings
        )
        progress.done = len(enrolment_ids)
        items = [
            {"batch_id": batch.id, "object_type": "enrolment", "object_id": i}
            for i in enrolment_ids
        ] + [{"batch_id": batch.id, "object_type": "charge", "object_id": i} for i in charge_ids]
        await close_batch(session, actor_id, batch, items, file_name, charges=len(charge_ids))
    except BaseException:
        await session.rollback()
        raise
    return ApplyResult(Applied.DONE, counts, batch.id)
