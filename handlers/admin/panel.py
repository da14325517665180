"""/admin: the centre at a glance, refreshed in place."""

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters.menu import MenuButton
from bot.i18n import _
from bot.services.access import Actor
from bot.services.people import CentreOverview, centre_overview
from bot.telegram import is_not_modified, shows_already
from db.models import Permission, Role
from keyboards.admin import AdminCb, admin_panel


def render_overview(overview: CentreOverview) -> str:
    count = overview.by_role.get
    return "\n".join(
        [
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
    )


def panel_markup(actor: Actor):
    return admin_panel(reports=actor.can(Permission.REPORTS))


async def show_panel(message: Message, session: AsyncSession, actor: Actor) -> None:
    text = render_overview(await centre_overview(session))
    await message.answer(text, reply_markup=panel_markup(actor))


async def refresh_panel(callback: CallbackQuery, session: AsyncSession, actor: Actor) -> None:
    text = render_overview(await centre_overview(session))
    markup = panel_markup(actor)
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
