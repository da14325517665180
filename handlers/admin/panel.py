"""/admin: the centre at a glance, refreshed in place."""

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters.menu import MenuButton
from bot.formatting import format_money
from bot.i18n import _
from bot.services.access import Actor
from bot.services.people import CentreOverview, centre_overview
from bot.services.reports import finance as finance_service
from bot.services.reports.cache import ReportCache
from bot.services.reports.finance import FinanceReport
from bot.services.reports.period import Period
from bot.services.reports.scope import Scope
from bot.telegram import is_not_modified, shows_already
from db.models import Permission, Role
from handlers.admin.reports.common import period_label
from handlers.admin.reports.menu import today
from keyboards.admin import AdminCb, admin_panel
from keyboards.reports import FINANCE


def render_overview(overview: CentreOverview, money: FinanceReport | None = None) -> str:
    count = overview.by_role.get
    lines = [
        _("🛠 <b>Administration</b>"),
        "",
        _("People: {users} (blocked the bot: {blocked})").format(
            users=overview.users, blocked=overview.blocked
        ),
        _("Administrators: {admins} · Teachers: {teachers}").format(
            admins=count(Role.ADMIN, 0), teachers=count(Role.TEACHER, 0)
        ),
        _("Students: {students} · Parents: {parents}").format(
            students=count(Role.STUDENT, 0), parents=count(Role.PARENT, 0)
        ),
    ]
    if money is not None:
        lines += [
            _("💰 {month}: collected {collected} of {charged} charged").format(
                month=period_label(money.period),
                collected=format_money(money.total.collected),
                charged=format_money(money.total.charged),
            ),
            _("Debt now: {debt}").format(debt=format_money(money.debt)),
        ]
    return "\n".join(lines)


def sees_money(actor: Actor) -> bool:
    """The money line is for those who handle payments or read the reports (owners too)."""
    return actor.can(Permission.PAYMENTS) or actor.can(Permission.REPORTS)


async def this_month(
    session: AsyncSession, settings: Settings, report_cache: ReportCache
) -> FinanceReport:
    """This month's finance for the whole centre: the figures /reports gives (and caches)."""
    period, scope = Period.this_month(today(settings)), Scope()
    stamp = await report_cache.stamp(session)
    return await report_cache.figures(
        stamp,
        FINANCE,
        period,
        scope,
        lambda: finance_service.build(session, period, scope, settings.centre.tz),
    )


async def panel_text(
    session: AsyncSession, settings: Settings, actor: Actor, report_cache: ReportCache
) -> str:
    money = await this_month(session, settings, report_cache) if sees_money(actor) else None
    return render_overview(await centre_overview(session), money)


def panel_markup(actor: Actor, settings: Settings):
    return admin_panel(reports=actor.can(Permission.REPORTS), app_url=settings.webapp.webapp_url)


async def show_panel(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    settings: Settings,
    report_cache: ReportCache,
) -> None:
    text = await panel_text(session, settings, actor, report_cache)
    await message.answer(text, reply_markup=panel_markup(actor, settings))


async def refresh_panel(
    callback: CallbackQuery,
    session: AsyncSession,
    actor: Actor,
    settings: Settings,
    report_cache: ReportCache,
) -> None:
    text = await panel_text(session, settings, actor, report_cache)
    markup = panel_markup(actor, settings)
    if not isinstance(callback.message, Message):
        # Too old to edit (Telegram keeps inline messages editable for 48 h): send anew.
        await callback.bot.send_message(callback.from_user.id, text, reply_markup=markup)
        await callback.answer()
        return
    if shows_already(callback.message, text, markup):
        await callback.answer(_("ℹ️ Nothing has changed."))
        return
    try:
        await callback.message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as error:
        if not is_not_modified(error):
            raise
        await callback.answer(_("ℹ️ Nothing has changed."))
        return
    await callback.answer(_("✅ Updated."))


def create_router() -> Router:
    router = Router(name="admin.panel")
    router.message.register(show_panel, Command("admin"))
    router.message.register(show_panel, MenuButton("admin"))
    router.callback_query.register(refresh_panel, AdminCb.filter(F.action == "home"))
    return router
