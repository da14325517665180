"""The teachers report in the reader's words: the summary, the chart and the sheets."""

from html import escape

from babel.numbers import format_decimal

from bot.formatting import babel_locale, format_money
from bot.i18n import _
from bot.services.reports.chart import MAX_BARS, Panel, PanelChart, Series
from bot.services.reports.teachers import TeacherLine, TeachersReport
from bot.services.reports.workbook import Column, Kind, Sheet
from handlers.admin.reports.common import (
    empty_chart_text,
    intro_rows,
    month_label,
    period_label,
    scope_label,
    summary_head,
)
from handlers.admin.reports.finance import rate_text

SUMMARY_LINES = 10  # teachers named in the message; all of them are in the spreadsheet
NAME_CHARS = 24  # a name on the chart's axis


def number_text(value: float) -> str:
    return format_decimal(round(value), "#,##0", locale=babel_locale())


def _line(line: TeacherLine) -> str:
    text = _("· {name}: lessons {lessons} · students {students} · attendance {rate} · {revenue}")
    return text.format(
        name=escape(line.name),
        lessons=number_text(line.lessons.held),
        students=number_text(line.students),
        rate=rate_text(line.lessons.rate),
        revenue=format_money(line.revenue),
    )


def summary_text(report: TeachersReport, scope_name: str | None) -> str:
    lessons = report.lessons
    heading = _("🧑‍🏫 <b>Teachers</b> · {period}").format(period=period_label(report.period))
    lines = summary_head(heading, report.scope, scope_name)
    if report.is_empty:
        lines += [_("ℹ️ No lessons were held and nothing was charged in this period."), ""]
    lines += [
        _("Teachers: <b>{count}</b>").format(count=number_text(len(report.teachers))),
        _("Lessons held: <b>{count}</b>").format(count=number_text(lessons.held)),
        _("Students taught: <b>{count}</b>").format(count=number_text(report.students)),
        _("Attendance: <b>{rate}</b>").format(rate=rate_text(lessons.rate)),
        _("Revenue of their groups: <b>{amount}</b>").format(amount=format_money(report.revenue)),
    ]
    shown = [line for line in report.teachers if line.lessons.held or line.revenue]
    if shown:
        lines += ["", *(_line(line) for line in shown[:SUMMARY_LINES])]
    if len(shown) > SUMMARY_LINES:
        lines.append(
            _("… and {count} more in the spreadsheet.").format(count=len(shown) - SUMMARY_LINES)
        )
    return "\n".join(lines)


def _short(name: str) -> str:
    return name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "…"


def chart(report: TeachersReport, scope_name: str | None) -> PanelChart:
    top = [line for line in report.teachers if line.lessons.held or line.revenue][:MAX_BARS]
    return PanelChart(
        title=_("Teachers · {period} · {scope}").format(
            period=period_label(report.period), scope=scope_label(report.scope, scope_name)
        ),
        categories=[_short(line.name) for line in top],
        panels=[
            Panel(Series(_("Lessons held"), [line.lessons.held for line in top]), number_text),
            Panel(
                Series(_("Revenue, soʻm"), [line.revenue for line in top]),
                number_text,
            ),
        ],
        empty_text=empty_chart_text(),
    )


def sheets(report: TeachersReport, scope_name: str | None) -> list[Sheet]:
    intro = intro_rows(_("Teachers"), report.period, report.scope, scope_name)
    lessons = report.lessons
    summary = Sheet(
        title=_("Summary"),
        intro=intro,
        columns=[
            Column(_("Teachers"), Kind.NUMBER, 12),
            Column(_("Lessons held"), Kind.NUMBER, 14),
            Column(_("Students taught"), Kind.NUMBER, 16),
            Column(_("Attendance marks"), Kind.NUMBER, 12),
            Column(_("Present or late"), Kind.NUMBER, 16),
            Column(_("Attendance rate"), Kind.RATE, 16),
            Column(_("Revenue"), Kind.MONEY, 20),
        ],
        rows=[
            (
                len(report.teachers),
                lessons.held,
                report.students,
                lessons.marked,
                lessons.attended,
                lessons.rate,
                report.revenue,
            )
        ],
    )
    teachers = Sheet(
        title=_("Teachers"),
        intro=intro,
        columns=[
            Column(_("Teacher"), width=32),
            Column(_("Lessons held"), Kind.NUMBER, 14),
            Column(_("Students taught"), Kind.NUMBER, 16, total=report.students),
            Column(_("Attendance marks"), Kind.NUMBER, 12),
            Column(_("Present or late"), Kind.NUMBER, 16),
            Column(_("Attendance rate"), Kind.RATE, 16, ratio_of=(4, 3)),
            Column(_("Revenue"), Kind.MONEY, 20),
        ],
        rows=[
            (
                line.name,
                line.lessons.held,
                line.students,
                line.lessons.marked,
                line.lessons.attended,
                line.lessons.rate,
                line.revenue,
            )
            for line in report.teachers
        ],
        totals_label=_("Total"),
        notes=[_("A student taught by two teachers counts once in the total.")],
    )
    with_year = len({month.year for month in report.period.months()}) > 1
    by_month = Sheet(
        title=_("Lessons"),
        intro=intro,
        columns=[
            Column(_("Teacher"), width=32),
            Column(_("Month"), width=16),
            Column(_("Lessons held"), Kind.NUMBER, 14),
            Column(_("Attendance marks"), Kind.NUMBER, 12),
            Column(_("Present or late"), Kind.NUMBER, 16),
            Column(_("Attendance rate"), Kind.RATE, 16, ratio_of=(4, 3)),
        ],
        rows=[
            (
                line.name,
                month_label(row.month, with_year),
                row.lessons.held,
                row.lessons.marked,
                row.lessons.attended,
                row.lessons.rate,
            )
            for line in report.teachers
            for row in line.months
        ],
        totals_label=_("Total"),
    )
    return [summary, teachers, by_month]
