"""Registering a student, or a parent of a student, who may never have opened the bot.

The form asks the full name, the phone and (a student's) birth date, then shows a summary
with ✅ Save / ✏️ Edit / ❌ Cancel; nothing is written before ✅. The summary warns when the
phone is already someone's. Opened from /people or a student's card, it comes as a new
message under it; ✅ shows the new person's card.
"""

from datetime import date
from html import escape

from aiogram import Router
from aiogram.fsm.scene import ScenesManager
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters.access import USERS
from bot.formatting import format_date, format_phone
from bot.forms import Form, FormContext, FormData, Refusal, Retry, Step
from bot.i18n import _
from bot.services import parsing
from bot.services import people as people_service
from bot.services.parsing import Invalid, Problem
from bot.services.people import PersonRef
from bot.telegram import edit_or_send
from bot.wording import person_problem as name_problem_text
from bot.wording import stale_button_text
from db.base import utcnow
from db.models import Role
from handlers.admin.people.card import show_card
from handlers.registry import Registry
from keyboards.forms import summary_keyboard
from keyboards.people import PeopleCb

on = Registry(PeopleCb, flags=USERS)


class RegisterData(FormData):
    role: str = Role.STUDENT.value
    child: int | None = None  # a parent's: the student they are registered for
    child_name: str = ""
    name: str = ""
    phone: str = ""
    birth: str | None = None  # ISO date; None: not given
    duplicates: list[str] = Field(default_factory=list)  # others with this phone

    @property
    def parent(self) -> bool:
        return self.role == Role.PARENT


def registration_problem_text(problem: Problem) -> str:
    return {
        Problem.PHONE: _(
            "⚠️ This is not an Uzbek phone number: +998 and 9 digits, for example +998 90 123 45 67."
        ),
        Problem.DATE_FORMAT: _("⚠️ Write the date as DD.MM.YYYY, for example 21.03.2012."),
        Problem.DATE_IMPOSSIBLE: _("⚠️ There is no such day in the calendar."),
        Problem.DATE_FUTURE: _("⚠️ A birth date cannot be in the future."),
        Problem.DATE_TOO_OLD: _("⚠️ A birth date before 1900? Please check the year."),
    }[problem]


def total(data: RegisterData) -> int:
    return 2 if data.parent else 3


def name_prompt(data: RegisterData) -> str:
    return _("Step {n}/{total} — full name, for example <i>Gʻulom Oʻktamov</i>.").format(
        n=1, total=total(data)
    )


def phone_prompt(data: RegisterData) -> str:
    return _("Step {n}/{total} — phone number, for example <i>+998 90 123 45 67</i>.").format(
        n=2, total=total(data)
    )


def birth_prompt(data: RegisterData) -> str:
    return _(
        "Step {n}/{total} — birth date as DD.MM.YYYY, for example <i>21.03.2012</i>; "
        "send <b>-</b> if you do not know it."
    ).format(n=3, total=total(data))


async def read_name(data: RegisterData, text: str | None, context: FormContext) -> None:
    try:
        data.name = parsing.clean_name(text or "")
    except Invalid as invalid:
        raise Refusal(name_problem_text(invalid.problem)) from invalid


async def read_phone(data: RegisterData, text: str | None, context: FormContext) -> None:
    try:
        data.phone = parsing.clean_local_phone(text or "", context.settings.centre.phone_region)
    except Invalid as invalid:
        raise Refusal(registration_problem_text(invalid.problem)) from invalid
    known = await people_service.same_phone(context.session, data.phone)
    data.duplicates = [person.full_name or "" for person in known]


async def read_birth(data: RegisterData, text: str | None, context: FormContext) -> None:
    text = (text or "").strip()
    if text == "-":
        data.birth = None
        return
    today = utcnow().astimezone(context.settings.centre.tz).date()
    try:
        data.birth = parsing.parse_birth_date(text, today).isoformat()
    except Invalid as invalid:
        raise Refusal(registration_problem_text(invalid.problem)) from invalid


class RegisterForm(Form[RegisterData], state="register_form"):
    """The name, the phone and (a student's) birth date, then the summary."""

    key = "rg"
    data_type = RegisterData
    flags = USERS
    steps = (
        Step("name", name_prompt, read=read_name, label=lambda: _("✏️ Name")),
        Step("phone", phone_prompt, read=read_phone, label=lambda: _("✏️ Phone")),
        Step(
            "birth",
            birth_prompt,
            read=read_birth,
            label=lambda: _("✏️ Birth date"),
            when=lambda data: not data.parent,
        ),
    )

    def title(self, data: RegisterData) -> str:
        if data.parent:
            return _("👪 <b>New parent of {child}</b>").format(child=escape(data.child_name))
        return _("🎓 <b>New student</b>")

    def summary_markup(self, data: RegisterData) -> InlineKeyboardMarkup:
        return summary_keyboard(self.key, confirm_label=_("✅ Save"))

    def while_confirming_text(self) -> str:
        return _("ℹ️ Use the buttons under the summary above: ✅ Save, ✏️ Edit or ❌ Cancel.")

    def summary_text(self, data: RegisterData) -> str:
        lines = [
            _("Check the new parent:") if data.parent else _("Check the new student:"),
            "",
            _("Name: {value}").format(value=escape(data.name)),
            _("Phone: {value}").format(value=escape(format_phone(data.phone))),
        ]
        if data.parent:
            lines.append(_("Parent of: {value}").format(value=escape(data.child_name)))
        else:
            lines.append(
                _("Birth date: {value}").format(
                    value=format_date(date.fromisoformat(data.birth))
                    if data.birth
                    else _("not given")
                )
            )
        if data.duplicates:
            names = ", ".join(escape(name or _("No name")) for name in data.duplicates)
            lines += [
                "",
                _("⚠️ This phone is already registered for: {names}. Save anyway?").format(
                    names=names
                ),
            ]
        return "\n".join(lines)

    async def save(self, data: RegisterData, context: FormContext) -> Retry | None:
        settings, actor = context.settings, context.actor
        user_id = await people_service.register(
            context.session,
            actor.user_id,
            Role(data.role),
            full_name=data.name,
            phone=data.phone,
            birth_date=date.fromisoformat(data.birth) if data.birth else None,
            child_id=data.child,
            language=settings.centre.default_language,
        )
        callback: CallbackQuery = context.event  # type: ignore[assignment]
        if user_id is None:
            await edit_or_send(callback, stale_button_text(), None)
            return None
        if await show_card(callback, context.session, settings, actor, user_id):
            context.toast = _("✅ Saved.")
        else:
            context.toast = stale_button_text()
        return None


@on.button("regs")
async def register_student_pressed(callback: CallbackQuery, scenes: ScenesManager) -> None:
    await RegisterForm.open(scenes, RegisterData(role=Role.STUDENT.value), below=True)


@on.button("regp", child=people_service.registrable_child)
async def register_parent_pressed(
    callback: CallbackQuery,
    callback_data: PeopleCb,
    session: AsyncSession,
    scenes: ScenesManager,
    child: PersonRef,
) -> None:
    data = RegisterData(role=Role.PARENT.value, child=child.id, child_name=child.full_name or "")
    await RegisterForm.open(scenes, data, below=True)


def create_router() -> Router:
    router = on.router("admin.people.register")
    router.include_router(RegisterForm.as_router())
    return router
