"""The retention report in the reader's words: the summary, the chart and the sheets."""

from babel.numbers import format_decimal

from bot.formatting import babel_locale
from bot.i18n import _
from bot.services.reports.chart import BarChart, RateLine, Series
from bot.services.reports.finance import chart_buckets
from bot.services.reports.retention import CourseLine, Month, RetentionReport, churn
from bot.services.reports.workbook import Column, Kind, Sheet
from db.models import LeaveReason
from handlers.admin.reports.common import (
    empty_chart_text,
    intro_rows,
    month_label,
    months_label,
    period_label,
    scope_label,
    summary_head,
)
from handlers.admin.reports.finance import rate_text
from keyboards.labels import leave_reason_labels


def reason_label(reason: LeaveReason | None) -> str:
    return reason_labels()[reason]


def reason_labels() -> dict[LeaveReason | None, str]:
    """Every reason's label, None's (not recorded) too: looked up once for the thousands of
    leavers' rows, not translated again for each."""
    return {**leave_reason_labels(), None: _("not recorded")}


def _reasons(report: RetentionReport) -> list[tuple[LeaveReason | None, int]]:
    """The reasons in the labels' order, not recorded last; only those given."""
    order = [*LeaveReason, None]
    return [(reason, report.reasons[reason]) for reason in order if report.reasons.get(reason)]


def summary_text(report: RetentionReport, scope_name: str | None) -> str:
    total = report.total
    heading = _("🔁 <b>Retention</b> · {period}").format(period=period_label(report.period))
    lines = summary_head(heading, report.scope, scope_name)
    if report.is_empty:
        lines += [_("ℹ️ No student was studying, joined or left in this period."), ""]
    lines += [
        _("Active at the start: <b>{count}</b> (frozen: {frozen})").format(
            count=total.active_start, frozen=total.frozen_start
        ),
        _("Joined: <b>{count}</b>").format(count=total.joined),
        _("Left: <b>{count}</b>").format(count=total.left),
    ]
    lines += [f"  · {reason_label(reason)}: {count}" for reason, count in _reasons(report)]
    lines += [
        _("Froze: {count}").format(count=total.froze),
        _("Active at the end: <b>{count}</b> (frozen: {frozen})").format(
            count=total.active_end, frozen=total.frozen_end
        ),
        "",
        _("Churn rate: <b>{rate}</b>").format(rate=rate_text(total.churn_rate)),
    ]
    return "\n".join(lines)


def chart(report: RetentionReport, scope_name: str | None) -> BarChart:
    buckets = chart_buckets(report.months)
    with_year = len({row.month.year for row in report.months}) > 1
    joined = [sum(row.figures.joined for row in bucket) for bucket in buckets]
    left = [sum(row.figures.left for row in bucket) for bucket in buckets]
    locale = babel_locale()
    return BarChart(
        title=_("Retention · {period} · {scope}").format(
            period=period_label(report.period), scope=scope_label(report.scope, scope_name)
        ),
        categories=[
            months_label(bucket[0].month, bucket[-1].month, with_year) for bucket in buckets
        ],
        series=[Series(_("Joined"), joined), Series(_("Left"), left)],
        axis_label=_("students"),
        empty_text=empty_chart_text(),
        number=lambda value: format_decimal(round(value), "#,##0", locale=locale),
        rate=RateLine(
            _("Churn rate"),
            [
                churn(gone, bucket[0].figures.active_start)
                for gone, bucket in zip(left, buckets, strict=True)
            ],
        ),
    )


def _count_columns(first: str) -> list[Column]:
    return [
        Column(first, width=28),
        Column(_("Active at the start"), Kind.NUMBER, 16, summed=False),
        Column(_("Joined"), Kind.NUMBER, 12),
        Column(_("Left"), Kind.NUMBER, 12),
        Column(_("Froze"), Kind.NUMBER, 12),
        Column(_("Active at the end"), Kind.NUMBER, 16, summed=False),
        Column(_("Churn rate"), Kind.RATE, 14),
    ]


def _count_row(name: str, row: Month | CourseLine) -> tuple:
    figures = row.figures
    return (
        name,
        figures.active_start,
        figures.joined,
        figures.left,
        figures.froze,
        figures.active_end,
        figures.churn_rate,
    )


def sheets(report: RetentionReport, scope_name: str | None) -> list[Sheet]:
    intro = intro_rows(_("Retention"), report.period, report.scope, scope_name)
    total = report.total
    with_year = len({row.month.year for row in report.months}) > 1
    summary = Sheet(
        title=_("Summary"),
        intro=[*intro, (_("Churn rate"), rate_text(total.churn_rate))],
        columns=[Column(_("Figure"), width=34), Column(_("Students"), Kind.NUMBER, 14)],
        rows=[
            (_("Active at the start"), total.active_start),
            (_("Frozen at the start"), total.frozen_start),
            (_("Joined"), total.joined),
            (_("Left"), total.left),
            *((f"  {reason_label(reason)}", count) for reason, count in _reasons(report)),
            (_("Froze"), total.froze),
            (_("Active at the end"), total.active_end),
            (_("Frozen at the end"), total.frozen_end),
        ],
    )
    by_month = Sheet(
        title=_("By month"),
        intro=intro,
        columns=_count_columns(_("Month")),
        rows=[_count_row(month_label(row.month, with_year), row) for row in report.months],
        totals_label=_("Total"),
    )
    by_course = Sheet(
        title=_("By course"),
        intro=intro,
        columns=_count_columns(_("Course")),
        rows=[_count_row(line.name, line) for line in report.by_course],
    )
    labels = reason_labels()
    leavers = Sheet(
        title=_("Leavers"),
        intro=intro,
        columns=[
            Column(_("Student"), width=30),
            Column(_("Group"), width=20),
            Column(_("Course"), width=24),
            Column(_("Left on"), Kind.DATE, 14),
            Column(_("Reason"), width=26),
        ],
        rows=[
            (item.student, item.group, item.course, item.day, labels[item.reason])
            for item in report.leavers
        ],
    )
    return [summary, by_month, by_course, leavers]
