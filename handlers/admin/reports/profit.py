"""The profit and loss report in the reader's words: the summary, the chart and the sheets."""

from html import escape

from babel.numbers import format_decimal

from bot.formatting import babel_locale, format_money
from bot.i18n import _
from bot.services.expenses import SALARIES
from bot.services.reports.chart import BarChart, Series
from bot.services.reports.profit import (
    CategoryLine,
    CourseMargin,
    ProfitMonth,
    ProfitReport,
    chart_buckets,
    total_of,
)
from bot.services.reports.workbook import Column, Kind, Sheet
from handlers.admin.reports.common import (
    empty_chart_text,
    intro_rows,
    month_label,
    months_label,
    period_label,
    rate_text,
    summary_head,
)
from keyboards.labels import category_name, expense_category_labels

SUMMARY_LINES = 5  # categories and courses named in the message; all are in the spreadsheet


def _category(line: CategoryLine) -> str:
    return category_name(line)


def _course(line: CourseMargin) -> str:
    return line.name if line.id is not None else _("Pay tied to no group")


def _signed(amount: int) -> str:
    return f"−{format_money(-amount)}" if amount < 0 else format_money(amount)


def summary_text(report: ProfitReport, scope_name: str | None) -> str:
    total = report.total
    heading = _("📈 <b>Profit and loss</b> · {period}").format(period=period_label(report.period))
    lines = summary_head(heading, report.scope, scope_name)
    if report.is_empty:
        lines += [_("ℹ️ Nothing came in or went out in this period."), ""]
    lines += [
        _("Collected: <b>{amount}</b>").format(amount=format_money(total.collected)),
        _("− Reversed: {amount}").format(amount=format_money(total.reversed)),
        _("− Refunds: {amount}").format(amount=format_money(total.refunded)),
        _("− Payroll (approved payslips): {amount}").format(amount=format_money(total.payroll)),
        _("− Expenses: {amount}").format(amount=format_money(total.expenses)),
    ]
    lines += [
        f"  · {escape(_category(line))}: {format_money(line.amount)}"
        for line in report.categories[:SUMMARY_LINES]
    ]
    if len(report.categories) > SUMMARY_LINES:
        lines.append(
            _("  … and {count} more in the spreadsheet.").format(
                count=len(report.categories) - SUMMARY_LINES
            )
        )
    label = _("Profit") if total.profit >= 0 else _("Loss")
    lines += [
        "",
        _("{label}: <b>{amount}</b>").format(label=label, amount=_signed(total.profit)),
        _("Margin: <b>{rate}</b>").format(rate=rate_text(total.margin)),
    ]
    courses = [line for line in report.courses if line.revenue or line.pay]
    if courses:
        lines += ["", _("📚 <b>Margin by course</b> (revenue − teachers' pay):")]
        lines += [
            _("· {course}: {revenue} − {pay} = {margin}").format(
                course=escape(_course(line)),
                revenue=format_money(line.revenue),
                pay=format_money(line.pay),
                margin=_signed(line.margin),
            )
            for line in courses[:SUMMARY_LINES]
        ]
        if len(courses) > SUMMARY_LINES:
            lines.append(
                _("… and {count} more in the spreadsheet.").format(
                    count=len(courses) - SUMMARY_LINES
                )
            )
    return "\n".join(lines)


def _bucket_label(months: list[ProfitMonth], with_year: bool) -> str:
    return months_label(months[0].month, months[-1].month, with_year)


def chart(report: ProfitReport, scope_name: str | None) -> BarChart:
    buckets = chart_buckets(report.months)
    with_year = len({row.month.year for row in report.months}) > 1
    totals = [total_of(bucket) for bucket in buckets]
    locale = babel_locale()
    return BarChart(
        title=_("Profit and loss · {period}").format(period=period_label(report.period)),
        categories=[_bucket_label(bucket, with_year) for bucket in buckets],
        series=[
            Series(_("Income"), [figures.income for figures in totals], "#1565C0"),
            Series(_("Payroll and expenses"), [figures.costs for figures in totals], "#C62828"),
            Series(_("Profit"), [figures.profit for figures in totals], "#2E7D32"),
        ],
        axis_label=_("soʻm"),
        empty_text=empty_chart_text(),
        number=lambda value: format_decimal(round(value), "#,##0", locale=locale),
    )


def sheets(report: ProfitReport, scope_name: str | None) -> list[Sheet]:
    intro = intro_rows(_("Profit and loss"), report.period, report.scope, scope_name)
    total = report.total
    with_year = len({row.month.year for row in report.months}) > 1
    summary = Sheet(
        title=_("Summary"),
        intro=[*intro, (_("Margin"), rate_text(total.margin))],
        columns=[Column(_("Figure"), width=36), Column(_("Amount"), Kind.MONEY, 20)],
        rows=[
            (_("Collected"), total.collected),
            (_("Reversed"), total.reversed),
            (_("Refunded"), total.refunded),
            (_("Income"), total.income),
            (_("Payroll (approved payslips)"), total.payroll),
            (_("Expenses"), total.expenses),
            (_("Profit"), total.profit),
        ],
    )
    by_month = Sheet(
        title=_("By month"),
        intro=intro,
        columns=[
            Column(_("Month"), width=16),
            Column(_("Collected"), Kind.MONEY, 16),
            Column(_("Reversed"), Kind.MONEY, 14),
            Column(_("Refunded"), Kind.MONEY, 14),
            Column(_("Income"), Kind.MONEY, 16),
            Column(_("Payroll"), Kind.MONEY, 16),
            Column(_("Expenses"), Kind.MONEY, 16),
            Column(_("Profit"), Kind.MONEY, 16),
        ],
        rows=[
            (
                month_label(row.month, with_year),
                row.figures.collected,
                row.figures.reversed,
                row.figures.refunded,
                row.figures.income,
                row.figures.payroll,
                row.figures.expenses,
                row.figures.profit,
            )
            for row in report.months
        ],
        totals_label=_("Total"),
    )
    salaries = expense_category_labels()[SALARIES]
    by_category = Sheet(
        title=_("Money out by category"),
        intro=intro,
        columns=[Column(_("Category"), width=32), Column(_("Amount"), Kind.MONEY, 20)],
        rows=[
            (salaries, total.payroll),
            *((_category(line), line.amount) for line in report.categories),
        ],
        totals_label=_("Total"),
        notes=[_("Salaries are the payroll's approved payslips; reversed expenses count nowhere.")],
    )
    by_course = Sheet(
        title=_("Margin by course"),
        intro=intro,
        columns=[
            Column(_("Course"), width=32),
            Column(_("Revenue (charged)"), Kind.MONEY, 18),
            Column(_("Paid of it"), Kind.MONEY, 18),
            Column(_("Teachers' pay"), Kind.MONEY, 18),
            Column(_("Margin"), Kind.MONEY, 18),
        ],
        rows=[
            (_course(line), line.revenue, line.paid, line.pay, line.margin)
            for line in report.courses
        ],
        totals_label=_("Total"),
        notes=[_("Revenue: the charges of the course's groups for the period's months.")],
    )
    return [summary, by_month, by_category, by_course]
