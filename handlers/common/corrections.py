"""/mydata's ✏️ buttons: the person corrects their own name, email or phone (POLICY 6),
one step each, saved on the answer; 🌐 opens the language picker."""

from collections.abc import Awaitable, Callable
from html import escape

from aiogram import F, Router
from aiogram.fsm.scene import ScenesManager
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.formatting import format_phone
from bot.forms import Form, FormContext, FormData, Refusal, Retry, Step
from bot.forms.engine import Markup, Visit
from bot.forms.steps import own_contact_phone
from bot.i18n import _
from bot.services import mydata as mydata_service
from bot.services.access import Actor
from bot.services.parsing import Invalid
from bot.wording import person_problem, stale_button_text
from handlers.common.language import send_picker
from keyboards.common import main_menu
from keyboards.mydata import MyDataCb, share_contact


def name_prompt() -> str:
    return _(
        "✏️ Your name as the centre should write it, for example: <i>Gʻulom Oʻktamov</i>.\n"
        "Send /cancel to leave it as it is."
    )


def email_prompt() -> str:
    return _(
        "✉️ Your email address, for example: <i>aziza@example.com</i>.\n"
        "Send /cancel to leave it as it is."
    )


def phone_prompt() -> str:
    return _(
        "📱 Tap «📱 Share my phone number» below: Telegram sends the number of this account.\n"
        "Typed numbers are not accepted. Send /cancel to leave it as it is."
    )


class Correction(FormData):
    field: str = "name"  # a step: name, email or phone
    value: str = ""  # the name or email typed, or the phone of the shared contact


async def read_name(data: Correction, text: str | None, context: FormContext) -> None:
    if not text:
        raise Refusal(_("⚠️ Send the name as text."))
    data.value = text


async def read_email(data: Correction, text: str | None, context: FormContext) -> None:
    data.value = text or ""


async def receive_contact(data: Correction, message: Message, context: FormContext) -> None:
    data.value = own_contact_phone(message, context)


class ProfileForm(Form[Correction], state="profile_form"):
    """One correction of the person's own data (name, email or phone), saved on the answer."""

    key = "pf"
    data_type = Correction
    confirms = False
    steps = (
        Step("name", lambda data: name_prompt(), read=read_name),
        Step("email", lambda data: email_prompt(), read=read_email),
        Step("phone", lambda data: phone_prompt(), receive=receive_contact),
    )

    def step_text(self, step: Step[Correction], data: Correction) -> str:
        return step.question(data)

    async def step_markup(self, step: Step[Correction], visit: Visit[Correction]) -> Markup:
        return share_contact() if step.name == "phone" else None

    async def save(self, data: Correction, context: FormContext) -> Retry | None:
        change, saved = CORRECTIONS[data.field]
        try:
            stored = await change(context.session, context.actor.user_id, data.value)
        except Invalid as invalid:
            return Retry(data.field, person_problem(invalid.problem))
        text = stale_button_text() if stored is None else saved(stored)
        await context.event.answer(  # type: ignore[union-attr]
            text,
            reply_markup=main_menu(
                context.actor.effective_roles, app=context.settings.webapp.enabled
            ),
        )
        return None


def name_saved(name: str) -> str:
    return _("✅ Name saved: {name}.").format(name=escape(name))


def email_saved(email: str) -> str:
    return _("✅ Email saved: {email}.").format(email=escape(email))


def phone_saved(phone: str) -> str:
    return _("✅ Phone saved: {phone}.").format(phone=escape(format_phone(phone)))


Change = Callable[[AsyncSession, int, str], Awaitable[str | None]]

# A field: the service's change (the value as stored, None when the person is gone) and what
# the saved value is answered with.
CORRECTIONS: dict[str, tuple[Change, Callable[[str], str]]] = {
    "name": (mydata_service.change_name, name_saved),
    "email": (mydata_service.change_email, email_saved),
    "phone": (mydata_service.change_phone, phone_saved),
}


async def correct(callback: CallbackQuery, callback_data: MyDataCb, scenes: ScenesManager) -> None:
    field = callback_data.action
    # below the /mydata card, which stays as it is
    await ProfileForm.open(scenes, Correction(field=field), step=field, single=True, below=True)


async def edit_language(callback: CallbackQuery, actor: Actor) -> None:
    await send_picker(callback, actor)


def create_router() -> Router:
    router = Router(name="common.corrections")
    router.callback_query.register(correct, MyDataCb.filter(F.action.in_(CORRECTIONS)))
    router.callback_query.register(edit_language, MyDataCb.filter(F.action == "lang"))
    router.include_router(ProfileForm.as_router())
    return router
