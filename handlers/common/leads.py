"""/apply: a user with no role at the centre asks to study (name, phone from their own
Telegram contact, a course of interest or "not sure"). Nothing is stored before ✅ Send;
the staff with the `users` permission are told at once."""

from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery import Sender, staff_recipients
from bot.formatting import format_phone
from bot.i18n import _
from bot.services import leads as leads_service
from bot.services import parsing
from bot.services.access import Actor
from bot.services.leads import LeadInfo, MayApply
from bot.services.parsing import Invalid
from bot.telegram import edit_or_send
from bot.wording import stale_button_text
from db.models import Permission, Role
from handlers.common.mydata import problem_text
from handlers.common.start import role_names
from handlers.forms import not_a_command
from keyboards.common import MENU, main_menu
from keyboards.mydata import share_contact
from keyboards.people import LeadCb, apply_summary, course_choice, open_lead


class ApplyForm(StatesGroup):
    name = State()
    phone = State()
    course = State()
    confirm = State()


def not_a_menu_button(message: Message) -> bool:
    """Form steps leave the main-menu buttons to their handlers."""
    return (message.text or "") not in {str(entry.label) for entry in MENU}


def name_step() -> str:
    return "\n".join(
        [
            _("📝 <b>Request to study</b>"),
            "",
            _(
                "Step 1/3 — the name of the person who wants to study, for example "
                "<i>Gʻulom Oʻktamov</i>."
            ),
            "",
            _("/cancel — leave without sending."),
        ]
    )


def phone_step() -> str:
    return _(
        "Step 2/3 — tap «📱 Share my phone number» below: the centre will call this number.\n"
        "Typed numbers are not accepted. /cancel — leave without sending."
    )


def course_step() -> str:
    return _("Step 3/3 — which course are you interested in?")


def summary_text(data: dict) -> str:
    return "\n".join(
        [
            _("Check your request:"),
            "",
            _("Name: {value}").format(value=escape(data["name"])),
            _("Phone: {value}").format(value=escape(format_phone(data["phone"]))),
            _("Course: {value}").format(
                value=escape(data["course_name"]) if data.get("course_name") else _("not sure yet")
            ),
            "",
            _("Send it to the centre?"),
        ]
    )


def staff_notice(lead: LeadInfo) -> str:
    return "\n".join(
        [
            _("📋 <b>New request to study #{id}</b>").format(id=lead.id),
            _("👤 {name}").format(name=escape(lead.name)),
            _("📱 {phone}").format(phone=escape(format_phone(lead.phone))),
            _("📚 Course: {course}").format(
                course=escape(lead.course) if lead.course else _("not sure yet")
            ),
            "",
            _("All requests: /leads"),
        ]
    )


def refusal(state: MayApply, pending: int | None, roles: tuple[Role, ...]) -> str:
    if state is MayApply.HAS_ROLE:
        names = role_names()
        lines = [
            _(
                "ℹ️ /apply is for people who want to study at the centre and are not "
                "registered yet. You are registered already: {roles}."
            ).format(roles=", ".join(names[role] for role in roles))
        ]
        if {Role.STUDENT, Role.PARENT} & set(roles):
            lines.append(_("To ask about another course, write to /support."))
        else:
            lines.append(_("Send /help to see your commands."))
        return "\n".join(lines)
    return _("ℹ️ Your request #{id} is with the centre already: they will contact you soon.").format(
        id=pending
    )


async def apply_command(
    message: Message, state: FSMContext, actor: Actor, session: AsyncSession
) -> None:
    may, pending = await leads_service.may_apply(session, actor)
    if may is not MayApply.YES:
        await message.answer(refusal(may, pending, actor.effective_roles))
        return
    await state.set_state(ApplyForm.name)
    await state.set_data({})
    await message.answer(name_step())


async def name_received(message: Message, state: FSMContext) -> None:
    try:
        name = parsing.clean_name(message.text or "")
    except Invalid as invalid:
        await message.answer(problem_text(invalid.problem) + "\n\n" + name_step())
        return
    await state.update_data(name=name)
    await state.set_state(ApplyForm.phone)
    await message.answer(phone_step(), reply_markup=share_contact())


async def contact_received(
    message: Message, state: FSMContext, actor: Actor, session: AsyncSession
) -> None:
    contact = message.contact
    assert contact is not None
    if contact.user_id != actor.telegram_id:
        await message.answer(
            _("⚠️ This is someone else's contact. Tap «📱 Share my phone number» to send yours."),
            reply_markup=share_contact(),
        )
        return
    try:
        phone = parsing.clean_phone(contact.phone_number)
    except Invalid as invalid:
        await message.answer(problem_text(invalid.problem), reply_markup=share_contact())
        return
    await state.update_data(phone=phone)
    await state.set_state(ApplyForm.course)
    await message.answer(_("✅ Phone received."), reply_markup=main_menu(actor.effective_roles))
    courses = await leads_service.courses(session)
    await message.answer(course_step(), reply_markup=course_choice(courses))


async def phone_typed(message: Message) -> None:
    await message.answer(
        _(
            "⚠️ Typed numbers are not accepted: tap «📱 Share my phone number» below, "
            "and Telegram sends the number of this account."
        ),
        reply_markup=share_contact(),
    )


async def use_the_buttons(message: Message) -> None:
    await message.answer(_("ℹ️ Use the buttons of the message above, or /cancel."))


async def course_picked(
    callback: CallbackQuery, callback_data: LeadCb, state: FSMContext, session: AsyncSession
) -> None:
    if await state.get_state() != ApplyForm.course.state:
        await callback.answer(stale_button_text())
        return
    courses = dict(await leads_service.courses(session))
    if callback_data.id and callback_data.id not in courses:
        await callback.answer(stale_button_text())
        return
    await state.update_data(
        course=callback_data.id or None, course_name=courses.get(callback_data.id)
    )
    await state.set_state(ApplyForm.confirm)
    await edit_or_send(callback, summary_text(await state.get_data()), apply_summary())
    await callback.answer()


async def send_pressed(
    callback: CallbackQuery,
    state: FSMContext,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
    sender: Sender,
) -> None:
    if await state.get_state() != ApplyForm.confirm.state:
        await callback.answer(stale_button_text())
        return
    data = await state.get_data()
    may, lead = await leads_service.apply(
        session, actor, name=data["name"], phone=data["phone"], course_id=data.get("course")
    )
    await state.clear()
    if lead is None:
        pending = None
        if may is MayApply.PENDING:
            pending = (await leads_service.may_apply(session, actor))[1]
        await edit_or_send(callback, refusal(may, pending, actor.effective_roles), None)
        await callback.answer()
        return
    await edit_or_send(
        callback,
        _("✅ Your request #{id} is sent. The centre will contact you soon.").format(id=lead.id),
        None,
    )
    await callback.answer(_("✅ Sent."))
    staff = await staff_recipients(session, Permission.USERS, settings.telegram.owner_ids)
    for recipient in staff:
        await sender.notify(
            bot,
            recipient,
            lambda: staff_notice(lead),
            reply_markup=lambda: open_lead(lead.id),
        )


async def edit_pressed(callback: CallbackQuery, state: FSMContext) -> None:
    if await state.get_state() != ApplyForm.confirm.state:
        await callback.answer(stale_button_text())
        return
    await state.set_state(ApplyForm.name)
    await edit_or_send(callback, name_step(), None)
    await callback.answer()


async def drop_pressed(callback: CallbackQuery, state: FSMContext) -> None:
    if await state.get_state() not in {s.state for s in ApplyForm.__all_states__}:
        await callback.answer(stale_button_text())
        return
    await state.clear()
    await edit_or_send(callback, _("❌ Cancelled. Nothing was sent."), None)
    await callback.answer()


def create_router() -> Router:
    router = Router(name="common.leads")
    router.message.register(apply_command, Command("apply"))
    text_step = (not_a_command, not_a_menu_button)
    router.message.register(name_received, StateFilter(ApplyForm.name), *text_step)
    router.message.register(contact_received, StateFilter(ApplyForm.phone), F.contact)
    router.message.register(phone_typed, StateFilter(ApplyForm.phone), *text_step)
    router.message.register(
        use_the_buttons, StateFilter(ApplyForm.course, ApplyForm.confirm), *text_step
    )
    callbacks = router.callback_query
    callbacks.register(course_picked, LeadCb.filter(F.action == "crs"))
    callbacks.register(send_pressed, LeadCb.filter(F.action == "send"))
    callbacks.register(edit_pressed, LeadCb.filter(F.action == "edit"))
    callbacks.register(drop_pressed, LeadCb.filter(F.action == "drop"))
    return router
