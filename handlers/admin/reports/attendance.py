"""The attendance report in the reader's words: the summary, the chart and the sheets."""

from babel.numbers import format_decimal

from bot.formatting import babel_locale
from bot.i18n import _
from bot.services.reports.attendance import (
    MOST_ABSENT,
    AttendanceReport,
    Line,
    Tally,
    TeacherLessons,
    chart_buckets,
    total_of,
)
from bot.services.reports.chart import MAX_BARS, BarChart, Series
from bot.services.reports.workbook import Column, Kind, Sheet
from db.models import AttendanceStatus
from handlers.admin.reports.common import (
    empty_chart_text,
    intro_rows,
    months_label,
    period_label,
    rate_text,
    scope_label,
    summary_head,
)
from keyboards.labels import attendance_labels

# bottom to top in the chart; the order of the columns in the sheets
ORDER = (
    AttendanceStatus.PRESENT,
    AttendanceStatus.LATE,
    AttendanceStatus.EXCUSED,
    AttendanceStatus.ABSENT,
)
COLOURS = {
    AttendanceStatus.PRESENT: "#2E7D32",
    AttendanceStatus.LATE: "#F9A825",
    AttendanceStatus.EXCUSED: "#1565C0",
    AttendanceStatus.ABSENT: "#C62828",
}
NAME_MAX = 16  # a group's name under its bar
ABSENT_LISTED = 100  # the ranking's length in the spreadsheet (all are in By student)


def status_titles() -> dict[AttendanceStatus, str]:
    return {
        AttendanceStatus.PRESENT: _("Present"),
        AttendanceStatus.LATE: _("Late"),
        AttendanceStatus.EXCUSED: _("Excused"),
        AttendanceStatus.ABSENT: _("Absent"),
    }


def _name(name: str | None) -> str:
    return name or "—"


def _short(name: str | None) -> str:
    text = _name(name)
    return text if len(text) <= NAME_MAX else text[: NAME_MAX - 1] + "…"


# --- the summary ----------------------------------------------------------------------------


def summary_text(report: AttendanceReport, scope_name: str | None) -> str:
    total = report.total
    heading = _("📋 <b>Attendance</b> · {period}").format(period=period_label(report.period))
    lines = summary_head(heading, report.scope, scope_name)
    if report.is_empty:
        lines += [_("ℹ️ No lessons were held or marked in this period."), ""]
    lines.append(_("Marks: <b>{count}</b>").format(count=total.marks))
    labels = attendance_labels()
    for status in ORDER:
        lines.append(
            _("{status}: <b>{rate}</b> ({count})").format(
                status=labels[status], rate=rate_text(total.rate(status)), count=total.count(status)
            )
        )
    lines += [
        "",
        _("Lessons held: <b>{held}</b>, not marked: <b>{not_marked}</b>").format(
            held=report.held, not_marked=report.not_marked_count
        ),
        *_not_marked_lines(report.lessons),
        *_absent_lines(report.most_absent[:MOST_ABSENT]),
    ]
    return "\n".join(lines)


def _not_marked_lines(lessons: list[TeacherLessons]) -> list[str]:
    late = [line for line in lessons if line.not_marked]
    if not late:
        return []
    return [
        _("Not marked, by teacher:"),
        *(
            _("  · {teacher}: {not_marked} of {held}").format(
                teacher=_name(line.name), not_marked=line.not_marked, held=line.held
            )
            for line in late
        ),
    ]


def _absent_lines(students: list[Line]) -> list[str]:
    if not students:
        return []
    return [
        "",
        _("Most absences:"),
        *(
            _("{place}. {student}: {absent} of {marks}").format(
                place=place,
                student=_name(line.name),
                absent=line.tally.absent,
                marks=line.tally.marks,
            )
            for place, line in enumerate(students, start=1)
        ),
    ]


# --- the chart ------------------------------------------------------------------------------


def _bars(report: AttendanceReport) -> tuple[list[str], list[Tally], int]:
    """(categories, tallies, rotation): a bar a month, or a bar a group (the groups with
    the most marks) when the period is within one month."""
    if len(report.months) == 1:
        groups = report.by_group[:MAX_BARS]
        names = [_short(line.name) for line in groups]
        return names, [line.tally for line in groups], 30
    buckets = chart_buckets(report.months, MAX_BARS)
    with_year = len({row.month.year for row in report.months}) > 1
    categories = [months_label(bucket[0].month, bucket[-1].month, with_year) for bucket in buckets]
    return categories, [total_of([row.tally for row in bucket]) for bucket in buckets], 0


def chart(report: AttendanceReport, scope_name: str | None) -> BarChart:
    categories, tallies, rotation = _bars(report)
    locale = babel_locale()
    titles = status_titles()
    return BarChart(
        title=_("Attendance · {period} · {scope}").format(
            period=period_label(report.period), scope=scope_label(report.scope, scope_name)
        ),
        categories=categories,
        series=[
            Series(
                titles[status],
                [100 * (tally.rate(status) or 0) for tally in tallies],
                colour=COLOURS[status],
            )
            for status in ORDER
        ],
        axis_label=_("Share of marks (%)"),
        empty_text=empty_chart_text(),
        number=lambda value: format_decimal(round(value), "#,##0", locale=locale),
        stacked=True,
        label_rotation=rotation,
    )


# --- the sheets -----------------------------------------------------------------------------


def _tally_columns(first: int) -> list[Column]:
    """Marks, a count per status, a rate per status; `first`: the index of Marks."""
    titles = status_titles()
    counts = [Column(titles[status], Kind.NUMBER, 11) for status in ORDER]
    rates = [
        Column(
            _("{status}, %").format(status=titles[status]),
            Kind.PERCENT,
            12,
            ratio_of=(first + 1 + index, first),
        )
        for index, status in enumerate(ORDER)
    ]
    return [Column(_("Marks"), Kind.NUMBER, 10), *counts, *rates]


def _tally_values(tally: Tally) -> list[float | int | None]:
    return [
        tally.marks,
        *(tally.count(status) for status in ORDER),
        *(tally.rate(status) for status in ORDER),
    ]


def _lines_sheet(title: str, name_title: str, lines: list[Line], intro, course: bool) -> Sheet:
    names = [Column(name_title, width=30)]
    if course:
        names.append(Column(_("Course"), width=22))
    return Sheet(
        title=title,
        intro=intro,
        columns=[*names, *_tally_columns(len(names))],
        rows=[
            (
                _name(line.name),
                *((_name(line.course),) if course else ()),
                *_tally_values(line.tally),
            )
            for line in lines
        ],
        totals_label=_("Total"),
    )


def _teachers_sheet(report: AttendanceReport, intro) -> Sheet:
    """Each teacher's marks beside their lessons held and not marked (a teacher who marked
    nothing is listed too)."""
    lessons = {line.id: line for line in report.lessons}
    marks = {line.id: line for line in report.by_teacher}
    keys = [*marks, *(key for key in lessons if key not in marks)]
    rows = []
    for key in keys:
        held, line = lessons.get(key), marks.get(key)
        rows.append(
            (
                _name(line.name if line else held.name if held else None),
                held.held if held else 0,
                held.not_marked if held else 0,
                *_tally_values(line.tally if line else Tally()),
            )
        )
    columns = [
        Column(_("Teacher"), width=30),
        Column(_("Lessons held"), Kind.NUMBER, 14),
        Column(_("Not marked"), Kind.NUMBER, 14),
        *_tally_columns(3),
    ]
    return Sheet(_("By teacher"), intro, columns, rows, totals_label=_("Total"))


def _most_absent_sheet(report: AttendanceReport, intro) -> Sheet:
    columns = [
        Column("#", Kind.NUMBER, 6),
        Column(_("Student"), width=30),
        Column(_("Absent"), Kind.NUMBER, 11),
        Column(_("Excused"), Kind.NUMBER, 11),
        Column(_("Marks"), Kind.NUMBER, 10),
        Column(
            _("{status}, %").format(status=status_titles()[AttendanceStatus.ABSENT]),
            Kind.PERCENT,
            12,
            ratio_of=(2, 4),
        ),
    ]
    rows = [
        (
            place,
            _name(line.name),
            line.tally.absent,
            line.tally.excused,
            line.tally.marks,
            line.tally.rate(AttendanceStatus.ABSENT),
        )
        for place, line in enumerate(report.most_absent[:ABSENT_LISTED], start=1)
    ]
    notes = []
    if len(report.most_absent) > ABSENT_LISTED:
        notes.append(
            _(
                "The {count} with the most absences; every student is on the sheet “{sheet}”."
            ).format(count=ABSENT_LISTED, sheet=_("By student"))
        )
    return Sheet(_("Most absences"), intro, columns, rows, notes=notes)


def _not_marked_sheet(report: AttendanceReport, intro) -> Sheet:
    columns = [
        Column(_("Lesson"), Kind.DATETIME, 18),
        Column(_("Group"), width=24),
        Column(_("Course"), width=22),
        Column(_("Teacher"), width=30),
    ]
    rows = [
        (lesson.starts_at.replace(tzinfo=None), lesson.group, lesson.course, _name(lesson.teacher))
        for lesson in report.not_marked
    ]
    return Sheet(_("Not marked"), intro, columns, rows)


def sheets(report: AttendanceReport, scope_name: str | None) -> list[Sheet]:
    intro = intro_rows(_("Attendance"), report.period, report.scope, scope_name)
    total = report.total
    titles = status_titles()
    summary = Sheet(
        title=_("Summary"),
        intro=[
            *intro,
            (_("Lessons held"), str(report.held)),
            (_("Not marked"), str(report.not_marked_count)),
        ],
        columns=[
            Column(_("Status"), width=24),
            Column(_("Marks"), Kind.NUMBER, 12),
            Column(_("Share"), Kind.RATE, 12),
        ],
        rows=[(titles[status], total.count(status), total.rate(status)) for status in ORDER],
        totals_label=_("Total"),
    )
    return [
        summary,
        _lines_sheet(_("By group"), _("Group"), report.by_group, intro, course=True),
        _teachers_sheet(report, intro),
        _lines_sheet(_("By student"), _("Student"), report.by_student, intro, course=False),
        _most_absent_sheet(report, intro),
        _not_marked_sheet(report, intro),
    ]
