"""📊 Reports: the menu of reports, the period picker, the filter picker.

One CallbackData carries where the reader is: the report (`fin`), the period's token
(`m202612`, `y2026`, `r20260301-20260531`) and the filter's (`c`, `k12`, `g34`, `t56`),
so every press is answered from its own data (at most 46 bytes: Telegram allows 64).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import _
from bot.services.reports.catalogue import (
    ATTENDANCE,
    COUNTINGS,
    FINANCE,
    LEADS,
    PROFIT,
    RETENTION,
    TEACHERS,
)
from bot.services.reports.period import Period
from bot.services.reports.scope import Choices, ScopeKind
from keyboards.ids import Number
from keyboards.paging import page_row


class ReportCb(CallbackData, prefix="rp"):
    # menu, report (its periods), months, range, period (its filters), scopes (a list), run
    action: str
    report: str = ""
    period: str = ""
    scope: str = ""
    page: Number = 1


@dataclass(frozen=True, slots=True)
class ReportEntry:
    """A report of the menu: attendance, retention, leads, teachers and profit join FINANCE
    here."""

    key: str
    label: Callable[[], str]

    @property
    def scoped(self) -> bool:
        """False: the centre's only, no filter (its period runs it)."""
        return COUNTINGS[self.key].scoped


REPORTS = (
    ReportEntry(FINANCE, lambda: _("💰 Finance")),
    ReportEntry(ATTENDANCE, lambda: _("📋 Attendance")),
    ReportEntry(RETENTION, lambda: _("🔁 Retention")),
    ReportEntry(TEACHERS, lambda: _("🧑‍🏫 Teachers")),
    ReportEntry(LEADS, lambda: _("🧲 Leads")),
    ReportEntry(PROFIT, lambda: _("📈 Profit and loss")),
)
REPORT_KEYS = frozenset(entry.key for entry in REPORTS)
UNSCOPED = frozenset(entry.key for entry in REPORTS if not entry.scoped)


def is_scoped(report: str) -> bool:
    """Whether the report offers a filter (a course, a group, a teacher)."""
    return report not in UNSCOPED


def _button(text: str, **data: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=ReportCb(**data).pack())  # type: ignore[arg-type]


def reports_menu() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for entry in REPORTS:
        builder.row(_button(entry.label(), action="report", report=entry.key))
    return builder.as_markup()


def periods_keyboard(report: str, today: date) -> InlineKeyboardMarkup:
    this, last = Period.this_month(today), Period.last_month(today)
    year = Period.year(today.year)
    rows = [
        [
            _button(_("📅 This month"), action="period", report=report, period=this.token),
            _button(_("⏮ Last month"), action="period", report=report, period=last.token),
        ],
        [
            _button(_("🗓 This year"), action="period", report=report, period=year.token),
            _button(_("📆 Choose a month"), action="months", report=report),
        ],
        [_button(_("✍️ Dates of my own"), action="range", report=report)],
        [_button(_("⬅ Back"), action="menu")],
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def months_keyboard(
    report: str, months: Sequence[Period], label: Callable[[Period], str]
) -> InlineKeyboardMarkup:
    """The months to choose from, newest first, three a row."""
    buttons = [
        _button(label(month), action="period", report=report, period=month.token)
        for month in months
    ]
    rows = [buttons[index : index + 3] for index in range(0, len(buttons), 3)]
    rows.append([_button(_("⬅ Back"), action="report", report=report)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def scopes_keyboard(report: str, period: str) -> InlineKeyboardMarkup:
    """The filters; for a report without (the centre's only), the one button that runs it."""
    if not is_scoped(report):
        run = _button(
            _("📊 Make the report"), action="run", report=report, period=period, scope="c"
        )
        return InlineKeyboardMarkup(
            inline_keyboard=[[run], [_button(_("⬅ Back"), action="report", report=report)]]
        )

    def scope_button(text: str, kind: ScopeKind) -> InlineKeyboardButton:
        if kind is ScopeKind.CENTRE:
            return _button(text, action="run", report=report, period=period, scope=kind.value)
        return _button(text, action="scopes", report=report, period=period, scope=kind.value)

    rows = [
        [scope_button(_("🏫 The whole centre"), ScopeKind.CENTRE)],
        [
            scope_button(_("📚 A course"), ScopeKind.COURSE),
            scope_button(_("👥 A group"), ScopeKind.GROUP),
            scope_button(_("🧑‍🏫 A teacher"), ScopeKind.TEACHER),
        ],
        [_button(_("⬅ Back"), action="report", report=report)],
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def choices_keyboard(
    report: str, period: str, kind: ScopeKind, choices: Choices
) -> InlineKeyboardMarkup:
    """One page of courses, groups or teachers; a tap runs the report for it."""
    rows = [
        [
            _button(
                choice.name[:60],
                action="run",
                report=report,
                period=period,
                scope=f"{kind.value}{choice.id}",
            )
        ]
        for choice in choices.items
    ]
    paging = page_row(
        choices.page,
        choices.pages,
        lambda number: ReportCb(
            action="scopes", report=report, period=period, scope=kind.value, page=number
        ),
    )
    if paging:
        rows.append(paging)
    rows.append([_button(_("⬅ Back"), action="period", report=report, period=period)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def after_report_keyboard(report: str, period: str) -> InlineKeyboardMarkup:
    """Under a summary: another filter for the same period (a report that has filters), or
    another period."""
    row = [_button(_("📅 Another period"), action="report", report=report)]
    if is_scoped(report):
        row.insert(
            0, _button(_("🎯 Another filter"), action="period", report=report, period=period)
        )
    return InlineKeyboardMarkup(inline_keyboard=[row])
