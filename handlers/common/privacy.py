"""Consent (POLICY 1-3), /privacy, /terms (POLICY 4) and /contact (POLICY 11)."""

import time
from dataclasses import replace
from html import escape
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import CallbackQuery, Message, TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery import Sender
from bot.formatting import format_phone
from bot.i18n import _, set_language
from bot.middlewares.nul_bytes import without_nul
from bot.services import consent as consent_service
from bot.services import users as users_service
from bot.services.access import Actor
from bot.services.consent import Choices
from bot.services.policy import Document, pages, policy_folder
from bot.telegram import edit_or_send
from bot.wording import stale_button_text
from handlers.buttons import parsed_or_stale, show_screen
from handlers.common.start import send_greeting
from keyboards.common import LANGUAGE_NAMES
from keyboards.privacy import (
    ConsentCb,
    PolicyCb,
    consent_language_picker,
    consent_request,
    policy_pager,
)

FREE = {"consent_free": True}
RENEW_REMINDER_INTERVAL = 24 * 3600  # ask to accept a new policy version at most once a day


def consent_key(state: FSMContext) -> StorageKey:
    """A storage slot of its own, so /cancel (which clears the form) keeps it."""
    return replace(state.key, destiny="consent")


async def remember(state: FSMContext, **values: Any) -> dict[str, Any]:
    key = consent_key(state)
    data = await state.storage.get_data(key)
    data.update(values)
    await state.storage.set_data(key, data)
    return data


def consent_text(settings: Settings, *, renewal: bool) -> str:
    lines = []
    if renewal:
        lines += [
            _("📄 The privacy policy has changed (version {version}).").format(
                version=settings.centre.policy_version
            ),
            "",
        ]
    lines += [
        _("🔐 <b>Your consent</b>"),
        "",
        _(
            "{centre} runs its lessons through this bot. To serve you it stores your Telegram "
            "id, name and language; your phone and email if you give them; your groups, "
            "schedule, attendance, grades, payments and balance; linked parents or children; "
            "your support requests; and a log of changes."
        ).format(centre=escape(settings.centre.centre_name)),
        "",
        _(
            "Nobody outside the centre gets your data, except a payment provider during an "
            "online payment, or when the law requires it."
        ),
        "",
        _("Essential messages (account, schedule, balance) are required."),
        _("Choose the optional ones below; you can change them any time in /settings."),
    ]
    return "\n".join(lines)


async def send_consent_request(
    bot: Bot, chat_id: int, settings: Settings, *, renewal: bool
) -> None:
    await bot.send_message(
        chat_id, consent_text(settings, renewal=renewal), reply_markup=consent_request(Choices())
    )


async def ask_for_consent(event: TelegramObject, data: dict[str, Any]) -> None:
    """What the gate answers to anything sent before consent."""
    actor: Actor = data["actor"]
    if isinstance(event, CallbackQuery):
        await event.answer(_("🔐 Please accept the privacy policy first."), show_alert=True)
    await send_consent_request(data["bot"], actor.telegram_id, data["settings"], renewal=False)


async def ask_to_renew(event: TelegramObject, data: dict[str, Any]) -> None:
    state: FSMContext = data["state"]
    remembered = await state.storage.get_data(consent_key(state))
    if time.time() - remembered.get("renewal_asked", 0) < RENEW_REMINDER_INTERVAL:
        return
    await remember(state, renewal_asked=time.time())
    actor: Actor = data["actor"]
    await send_consent_request(data["bot"], actor.telegram_id, data["settings"], renewal=True)


def first_name(message: Message) -> str:
    return message.from_user.first_name if message.from_user else ""


async def start(
    message: Message,
    command: CommandObject,
    actor: Actor,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
    sender: Sender,
    session: AsyncSession,
) -> None:
    if actor.consent is None:
        # A deep link opened before consent is carried out right after acceptance.
        await remember(state, payload=command.args)
        await message.answer(_("🌐 Choose your language:"), reply_markup=consent_language_picker())
    elif not actor.consent.is_current(settings.centre.policy_version):
        await remember(state, payload=command.args, renewal_asked=time.time())
        await send_consent_request(bot, message.chat.id, settings, renewal=True)
    else:
        await send_greeting(
            bot,
            sender,
            message.chat.id,
            first_name(message),
            actor,
            settings,
            command.args,
            session,
        )


async def consent_language(
    callback: CallbackQuery,
    callback_data: ConsentCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
) -> None:
    if callback_data.value != actor.language:
        await users_service.change_language(session, actor, callback_data.value)
        set_language(callback_data.value)
    await callback.answer()
    await edit_or_send(callback, consent_text(settings, renewal=False), consent_request(Choices()))


async def consent_pick(
    callback: CallbackQuery, callback_data: ConsentCb, actor: Actor, settings: Settings
) -> None:
    choices = await parsed_or_stale(callback, Choices.from_bits, callback_data.value)
    if choices is None:
        return
    renewal = actor.consent is not None  # has consent, but to an older version
    await show_screen(callback, consent_text(settings, renewal=renewal), consent_request(choices))


async def consent_accept(
    callback: CallbackQuery,
    callback_data: ConsentCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
    sender: Sender,
) -> None:
    choices = await parsed_or_stale(callback, Choices.from_bits, callback_data.value)
    if choices is None:
        return
    version = settings.centre.policy_version
    accepted = await consent_service.accept(
        session,
        actor.user_id,
        version,
        choices,
        full_name=without_nul(callback.from_user.full_name) or "",
        username=without_nul(callback.from_user.username),
    )
    if not accepted:
        await callback.answer(_("✅ You have already accepted this version."))
        return
    await callback.answer(_("✅ Thank you!"))
    if isinstance(callback.message, Message):
        await callback.message.edit_text(
            _("✅ Your consent is recorded (privacy policy version {version}).").format(
                version=version
            )
        )
    remembered = await state.storage.get_data(consent_key(state))
    await state.storage.set_data(consent_key(state), {})
    await send_greeting(
        bot,
        sender,
        actor.telegram_id,
        callback.from_user.first_name,
        actor,
        settings,
        remembered.get("payload"),
        session,
    )


async def consent_decline(callback: CallbackQuery) -> None:
    await callback.answer()
    await edit_or_send(
        callback,
        _(
            "You declined. Without your consent the bot can only show the privacy policy, "
            "the terms of use and the centre's contacts (/contact). Nothing about you was "
            "stored except your Telegram id and language. Send /start whenever you change "
            "your mind."
        ),
        None,
    )


async def consent_read(
    callback: CallbackQuery, callback_data: ConsentCb, actor: Actor, settings: Settings
) -> None:
    if callback_data.value not in {d.value for d in Document}:
        await callback.answer(stale_button_text())
        return
    await callback.answer()
    text, markup = render_page(Document(callback_data.value), 1, actor, settings)
    await callback.bot.send_message(actor.telegram_id, text, reply_markup=markup)


def render_page(document: Document, page: int, actor: Actor, settings: Settings):
    all_pages = pages(
        policy_folder(settings.centre.policy_dir),
        document,
        actor.language,
        settings.centre.centre_name,
        settings.centre.policy_version,
    )
    if not 1 <= page <= len(all_pages):
        return None, None
    title = (
        _("📄 <b>Privacy policy</b>")
        if document is Document.PRIVACY
        else _("📄 <b>Terms of use</b>")
    )
    header = f"{title} · {page}/{len(all_pages)}" if len(all_pages) > 1 else title
    return f"{header}\n\n{all_pages[page - 1]}", policy_pager(document, page, len(all_pages))


async def show_privacy(message: Message, actor: Actor, settings: Settings) -> None:
    text, markup = render_page(Document.PRIVACY, 1, actor, settings)
    await message.answer(text, reply_markup=markup)


async def show_terms(message: Message, actor: Actor, settings: Settings) -> None:
    text, markup = render_page(Document.TERMS, 1, actor, settings)
    await message.answer(text, reply_markup=markup)


async def turn_page(
    callback: CallbackQuery, callback_data: PolicyCb, actor: Actor, settings: Settings
) -> None:
    text, markup = render_page(callback_data.doc, callback_data.page, actor, settings)
    if text is None:
        await callback.answer(stale_button_text())
        return
    await show_screen(callback, text, markup)


async def show_contact(message: Message, settings: Settings) -> None:
    centre = settings.centre
    facts = [
        (_("📞 Phone"), format_phone(centre.contact_phone)),
        (_("✉️ Email"), centre.contact_email),
        (_("🌐 Website"), centre.website),
        (_("🕘 Hours"), centre.contact_hours),
    ]
    lines = [f"🏫 <b>{escape(centre.centre_name)}</b>", ""]
    lines += [f"{label}: {escape(value)}" for label, value in facts if value]
    if len(lines) == 2:
        lines.append(_("The centre has not published its contact details yet."))
    await message.answer("\n".join(lines))


def create_router() -> Router:
    router = Router(name="common.privacy")
    router.message.register(start, CommandStart(), flags=FREE)
    router.message.register(show_privacy, Command("privacy"), flags=FREE)
    router.message.register(show_terms, Command("terms"), flags=FREE)
    router.message.register(show_contact, Command("contact"), flags=FREE)
    consent = router.callback_query
    consent.register(
        consent_language,
        ConsentCb.filter((F.action == "lang") & F.value.in_(LANGUAGE_NAMES)),
        flags=FREE,
    )
    consent.register(consent_pick, ConsentCb.filter(F.action == "pick"), flags=FREE)
    consent.register(consent_accept, ConsentCb.filter(F.action == "accept"), flags=FREE)
    consent.register(consent_decline, ConsentCb.filter(F.action == "decline"), flags=FREE)
    consent.register(consent_read, ConsentCb.filter(F.action == "read"), flags=FREE)
    router.callback_query.register(turn_page, PolicyCb.filter(), flags=FREE)
    return router
