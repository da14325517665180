"""/language: pick one of uz, ru, en; it is stored and used from the next message on."""

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands_menu import set_chat_commands
from bot.config import Settings
from bot.filters.menu import MenuButton
from bot.i18n import _, set_language
from bot.services import users as users_service
from bot.services.access import Actor
from keyboards.common import LANGUAGE_NAMES, LanguageCb, language_picker, main_menu


async def choose_language(message: Message, actor: Actor) -> None:
    await message.answer(
        _("🌐 Choose your language:"), reply_markup=language_picker(actor.language)
    )


async def send_picker(callback: CallbackQuery, actor: Actor) -> None:
    """The picker as a message of its own, for the 🌐 button of another screen (/settings,
    /mydata); its buttons are handled here: ✅, stored, audited, main menu."""
    await callback.answer()
    await callback.bot.send_message(
        actor.telegram_id,
        _("🌐 Choose your language:"),
        reply_markup=language_picker(actor.language),
    )


async def language_chosen(
    callback: CallbackQuery,
    callback_data: LanguageCb,
    actor: Actor,
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
) -> None:
    if callback_data.code == actor.language:
        await callback.answer(_("✅ This language is already on."))
        return
    await users_service.change_language(session, actor, callback_data.code)
    set_language(callback_data.code)
    await callback.answer(_("✅ Language changed."))
    if callback.message is not None:
        await callback.message.edit_text(
            _("✅ Language changed: {language}.").format(
                language=LANGUAGE_NAMES[callback_data.code]
            )
        )
        menu = main_menu(actor.effective_roles, app=settings.webapp.enabled)
        await callback.message.answer(_("Main menu"), reply_markup=menu)
    await set_chat_commands(
        bot, actor.telegram_id, callback_data.code, actor.effective_roles, settings.webapp
    )


def create_router() -> Router:
    router = Router(name="common.language")
    free = {"consent_free": True}
    router.message.register(choose_language, Command("language"), flags=free)
    router.message.register(choose_language, MenuButton("language"), flags=free)
    router.callback_query.register(
        language_chosen, LanguageCb.filter(F.code.in_(LANGUAGE_NAMES)), flags=free
    )
    return router
