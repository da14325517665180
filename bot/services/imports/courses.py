"""Importing courses from a filled template: a name, a monthly price and a description a row.

A course is the one with the same name (however cased or spaced, any apostrophe); a match
fills only an empty description and lists a differing price or description as a conflict
(the centre's value stays). Applying writes the new courses and the filled descriptions in
one transaction with one import batch and one audit entry; undo removes the courses it
created unless a group has been opened in one since, and empties what it filled.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.academic import COURSE_NAME_MAX, COURSE_NAME_MIN, DESCRIPTION_MAX
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
from bot.services.parsing import Invalid, clean_text, parse_money
from bot.services.people import fold
from db.models import Course
from db.repositories import imports as repo

KIND = "courses"
COLUMNS = (
    ColumnSpec("course_name", required=True, width=28),
    ColumnSpec("monthly_price", required=True, width=16),
    ColumnSpec("description", width=40),
)


@dataclass(frozen=True, slots=True)
class KnownCourse:
    id: int
    name: str
    monthly_price: int
    description: str | None


def parse(table: Any, header: HeaderMap, *, region: str, today: date) -> Parsed:
    """Rows (a course in `RowIn.student`'s place: name; its price and description in
    `extra`) and the problems of their cells."""
    del region, today
    rows: list[RowIn] = []
    issues: list[Issue] = []
    cells: dict[int, tuple[Any, ...]] = {}
    seen: dict[str, int] = {}
    total = 0
    at = header.positions
    for offset, raw in enumerate(table.rows):
        number = table.first_row + offset
        if all(values.text(cell) == "" for cell in raw):
            continue
        total += 1
        cells[number] = raw

        def cell(key: str, row: tuple[Any, ...] = raw) -> str:
            return values.text(row[at[key]]) if key in at else ""

        row_issues = []
        name = price = description = None
        try:
            name = clean_text(cell("course_name"), COURSE_NAME_MIN, COURSE_NAME_MAX)
        except Invalid:
            problem = RowProblem.MISSING_NAME if not cell("course_name") else RowProblem.BAD_NAME
            row_issues.append(Issue(number, "course_name", problem, cell("course_name")))
        try:
            price = parse_money(cell("monthly_price"))
        except Invalid:
            row_issues.append(
                Issue(number, "monthly_price", RowProblem.BAD_PRICE, cell("monthly_price"))
            )
        if cell("description"):
            try:
                description = clean_text(cell("description"), 1, DESCRIPTION_MAX)
            except Invalid:
                row_issues.append(
                    Issue(number, "description", RowProblem.TOO_LONG, cell("description"))
                )
        if row_issues:
            issues.extend(row_issues)
            continue
        assert name is not None and price is not None
        if fold(name) in seen:
            issues.append(Issue(number, None, RowProblem.DUPLICATE_ROW, other_row=seen[fold(name)]))
            continue
        seen[fold(name)] = number
        rows.append(RowIn(number, PersonIn(name), None, extra=(price, description)))
    return Parsed(tuple(rows), tuple(issues), cells, table.header, total)


@dataclass
class CoursePlan:
    parsed: Parsed
    issues: list[Issue]
    outcomes: dict[int, Outcome]
    new: list[tuple[str, int, str | None]] = field(default_factory=list)
    fills: list[tuple[int, str]] = field(default_factory=list)  # (course id, description)

    @property
    def counts(self) -> dict[str, int]:
        skipped = self.parsed.total - len(self.parsed.rows)
        counts = {o.value: sum(1 for v in self.outcomes.values() if v is o) for o in Outcome}
        counts[Outcome.SKIP.value] += skipped
        counts["problems"] = len(self.issues)
        return counts

    @property
    def changes(self) -> bool:
        return bool(self.new or self.fills)


def plan(courses: list[KnownCourse], parsed: Parsed) -> CoursePlan:
    by_name = {fold(course.name): course for course in courses}
    result = CoursePlan(parsed, list(parsed.issues), {})
    for row in parsed.rows:
        name = row.student.name
        price, description = row.extra
        known = by_name.get(fold(name))
        if known is None:
            result.new.append((name, price, description))
            result.outcomes[row.row] = Outcome.CREATE
            continue
        outcome = Outcome.UNCHANGED
        if known.monthly_price != price:
            result.issues.append(
                Issue(
                    row.row,
                    "monthly_price",
                    RowProblem.CONFLICT,
                    str(price),
                    kept=str(known.monthly_price),
                )
            )
        if description and known.description is None:
            result.fills.append((known.id, description))
            outcome = Outcome.UPDATE
        elif description and known.description != description:
            result.issues.append(
                Issue(
                    row.row,
                    "description",
                    RowProblem.CONFLICT,
                    description,
                    kept=known.description[:40] + ("…" if len(known.description) > 40 else ""),
                )
            )
        result.outcomes[row.row] = outcome
    result.issues.sort(key=lambda issue: issue.row)
    return result


async def _known(session: AsyncSession) -> list[KnownCourse]:
    return [KnownCourse(*row) for row in await repo.all_courses(session)]


async def dry_run(session: AsyncSession, parsed: Parsed) -> CoursePlan:
    return plan(await _known(session), parsed)


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
    """ONE transaction: the new courses, the filled descriptions, the batch, one audit
    entry; nothing on a failure."""
    progress = progress or Progress()
    try:
        the_plan = plan(await _known(session), parsed)
        counts = the_plan.counts
        if not the_plan.changes:
            await session.rollback()
            return ApplyResult(Applied.NOTHING, counts)
        progress.total = len(the_plan.new) + len(the_plan.fills)
        batch = await open_batch(session, actor_id, KIND, file_name, digest, counts, now)
        ids = await repo.insert_returning_ids(
            session,
            Course,
            [
                {
                    "name": name,
                    "monthly_price": price,
                    "description": description,
                    "is_active": True,
                    "created_at": now,
                }
                for name, price, description in the_plan.new
            ],
        )
        progress.done += len(ids)
        items = [{"batch_id": batch.id, "object_type": "course", "object_id": i} for i in ids]
        for course_id, description in the_plan.fills:
            course = await session.get(Course, course_id)
            if course is not None and course.description is None:
                course.description = description
                items.append(
                    {
                        "batch_id": batch.id,
                        "object_type": "course",
                        "object_id": course_id,
                        "field": "description",
                        "value": description[:254],
                    }
                )
            progress.done += 1
        await session.flush()
        await close_batch(session, actor_id, batch, items, file_name)
    except BaseException:
        await session.rollback()
        raise
    return ApplyResult(Applied.DONE, counts, batch.id)
