"""Expenses: money the centre spends that is not teacher pay, in categories.

* an expense has a category, an amount (whole so'm, the payments' limits: more than 0, at most
  `parsing.MONEY_MAX`), the centre's day it was spent (not in the future), a note and,
  optionally, a photo of the receipt (its Telegram file id). It is never edited: a mistake
  is reversed (with a reason; it stays listed, struck through) and entered anew;
* categories: the built-in ones (rent, utilities, marketing, supplies, other) and the
  centre's own. Any can be renamed; one with expenses is retired, never deleted (a retired
  category is not offered and takes no new expense); one never used can be deleted. One
  with a recurring expense running cannot be retired. Salaries are not a category of
  expenses: they are the payroll's approved payslips, counted once, by the profit report;
* a recurring expense makes one expense a month on its day (the month's last day when the
  month is shorter) from its start to its end: the daily job (bot/jobs/expenses.py) adds
  what is due and missing, keyed by (recurring expense, month), so running it twice, from
  two processes or after a restart adds nothing. Its start is this month or later: past
  months are entered as expenses.

Every change is one transaction with its audit entry; a refusal writes nothing but a
`denied` audit entry.
"""

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.paging import Page, fetch_page
from bot.services.parsing import MONEY_MAX, YEAR_MIN
from db.models import BUILTIN_CATEGORIES, Expense, ExpenseCategory, RecurringExpense
from db.repositories import expenses as repo

NOTE_MAX = 500  # a note or a reversal's reason
NAME_MIN, NAME_MAX = 2, 64  # a category's name
PAGE_SIZE = 10
SALARIES = "salaries"  # the payroll's line of the profit report, not a category here
BUILTIN = BUILTIN_CATEGORIES


class Outcome(StrEnum):
    DONE = "done"
    MISSING = "missing"  # the expense, category or recurring expense is gone (or forged)
    RETIRED = "retired"  # the category is retired: it takes no new expense
    INVALID = "invalid"  # a value outside the limits (a forged or stale form)
    NAME_TAKEN = "name_taken"
    UNCHANGED = "unchanged"
    IN_USE = "in_use"  # a category with expenses: retire it instead of deleting
    BUILTIN = "builtin"  # a built-in category is never deleted
    HAS_RECURRING = "has_recurring"  # a category a running recurring expense uses
    ALREADY_REVERSED = "already_reversed"
    ALREADY_STOPPED = "already_stopped"


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    id: int
    code: str | None  # a built-in's key (its name is the reader's word for it)
    name: str | None  # the centre's own name, or a built-in's rename
    retired: bool
    expenses: int = 0  # not reversed
    recurring: int = 0  # running recurring expenses

    @property
    def is_builtin(self) -> bool:
        return self.code is not None


def category_info(row: ExpenseCategory, expenses: int = 0, recurring: int = 0) -> CategoryInfo:
    return CategoryInfo(
        id=row.id,
        code=row.code,
        name=row.name,
        retired=row.retired_at is not None,
        expenses=int(expenses),
        recurring=int(recurring),
    )


@dataclass(frozen=True, slots=True)
class ExpenseInfo:
    id: int
    category: CategoryInfo
    amount: int
    spent_on: date
    note: str
    receipt_file_id: str | None
    recorded_by_id: int | None
    recurring_id: int | None
    created_at: datetime
    reversed_at: datetime | None
    reversal_reason: str | None

    @property
    def is_reversed(self) -> bool:
        return self.reversed_at is not None


def expense_info(row: Expense, category: ExpenseCategory) -> ExpenseInfo:
    return ExpenseInfo(
        id=row.id,
        category=category_info(category),
        amount=int(row.amount),
        spent_on=row.spent_on,
        note=row.note,
        receipt_file_id=row.receipt_file_id,
        recorded_by_id=row.recorded_by_id,
        recurring_id=row.recurring_id,
        created_at=row.created_at,
        reversed_at=row.reversed_at,
        reversal_reason=row.reversal_reason,
    )


@dataclass(frozen=True, slots=True)
class RecurringInfo:
    id: int
    category: CategoryInfo
    amount: int
    day: int
    starts_on: date
    ends_on: date | None
    note: str
    stopped: bool


def recurring_info(row: RecurringExpense, category: ExpenseCategory) -> RecurringInfo:
    return RecurringInfo(
        id=row.id,
        category=category_info(category),
        amount=int(row.amount),
        day=int(row.day),
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        note=row.note,
        stopped=row.stopped_at is not None,
    )


@dataclass(frozen=True, slots=True)
class Result:
    outcome: Outcome
    expense: ExpenseInfo | None = None
    category: CategoryInfo | None = None
    recurring: RecurringInfo | None = None


@dataclass(frozen=True, slots=True)
class MonthPage:
    month: date  # its first day
    page: Page[ExpenseInfo]
    total: int  # the month's expenses not reversed, so'm


# --- the rules of a value -------------------------------------------------------------------


def amount_fits(amount: int) -> bool:
    return isinstance(amount, int) and 0 < amount <= MONEY_MAX


def day_fits(spent_on: date, today: date) -> bool:
    """A day an expense may be spent on: not in the future, not before YEAR_MIN."""
    return date(YEAR_MIN, 1, 1) <= spent_on <= today


def text_fits(text: str | None, maximum: int = NOTE_MAX, minimum: int = 1) -> bool:
    return text is not None and minimum <= len(text.strip()) <= maximum


def name_key(name: str) -> str:
    """A category's name as two names are compared: spaces collapsed, case folded."""
    return " ".join(name.split()).casefold()


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_day(month: date, day: int) -> date:
    """`day` of the month starting `month`, or its last day when the month is shorter."""
    return month.replace(day=min(day, calendar.monthrange(month.year, month.month)[1]))


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


async def deny(session: AsyncSession, actor_id: int | None, reason: str, **details: object) -> None:
    """A refused attempt (a bad value, a retired category, a stale button): audited, nothing
    else written."""
    await audit.record_denied(
        session, actor_id=actor_id, action="expense.denied", details={"reason": reason, **details}
    )


# --- categories -----------------------------------------------------------------------------


async def categories(session: AsyncSession) -> list[CategoryInfo]:
    return [
        category_info(row, used, running) for row, used, running in await repo.categories(session)
    ]


async def active_categories(session: AsyncSession) -> list[CategoryInfo]:
    """The categories an expense may be entered in (salaries is never one)."""
    return [category for category in await categories(session) if not category.retired]


async def category(session: AsyncSession, category_id: int) -> CategoryInfo | None:
    for found in await categories(session):
        if found.id == category_id:
            return found
    return None


async def _refused(
    session: AsyncSession, actor_id: int | None, outcome: Outcome, **details: object
) -> Result:
    await session.rollback()
    await deny(session, actor_id, outcome.value, **details)
    return Result(outcome)


async def _name_free(
    session: AsyncSession, name: str, reserved: frozenset[str], category_id: int | None
) -> bool:
    key = name_key(name)
    if key in reserved:
        return False
    holder = await repo.name_key_holder(session, key)
    return holder is None or holder == category_id


async def add_category(
    session: AsyncSession, actor_id: int | None, name: str, reserved: frozenset[str], now: datetime
) -> Result:
    """A category of the centre's own. `reserved`: the built-in categories' names (and
    salaries') in every language, folded: a new one may not take them."""
    name = " ".join(name.split())
    if not text_fits(name, NAME_MAX, NAME_MIN):
        return await _refused(session, actor_id, Outcome.INVALID, field="name")
    if not await _name_free(session, name, reserved, None):
        return await _refused(session, actor_id, Outcome.NAME_TAKEN, name=name)
    category_id = await repo.add_category(session, name, name_key(name), now)
    await audit.record(
        session,
        actor_id,
        "expense_category.created",
        "expense_category",
        category_id,
        details={"name": name},
    )
    await session.commit()
    return Result(Outcome.DONE, category=await category(session, category_id))


async def rename_category(
    session: AsyncSession,
    actor_id: int | None,
    category_id: int,
    name: str,
    reserved: frozenset[str],
) -> Result:
    name = " ".join(name.split())
    row = await repo.category_for_update(session, category_id)
    if row is None:
        return await _refused(session, actor_id, Outcome.MISSING, category_id=category_id)
    if not text_fits(name, NAME_MAX, NAME_MIN):
        return await _refused(session, actor_id, Outcome.INVALID, field="name")
    if row.name == name:
        await session.rollback()
        return Result(Outcome.UNCHANGED, category=await category(session, category_id))
    if not await _name_free(session, name, reserved, category_id):
        return await _refused(session, actor_id, Outcome.NAME_TAKEN, name=name)
    before = row.name
    row.name, row.name_key = name, name_key(name)
    await audit.record(
        session,
        actor_id,
        "expense_category.renamed",
        "expense_category",
        category_id,
        details={"from": before, "code": row.code, "to": name},
    )
    await session.commit()
    return Result(Outcome.DONE, category=await category(session, category_id))


async def set_retired(
    session: AsyncSession, actor_id: int | None, category_id: int, retired: bool, now: datetime
) -> Result:
    """Retire a category (no new expense in it; those made stay) or bring it back."""
    row = await repo.category_for_update(session, category_id)
    if row is None:
        return await _refused(session, actor_id, Outcome.MISSING, category_id=category_id)
    if (row.retired_at is not None) == retired:
        await session.rollback()
        return Result(Outcome.UNCHANGED, category=await category(session, category_id))
    if retired and await repo.active_recurring_count(session, category_id):
        found = await category(session, category_id)
        await _refused(session, actor_id, Outcome.HAS_RECURRING, category_id=category_id)
        return Result(Outcome.HAS_RECURRING, category=found)
    row.retired_at = now if retired else None
    action = "expense_category.retired" if retired else "expense_category.restored"
    await audit.record(session, actor_id, action, "expense_category", category_id)
    await session.commit()
    return Result(Outcome.DONE, category=await category(session, category_id))


async def delete_category(session: AsyncSession, actor_id: int | None, category_id: int) -> Result:
    """Only a category of the centre's own that no expense (reversed ones included) and no
    recurring expense ever used: one with expenses is retired instead."""
    row = await repo.category_for_update(session, category_id)
    if row is None:
        return await _refused(session, actor_id, Outcome.MISSING, category_id=category_id)
    if row.code is not None:
        return await _refused(session, actor_id, Outcome.BUILTIN, category_id=category_id)
    if await repo.expense_count(session, category_id):
        found = await category(session, category_id)
        await _refused(session, actor_id, Outcome.IN_USE, category_id=category_id)
        return Result(Outcome.IN_USE, category=found)
    name = row.name
    await repo.delete_category(session, row)
    await audit.record(
        session,
        actor_id,
        "expense_category.deleted",
        "expense_category",
        category_id,
        details={"name": name},
    )
    await session.commit()
    return Result(Outcome.DONE)


# --- expenses -------------------------------------------------------------------------------


async def get(session: AsyncSession, expense_id: int) -> ExpenseInfo | None:
    found = await repo.expense(session, expense_id)
    return None if found is None else expense_info(*found)


async def record_expense(
    session: AsyncSession,
    *,
    actor_id: int | None,
    category_id: int,
    amount: int,
    spent_on: date,
    note: str,
    receipt_file_id: str | None,
    today: date,
    now: datetime,
) -> Result:
    """The expense and its audit entry in one transaction; commits. A value outside the
    limits (INVALID), a category gone (MISSING) or retired (RETIRED) writes nothing but
    the refusal's audit entry."""
    note = (note or "").strip()
    if not (amount_fits(amount) and day_fits(spent_on, today) and text_fits(note)):
        return await _refused(session, actor_id, Outcome.INVALID, amount=amount)
    if receipt_file_id is not None and not text_fits(receipt_file_id, 256):
        return await _refused(session, actor_id, Outcome.INVALID, field="receipt")
    row = await repo.category(session, category_id)
    if row is None:
        return await _refused(session, actor_id, Outcome.MISSING, category_id=category_id)
    if row.retired_at is not None:
        return await _refused(session, actor_id, Outcome.RETIRED, category_id=category_id)
    expense_id = await repo.insert_expense(
        session,
        {
            "category_id": category_id,
            "amount": amount,
            "spent_on": spent_on,
            "note": note,
            "receipt_file_id": receipt_file_id,
            "recorded_by_id": actor_id,
            "created_at": now,
        },
    )
    await audit.record(
        session,
        actor_id,
        "expense.recorded",
        "expense",
        expense_id,
        details={
            "category_id": category_id,
            "amount": amount,
            "spent_on": spent_on.isoformat(),
            "receipt": receipt_file_id is not None,
        },
    )
    await session.commit()
    return Result(Outcome.DONE, expense=await get(session, expense_id))


async def reverse_expense(
    session: AsyncSession, *, actor_id: int | None, expense_id: int, reason: str, now: datetime
) -> Result:
    """Mark the expense reversed (it stays listed, and counts nowhere); never twice."""
    reason = (reason or "").strip()
    if not text_fits(reason):
        return await _refused(session, actor_id, Outcome.INVALID, field="reason")
    reversed_row = await repo.mark_reversed(session, expense_id, actor_id, reason, now)
    if reversed_row is None:
        await session.rollback()
        found = await get(session, expense_id)
        outcome = Outcome.MISSING if found is None else Outcome.ALREADY_REVERSED
        await deny(session, actor_id, outcome.value, expense_id=expense_id)
        return Result(outcome, expense=found)
    await audit.record(
        session,
        actor_id,
        "expense.reversed",
        "expense",
        expense_id,
        details={"amount": int(reversed_row.amount), "reason": reason},
    )
    await session.commit()
    return Result(Outcome.DONE, expense=await get(session, expense_id))


async def month_page(session: AsyncSession, month: date, page: int) -> MonthPage:
    """One page of a month's expenses, newest first, and the month's total."""
    first = month_start(month)
    last = month_day(first, 31)

    async def fetch(offset: int, limit: int):
        rows, total = await repo.expenses_between(session, first, last, offset, limit)
        return [expense_info(*row) for row in rows], total

    found = await fetch_page(fetch, page, PAGE_SIZE)
    return MonthPage(first, found, await repo.total_between(session, first, last))


# --- recurring expenses ---------------------------------------------------------------------


async def recurring(session: AsyncSession, recurring_id: int) -> RecurringInfo | None:
    found = await repo.recurring(session, recurring_id)
    return None if found is None else recurring_info(*found)


async def recurring_page(session: AsyncSession, page: int) -> Page[RecurringInfo]:
    async def fetch(offset: int, limit: int):
        rows, total = await repo.recurring_list(session, offset, limit)
        return [recurring_info(*row) for row in rows], total

    return await fetch_page(fetch, page, PAGE_SIZE)


def first_start(today: date) -> date:
    """The earliest start a recurring expense may have: this month's first day."""
    return month_start(today)


async def add_recurring(
    session: AsyncSession,
    *,
    actor_id: int | None,
    category_id: int,
    amount: int,
    day: int,
    starts_on: date,
    ends_on: date | None,
    note: str,
    today: date,
    now: datetime,
) -> Result:
    """A recurring expense; what is due of it already (this month's, when its day has
    come) is made at once, in the same transaction."""
    note = (note or "").strip()
    dates_fit = starts_on >= first_start(today) and (ends_on is None or ends_on >= starts_on)
    if not (amount_fits(amount) and 1 <= day <= 31 and dates_fit and text_fits(note)):
        return await _refused(session, actor_id, Outcome.INVALID, amount=amount)
    row = await repo.category(session, category_id)
    if row is None:
        return await _refused(session, actor_id, Outcome.MISSING, category_id=category_id)
    if row.retired_at is not None:
        return await _refused(session, actor_id, Outcome.RETIRED, category_id=category_id)
    recurring_id = await repo.insert_recurring(
        session,
        {
            "category_id": category_id,
            "amount": amount,
            "day": day,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "note": note,
            "created_by_id": actor_id,
            "created_at": now,
        },
    )
    await audit.record(
        session,
        actor_id,
        "recurring_expense.created",
        "recurring_expense",
        recurring_id,
        details={
            "category_id": category_id,
            "amount": amount,
            "day": day,
            "starts_on": starts_on.isoformat(),
            "ends_on": None if ends_on is None else ends_on.isoformat(),
        },
    )
    await _generate(session, today, now, actor_id)
    await session.commit()
    return Result(Outcome.DONE, recurring=await recurring(session, recurring_id))


async def stop_recurring(
    session: AsyncSession, actor_id: int | None, recurring_id: int, now: datetime
) -> Result:
    """No more months from now on; the expenses it made stay."""
    if not await repo.stop_recurring(session, recurring_id, actor_id, now):
        await session.rollback()
        found = await recurring(session, recurring_id)
        outcome = Outcome.MISSING if found is None else Outcome.ALREADY_STOPPED
        await deny(session, actor_id, outcome.value, recurring_id=recurring_id)
        return Result(outcome, recurring=found)
    await audit.record(
        session, actor_id, "recurring_expense.stopped", "recurring_expense", recurring_id
    )
    await session.commit()
    return Result(Outcome.DONE, recurring=await recurring(session, recurring_id))


@dataclass
class GenerationRun:
    today: date
    created: int = 0
    existing: int = 0  # due, and made already (by an earlier run or another process)
    total: int = 0  # so'm of those made now
    expense_ids: list[int] = field(default_factory=list)


def due_months(template: RecurringExpense, today: date) -> list[tuple[date, date]]:
    """(month, day) of every month the recurring expense is due in by `today`: from its
    start's month on, its day (clipped to the month) within its start and end and not after
    today."""
    found, month = [], month_start(template.starts_on)
    while month <= today:
        day = month_day(month, template.day)
        ends = template.ends_on
        if template.starts_on <= day <= today and (ends is None or day <= ends):
            found.append((month, day))
        month = next_month(month)
    return found


async def _generate(
    session: AsyncSession, today: date, now: datetime, actor_id: int | None = None
) -> GenerationRun:
    run = GenerationRun(today=today)
    templates = await repo.due_recurring(session, today)
    made = await repo.generated_periods(session, [template.id for template in templates])
    rows = []
    for template in templates:
        for month, day in due_months(template, today):
            if (template.id, month) in made:
                run.existing += 1
                continue
            rows.append(
                {
                    "category_id": template.category_id,
                    "amount": int(template.amount),
                    "spent_on": day,
                    "note": template.note,
                    "recurring_id": template.id,
                    "period": month,
                    "created_at": now,
                }
            )
    inserted = await repo.insert_generated(session, rows)
    run.existing += len(rows) - len(inserted)  # a concurrent run got there first
    run.created = len(inserted)
    run.expense_ids = [expense_id for expense_id, _amount in inserted]
    run.total = sum(int(amount) for _id, amount in inserted)
    if run.created:
        await audit.record(
            session,
            actor_id,
            "expenses.generated",
            details={"created": run.created, "total": run.total, "expense_ids": run.expense_ids},
        )
    return run


async def generate_recurring(session: AsyncSession, today: date, now: datetime) -> GenerationRun:
    """Make every recurring expense's months due by `today` and not made yet; commits."""
    run = await _generate(session, today, now)
    await session.commit()
    return run
