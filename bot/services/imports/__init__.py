"""Bringing a centre in from spreadsheets (/import) and taking it out (/export_centre).

`reading` turns a file into rows safely, `columns` maps its header, `values` reads cells,
`people` matches, applies and undoes the people template, `sheets` writes the
spreadsheets. This module is what the handlers call around them.
"""

from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.imports import people
from bot.services.imports.columns import map_header
from bot.services.imports.reading import read_table
from db.models import AuditOutcome


class MissingColumns(ValueError):
    def __init__(self, missing: Sequence[str]) -> None:
        super().__init__(", ".join(missing))
        self.missing = list(missing)


def read_people(
    data: bytes, titles: Mapping[str, Sequence[str]], *, region: str, today: date
) -> people.Parsed:
    """The people file's rows and their problems; raises `Unreadable` (the file) or
    `MissingColumns` (the header). Blocking: run it in a worker thread."""
    table = read_table(data)
    header = map_header(table.header, people.COLUMNS, titles)
    if header.missing:
        raise MissingColumns(header.missing)
    return people.parse(table, header, region=region, today=today)


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
