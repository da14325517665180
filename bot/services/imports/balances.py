"""Importing opening balances: what each student owed or had in credit on the day the centre
started with the bot.

A row is a student (found as the people import finds one, never created here), an amount
(positive: credit, negative: debt; `-350 000`) and the day (empty: today). The ledger
writes them (`ledger.open_balances`: a credit is a payment, a debt a charge outside any
enrolment, each balance moving with its entry), in one transaction with the batch (an item
per payment and per charge) and one audit entry. A student holds one opening balance: one
whom an import (not undone) gave one already is `unchanged` (a differing amount is listed as
a conflict). Undo removes those entries and moves the balances back, except a credit
reversed since.
"""

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

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
from bot.services.parsing import Invalid, parse_money
from bot.services.payments import ledger
from bot.services.people import fold
from db.repositories import imports as repo

KIND = "balances"
COLUMNS = (
    ColumnSpec("student_name", required=True, width=28),
    ColumnSpec("student_phone", width=18),
    ColumnSpec("birth_date", width=14),
    ColumnSpec("balance", required=True, width=16),
    ColumnSpec("balance_date", width=14),
)
_MINUS = "-\u2212\u2013"


def amount(value: Any) -> int:
    """Whole so'm, signed: `350000`, `-350 000`, `−1.250.000`, a number Excel stored."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not float(value).is_integer():
            raise ValueError("not whole")
        whole = int(value)
        raw = ("-" if whole < 0 else "") + str(abs(whole))
    else:
        raw = values.text(value)
    negative = raw[:1] in _MINUS and raw[:1] != ""
    try:
        found = parse_money(raw[1:].strip() if negative else raw)
    except Invalid:
        raise ValueError("not an amount") from None
    return -found if negative else found


def _read_row(
    number: int, raw: tuple[Any, ...], at: dict[str, int], region: str, today: date
) -> RowIn | list[Issue]:
    issues: list[Issue] = []

    def cell(key: str) -> Any:
        return raw[at[key]] if key in at else None

    readers = {
        "student_name": values.name,
        "student_phone": lambda value: values.phone(value, region),
        "birth_date": lambda value: values.birth_date(value, today),
        "balance_date": values.a_date,
    }
    got: dict[str, Any] = {}
    for key, read in readers.items():
        try:
            got[key] = read(cell(key))
        except values.BadCell as problem:
            issues.append(Issue(number, key, RowProblem(problem.problem), values.text(cell(key))))
    try:
        money = amount(cell("balance"))
    except ValueError:
        shown = values.text(cell("balance"))
        issues.append(Issue(number, "balance", RowProblem.BAD_BALANCE, shown))
        money = 0
    day = got.get("balance_date") or today
    if day > today:
        shown = values.text(cell("balance_date"))
        issues.append(Issue(number, "balance_date", RowProblem.IMPOSSIBLE_DATE, shown))
    if issues:
        return issues
    student = PersonIn(got["student_name"], got["student_phone"], got["birth_date"])
    return RowIn(number, student, None, extra=(money, day))


def parse(table: Any, header: HeaderMap, *, region: str, today: date) -> Parsed:
    """Rows (the student in `RowIn.student`, (amount, day) in `extra`) and the problems of
    their cells; pure (a worker thread may run it). A student twice is a duplicate."""
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
        key = (fold(read.student.name), read.student.phone, read.student.birth_date)
        if key in seen:
            issues.append(Issue(number, None, RowProblem.DUPLICATE_ROW, other_row=seen[key]))
            continue
        seen[key] = number
        rows.append(read)
    return Parsed(tuple(rows), tuple(issues), cells, table.header, total)


@dataclass
class BalancePlan:
    parsed: Parsed
    issues: list[Issue]
    outcomes: dict[int, Outcome]
    new: list[tuple[int, int, date]] = field(default_factory=list)

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


async def plan(session: AsyncSession, parsed: Parsed) -> BalancePlan:
    directory = await Directory.load(session)
    opened = await repo.opened_balances(session)  # student → the amount an import opened
    result = BalancePlan(parsed, list(parsed.issues), {})
    planned: set[int] = set()
    for row in parsed.rows:
        money, day = row.extra
        found = await asyncio.to_thread(find_student, directory, row.student)
        if found is None or isinstance(found, list):
            problem = RowProblem.UNKNOWN_STUDENT if found is None else RowProblem.AMBIGUOUS
            result.issues.append(Issue(row.row, "student_name", problem, row.student.name))
            result.outcomes[row.row] = Outcome.SKIP
            continue
        if found.id in opened or found.id in planned:
            kept = opened.get(found.id)
            if kept is not None and kept != money:
                result.issues.append(
                    Issue(row.row, "balance", RowProblem.CONFLICT, str(money), kept=str(kept))
                )
            result.outcomes[row.row] = Outcome.UNCHANGED
            continue
        if money == 0:
            result.outcomes[row.row] = Outcome.UNCHANGED
            continue
        planned.add(found.id)
        result.new.append((found.id, money, day))
        result.outcomes[row.row] = Outcome.CREATE
    result.issues.sort(key=lambda issue: issue.row)
    return result


async def dry_run(session: AsyncSession, parsed: Parsed) -> BalancePlan:
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
    """ONE transaction: the ledger entries, the batch with an item per payment and charge,
    the audit entries; nothing on a failure."""
    progress = progress or Progress()
    try:
        the_plan = await plan(session, parsed)
        counts = the_plan.counts
        if not the_plan.changes:
            await session.rollback()
            return ApplyResult(Applied.NOTHING, counts)
        progress.total = len(the_plan.new)
        batch = await open_batch(session, actor_id, KIND, file_name, digest, counts, now)
        payments, charges = await ledger.open_balances(session, actor_id, the_plan.new, now=now)
        progress.done = len(the_plan.new)
        item = {"batch_id": batch.id}
        items = [{**item, "object_type": "payment", "object_id": i} for i in payments]
        items += [{**item, "object_type": "charge", "object_id": i} for i in charges]
        await close_batch(session, actor_id, batch, items, file_name)
    except BaseException:
        await session.rollback()
        raise
    return ApplyResult(Applied.DONE, counts, batch.id)
