"""The profit and loss report: money in less money out, month by month, for the whole centre.

* collected, reversed and refunded: finance's figures (payments received in the period,
  centre time; a reversal counts when it is made; refunds when paid back), so the two reports
  agree to the so'm; income = collected − reversed − refunded;
* payroll: the approved payslips of the months the period touches (a payslip is for a month,
  as a charge is: a range from 15 March counts March's), from the payroll
  (`approved_pay_by_month_and_group`) — never an expense, so teacher pay counts once;
* expenses: those spent in the period (the centre's days), not reversed, by category;
* profit = income − payroll − expenses (negative: a loss);
* per course: the margin of its groups, revenue (finance's "charged" of its groups for the
  period's months) less its teachers' pay for those groups; pay tied to no group (a fixed
  monthly amount, a bonus) is a line of its own, so the lines add up to the payroll.

The report is the centre's: expenses belong to no course, group or teacher, so it has no
filter (its menu goes from the period straight to the report).
"""

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.reports import finance
from bot.services.reports.period import Period, month_start, next_month
from bot.services.reports.scope import Scope
from db.repositories import payroll as payroll_repo
from db.repositories import report_profit as repo
from db.repositories import report_totals as totals
from db.repositories import reports as reports_repo


@dataclass(frozen=True, slots=True)
class Figures:
    collected: int = 0
    reversed: int = 0
    refunded: int = 0
    payroll: int = 0
    expenses: int = 0

    @property
    def income(self) -> int:
        return self.collected - self.reversed - self.refunded

    @property
    def costs(self) -> int:
        return self.payroll + self.expenses

    @property
    def profit(self) -> int:
        return self.income - self.costs

    @property
    def margin(self) -> float | None:
        """Profit ÷ income, None when nothing came in."""
        return None if self.income <= 0 else self.profit / self.income

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(
            self.collected + other.collected,
            self.reversed + other.reversed,
            self.refunded + other.refunded,
            self.payroll + other.payroll,
            self.expenses + other.expenses,
        )


@dataclass(frozen=True, slots=True)
class ProfitMonth:
    month: date
    figures: Figures


@dataclass(frozen=True, slots=True)
class CategoryLine:
    """An expense category's total (code: a built-in's key; name: the centre's name)."""

    id: int
    code: str | None
    name: str | None
    amount: int


@dataclass(frozen=True, slots=True)
class CourseMargin:
    """A course's line (id None: teachers' pay tied to no group)."""

    id: int | None
    name: str | None
    revenue: int
    pay: int
    # of the revenue, what was paid by the period's end: read only for the spreadsheet
    # (`with_paid`), as it goes through every owner's ledger (finance's breakdowns)
    paid: int | None = None

    @property
    def margin(self) -> int:
        return self.revenue - self.pay


@dataclass(frozen=True, slots=True)
class ProfitReport:
    period: Period
    scope: Scope
    months: list[ProfitMonth]
    categories: list[CategoryLine]  # most spent first
    courses: list[CourseMargin]  # most revenue first, the line of no group last

    @property
    def total(self) -> Figures:
        return sum((row.figures for row in self.months), Figures())

    @property
    def is_empty(self) -> bool:
        total = self.total
        return not (total.collected or total.reversed or total.refunded or total.costs)


def chart_buckets(months: list[ProfitMonth], most: int = 12) -> list[list[ProfitMonth]]:
    """The months in at most `most` bars (as finance's chart)."""
    size = max(1, -(-len(months) // most))
    return [months[index : index + size] for index in range(0, len(months), size)]


def total_of(months: list[ProfitMonth]) -> Figures:
    return sum((row.figures for row in months), Figures())


async def build(session: AsyncSession, period: Period, scope: Scope, tz: ZoneInfo) -> ProfitReport:
    months = period.months()
    centre = Scope()  # expenses and pay are the centre's: the report has no filter
    cash: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    from_totals = await totals.usable(session, tz)
    for kind, index, _method, amount in await finance.cash_by_month(
        session, period, centre.filters(), tz, from_totals
    ):
        cash[index][kind] += int(amount)

    first_month, after = month_start(period.start), next_month(month_start(period.end))
    payroll = await payroll_repo.approved_pay_by_month_and_group(session, first_month, after)
    pay_by_month: dict[date, int] = defaultdict(int)
    pay_by_group: dict[int | None, int] = defaultdict(int)
    for month, group_id, amount in payroll:
        pay_by_month[month] += int(amount)
        pay_by_group[group_id] += int(amount)

    spent = dict(await repo.expenses_by_month(session, months, period.start, period.end))
    month_rows = [
        ProfitMonth(
            month,
            Figures(
                collected=cash[index]["paid"],
                reversed=cash[index]["reversed"],
                refunded=cash[index]["refunded"],
                payroll=pay_by_month.get(month, 0),
                expenses=int(spent.get(index, 0)),
            ),
        )
        for index, month in enumerate(months)
    ]
    categories = [
        CategoryLine(category_id, code, name, int(amount))
        for category_id, code, name, amount in await repo.expenses_by_category(
            session, period.start, period.end
        )
    ]
    categories.sort(key=lambda line: (-line.amount, line.id))
    courses = await _margins(session, period, from_totals, pay_by_group)
    return ProfitReport(period, scope, month_rows, categories, courses)


async def with_paid(session: AsyncSession, report: ProfitReport, tz: ZoneInfo) -> ProfitReport:
    """The report with what was paid of each course's revenue (the spreadsheet's column)."""
    shares = await finance.shares(session, "course", report.period, Scope(), tz)
    paid = {share.id: share.paid for share in shares if share.id is not None}
    courses = [
        replace(line, paid=paid.get(line.id, 0) if line.id is not None else 0)
        for line in report.courses
    ]
    return replace(report, courses=courses)


async def _revenue_by_course(
    session: AsyncSession, period: Period, from_totals: bool
) -> dict[int, int]:
    """{course id: finance's "charged" of its groups for the period's months}."""
    first_month, centre = month_start(period.start), Scope().filters()
    if from_totals:
        found = await totals.charged_by(session, "course", first_month, period.end, centre)
    else:
        found = {
            course_id: int(amount)
            for course_id, amount in await repo.charged_by_course(session, first_month, period.end)
        }
    return {course_id: amount for course_id, amount in found.items() if course_id is not None}


async def _margins(
    session: AsyncSession, period: Period, from_totals: bool, pay_by_group: dict[int | None, int]
) -> list[CourseMargin]:
    revenue = await _revenue_by_course(session, period, from_totals)
    course_of = await repo.courses_of_groups(
        session, [group for group in pay_by_group if group is not None]
    )
    pay: dict[int, int] = defaultdict(int)
    names = await reports_repo.names(session, "course", list(revenue))
    unattached = pay_by_group.get(None, 0)
    for group_id, amount in pay_by_group.items():
        if group_id is None:
            continue
        found = course_of.get(group_id)
        if found is None:  # a group deleted since: its pay is kept, tied to no course
            unattached += amount
            continue
        course_id, name = found
        pay[course_id] += amount
        names.setdefault(course_id, name)
    lines = [
        CourseMargin(
            id=course_id,
            name=names.get(course_id),
            revenue=revenue.get(course_id, 0),
            pay=pay.get(course_id, 0),
        )
        for course_id in revenue.keys() | pay.keys()
    ]
    lines.sort(key=lambda line: (-line.revenue, -line.pay, line.name or "", line.id or 0))
    if unattached:
        lines.append(CourseMargin(id=None, name=None, revenue=0, pay=unattached))
    return lines
