"""Bringing a centre in from spreadsheets (/import) and taking it out (/export_centre).

`reading` turns a file into rows safely, `columns` maps its header, `values` reads cells,
`people` matches, applies and undoes the people template, `sheets` writes the
spreadsheets. This module is what the handlers call around them.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.imports import people, teachers
from bot.services.imports.columns import ColumnSpec, map_header
from bot.services.imports.reading import read_table
from db.models import AuditOutcome


class MissingColumns(ValueError):
    def __init__(self, missing: Sequence[str]) -> None:
        super().__init__(", ".join(missing))
        self.missing = list(missing)


@dataclass(frozen=True, slots=True)
class ImportKind:
    """One template: its columns, how its rows are read and how they are matched."""

    key: str
    columns: Sequence[ColumnSpec]
    parse: Callable[..., people.Parsed]
    planner: people.Planner

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(column.key for column in self.columns)


KINDS = {
    people.KIND: ImportKind(people.KIND, people.COLUMNS, people.parse, people.plan),
    teachers.KIND: ImportKind(teachers.KIND, teachers.COLUMNS, teachers.parse, teachers.plan),
}


def read_file(
    data: bytes,
    kind: ImportKind,
    titles: Mapping[str, Sequence[str]],
    *,
    region: str,
    today: date,
) -> people.Parsed:
    """A filled template's rows and their problems; raises `Unreadable` (the file) or
    `MissingColumns` (the header). Blocking: run it in a worker thread."""

    def fits(header: Sequence[Any]) -> bool:
        names = ["" if cell is None else str(cell) for cell in header]
        return not map_header(names, kind.columns, titles).missing

    table = read_table(data, choose=fits)
    header = map_header(table.header, kind.columns, titles)
    if header.missing:
        raise MissingColumns(header.missing)
    return kind.parse(table, header, region=region, today=today)


def read_any(
    data: bytes,
    preferred: str,
    titles: Mapping[str, Sequence[str]],
    *,
    region: str,
    today: date,
) -> tuple[ImportKind, people.Parsed]:
    """A filled template of any kind, told by its header: the `preferred` kind (the template
    last asked for) first, then the others; of a workbook of several sheets, the preferred
    kind's sheet. Raises `Unreadable` or `MissingColumns` (the preferred kind's)."""
    first = KINDS.get(preferred, KINDS[people.KIND])
    order = [first, *(kind for kind in KINDS.values() if kind is not first)]

    def fits(header: Sequence[Any]) -> bool:
        names = ["" if cell is None else str(cell) for cell in header]
        return not map_header(names, first.columns, titles).missing

    table = read_table(data, choose=fits)
    for kind in order:
        header = map_header(table.header, kind.columns, titles)
        if not header.missing:
            return kind, kind.parse(table, header, region=region, today=today)
    raise MissingColumns(map_header(table.header, first.columns, titles).missing)


def read_people(
    data: bytes, titles: Mapping[str, Sequence[str]], *, region: str, today: date
) -> people.Parsed:
    return read_file(data, KINDS[people.KIND], titles, region=region, today=today)


async def record_refusal(session: AsyncSession, actor_id: int, file_name: str, reason: str) -> None:
    """A file refused before any dry run (too big, not a spreadsheet, …): audited."""
    await audit.record(
        session,
        actor_id,
        "import.refused",
        "import_file",
        None,
        outcome=AuditOutcome.FAILED,
        details={"file": file_name, "reason": reason},
    )
    await session.commit()
