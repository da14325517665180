"""Words every report uses: its period, its filter, the first rows of its sheets."""

from datetime import date
from html import escape

from babel.dates import format_date as babel_date
from babel.numbers import format_percent

from bot.formatting import babel_locale, format_date
from bot.i18n import _
from bot.services.reports.period import Period, PeriodKind
from bot.services.reports.scope import Scope, ScopeKind
from keyboards.reports import ATTENDANCE, FINANCE, LEADS, PROFIT, RETENTION, TEACHERS


def report_title(report: str) -> str:
    """The report's heading; a new report adds its own here and in keyboards.reports."""
    return {
        FINANCE: _("💰 <b>Finance</b>"),
        ATTENDANCE: _("📋 <b>Attendance</b>"),
        RETENTION: _("🔁 <b>Retention</b>"),
        TEACHERS: _("🧑‍🏫 <b>Teachers</b>"),
        LEADS: _("🧲 <b>Leads</b>"),
        PROFIT: _("📈 <b>Profit and loss</b>"),
    }[report]


def month_label(month: date, with_year: bool = True) -> str:
    pattern = "LLLL y" if with_year else "LLLL"
    return babel_date(month, pattern, locale=babel_locale())


def months_label(first: date, last: date, with_year: bool) -> str:
    """A bar's months: one month, or the first and the last of several (`Jan–Mar 27`)."""
    if first == last:
        return month_label(first, with_year)
    locale = babel_locale()
    return "{}–{}".format(
        babel_date(first, "LLL", locale=locale), babel_date(last, "LLL yy", locale=locale)
    )


def rate_text(rate: float | None) -> str:
    return "—" if rate is None else format_percent(rate, "#,##0.0%", locale=babel_locale())


def summary_head(heading: str, scope: Scope, scope_name: str | None) -> list[str]:
    """A summary's first lines: the report and period (`heading`), the filter (a course's,
    group's or teacher's name, escaped: the summary is HTML), a blank."""
    return [heading, _("🎯 {scope}").format(scope=escape(scope_label(scope, scope_name))), ""]


def period_label(period: Period) -> str:
    if period.kind is PeriodKind.MONTH:
        return month_label(period.start)
    if period.kind is PeriodKind.YEAR:
        return _("year {year}").format(year=period.start.year)
    return _("{start} – {end}").format(start=format_date(period.start), end=format_date(period.end))


def scope_label(scope: Scope, name: str | None) -> str:
    if scope.kind is ScopeKind.CENTRE:
        return _("the whole centre")
    return {
        ScopeKind.COURSE: _("course {name}"),
        ScopeKind.GROUP: _("group {name}"),
        ScopeKind.TEACHER: _("teacher {name}"),
    }[scope.kind].format(name=name or "—")


def intro_rows(
    report: str, period: Period, scope: Scope, name: str | None
) -> list[tuple[str, str]]:
    return [
        (_("Report"), report),
        (_("Period"), period_label(period)),
        (_("Filter"), scope_label(scope, name)),
    ]


def empty_chart_text() -> str:
    return _("No data for this period")


def menu_text() -> str:
    return "\n".join([_("📊 <b>Reports</b>"), "", _("Choose a report.")])


def periods_text(report_title: str) -> str:
    return "\n".join([report_title, "", _("Choose the period.")])


def months_text(report_title: str) -> str:
    return "\n".join([report_title, "", _("Choose the month.")])


def scopes_text(report_title: str, period: Period) -> str:
    return "\n".join(
        [
            report_title,
            _("📅 {period}").format(period=period_label(period)),
            "",
            _("For the whole centre, or for one course, group or teacher?"),
        ]
    )


def choices_text(report_title: str, period: Period, kind: ScopeKind, empty: bool) -> str:
    if empty:
        what = {
            ScopeKind.COURSE: _("There are no courses yet."),
            ScopeKind.GROUP: _("There are no groups yet."),
            ScopeKind.TEACHER: _("There are no teachers yet."),
        }[kind]
    else:
        what = {
            ScopeKind.COURSE: _("Choose the course."),
            ScopeKind.GROUP: _("Choose the group."),
            ScopeKind.TEACHER: _("Choose the teacher."),
        }[kind]
    return "\n".join([report_title, _("📅 {period}").format(period=period_label(period)), "", what])
