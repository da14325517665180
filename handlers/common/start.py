"""/start and /help."""

from aiogram import Bot, Router, html
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands import commands_for
from bot.commands_menu import set_chat_commands
from bot.config import Settings
from bot.delivery import Sender
from bot.filters.menu import MenuButton
from bot.i18n import _
from bot.services.access import Actor
from handlers.common.invites import open_invite
from keyboards.common import main_menu
from keyboards.labels import role_names


async def send_greeting(
    bot: Bot,
    sender: Sender,
    chat_id: int,
    first_name: str,
    actor: Actor,
    settings: Settings,
    payload: str | None = None,
    session: AsyncSession | None = None,
) -> None:
    """The main menu of the user's roles, in one message.

    A deep-link payload is carried out first, so that the greeting names the roles it gave
    (or says why the link was refused) instead of "not linked yet" followed by a welcome.
    """
    lines = [
        _("👋 Hello, {name}!").format(name=html.quote(first_name)),
        _("This is the bot of {centre}.").format(centre=html.quote(settings.centre.centre_name)),
        "",
    ]
    roles = actor.effective_roles
    opened = None
    if payload:
        assert session is not None, "a deep link needs the update's session"
        opened = await open_invite(bot, sender, session, chat_id, actor, settings, payload)
        roles = opened.roles
        lines += [opened.text, ""]
    if roles:
        if not (opened and opened.done and len(roles) == 1):  # the welcome names the one role
            names = role_names()
            lines.append(
                _("Your roles: {roles}.").format(roles=", ".join(names[role] for role in roles))
            )
        lines.append(_("Use the menu below, or send /help to see every command."))
        if not (opened and opened.done):  # a link that worked has set the menu already
            # the `/` menu of these roles (without /apply), also for those given a role
            # while they were away: a parent linked by an admin, a student from before
            await set_chat_commands(bot, chat_id, actor.language, roles, settings.webapp)
    else:
        if opened is None:
            lines.append(
                _(
                    "You are not linked to the centre yet. When the centre registers you, "
                    "you will get an invitation link; open it and your schedule, balance and "
                    "grades will appear here."
                )
            )
        lines.append(_("Send /help to see what you can do now."))
    menu = main_menu(roles, app=settings.webapp.enabled)
    await bot.send_message(chat_id, "\n".join(lines), reply_markup=menu)


async def help_command(message: Message, actor: Actor, settings: Settings) -> None:
    lines = [_("ℹ️ What I can do:"), ""]
    lines += [f"/{spec.name} — {spec.description}" for spec in commands_for(actor.effective_roles)]
    menu = main_menu(actor.effective_roles, app=settings.webapp.enabled)
    await message.answer("\n".join(lines), reply_markup=menu)


def create_router() -> Router:
    router = Router(name="common.start")
    router.message.register(help_command, Command("help"))
    router.message.register(help_command, MenuButton("help"))
    return router
