"""The reports' reads of the maintained totals (db.report_totals). Never commits.

A report asks `usable` first: the totals count the days and months of one time zone, and
are read only for that one (else the report reads the rows, as before the totals).
"""

from collections.abc import Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from db import report_totals
from db.models import CashDayTotal, ChargeMonthTotal, Group, ReportTotalsState
from db.repositories.reports import ScopeFilter, _group_conditions


async def usable(session: AsyncSession, tz: ZoneInfo) -> bool:
    zone = await session.scalar(
        select(ReportTotalsState.value).where(ReportTotalsState.key == report_totals.ZONE_KEY)
    )
    return (zone or report_totals.DEFAULT_ZONE) == tz.key


class _MonthNumber(FunctionElement[int]):
    """year × 12 + month of a date column: a month's index in one subtraction per row,
    where a CASE over the months costs a comparison per month (24 for two years) — the
    most of a two-year report's time on SQLite."""

    type = Integer()
    inherit_cache = True


@compiles(_MonthNumber, "sqlite")
def _sqlite_month_number(element: _MonthNumber, compiler: Any, **kw: Any) -> str:
    # dates are stored as 'YYYY-MM-DD'; substr is several times cheaper than strftime
    day = compiler.process(element.clauses, **kw)
    return f"(CAST(substr({day}, 1, 4) AS INTEGER) * 12 + CAST(substr({day}, 6, 2) AS INTEGER))"


@compiles(_MonthNumber)
def _month_number(element: _MonthNumber, compiler: Any, **kw: Any) -> str:
    day = compiler.process(element.clauses, **kw)
    return (
        f"(CAST(EXTRACT(YEAR FROM {day}) AS INTEGER) * 12"
        f" + CAST(EXTRACT(MONTH FROM {day}) AS INTEGER))"
    )


def month_index(column: Any, months: Sequence[date]) -> Any:
    """The index in `months` (first days of consecutive months, in order) of the month a
    date falls in; the caller keeps the dates within those months."""
    first = months[0]
    return _MonthNumber(column) - (first.year * 12 + first.month)


async def cash_by_month(
    session: AsyncSession, months: Sequence[date], first_day: date, last_day: date
) -> Sequence[Row[Any]]:
    """(kind, month index, method, amount) of the centre's days first_day..last_day, as
    reports.cash_by_month counts them from the payments and refunds."""
    days = (
        select(
            CashDayTotal.kind.label("kind"),
            month_index(CashDayTotal.day, months).label("month"),
            CashDayTotal.method.label("method"),
            CashDayTotal.amount.label("amount"),
        )
        .where(CashDayTotal.day >= first_day, CashDayTotal.day <= last_day)
        .subquery()
    )  # grouped outside: PostgreSQL would not match an expression of parameters to its GROUP BY
    query = select(days.c.kind, days.c.month, days.c.method, func.sum(days.c.amount)).group_by(
        days.c.kind, days.c.month, days.c.method
    )
    return (await session.execute(query)).all()


def _charges(first_month: date, last_day: date, scope: ScopeFilter) -> Any:
    query = select().select_from(ChargeMonthTotal)
    if not scope.is_centre:
        query = query.join(Group, Group.id == ChargeMonthTotal.group_id).where(
            *_group_conditions(scope)
        )
    return query.where(ChargeMonthTotal.period >= first_month, ChargeMonthTotal.period <= last_day)


async def charged_by_month(
    session: AsyncSession, first_month: date, last_day: date, scope: ScopeFilter
) -> Sequence[Row[Any]]:
    """(month, amount): reports.charged_by_month from the totals."""
    query = (
        _charges(first_month, last_day, scope)
        .add_columns(ChargeMonthTotal.period, func.sum(ChargeMonthTotal.amount))
        .group_by(ChargeMonthTotal.period)
    )
    return (await session.execute(query)).all()


DIMENSIONS = {"course": Group.course_id, "group": Group.id, "teacher": Group.teacher_id}


async def charged_by(
    session: AsyncSession, dimension: str, first_month: date, last_day: date, scope: ScopeFilter
) -> dict[int | None, int]:
    """{course, group or teacher id: charged} for the months first_month..last_day (None:
    the charges of no group, or of groups without a teacher) — finance's "charged" of its
    breakdowns, from the totals."""
    key = DIMENSIONS[dimension]
    query = _charges(first_month, last_day, scope)
    if scope.is_centre:
        query = query.outerjoin(Group, Group.id == ChargeMonthTotal.group_id)
    query = query.add_columns(key, func.sum(ChargeMonthTotal.amount)).group_by(key)
    return {row_key: int(amount) for row_key, amount in await session.execute(query) if amount}
