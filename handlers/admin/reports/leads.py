"""The leads report in the reader's words: the summary, the funnel chart and the sheets."""

from html import escape

from babel.numbers import format_decimal

from bot.formatting import babel_locale
from bot.i18n import _
from bot.services.reports.chart import BarChart, Series
from bot.services.reports.leads import LeadsReport, Line
from bot.services.reports.workbook import Column, Kind, Sheet
from db.models import LeadStatus
from handlers.admin.reports.common import (
    empty_chart_text,
    intro_rows,
    period_label,
    scope_label,
    summary_head,
)
from handlers.admin.reports.finance import rate_text
from keyboards.labels import lead_status_labels

SUMMARY_LINES = 5  # sources and courses named in the summary, the biggest first


def count_text(value: float) -> str:
    return format_decimal(round(value), "#,##0", locale=babel_locale())


def days_text(days: float | None) -> str:
    return "—" if days is None else format_decimal(days, "#,##0.0", locale=babel_locale())


def stage_labels() -> dict[LeadStatus, str]:
    return {
        LeadStatus.NEW: _("New leads"),
        LeadStatus.CONTACTED: _("Contacted"),
        LeadStatus.TRIAL: _("Trial lesson"),
        LeadStatus.ENROLLED: _("Enrolled"),
        LeadStatus.LOST: _("Lost"),
    }


def source_label(source: str | None) -> str:
    return {"bot": _("Telegram bot (/apply)")}.get(source or "", source or "—")


def source_line_label(line: Line) -> str:
    return source_label(line.key if isinstance(line.key, str) else None)


def course_label(line: Line) -> str:
    return line.name if line.key is not None and line.name else _("not sure yet")


def _top(lines: list[Line], label) -> list[str]:
    shown = [
        _("  · {name}: {new} → 🎓 {enrolled}").format(
            name=escape(label(line)),
            new=count_text(line.stages.new),
            enrolled=count_text(line.stages.enrolled),
        )
        for line in lines[:SUMMARY_LINES]
    ]
    if len(lines) > SUMMARY_LINES:
        shown.append(_("  · …and {more} more").format(more=len(lines) - SUMMARY_LINES))
    return shown


def summary_text(report: LeadsReport, scope_name: str | None) -> str:
    total, timing = report.total, report.time_to_enrol
    heading = _("🧲 <b>Leads</b> · {period}").format(period=period_label(report.period))
    lines = summary_head(heading, report.scope, scope_name)
    if not total.new:
        lines += [_("ℹ️ No new leads in this period."), ""]
    lines.append(_("New leads: <b>{count}</b>").format(count=count_text(total.new)))
    if total.new:
        lines += [_("By source:"), *_top(report.by_source, source_line_label)]
        lines += [_("By course:"), *_top(report.by_course, course_label)]
        lines += ["", _("Funnel (of the period's leads, by now):")]
        icons = {
            LeadStatus.CONTACTED: "📞",
            LeadStatus.TRIAL: "🧪",
            LeadStatus.ENROLLED: "🎓",
            LeadStatus.LOST: "❌",
        }
        for stage, count, of_before, _of_new in total.funnel()[1:]:
            lines.append(
                _("{icon} {stage}: {count} ({rate})").format(
                    icon=icons[stage],
                    stage=stage_labels()[stage],
                    count=count_text(count),
                    rate=rate_text(of_before),
                )
            )
        lines += [
            _("⏳ Still open: {count}").format(count=count_text(total.still_open)),
            _("Conversion (enrolled ÷ new): <b>{rate}</b>").format(
                rate=rate_text(total.conversion)
            ),
        ]
    lines += [
        "",
        _("⏱ Enrolled in the period: <b>{count}</b>").format(count=count_text(timing.enrolled)),
    ]
    if timing.enrolled:
        lines.append(
            _("Days from request to enrolment: median <b>{median}</b>, average {average}").format(
                median=days_text(timing.median_days), average=days_text(timing.average_days)
            )
        )
    return "\n".join(lines)


def chart(report: LeadsReport, scope_name: str | None) -> BarChart:
    funnel = report.total.funnel()
    return BarChart(
        title=_("Leads · {period} · {scope}").format(
            period=period_label(report.period), scope=scope_label(report.scope, scope_name)
        ),
        categories=[stage_labels()[stage] for stage, *_rest in funnel],
        series=[Series(_("Leads"), [count for _stage, count, *_rest in funnel])],
        axis_label=_("leads"),
        empty_text=empty_chart_text(),
        number=count_text,
        horizontal=True,
    )


def _stage_columns() -> list[Column]:
    return [
        Column(_("New leads"), Kind.NUMBER, 12),
        Column(_("Contacted"), Kind.NUMBER, 12),
        Column(_("Trial lesson"), Kind.NUMBER, 12),
        Column(_("Enrolled"), Kind.NUMBER, 12),
        Column(_("Lost"), Kind.NUMBER, 12),
        Column(_("Conversion"), Kind.RATE, 12, ratio_of=(4, 1)),
    ]


def _lines_sheet(title: str, name_title: str, lines: list[Line], label, intro) -> Sheet:
    return Sheet(
        title=title,
        intro=intro,
        columns=[Column(name_title, width=32), *_stage_columns()],
        rows=[
            (
                label(line),
                line.stages.new,
                line.stages.contacted,
                line.stages.trial,
                line.stages.enrolled,
                line.stages.lost,
                line.stages.conversion,
            )
            for line in lines
        ],
        totals_label=_("Total"),
    )


def _leads_sheet(report: LeadsReport, intro) -> Sheet:
    statuses = lead_status_labels()
    notes = []
    if not report.listed_all:
        notes.append(_("Only the first {count} leads are listed.").format(count=len(report.leads)))
    return Sheet(
        title=_("Leads"),
        intro=intro,
        columns=[
            Column("#", Kind.TEXT, 8),
            Column(_("Name"), width=28),
            Column(_("Course"), width=24),
            Column(_("Source"), width=20),
            Column(_("Status"), width=18),
            Column(_("Request sent"), Kind.DATE, 14),
            Column(_("Contacted"), Kind.DATE, 14),
            Column(_("Trial lesson"), Kind.DATE, 14),
            Column(_("Enrolled"), Kind.DATE, 14),
            Column(_("Lost"), Kind.DATE, 14),
            Column(_("Days to enrol"), Kind.DECIMAL, 14),
        ],
        rows=[
            (
                lead.id,
                lead.name,
                lead.course or _("not sure yet"),
                source_label(lead.source),
                statuses[lead.status],
                lead.created_on,
                lead.contacted_on,
                lead.trial_on,
                lead.enrolled_on,
                lead.lost_on,
                lead.days_to_enrol,
            )
            for lead in report.leads
        ],
        notes=notes,
    )


def sheets(report: LeadsReport, scope_name: str | None) -> list[Sheet]:
    intro = intro_rows(_("Leads"), report.period, report.scope, scope_name)
    total, timing = report.total, report.time_to_enrol
    labels = stage_labels()
    summary = Sheet(
        title=_("Summary"),
        intro=[
            *intro,
            (_("Conversion (enrolled ÷ new)"), rate_text(total.conversion)),
            (_("Median days to enrol"), days_text(timing.median_days)),
            (_("Average days to enrol"), days_text(timing.average_days)),
        ],
        columns=[Column(_("Figure"), width=34), Column(_("Leads"), Kind.NUMBER, 14)],
        rows=[
            *((labels[stage], count) for stage, count, *_rest in total.funnel()),
            (_("Still open"), total.still_open),
            (_("Enrolled in the period"), timing.enrolled),
        ],
    )
    funnel = Sheet(
        title=_("Funnel"),
        intro=intro,
        columns=[
            Column(_("Stage"), width=24),
            Column(_("Leads"), Kind.NUMBER, 12),
            Column(_("Of the stage before"), Kind.RATE, 18),
            Column(_("Of new leads"), Kind.RATE, 16),
        ],
        rows=[
            (labels[stage], count, of_before, of_new)
            for stage, count, of_before, of_new in total.funnel()
        ],
        notes=[_("A stage counts the leads that reached it or a later one; lost is of new.")],
    )
    return [
        summary,
        _lines_sheet(_("By source"), _("Source"), report.by_source, source_line_label, intro),
        _lines_sheet(_("By course"), _("Course"), report.by_course, course_label, intro),
        funnel,
        _leads_sheet(report, intro),
    ]
