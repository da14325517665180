"""📱 Open app: the main menu's entry of the Mini App (only when WEBAPP_URL is set).

The menu is a reply keyboard, and a Mini App opened from a reply keyboard's button gets no
signed initData; so the entry answers with a short message whose inline `web_app` button
opens the app, signed in."""

from aiogram import Router
from aiogram.filters import Filter
from aiogram.types import Message

from bot.config import Settings
from bot.filters.menu import MenuButton
from bot.i18n import _
from bot.services.access import Actor
from db.models import Role
from keyboards.webapp import open_app_keyboard


class WebAppOn(Filter):
    """The Mini App is on (settings.webapp.enabled); otherwise the label is just text."""

    async def __call__(self, message: Message, settings: Settings) -> bool:
        return settings.webapp.enabled


def offers() -> dict[Role, str]:
    return {
        Role.ADMIN: _("the centre's week with clashes marked, lessons and reports"),
        Role.TEACHER: _("today's lessons and the attendance sheet as a grid"),
        Role.PARENT: _("your children's week, attendance, grades and balance"),
        Role.STUDENT: _("your week, attendance, grades and balance"),
    }


def app_text(actor: Actor) -> str:
    offered = offers()
    lines = [_("📱 <b>The app</b> opens here, inside Telegram, already signed in:")]
    lines += [f"• {offered[role]}" for role in actor.effective_roles]
    return "\n".join(lines)


async def open_app(message: Message, actor: Actor, settings: Settings) -> None:
    url = settings.webapp.webapp_url
    assert url is not None  # WebAppOn
    await message.answer(app_text(actor), reply_markup=open_app_keyboard(url))


def create_router() -> Router:
    router = Router(name="common.webapp")
    router.message.register(open_app, MenuButton("app"), WebAppOn())
    return router
