"""The finance report: what was charged, collected, reversed and refunded in a period.

* charged: the charges (not cancelled) for the months the period touches (a charge is for
  a month: a range from 15 March counts March's charges);
* collected: payments received in the period (centre time), by method; a payment reversed
  later still counts as collected when it came, and its reversal counts when it is made;
* net = collected − reversals − refunds;
* debt at the period's end: what every student owed at the end of its last day, for
  charges up to then, after their credit then;
* collection rate = (collected − reversals) ÷ charged, None when nothing was charged.

The same figures month by month, and per course, group and teacher: there the period's
charges, what is left unpaid of them at the period's end (each student's credit covers
their oldest charges first) and the debt then. With a filter, payments, reversals and
refunds are those of the students enrolled in its groups at some time in the period.

`summary` counts what the summary message and the chart show: for the whole centre the
debt comes from the maintained balances (see reports.centre_debt_from_balances) and the
breakdowns are left out; `with_breakdowns` adds them, for the spreadsheet. A filter's
debt is its groups' lines added up, so a filtered summary has them at once (they read only
the ledger of its students). `build` is the two.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.reports.period import Period, month_start
from bot.services.reports.scope import Scope
from db.models import PaymentMethod
from db.repositories import report_totals as totals
from db.repositories import reports as repo

METHODS = tuple(PaymentMethod)


@dataclass(frozen=True, slots=True)
class Money:
    """One period's (or one month's) figures."""

    charged: int = 0
    collected: int = 0
    by_method: dict[PaymentMethod, int] = field(default_factory=dict)
    reversed: int = 0
    refunded: int = 0

    @property
    def net(self) -> int:
        return self.collected - self.reversed - self.refunded

    @property
    def collection_rate(self) -> float | None:
        if self.charged <= 0:
            return None
        return (self.collected - self.reversed) / self.charged


@dataclass(frozen=True, slots=True)
class Month:
    month: date
    money: Money


@dataclass(frozen=True, slots=True)
class Share:
    """A course's, group's or teacher's line (id None: no group / no teacher)."""

    id: int | None
    name: str | None
    charged: int
    unpaid: int
    debt: int

    @property
    def paid(self) -> int:
        return self.charged - self.unpaid

    @property
    def collection_rate(self) -> float | None:
        return None if self.charged <= 0 else self.paid / self.charged


@dataclass(frozen=True, slots=True)
class Breakdowns:
    by_course: list[Share]
    by_group: list[Share]
    by_teacher: list[Share]


@dataclass(frozen=True, slots=True)
class FinanceReport:
    period: Period
    scope: Scope
    total: Money
    debt: int
    months: list[Month]
    breakdowns: Breakdowns | None = None  # None: a summary's (see with_breakdowns)

    @property
    def by_course(self) -> list[Share]:
        return self._breakdowns().by_course

    @property
    def by_group(self) -> list[Share]:
        return self._breakdowns().by_group

    @property
    def by_teacher(self) -> list[Share]:
        return self._breakdowns().by_teacher

    def _breakdowns(self) -> Breakdowns:
        if self.breakdowns is None:
            raise LookupError("a summary's report: its breakdowns are in with_breakdowns")
        return self.breakdowns

    @property
    def is_empty(self) -> bool:
        total = self.total
        return not (total.charged or total.collected or total.reversed or total.refunded)


def chart_buckets(months: list[Month], most: int = 12) -> list[list[Month]]:
    """The months in at most `most` bars: one a month, or n consecutive months a bar
    (37 months: 4 a bar, 10 bars)."""
    size = max(1, -(-len(months) // most))
    return [months[index : index + size] for index in range(0, len(months), size)]


def total_of(months: list[Month]) -> Money:
    return _sum(months)


def _add(figures: dict[str, int], key: str, amount: int) -> None:
    figures[key] = figures.get(key, 0) + amount


async def build(session: AsyncSession, period: Period, scope: Scope, tz: ZoneInfo) -> FinanceReport:
    return await with_breakdowns(session, await summary(session, period, scope, tz), tz)


async def summary(
    session: AsyncSession, period: Period, scope: Scope, tz: ZoneInfo
) -> FinanceReport:
    """The figures of the summary and the chart (a filter's breakdowns too: see above)."""
    months = period.months()
    bounds = period.month_bounds(tz)
    end = bounds[-1]  # the moment the period ends
    filters = scope.filters()
    first_month = month_start(period.start)

    from_totals = await totals.usable(session, tz)
    charged_by_month = totals.charged_by_month if from_totals else repo.charged_by_month
    charged = {
        row_month: int(amount)
        for row_month, amount in await charged_by_month(session, first_month, period.end, filters)
    }
    cash: dict[int, dict[str, int]] = defaultdict(dict)
    methods: dict[int, dict[PaymentMethod, int]] = defaultdict(dict)
    cash_rows = await cash_by_month(session, period, filters, tz, from_totals)
    for kind, index, method, amount in cash_rows:
        _add(cash[index], kind, int(amount))
        if kind == "paid":
            by_method = methods[index]
            by_method[PaymentMethod(method)] = by_method.get(PaymentMethod(method), 0) + int(amount)

    month_rows = [
        Month(month, _money(charged.get(month, 0), cash[index], methods[index]))
        for index, month in enumerate(months)
    ]
    if filters.is_centre:
        debt, breakdowns = await repo.centre_debt_from_balances(session, period.end, end), None
    else:  # a filter: the debt of its charges (its groups' lines add up to it)
        breakdowns = await _breakdowns(session, period, filters, end)
        debt = sum(share.debt for share in breakdowns.by_group)
    return FinanceReport(
        period=period,
        scope=scope,
        total=_sum(month_rows),
        debt=debt,
        months=month_rows,
        breakdowns=breakdowns,
    )


async def with_breakdowns(
    session: AsyncSession, report: FinanceReport, tz: ZoneInfo
) -> FinanceReport:
    """The report with its per course, group and teacher lines (the spreadsheet's)."""
    if report.breakdowns is not None:
        return report
    as_of = report.period.utc_bounds(tz)[1]
    breakdowns = await _breakdowns(session, report.period, report.scope.filters(), as_of)
    return replace(report, breakdowns=breakdowns)


async def _breakdowns(
    session: AsyncSession, period: Period, filters: repo.ScopeFilter, as_of: datetime
) -> Breakdowns:
    first_month = month_start(period.start)
    groups = await repo.breakdown_by_group(session, first_month, period.end, as_of, filters)
    shares = {}
    for dimension in repo.DIMENSIONS:
        shares[dimension] = await _shares(session, dimension, repo.by_dimension(groups, dimension))
    return Breakdowns(shares["course"], shares["group"], shares["teacher"])


async def cash_by_month(
    session: AsyncSession,
    period: Period,
    filters: repo.ScopeFilter,
    tz: ZoneInfo,
    from_totals: bool,
) -> Sequence[Row[Any]]:
    """(kind, month index, method, amount) of the period: the centre's from the day totals
    (`from_totals`: report_totals.usable), a filter's (its students' payments) from the rows."""
    if filters.is_centre and from_totals:
        return await totals.cash_by_month(session, period.months(), period.start, period.end)
    bounds = period.month_bounds(tz)
    return await repo.cash_by_month(session, bounds, filters, period.start, period.end)


def _money(charged: int, cash: dict[str, int], methods: dict[PaymentMethod, int]) -> Money:
    return Money(
        charged=charged,
        collected=cash.get("paid", 0),
        by_method={method: methods.get(method, 0) for method in METHODS},
        reversed=cash.get("reversed", 0),
        refunded=cash.get("refunded", 0),
    )


def _sum(months: list[Month]) -> Money:
    return Money(
        charged=sum(row.money.charged for row in months),
        collected=sum(row.money.collected for row in months),
        by_method={
            method: sum(row.money.by_method.get(method, 0) for row in months) for method in METHODS
        },
        reversed=sum(row.money.reversed for row in months),
        refunded=sum(row.money.refunded for row in months),
    )


async def shares(
    session: AsyncSession, dimension: str, period: Period, scope: Scope, tz: ZoneInfo
) -> list[Share]:
    """One breakdown of `build` alone ("course", "group" or "teacher"): for a report that
    shows finance's figures next to its own (the teachers report's revenue)."""
    as_of = period.utc_bounds(tz)[1]
    first_month = month_start(period.start)
    rows = await repo.breakdown(session, dimension, first_month, period.end, as_of, scope.filters())
    return await _shares(session, dimension, rows)


async def _shares(
    session: AsyncSession, dimension: str, rows: list[tuple[int | None, int, int, int]]
) -> list[Share]:
    named = await repo.names(session, dimension, [key for key, *_ in rows if key is not None])
    shares = [
        Share(key, named.get(key) if key is not None else None, int(c), int(u), int(d))
        for key, c, u, d in rows
        if c or d
    ]
    return sorted(shares, key=lambda share: (-share.charged, -share.debt, share.name or ""))
