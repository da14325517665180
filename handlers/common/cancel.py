"""/cancel leaves any form; nothing the form collected is written."""

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.config import Settings
from bot.i18n import _
from bot.services.access import Actor
from bot.wording import cancelled_text
from keyboards.common import main_menu


async def cancel(message: Message, state: FSMContext, actor: Actor, settings: Settings) -> None:
    if await state.get_state() is None:
        text = _("ℹ️ There is nothing to cancel.")
    else:
        await state.clear()
        text = cancelled_text()
    menu = main_menu(actor.effective_roles, app=settings.webapp.enabled)
    await message.answer(text, reply_markup=menu)


def create_router() -> Router:
    router = Router(name="common.cancel")
    router.message.register(cancel, Command("cancel"), flags={"consent_free": True})
    return router
