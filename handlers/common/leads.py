"""/apply: a user with no role at the centre asks to study (name, phone from their own
Telegram contact, a course of interest or "not sure"). Nothing is stored before ✅ Send;
the staff with the `users` permission are told at once."""

from html import escape

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.scene import ScenesManager
from aiogram.types import InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import staff_recipients
from bot.formatting import format_phone
from bot.forms import Form, FormContext, FormData, Refusal, Step
from bot.forms.engine import Markup, Visit, reply
from bot.forms.steps import own_contact_phone
from bot.i18n import _
from bot.services import leads as leads_service
from bot.services import parsing
from bot.services.access import Actor
from bot.services.leads import LeadInfo, MayApply
from bot.services.parsing import Invalid
from bot.wording import person_problem, stale_button_text
from db.models import Permission, Role
from handlers.common.start import role_names
from keyboards.common import main_menu
from keyboards.forms import Rows, summary_keyboard
from keyboards.mydata import share_contact
from keyboards.people import course_choice, open_lead


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


def summary_text(data: "ApplyData") -> str:
    return "\n".join(
        [
            _("Check your request:"),
            "",
            _("Name: {value}").format(value=escape(data.name)),
            _("Phone: {value}").format(value=escape(format_phone(data.phone))),
            _("Course: {value}").format(
                value=escape(data.course_name) if data.course_name else _("not sure yet")
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


class ApplyData(FormData):
    name: str = ""
    phone: str = ""
    course: int | None = None
    course_name: str | None = None


async def read_name(data: ApplyData, text: str | None, context: FormContext) -> None:
    try:
        data.name = parsing.clean_name(text or "")
    except Invalid as invalid:
        raise Refusal(person_problem(invalid.problem)) from None


async def receive_contact(data: ApplyData, message: Message, context: FormContext) -> None:
    try:
        data.phone = parsing.clean_phone(
            own_contact_phone(message, context), context.settings.centre.phone_region
        )
    except Invalid as invalid:
        raise Refusal(person_problem(invalid.problem)) from None
    await message.answer(
        _("✅ Phone received."),
        reply_markup=main_menu(context.actor.effective_roles, app=context.settings.webapp.enabled),
    )


async def course_buttons(data: ApplyData, form: str, context: FormContext) -> Rows:
    return course_choice(await leads_service.courses(context.session), form, "course")


async def pick_course(data: ApplyData, value: str, context: FormContext) -> None:
    courses = dict(await leads_service.courses(context.session))
    course_id = int(value) if value.isdigit() else -1
    if course_id and course_id not in courses:
        raise Refusal(stale_button_text())  # archived meanwhile, or forged
    data.course, data.course_name = course_id or None, courses.get(course_id)


class ApplyForm(Form[ApplyData], state="apply_form"):
    """The name, the phone from the person's own Telegram contact, a course or "not sure"."""

    key = "ap"
    data_type = ApplyData
    steps = (
        Step("name", lambda data: name_step(), read=read_name, label=lambda: _("✏️ Name")),
        Step(
            "phone",
            lambda data: phone_step(),
            receive=receive_contact,
            label=lambda: _("✏️ Phone"),
        ),
        Step(
            "course",
            lambda data: course_step(),
            choices=course_buttons,
            pick=pick_course,
            label=lambda: _("✏️ Course"),
            typed_hint=lambda: _("ℹ️ Use the buttons of the message above, or /cancel."),
        ),
    )

    def step_text(self, step: Step[ApplyData], data: ApplyData) -> str:
        return step.question(data)

    async def step_markup(self, step: Step[ApplyData], visit: Visit[ApplyData]) -> Markup:
        if step.name == "phone":
            return share_contact()
        return await super().step_markup(step, visit)

    def summary_text(self, data: ApplyData) -> str:
        return summary_text(data)

    def summary_markup(self, data: ApplyData) -> InlineKeyboardMarkup:
        return summary_keyboard(self.key, confirm_label=_("✅ Send"))

    def cancelled_text(self) -> str:
        return _("❌ Cancelled. Nothing was sent.")

    def while_confirming_text(self) -> str:
        return _("ℹ️ Use the buttons of the message above, or /cancel.")

    async def save(self, data: ApplyData, context: FormContext) -> None:
        await send_request(data, context)


async def apply_command(
    message: Message, actor: Actor, session: AsyncSession, scenes: ScenesManager
) -> None:
    may, pending = await leads_service.may_apply(session, actor)
    if may is not MayApply.YES:
        await message.answer(refusal(may, pending, actor.effective_roles))
        return
    await ApplyForm.open(scenes, ApplyData())


async def send_request(data: ApplyData, context: FormContext) -> None:
    actor, session, settings = context.actor, context.session, context.settings
    may, lead = await leads_service.apply(
        session, actor, name=data.name, phone=data.phone, course_id=data.course
    )
    if lead is None:
        pending = None
        if may is MayApply.PENDING:
            pending = (await leads_service.may_apply(session, actor))[1]
        await reply(context, refusal(may, pending, actor.effective_roles), None)
        return
    await reply(
        context,
        _("✅ Your request #{id} is sent. The centre will contact you soon.").format(id=lead.id),
        None,
    )
    context.toast = _("✅ Sent.")
    staff = await staff_recipients(session, Permission.USERS, settings.telegram.owner_ids)
    for recipient in staff:
        await context.sender.notify(
            context.bot,
            recipient,
            lambda: staff_notice(lead),
            reply_markup=lambda: open_lead(lead.id),
        )


def create_router() -> Router:
    router = Router(name="common.leads")
    router.message.register(apply_command, Command("apply"))
    router.include_router(ApplyForm.as_router())
    return router
