"""Bringing a centre in from spreadsheets (/import) and taking it out (/export_centre).

`reading` turns a file into rows safely, `columns` maps its header, `values` reads cells,
`people` matches, applies and undoes the people template, `sheets` writes the
spreadsheets. This module is what the handlers call around them.
"""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import ModuleType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit, worker
from bot.services.imports import balances, courses, enrolments, groups, people, teachers
from bot.services.imports.columns import ColumnSpec, map_header
from bot.services.imports.reading import read_table
from db.models import AuditOutcome, Permission


class MissingColumns(ValueError):
    def __init__(self, missing: Sequence[str]) -> None:
        super().__init__(", ".join(missing))
        self.missing = list(missing)

    def __reduce__(self) -> tuple[type, tuple[list[str]]]:  # from the worker process whole
        return (type(self), (self.missing,))


@dataclass(frozen=True, slots=True)
class ImportKind:
    """One template: its columns, the permission it needs, how its rows are read, dry run
    and applied."""

    key: str
    columns: Sequence[ColumnSpec]
    permission: Permission
    parse: Callable[..., people.Parsed]
    dry_run: Callable[..., Awaitable[Any]]  # (session, parsed, default_language) → a plan
    apply: Callable[..., Awaitable[people.ApplyResult]]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(column.key for column in self.columns)


def _people_kind(key: str, columns: Sequence[ColumnSpec], parse: Any, planner: Any) -> ImportKind:
    async def dry_run(session: AsyncSession, parsed: people.Parsed, default_language: str) -> Any:
        return await people.dry_run(
            session, parsed, default_language=default_language, planner=planner
        )

    async def apply(
        session: AsyncSession, actor_id: int, parsed: people.Parsed, **facts: Any
    ) -> Any:
        facts.pop("settings", None)
        facts.pop("today", None)
        return await people.apply(session, actor_id, parsed, kind=key, planner=planner, **facts)

    return ImportKind(key, columns, Permission.USERS, parse, dry_run, apply)


_FACTS = ("default_language", "settings", "today")  # what apply may be given beyond the file


def _module_kind(
    module: ModuleType, permission: Permission, takes: tuple[str, ...] = ()
) -> ImportKind:
    """A kind whose module has `dry_run(session, parsed)` and `apply(session, actor_id,
    parsed, *, file_name, digest, now, progress, …)` taking those of _FACTS in `takes`."""

    async def dry_run(session: AsyncSession, parsed: people.Parsed, default_language: str) -> Any:
        del default_language
        return await module.dry_run(session, parsed)

    async def apply(
        session: AsyncSession, actor_id: int, parsed: people.Parsed, **facts: Any
    ) -> people.ApplyResult:
        for fact in _FACTS:
            if fact not in takes:
                facts.pop(fact, None)
        return await module.apply(session, actor_id, parsed, **facts)

    return ImportKind(module.KIND, module.COLUMNS, permission, module.parse, dry_run, apply)


KINDS = {
    people.KIND: _people_kind(people.KIND, people.COLUMNS, people.parse, people.plan),
    teachers.KIND: _people_kind(teachers.KIND, teachers.COLUMNS, teachers.parse, teachers.plan),
    courses.KIND: _module_kind(courses, Permission.ACADEMIC),
    groups.KIND: _module_kind(groups, Permission.ACADEMIC),
    enrolments.KIND: _module_kind(enrolments, Permission.ACADEMIC, ("settings", "today")),
    balances.KIND: _module_kind(balances, Permission.PAYMENTS),
}


def allowed_kinds(can: Callable[[Permission], bool]) -> list[str]:
    """The kinds someone may import (`can`: the actor's permission check)."""
    return [key for key, kind in KINDS.items() if can(kind.permission)]


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
    kinds: Sequence[str] | None = None,
) -> tuple[ImportKind, people.Parsed]:
    """A filled template of any kind (of `kinds`: those the sender may import), told by its
    header: of the kinds whose required columns it has, the one with the most of them (the
    `preferred` kind, the template last asked for, first among equals); of a workbook of
    several sheets, the preferred kind's sheet. Raises `Unreadable` or
    `MissingColumns` (the preferred kind's)."""
    usable = [KINDS[key] for key in (kinds if kinds is not None else list(KINDS))]
    first = KINDS[preferred] if preferred in KINDS and KINDS[preferred] in usable else usable[0]
    order = [first, *(kind for kind in usable if kind is not first)]

    def fits(header: Sequence[Any]) -> bool:
        names = ["" if cell is None else str(cell) for cell in header]
        return not map_header(names, first.columns, titles).missing

    table = read_table(data, choose=fits)
    fitting = [
        (kind, header)
        for kind in order
        if not (header := map_header(table.header, kind.columns, titles)).missing
    ]
    if fitting:
        # the kind that asks the most of the header: an enrolments file also has the
        # people's one required column, and is still an enrolments file
        kind, header = max(fitting, key=lambda found: _required(found[0]))
        return kind, kind.parse(table, header, region=region, today=today)
    raise MissingColumns(map_header(table.header, first.columns, titles).missing)


def _read_any_key(*args: Any, **kwargs: Any) -> tuple[str, people.Parsed]:
    kind, parsed = read_any(*args, **kwargs)
    return kind.key, parsed


async def read_any_apart(
    data: bytes,
    preferred: str,
    titles: Mapping[str, Sequence[str]],
    *,
    region: str,
    today: date,
    kinds: Sequence[str] | None = None,
) -> tuple[ImportKind, people.Parsed]:
    """`read_any` in the worker process (`worker`): the event loop and the bot's other
    updates never wait on the reading."""
    key, parsed = await worker.run(
        _read_any_key,
        data,
        preferred,
        {title: list(names) for title, names in titles.items()},
        region=region,
        today=today,
        kinds=None if kinds is None else list(kinds),
    )
    return KINDS[key], parsed


def _required(kind: ImportKind) -> int:
    return sum(1 for column in kind.columns if column.required)


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
