"""The profit report's queries of expenses and groups (the cash comes from
db.repositories.reports, the teachers' pay from db.repositories.payroll). Never commits.

Months are the centre's calendar months: an expense's day is a centre date, so a month is a
range of dates and a CASE over the months' first days puts each expense in its month."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Charge, Course, Enrolment, Expense, ExpenseCategory, Group


def _live(first_day: date, last_day: date) -> tuple[Any, ...]:
    """Expenses spent in [first_day, last_day] and not reversed (a reversed one counts nowhere)."""
    return (
        Expense.spent_on >= first_day,
        Expense.spent_on <= last_day,
        Expense.reversed_at.is_(None),
    )


async def expenses_by_month(
    session: AsyncSession, months: Sequence[date], first_day: date, last_day: date
) -> Sequence[Row[Any]]:
    """(month index, amount) of the expenses of [first_day, last_day]; `months`: the first
    days of the months the range touches, in order."""
    whens = [
        (Expense.spent_on < month, number - 1) for number, month in enumerate(months) if number
    ]
    index = case(*whens, else_=len(months) - 1) if whens else literal(0)
    spent = (
        select(index.label("month"), Expense.amount).where(*_live(first_day, last_day)).subquery()
    )  # grouped outside: PostgreSQL would not match a CASE of parameters to its own GROUP BY
    query = select(spent.c.month, func.sum(spent.c.amount)).group_by(spent.c.month)
    return (await session.execute(query)).all()


async def expenses_by_category(
    session: AsyncSession, first_day: date, last_day: date
) -> Sequence[Row[Any]]:
    """(category id, code, name, amount) of the expenses of [first_day, last_day]."""
    query = (
        select(
            ExpenseCategory.id,
            ExpenseCategory.code,
            ExpenseCategory.name,
            func.sum(Expense.amount),
        )
        .join(ExpenseCategory, ExpenseCategory.id == Expense.category_id)
        .where(*_live(first_day, last_day))
        .group_by(ExpenseCategory.id, ExpenseCategory.code, ExpenseCategory.name)
    )
    return (await session.execute(query)).all()


async def courses_of_groups(
    session: AsyncSession, group_ids: Sequence[int]
) -> dict[int, tuple[int, str]]:
    """{group id: (course id, course name)} of these groups."""
    if not group_ids:
        return {}
    query = (
        select(Group.id, Course.id, Course.name)
        .join(Course, Course.id == Group.course_id)
        .where(Group.id.in_(list(group_ids)))
    )
    return {group: (course, name) for group, course, name in (await session.execute(query)).all()}


async def charged_by_course(
    session: AsyncSession, first_month: date, last_day: date
) -> Sequence[Row[Any]]:
    """(course id, amount): the charges not cancelled for the months from first_month to
    last_day, by their group's course (finance's "charged" per course)."""
    query = (
        select(Course.id, func.sum(Charge.amount))
        .select_from(Charge)
        .join(Enrolment, Enrolment.id == Charge.enrolment_id)
        .join(Group, Group.id == Enrolment.group_id)
        .join(Course, Course.id == Group.course_id)
        .where(
            Charge.period >= first_month,
            Charge.period <= last_day,
            Charge.cancelled_at.is_(None),
            Charge.amount > 0,
        )
        .group_by(Course.id)
    )
    return (await session.execute(query)).all()
