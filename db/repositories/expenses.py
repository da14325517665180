"""Expense categories, expenses and recurring expenses: queries only. Never commits."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Expense, ExpenseCategory, RecurringExpense
from db.repositories.dialect import insert_for

# --- categories -----------------------------------------------------------------------------


async def categories(session: AsyncSession) -> Sequence[Row[Any]]:
    """(category, expenses not reversed, active recurring expenses) of every category, the
    built-in ones first (in their order of creation), then the centre's own."""
    used = (
        select(func.count())
        .where(Expense.category_id == ExpenseCategory.id, Expense.reversed_at.is_(None))
        .scalar_subquery()
    )
    recurring = (
        select(func.count())
        .where(
            RecurringExpense.category_id == ExpenseCategory.id,
            RecurringExpense.stopped_at.is_(None),
        )
        .scalar_subquery()
    )
    query = select(ExpenseCategory, used, recurring).order_by(
        ExpenseCategory.code.is_(None), ExpenseCategory.id
    )
    return (await session.execute(query)).all()


async def category(session: AsyncSession, category_id: int) -> ExpenseCategory | None:
    return await session.get(ExpenseCategory, category_id)


async def category_for_update(session: AsyncSession, category_id: int) -> ExpenseCategory | None:
    query = select(ExpenseCategory).where(ExpenseCategory.id == category_id).with_for_update()
    return await session.scalar(query)


async def name_key_holder(session: AsyncSession, key: str) -> int | None:
    """The id of the category whose name folds to `key`, if any."""
    return await session.scalar(select(ExpenseCategory.id).where(ExpenseCategory.name_key == key))


async def add_category(session: AsyncSession, name: str, key: str, now: datetime) -> int:
    row = ExpenseCategory(name=name, name_key=key, created_at=now)
    session.add(row)
    await session.flush()
    return row.id


async def expense_count(session: AsyncSession, category_id: int) -> int:
    """Every expense of the category, reversed ones too (they keep it from being deleted)."""
    query = select(func.count()).where(Expense.category_id == category_id)
    recurring = select(func.count()).where(RecurringExpense.category_id == category_id)
    return int(await session.scalar(query) or 0) + int(await session.scalar(recurring) or 0)


async def active_recurring_count(session: AsyncSession, category_id: int) -> int:
    query = select(func.count()).where(
        RecurringExpense.category_id == category_id, RecurringExpense.stopped_at.is_(None)
    )
    return int(await session.scalar(query) or 0)


async def delete_category(session: AsyncSession, row: ExpenseCategory) -> None:
    await session.delete(row)
    await session.flush()


# --- expenses -------------------------------------------------------------------------------


async def insert_expense(session: AsyncSession, values: dict[str, Any]) -> int:
    row = Expense(**values)
    session.add(row)
    await session.flush()
    return row.id


async def expense(session: AsyncSession, expense_id: int) -> Row[Any] | None:
    """(expense, its category) or None."""
    query = (
        select(Expense, ExpenseCategory)
        .join(ExpenseCategory, ExpenseCategory.id == Expense.category_id)
        .where(Expense.id == expense_id)
    )
    return (await session.execute(query)).one_or_none()


async def expenses_between(
    session: AsyncSession, first: date, last: date, offset: int, limit: int
) -> tuple[Sequence[Row[Any]], int]:
    """(expense, category) spent in [first, last], newest day first (reversed ones too),
    one page of them, and how many there are."""
    where = (Expense.spent_on >= first, Expense.spent_on <= last)
    total = int(await session.scalar(select(func.count()).where(*where)) or 0)
    query = (
        select(Expense, ExpenseCategory)
        .join(ExpenseCategory, ExpenseCategory.id == Expense.category_id)
        .where(*where)
        .order_by(Expense.spent_on.desc(), Expense.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return (await session.execute(query)).all(), total


async def total_between(session: AsyncSession, first: date, last: date) -> int:
    """The sum of the expenses not reversed spent in [first, last]."""
    query = select(func.coalesce(func.sum(Expense.amount), 0)).where(
        Expense.spent_on >= first, Expense.spent_on <= last, Expense.reversed_at.is_(None)
    )
    return int(await session.scalar(query) or 0)


async def mark_reversed(
    session: AsyncSession, expense_id: int, actor_id: int | None, reason: str, now: datetime
) -> Row[Any] | None:
    """(amount, category_id) of the expense if this call reversed it; None otherwise."""
    statement = (
        update(Expense)
        .where(Expense.id == expense_id, Expense.reversed_at.is_(None))
        .values(reversed_at=now, reversed_by_id=actor_id, reversal_reason=reason)
        .returning(Expense.amount, Expense.category_id)
    )
    return (await session.execute(statement)).one_or_none()


# --- recurring expenses ---------------------------------------------------------------------


async def insert_recurring(session: AsyncSession, values: dict[str, Any]) -> int:
    row = RecurringExpense(**values)
    session.add(row)
    await session.flush()
    return row.id


async def recurring(session: AsyncSession, recurring_id: int) -> Row[Any] | None:
    """(recurring expense, its category) or None."""
    query = (
        select(RecurringExpense, ExpenseCategory)
        .join(ExpenseCategory, ExpenseCategory.id == RecurringExpense.category_id)
        .where(RecurringExpense.id == recurring_id)
    )
    return (await session.execute(query)).one_or_none()


async def recurring_list(
    session: AsyncSession, offset: int, limit: int
) -> tuple[Sequence[Row[Any]], int]:
    """(recurring expense, category) of those not stopped, oldest first, and their count."""
    where = (RecurringExpense.stopped_at.is_(None),)
    total = int(await session.scalar(select(func.count()).where(*where)) or 0)
    query = (
        select(RecurringExpense, ExpenseCategory)
        .join(ExpenseCategory, ExpenseCategory.id == RecurringExpense.category_id)
        .where(*where)
        .order_by(RecurringExpense.id)
        .offset(offset)
        .limit(limit)
    )
    return (await session.execute(query)).all(), total


async def due_recurring(session: AsyncSession, today: date) -> Sequence[RecurringExpense]:
    """The recurring expenses not stopped that have begun and not ended by `today`'s month."""
    query = (
        select(RecurringExpense)
        .where(
            RecurringExpense.stopped_at.is_(None),
            RecurringExpense.starts_on <= today,
            or_(
                RecurringExpense.ends_on.is_(None), RecurringExpense.ends_on >= today.replace(day=1)
            ),
        )
        .order_by(RecurringExpense.id)
    )
    return (await session.scalars(query)).all()


async def generated_periods(session: AsyncSession, recurring_ids: Sequence[int]) -> set[tuple]:
    """(recurring_id, period) of the expenses made already for these recurring expenses."""
    if not recurring_ids:
        return set()
    query = select(Expense.recurring_id, Expense.period).where(
        Expense.recurring_id.in_(list(recurring_ids))
    )
    return {(row[0], row[1]) for row in (await session.execute(query)).all()}


async def insert_generated(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> list[tuple[int, int]]:
    """Insert the month's expenses of recurring ones, skipping any (recurring_id, period)
    that exists (another run got there first): (id, amount) of the rows this call inserted."""
    if not rows:
        return []
    insert = insert_for(session)
    statement = (
        insert(Expense)
        .values(list(rows))
        .on_conflict_do_nothing(index_elements=[Expense.recurring_id, Expense.period])
        .returning(Expense.id, Expense.amount)
    )
    return [(row[0], int(row[1])) for row in (await session.execute(statement)).all()]


async def stop_recurring(
    session: AsyncSession, recurring_id: int, actor_id: int | None, now: datetime
) -> bool:
    statement = (
        update(RecurringExpense)
        .where(RecurringExpense.id == recurring_id, RecurringExpense.stopped_at.is_(None))
        .values(stopped_at=now, stopped_by_id=actor_id)
        .returning(RecurringExpense.id)
    )
    return (await session.execute(statement)).one_or_none() is not None
