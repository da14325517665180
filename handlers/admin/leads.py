"""/leads, the staff's side of requests to study: the list, a request's card, moving it
on (contacted, trial lesson, enrolled, lost). "Enrolled" asks once more, then makes the
person a student without retyping. Needs the `users` permission (owners hold it)."""

from html import escape

from aiogram import Bot, Router
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands_menu import set_chat_commands
from bot.config import Settings
from bot.delivery import Sender, recipients
from bot.filters.access import USERS
from bot.formatting import format_datetime, format_phone
from bot.i18n import _
from bot.services import leads as leads_service
from bot.services import users as users_service
from bot.services.access import Actor
from bot.services.consent import Category
from bot.services.leads import LeadInfo, LeadPage, Moved
from bot.telegram import edit_or_send
from bot.wording import stale_button_text
from db.base import utcnow
from db.models import LeadStatus
from handlers.buttons import show_screen
from handlers.registry import Registry
from keyboards.labels import lead_status_labels
from keyboards.people import LeadCb, enrol_confirmation, lead_card, leads_list

on = Registry(LeadCb, flags=USERS)


def list_text(page: LeadPage) -> str:
    if page.total == 0:
        if page.closed:
            return _("🗂 <b>No enrolled or lost requests yet.</b>")
        return _("📋 <b>No open requests.</b> New ones arrive here and as a message to you.")
    if page.closed:
        head = _("🗂 <b>Enrolled and lost requests: {total}</b>").format(total=page.total)
    else:
        head = _("📋 <b>Open requests to study: {total}</b>").format(total=page.total)
    return "\n".join([head, _("Newest first. Tap one to open it.")])


def lead_text(lead: LeadInfo, settings: Settings) -> str:
    return "\n".join(
        [
            _("📋 <b>Request #{id}</b> · {status}").format(
                id=lead.id, status=lead_status_labels()[lead.status]
            ),
            _("👤 {name}").format(name=escape(lead.name)),
            _("📱 {phone}").format(phone=escape(format_phone(lead.phone))),
            _("📚 Course: {course}").format(
                course=escape(lead.course) if lead.course else _("not sure yet")
            ),
            _("🕘 Sent: {when}").format(when=format_datetime(lead.created_at, settings.centre.tz)),
        ]
    )


def enrolled_notice(centre: str) -> str:
    return _(
        "🎓 {centre} has registered you as a student. Your groups and schedule appear here "
        "once you are added to a group; send /start to see your menu."
    ).format(centre=escape(centre))


@on.pages("leads")
async def leads_screen(
    page: int, session: AsyncSession, callback_data: LeadCb | None
) -> tuple[str, InlineKeyboardMarkup]:
    closed = bool(callback_data and callback_data.closed)
    found = await leads_service.leads_page(session, page, closed=closed)
    return list_text(found), leads_list(found)


@on.button("card", lead=leads_service.get)
async def card_pressed(
    callback: CallbackQuery,
    callback_data: LeadCb,
    session: AsyncSession,
    settings: Settings,
    lead: LeadInfo,
) -> None:
    await show_screen(
        callback,
        lead_text(lead, settings),
        lead_card(lead, callback_data.page, callback_data.closed),
    )


@on.button("enr")
async def enrol_pressed(
    callback: CallbackQuery, callback_data: LeadCb, session: AsyncSession, settings: Settings
) -> None:
    lead = await leads_service.get(session, callback_data.id)
    if lead is None or lead.status is LeadStatus.ENROLLED:
        await callback.answer(stale_button_text())
        return
    question = _(
        "🎓 <b>Enrol {name}?</b>\n\nThey become a student with the name and phone of this "
        "request. Then add them to a group from their card."
    ).format(name=escape(lead.name))
    await show_screen(
        callback,
        f"{lead_text(lead, settings)}\n\n{question}",
        enrol_confirmation(lead, callback_data.page, callback_data.closed),
    )


@on.button("st")
async def status_pressed(
    callback: CallbackQuery,
    callback_data: LeadCb,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    bot: Bot,
    sender: Sender,
) -> None:
    try:
        status, expected = LeadStatus(callback_data.status), LeadStatus(callback_data.was)
    except ValueError:
        await callback.answer(stale_button_text())
        return
    change = await leads_service.set_status(
        session,
        actor.user_id,
        callback_data.id,
        status,
        expected=expected,
        language=settings.centre.default_language,
        now=utcnow(),
    )
    if change.outcome is Moved.MISSING or change.lead is None:
        await callback.answer(stale_button_text())
        return
    lead = change.lead
    toasts = {
        Moved.DONE: _("✅ Saved."),
        Moved.UNCHANGED: _("ℹ️ Nothing has changed."),
        Moved.FINAL: _("⚠️ This request is enrolled already: it cannot change any more."),
        Moved.CHANGED_MEANWHILE: _("⚠️ Someone changed this request meanwhile: here it is now."),
    }
    await edit_or_send(
        callback,
        lead_text(lead, settings),
        lead_card(lead, callback_data.page, callback_data.closed),
    )
    await callback.answer(toasts[change.outcome], show_alert=change.outcome is not Moved.DONE)
    if change.outcome is Moved.DONE and change.student_id and not change.new_person:
        for recipient in await recipients(
            session, [change.student_id], Category.ESSENTIAL, settings.centre.policy_version
        ):
            # the student's own `/` menu, without /apply
            roles = await users_service.roles_of(session, change.student_id)
            await set_chat_commands(
                bot, recipient.telegram_id, recipient.language, roles, settings.webapp
            )
            await sender.notify(
                bot, recipient, lambda: enrolled_notice(settings.centre.centre_name)
            )


def create_router() -> Router:
    return on.router("admin.leads")
