"""📊 /reports (permission `reports`): the menu, the period, the filter, then the report.

A report comes as three messages: the summary in place of the picker, the chart (a PNG)
and the spreadsheet (an XLSX). Both files are drawn in a worker thread, so the bot keeps
answering while they render, with "sending a photo / a file" showing meanwhile. Every
button carries its report, period and filter, and is checked again when pressed: a forged
or damaged one gets the out-of-date answer, a filter deleted since gets its own.
"""

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import date
from html import escape
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.filters import Command
from aiogram.fsm.scene import ScenesManager
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n import _, current_language
from bot.services import worker
from bot.services.access import Actor
from bot.services.reports import catalogue
from bot.services.reports import scope as scope_service
from bot.services.reports.cache import (
    Clock,
    ReportCache,
    Stamp,
    as_of,
)
from bot.services.reports.chart import BarChart, PanelChart, render_png
from bot.services.reports.period import Period
from bot.services.reports.scope import Scope, ScopeKind
from bot.services.reports.workbook import Sheet, render_xlsx
from bot.telegram import edit_or_send
from bot.wording import scope_gone_text, stale_button_text
from db.base import utcnow
from handlers.admin.reports import attendance as attendance_view
from handlers.admin.reports import finance as finance_view
from handlers.admin.reports import leads as leads_view
from handlers.admin.reports import profit as profit_view
from handlers.admin.reports import retention as retention_view
from handlers.admin.reports import teachers as teachers_view
from handlers.admin.reports.common import (
    choices_text,
    menu_text,
    month_label,
    months_text,
    period_label,
    periods_text,
    report_title,
    scope_label,
    scopes_text,
)
from handlers.admin.reports.range_form import REPORTS, RangeData, RangeForm
from keyboards.reports import (
    ATTENDANCE,
    FINANCE,
    LEADS,
    PROFIT,
    RETENTION,
    TEACHERS,
    ReportCb,
    after_report_keyboard,
    choices_keyboard,
    is_scoped,
    months_keyboard,
    periods_keyboard,
    reports_menu,
    scopes_keyboard,
)
from keyboards.reports import REPORTS as REPORTS_MENU

CHOICES_PAGE = 10
MONTHS_OFFERED = 12


@dataclass(frozen=True, slots=True)
class ReportKind:
    """How one report is counted (bot.services.reports.catalogue) and shown in chat."""

    file_stem: str
    build: Callable[[AsyncSession, Period, Scope, ZoneInfo], Awaitable[Any]]
    summary: Callable[[Any, str | None], str]
    chart: Callable[[Any, str | None], BarChart | PanelChart]
    sheets: Callable[[Any, str | None], list[Sheet]]
    clock: Clock | None = None
    details: Callable[[AsyncSession, Any, ZoneInfo], Awaitable[Any]] | None = None
    label: Callable[[], str] = lambda: ""  # the menu's button (the Mini App's too)
    scoped: bool = True  # False: the centre's only, no filter

    @classmethod
    def of(cls, key: str, file_stem: str, view: ModuleType) -> "ReportKind":
        """A report whose words live in one module of handlers/admin/reports (`view`):
        its `summary_text`, `chart` and `sheets`."""
        counting = catalogue.COUNTINGS[key]
        return cls(
            file_stem,
            counting.build,
            view.summary_text,
            view.chart,
            view.sheets,
            clock=counting.clock,
            details=counting.details,
            label=next(entry.label for entry in REPORTS_MENU if entry.key == key),
            scoped=counting.scoped,
        )


KINDS = {
    FINANCE: ReportKind.of(FINANCE, "finance", finance_view),
    TEACHERS: ReportKind.of(TEACHERS, "teachers", teachers_view),
    LEADS: ReportKind.of(LEADS, "leads", leads_view),
    RETENTION: ReportKind.of(RETENTION, "retention", retention_view),
    ATTENDANCE: ReportKind.of(ATTENDANCE, "attendance", attendance_view),
    PROFIT: ReportKind.of(PROFIT, "profit", profit_view),
}


def today(settings: Settings) -> date:
    return utcnow().astimezone(settings.centre.tz).date()


def money_format() -> str:
    return '#,##0 "{unit}"'.format(unit=_("soʻm").replace('"', ""))


def recent_months(day: date) -> list[Period]:
    months, month = [], Period.this_month(day)
    for _step in range(MONTHS_OFFERED):
        months.append(month)
        month = Period.last_month(month.start)
    return months


async def show_menu(message: Message) -> None:
    worker.warm_up()  # the process that writes the spreadsheet, started while one is chosen
    await message.answer(menu_text(), reply_markup=reports_menu())


async def menu_pressed(callback: CallbackQuery) -> None:
    worker.warm_up()
    await edit_or_send(callback, menu_text(), reports_menu())
    await callback.answer()


async def report_pressed(
    callback: CallbackQuery, callback_data: ReportCb, settings: Settings
) -> None:
    kind = KINDS.get(callback_data.report)
    if kind is None:
        await callback.answer(stale_button_text())
        return
    markup = periods_keyboard(callback_data.report, today(settings))
    await edit_or_send(callback, periods_text(report_title(callback_data.report)), markup)
    await callback.answer()


async def months_pressed(
    callback: CallbackQuery, callback_data: ReportCb, settings: Settings
) -> None:
    kind = KINDS.get(callback_data.report)
    if kind is None:
        await callback.answer(stale_button_text())
        return
    months = recent_months(today(settings))
    markup = months_keyboard(callback_data.report, months, lambda p: month_label(p.start))
    await edit_or_send(callback, months_text(report_title(callback_data.report)), markup)
    await callback.answer()


async def range_pressed(
    callback: CallbackQuery, callback_data: ReportCb, scenes: ScenesManager
) -> None:
    if callback_data.report not in KINDS:
        await callback.answer(stale_button_text())
        return
    await RangeForm.open(scenes, RangeData(report=callback_data.report))


async def period_pressed(
    callback: CallbackQuery,
    callback_data: ReportCb,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    bot: Bot,
    report_cache: ReportCache,
) -> None:
    kind, period = KINDS.get(callback_data.report), Period.from_token(callback_data.period)
    if kind is None or period is None:
        await callback.answer(stale_button_text())
        return
    if not is_scoped(callback_data.report):  # the centre's report: the period runs it
        context = (session, settings, actor, bot, report_cache)
        await run_report(callback, callback_data.report, kind, period, Scope(), *context)
        return
    markup = scopes_keyboard(callback_data.report, period.token)
    await edit_or_send(callback, scopes_text(report_title(callback_data.report), period), markup)
    await callback.answer()


async def scopes_pressed(
    callback: CallbackQuery, callback_data: ReportCb, session: AsyncSession
) -> None:
    kind, period = KINDS.get(callback_data.report), Period.from_token(callback_data.period)
    scope_kind = next((k for k in ScopeKind if k.value == callback_data.scope), None)
    unscoped = not is_scoped(callback_data.report)
    if kind is None or period is None or scope_kind in (None, ScopeKind.CENTRE) or unscoped:
        await callback.answer(stale_button_text())
        return
    assert scope_kind is not None
    found = await scope_service.choices(session, scope_kind, callback_data.page, CHOICES_PAGE)
    text = choices_text(
        report_title(callback_data.report), period, scope_kind, empty=not found.items
    )
    markup = choices_keyboard(callback_data.report, period.token, scope_kind, found)
    await edit_or_send(callback, text, markup)
    await callback.answer()


async def run_pressed(
    callback: CallbackQuery,
    callback_data: ReportCb,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    bot: Bot,
    report_cache: ReportCache,
) -> None:
    kind, period = KINDS.get(callback_data.report), Period.from_token(callback_data.period)
    scope = Scope.from_token(callback_data.scope)
    if (
        kind is None
        or period is None
        or scope is None
        or (scope.id and not is_scoped(callback_data.report))
    ):
        await callback.answer(stale_button_text())
        return
    context = (session, settings, actor, bot, report_cache)
    await run_report(callback, callback_data.report, kind, period, scope, *context)


async def run_report(
    callback: CallbackQuery,
    key: str,
    kind: ReportKind,
    period: Period,
    scope: Scope,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    bot: Bot,
    report_cache: ReportCache,
) -> None:
    """The summary in place of the picker, then the chart and the spreadsheet."""
    resolved = await scope_service.resolve(session, scope)
    if resolved is None:
        await callback.answer(scope_gone_text(scope.kind), show_alert=True)
        return
    stamp = await report_cache.stamp(session)  # before the figures: see db.data_versions
    moment = as_of(kind.clock, period, utcnow(), settings.centre.tz)
    report = await report_cache.figures(
        stamp,
        key,
        period,
        scope,
        lambda: kind.build(session, period, scope, settings.centre.tz),
        moment,
    )
    await session.rollback()  # the reading is done: no transaction stays open across Telegram
    await callback.answer(_("⏳ Preparing the report…"))
    summary = kind.summary(report, resolved.name)
    markup = after_report_keyboard(key, period.token)
    await edit_or_send(callback, summary, markup)
    files = Files(
        report_cache,
        stamp,
        (key, period.token, scope.token, moment, current_language(), resolved.name),
    )
    await send_files(
        bot, actor.telegram_id, kind, report, period, resolved, files, session, settings
    )


async def send_files(
    bot: Bot,
    chat_id: int,
    kind: ReportKind,
    report: Any,
    period: Period,
    resolved: scope_service.Resolved,
    files: "Files",
    session: AsyncSession,
    settings: Settings,
) -> None:
    """The chart, then the spreadsheet, unless the cache has them: the words are put
    together here, in the reader's language; the chart is drawn in a thread (a tenth of a
    second or so), the spreadsheet — up to a line per student — in the worker process
    (bot.services.worker), so that writing it does not hold up everybody else's updates."""
    name = f"{kind.file_stem}-{period.token}-{resolved.scope.token}"
    caption = _("{period} · {scope}").format(
        period=period_label(period), scope=escape(scope_label(resolved.scope, resolved.name))
    )  # a caption is HTML too
    await bot.send_chat_action(chat_id, ChatAction.UPLOAD_PHOTO)
    png = await files.get_or_make(
        "png", lambda: asyncio.to_thread(render_png, kind.chart(report, resolved.name))
    )
    await bot.send_photo(chat_id, BufferedInputFile(png, f"{name}.png"), caption=caption)
    await bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)

    async def make_xlsx() -> bytes:
        detailed = report
        if kind.details is not None:  # what only the sheets show, read now (or never: cached)
            detailed = await kind.details(session, report, settings.centre.tz)
            await session.rollback()  # as after build: nothing stays open across Telegram
        sheets = kind.sheets(detailed, resolved.name)
        return await worker.run(render_xlsx, sheets, money_format())

    xlsx = await files.get_or_make("xlsx", make_xlsx)
    await bot.send_document(chat_id, BufferedInputFile(xlsx, f"{name}.xlsx"), caption=caption)


@dataclass(frozen=True, slots=True)
class Files:
    """A report's files in the cache: under the figures' stamp, per language and name."""

    cache: ReportCache
    stamp: Stamp
    key: tuple[Hashable, ...]

    async def get_or_make(self, what: str, make: Callable[[], Awaitable[bytes]]) -> bytes:
        return await self.cache.get_or_make(self.stamp, (what, *self.key), make)


def create_router() -> Router:
    router = Router(name="admin.reports")
    router.message.register(show_menu, Command("reports"), flags=REPORTS)
    callbacks = router.callback_query
    for handler, action in (
        (menu_pressed, "menu"),
        (report_pressed, "report"),
        (months_pressed, "months"),
        (range_pressed, "range"),
        (period_pressed, "period"),
        (scopes_pressed, "scopes"),
        (run_pressed, "run"),
    ):
        callbacks.register(handler, ReportCb.filter(F.action == action), flags=REPORTS)
    router.include_router(RangeForm.as_router())
    return router
