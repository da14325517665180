"""/settings: language, optional categories (POLICY 3), withdrawing consent (POLICY 8)."""

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters.menu import MenuButton
from bot.formatting import format_date
from bot.i18n import _
from bot.services import consent as consent_service
from bot.services.access import Actor
from bot.services.consent import OPTIONAL_CATEGORIES, Category, ConsentState
from bot.telegram import edit_or_send
from bot.wording import stale_button_text
from handlers.common.language import send_picker
from keyboards.privacy import SettingsCb, settings_menu, withdraw_confirmation


def settings_text(state: ConsentState) -> str:
    return "\n".join(
        [
            _("⚙️ <b>Settings</b>"),
            "",
            _("Privacy policy version {version}, accepted {date}.").format(
                version=state.version, date=format_date(state.at.date())
            ),
            "",
            _("Optional messages — tap to turn on or off:"),
        ]
    )


async def show_settings(message: Message, actor: Actor) -> None:
    assert actor.consent is not None  # the consent gate let us in
    await message.answer(
        settings_text(actor.consent),
        reply_markup=settings_menu(actor.language, actor.consent.choices),
    )


async def settings_home(callback: CallbackQuery, actor: Actor, session: AsyncSession) -> None:
    state = await consent_service.current(session, actor.user_id)
    assert state is not None
    await edit_or_send(callback, settings_text(state), settings_menu(actor.language, state.choices))
    await callback.answer()


async def settings_language(callback: CallbackQuery, actor: Actor) -> None:
    await send_picker(callback, actor)


async def toggle_category(
    callback: CallbackQuery, callback_data: SettingsCb, actor: Actor, session: AsyncSession
) -> None:
    state = await consent_service.current(session, actor.user_id)
    assert state is not None
    category = Category(callback_data.value)
    choices = state.choices.toggled(category)
    await consent_service.change_choices(session, actor.user_id, choices)
    state = await consent_service.current(session, actor.user_id)
    assert state is not None
    await edit_or_send(callback, settings_text(state), settings_menu(actor.language, choices))
    await callback.answer(_("✅ Saved."))


async def ask_to_withdraw(callback: CallbackQuery) -> None:
    await edit_or_send(
        callback,
        _(
            "⚠️ <b>Withdraw your consent?</b>\n\nThe bot will stop sending you anything — "
            "no reminders about payments or lessons, no announcements, no notices — and will "
            "only answer what you ask, like before you accepted. Your records stay with the "
            "centre; to erase your personal data, use /delete."
        ),
        withdraw_confirmation(),
    )
    await callback.answer()


async def withdraw(callback: CallbackQuery, actor: Actor, session: AsyncSession) -> None:
    if not await consent_service.withdraw(session, actor.user_id):
        await callback.answer(stale_button_text())
        return
    await edit_or_send(
        callback,
        _(
            "✅ Your consent is withdrawn. The bot will send you nothing on its own. "
            "Send /start whenever you want to accept again."
        ),
        None,
    )
    await callback.answer()


def create_router() -> Router:
    router = Router(name="common.settings")
    router.message.register(show_settings, Command("settings"))
    router.message.register(show_settings, MenuButton("settings"))
    callbacks = router.callback_query
    callbacks.register(settings_home, SettingsCb.filter(F.action == "home"))
    callbacks.register(settings_language, SettingsCb.filter(F.action == "lang"))
    callbacks.register(
        toggle_category,
        SettingsCb.filter(
            (F.action == "toggle") & F.value.in_([c.value for c in OPTIONAL_CATEGORIES])
        ),
    )
    callbacks.register(ask_to_withdraw, SettingsCb.filter(F.action == "withdraw"))
    callbacks.register(withdraw, SettingsCb.filter(F.action == "withdraw_yes"))
    return router
