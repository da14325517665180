"""Importing teachers from a filled template: a name, a phone and a language a row.

A teacher is the person with that phone whose name has the same words (someone already at
the centre, a parent say, who also teaches: they gain the teacher role), else the teacher
with exactly that name (another phone on both sides says somebody else); else a new
teacher. A match fills only an empty phone and lists a differing name or phone as a
conflict. Applying, invitations, idempotence and undo are the people import's
(`people.apply`, `people.undo`), with this module's `plan`.
"""

from datetime import date
from typing import Any

from bot.services.imports import values
from bot.services.imports.columns import ColumnSpec, HeaderMap
from bot.services.imports.people import (
    AddRole,
    Directory,
    Issue,
    Outcome,
    Parsed,
    PersonIn,
    Plan,
    RowIn,
    RowProblem,
    fill_empty,
    issue_order,
    name_fits,
    note_fill,
    same_words,
)
from bot.services.people import fold
from db.models import Role

KIND = "teachers"
COLUMNS = (
    ColumnSpec("teacher_name", required=True, width=28),
    ColumnSpec("teacher_phone", width=18),
    ColumnSpec("language", width=10),
)
COLUMN_KEYS = tuple(column.key for column in COLUMNS)


def parse(table: Any, header: HeaderMap, *, region: str, today: date) -> Parsed:
    """Rows and the problems of their cells; pure (a worker thread may run it)."""
    del today  # no dates in this template
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

        def cell(key: str, row: tuple[Any, ...] = raw) -> Any:
            return row[at[key]] if key in at else None

        found: dict[str, Any] = {}
        readers = {
            "teacher_name": lambda value: values.name(value),
            "teacher_phone": lambda value: values.phone(value, region),
            "language": values.language,
        }
        row_issues = []
        for key, read in readers.items():
            try:
                found[key] = read(cell(key))
            except values.BadCell as bad:
                row_issues.append(
                    Issue(number, key, RowProblem(bad.problem), values.text(cell(key)))
                )
        if row_issues:
            issues.extend(row_issues)
            continue
        person = PersonIn(found["teacher_name"], found["teacher_phone"], None, found["language"])
        key = (fold(person.name), person.phone)
        if key in seen:
            issues.append(Issue(number, None, RowProblem.DUPLICATE_ROW, other_row=seen[key]))
            continue
        seen[key] = number
        rows.append(RowIn(number, person, None))
    return Parsed(tuple(rows), tuple(issues), cells, table.header, total)


def plan(directory: Directory, parsed: Parsed, *, default_language: str) -> Plan:
    result = Plan(parsed, list(parsed.issues), {})
    for row in parsed.rows:
        wanted = row.student
        found = None
        if wanted.phone:
            fits = [p for p in directory.with_phone(wanted.phone) if same_words(p, wanted)]
            exact = [p for p in fits if p.key == fold(wanted.name)]
            found = (exact or fits or [None])[0]
        if found is None:
            named = [
                p
                for i in directory.by_name.get(fold(wanted.name), ())
                if Role.TEACHER.value in (p := directory.people[i]).roles and name_fits(p, wanted)
            ]
            if len(named) > 1:
                result.issues.append(Issue(row.row, "teacher_name", RowProblem.AMBIGUOUS))
                result.outcomes[row.row] = Outcome.SKIP
                continue
            found = named[0] if named else None
        if found is None:
            result.new.append(
                directory.new(wanted, wanted.language or default_language, Role.TEACHER)
            )
            result.outcomes[row.row] = Outcome.CREATE
            continue
        before = len(result.fills)
        updated = fill_empty(result, found, wanted, row.row, "teacher")
        for item in result.fills[before:]:
            note_fill(directory, found, item)
        if Role.TEACHER.value not in found.roles:
            found.roles.add(Role.TEACHER.value)
            result.roles.append(AddRole(found.id, Role.TEACHER))
            updated = True
        result.outcomes[row.row] = Outcome.UPDATE if updated else Outcome.UNCHANGED
    result.issues.sort(key=issue_order)
    return result
