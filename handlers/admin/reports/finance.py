"""The finance report in the reader's words: the summary, the chart and the sheets."""

from babel.numbers import format_decimal

from bot.formatting import babel_locale, format_date, format_money
from bot.i18n import _
from bot.services.reports.chart import BarChart, Series
from bot.services.reports.finance import FinanceReport, Month, Share, chart_buckets, total_of
from bot.services.reports.workbook import Column, Kind, Sheet
from handlers.admin.reports.common import (
    empty_chart_text,
    intro_rows,
    month_label,
    months_label,
    period_label,
    rate_text,
    scope_label,
    summary_head,
)
from keyboards.labels import method_label


def summary_text(report: FinanceReport, scope_name: str | None) -> str:
    total = report.total
    heading = _("💰 <b>Finance</b> · {period}").format(period=period_label(report.period))
    lines = summary_head(heading, report.scope, scope_name)
    if report.is_empty:
        lines += [_("ℹ️ Nothing was charged, paid or refunded in this period."), ""]
    lines += [
        _("Charged: <b>{amount}</b>").format(amount=format_money(total.charged)),
        _("Collected: <b>{amount}</b>").format(amount=format_money(total.collected)),
    ]
    for method, amount in total.by_method.items():
        if amount:
            lines.append(f"  · {method_label(method)}: {format_money(amount)}")
    lines += [
        _("Reversed: {amount}").format(amount=format_money(total.reversed)),
        _("Refunded: {amount}").format(amount=format_money(total.refunded)),
        _("Net: <b>{amount}</b>").format(amount=format_money(total.net)),
        "",
        _("Debt on {date}: <b>{amount}</b>").format(
            date=format_date(report.period.end), amount=format_money(report.debt)
        ),
        _("Collection rate: <b>{rate}</b>").format(rate=rate_text(total.collection_rate)),
    ]
    return "\n".join(lines)


def _bucket_label(months: list[Month], with_year: bool) -> str:
    return months_label(months[0].month, months[-1].month, with_year)


def chart(report: FinanceReport, scope_name: str | None) -> BarChart:
    buckets = chart_buckets(report.months)
    with_year = len({row.month.year for row in report.months}) > 1
    totals = [total_of(bucket) for bucket in buckets]
    locale = babel_locale()
    return BarChart(
        title=_("Finance · {period} · {scope}").format(
            period=period_label(report.period), scope=scope_label(report.scope, scope_name)
        ),
        categories=[_bucket_label(bucket, with_year) for bucket in buckets],
        series=[
            Series(_("Charged"), [money.charged for money in totals]),
            Series(_("Collected"), [money.collected for money in totals]),
            Series(_("Net"), [money.net for money in totals]),
        ],
        axis_label=_("soʻm"),
        empty_text=empty_chart_text(),
        number=lambda value: format_decimal(round(value), "#,##0", locale=locale),
    )


def _shares_sheet(title: str, name_title: str, shares: list[Share], intro) -> Sheet:
    return Sheet(
        title=title,
        intro=intro,
        columns=[
            Column(name_title, width=32),
            Column(_("Charged"), Kind.MONEY, 18),
            Column(_("Paid of it"), Kind.MONEY, 18),
            Column(_("Unpaid of it"), Kind.MONEY, 18),
            Column(_("Debt at the end"), Kind.MONEY, 18),
            Column(_("Collection rate"), Kind.RATE, 14, ratio_of=(2, 1)),
        ],
        rows=[
            (
                share.name or "—",
                share.charged,
                share.paid,
                share.unpaid,
                share.debt,
                share.collection_rate,
            )
            for share in shares
        ],
        totals_label=_("Total"),
    )


def sheets(report: FinanceReport, scope_name: str | None) -> list[Sheet]:
    intro = intro_rows(_("Finance"), report.period, report.scope, scope_name)
    total = report.total
    methods = list(total.by_method)
    with_year = len({row.month.year for row in report.months}) > 1
    summary = Sheet(
        title=_("Summary"),
        intro=[*intro, (_("Collection rate"), rate_text(total.collection_rate))],
        columns=[Column(_("Figure"), width=34), Column(_("Amount"), Kind.MONEY, 20)],
        rows=[
            (_("Charged"), total.charged),
            (_("Collected"), total.collected),
            *((f"  {method_label(method)}", total.by_method[method]) for method in methods),
            (_("Reversed"), total.reversed),
            (_("Refunded"), total.refunded),
            (_("Net"), total.net),
            (_("Debt on {date}").format(date=format_date(report.period.end)), report.debt),
        ],
    )
    by_month = Sheet(
        title=_("By month"),
        intro=intro,
        columns=[
            Column(_("Month"), width=16),
            Column(_("Charged"), Kind.MONEY, 16),
            Column(_("Collected"), Kind.MONEY, 16),
            *(Column(method_label(method), Kind.MONEY, 14) for method in methods),
            Column(_("Reversed"), Kind.MONEY, 14),
            Column(_("Refunded"), Kind.MONEY, 14),
            Column(_("Net"), Kind.MONEY, 16),
        ],
        rows=[
            (
                month_label(row.month, with_year),
                row.money.charged,
                row.money.collected,
                *(row.money.by_method[method] for method in methods),
                row.money.reversed,
                row.money.refunded,
                row.money.net,
            )
            for row in report.months
        ],
        totals_label=_("Total"),
    )
    return [
        summary,
        by_month,
        _shares_sheet(_("By course"), _("Course"), report.by_course, intro),
        _shares_sheet(_("By group"), _("Group"), report.by_group, intro),
        _shares_sheet(_("By teacher"), _("Teacher"), report.by_teacher, intro),
    ]
