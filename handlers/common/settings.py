"""/settings: language, optional categories (POLICY 3), withdrawing consent (POLICY 8)."""

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.formatting import format_date
from bot.i18n import _
from bot.services import consent as consent_service
from bot.services import digest as digest_service
from bot.services.access import Actor
from bot.services.consent import OPTIONAL_CATEGORIES, Category, ConsentState
from bot.telegram import edit_or_send
from bot.wording import stale_button_text
from handlers.buttons import show_screen
from handlers.common.language import send_picker
from handlers.registry import Registry
from keyboards.privacy import SettingsCb, settings_menu, withdraw_confirmation

on = Registry(SettingsCb)


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


async def digest_choice(session: AsyncSession, actor: Actor) -> bool | None:
    """An owner's monthly digest on or off; None for everyone else (no such setting)."""
    return await digest_service.wanted(session, actor.user_id) if actor.is_owner else None


@on.command("settings", menu="settings")
async def show_settings(message: Message, actor: Actor, session: AsyncSession) -> None:
    assert actor.consent is not None  # the consent gate let us in
    digest = await digest_choice(session, actor)
    await message.answer(
        settings_text(actor.consent),
        reply_markup=settings_menu(actor.language, actor.consent.choices, digest),
    )


@on.button("home")
async def settings_home(callback: CallbackQuery, actor: Actor, session: AsyncSession) -> None:
    state = await consent_service.current(session, actor.user_id)
    assert state is not None
    markup = settings_menu(actor.language, state.choices, await digest_choice(session, actor))
    await show_screen(callback, settings_text(state), markup)


@on.button("lang")
async def settings_language(callback: CallbackQuery, actor: Actor) -> None:
    await send_picker(callback, actor)


@on.button("toggle", where=F.value.in_([c.value for c in OPTIONAL_CATEGORIES]))
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
    markup = settings_menu(actor.language, choices, await digest_choice(session, actor))
    await edit_or_send(callback, settings_text(state), markup)
    await callback.answer(_("✅ Saved."))


@on.button("digest")
async def toggle_digest(callback: CallbackQuery, actor: Actor, session: AsyncSession) -> None:
    if not actor.is_owner:  # the button is shown to owners only: this one is forged or old
        await callback.answer(stale_button_text())
        return
    digest = not await digest_service.wanted(session, actor.user_id)
    await digest_service.set_wanted(session, actor.user_id, digest)
    state = await consent_service.current(session, actor.user_id)
    assert state is not None
    markup = settings_menu(actor.language, state.choices, digest)
    await edit_or_send(callback, settings_text(state), markup)
    await callback.answer(_("✅ Saved."))


@on.button("withdraw")
async def ask_to_withdraw(callback: CallbackQuery) -> None:
    await show_screen(
        callback,
        _(
            "⚠️ <b>Withdraw your consent?</b>\n\nThe bot will stop sending you anything — "
            "no reminders about payments or lessons, no announcements, no notices — and will "
            "only answer what you ask, like before you accepted. Your records stay with the "
            "centre; to erase your personal data, use /delete."
        ),
        withdraw_confirmation(),
    )


@on.button("withdraw_yes")
async def withdraw(callback: CallbackQuery, actor: Actor, session: AsyncSession) -> None:
    if not await consent_service.withdraw(session, actor.user_id):
        await callback.answer(stale_button_text())
        return
    await show_screen(
        callback,
        _(
            "✅ Your consent is withdrawn. The bot will send you nothing on its own. "
            "Send /start whenever you want to accept again."
        ),
        None,
    )


def create_router() -> Router:
    return on.router("common.settings")
