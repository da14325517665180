"""Registers the `/` command menu: per language for everyone, per chat for staff; and, when
the Mini App is on, the staff's chat menu button that opens it."""

from collections.abc import Iterable

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    MenuButtonDefault,
    MenuButtonWebApp,
    WebAppInfo,
)
from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.commands import commands_for
from bot.config import LANGUAGES, Settings, WebAppSettings
from bot.i18n import _, use_language
from db.models import Role
from db.repositories import users as users_repo


def bot_commands(language: str, roles: Iterable[Role]) -> list[BotCommand]:
    with use_language(language):
        return [
            BotCommand(command=spec.name, description=str(spec.description))
            for spec in commands_for(roles)
        ]


STAFF = frozenset({Role.ADMIN, Role.TEACHER})  # owners hold the admin role here


def menu_button(
    language: str, roles: Iterable[Role], webapp: WebAppSettings, *, reset: bool = False
) -> MenuButtonWebApp | MenuButtonDefault | None:
    """The chat's menu button: the Mini App for staff; for the others nothing is set (None),
    or with `reset` Telegram's default (they may have just lost the staff role). Nothing at
    all without WEBAPP_URL."""
    if webapp.webapp_url is None:
        return None
    if not STAFF & frozenset(roles):
        return MenuButtonDefault() if reset else None
    with use_language(language):
        text = _("📱 App")
    return MenuButtonWebApp(text=text, web_app=WebAppInfo(url=webapp.webapp_url))


async def set_chat_commands(
    bot: Bot,
    chat_id: int,
    language: str,
    roles: Iterable[Role],
    webapp: WebAppSettings,
    *,
    reset: bool = False,
) -> None:
    """One chat's menus in the user's own language (the database's, not the Telegram
    client's): the `/` commands of these roles and the menu button (see `menu_button`;
    `reset` where roles may have been taken away)."""
    roles = tuple(roles)
    button = menu_button(language, roles, webapp, reset=reset)
    try:
        await bot.set_my_commands(
            bot_commands(language, roles), scope=BotCommandScopeChat(chat_id=chat_id)
        )
        if button is not None:
            await bot.set_chat_menu_button(chat_id=chat_id, menu_button=button)
    except (TelegramBadRequest, TelegramForbiddenError) as error:
        # The user never opened the bot, or blocked it: the menu will be set when they come.
        logger.warning("command menu for chat {} not set: {}", chat_id, error.message)


async def register_command_menus(
    bot: Bot, settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    default_language = settings.centre.default_language
    await bot.set_my_commands(bot_commands(default_language, ()), scope=BotCommandScopeDefault())
    for language in LANGUAGES:
        await bot.set_my_commands(
            bot_commands(language, ()), scope=BotCommandScopeDefault(), language_code=language
        )
    async with session_factory() as session:
        staff = await users_repo.staff_with_chats(session)
    staff_chats = {user.telegram_id: (user.language, roles) for user, roles in staff}
    for owner_id in settings.telegram.owner_ids:
        language, roles = staff_chats.get(owner_id, (default_language, frozenset()))
        staff_chats[owner_id] = (language, roles | {Role.ADMIN})
    for chat_id, (language, roles) in staff_chats.items():
        await set_chat_commands(bot, chat_id, language, roles, settings.webapp)
