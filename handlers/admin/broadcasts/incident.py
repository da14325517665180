"""🚨 /incident (owners only, POLICY 17): a text notice that goes at once to every active user
with consent, announcements switched off or not.

The form: the notice → a summary naming how many people get it → 🚨 Send to N now / Do not
send. The command and the whole form are for owners (`OWNER_ONLY`: the access guard refuses
anyone else, with its `denied` audit entry).
"""

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.scene import ScenesManager
from aiogram.types import InlineKeyboardMarkup, Message

from bot.filters.access import OWNER_ONLY
from bot.forms import Form, FormContext, FormData, Refusal, Retry, Step
from bot.i18n import _, ngettext
from bot.services import broadcasts as service
from bot.services.broadcasts import Audience, Draft
from bot.wording import cancel_hint
from db.base import utcnow
from db.models import AudienceType, BroadcastCategory
from handlers.admin.broadcasts.shared import buttons_hint, nothing_sent_text, start_sending
from keyboards.forms import summary_keyboard

INCIDENT_MAX = 3500


class IncidentData(FormData):
    chat: int = 0
    message: int = 0
    preview: str | None = None
    count: int = 0  # the recipients when the notice was typed


def notice_prompt(data: IncidentData) -> str:
    return "\n".join(
        [
            _("🚨 <b>Incident notice</b>"),
            "",
            _(
                "Type the notice as everyone should read it (text only; formatting is "
                "kept). It goes at once to every active user with consent, including "
                "those who switched announcements off."
            ),
            cancel_hint(),
        ]
    )


async def receive_notice(data: IncidentData, message: Message, context: FormContext) -> None:
    text = message.text or ""
    if message.content_type != "text" or not text.strip():
        raise Refusal(_("⚠️ An incident notice is text only: type it."))
    if len(text) > INCIDENT_MAX:
        raise Refusal(
            _("⚠️ That is too long: {length} characters, and the limit is {maximum}.").format(
                length=len(text), maximum=INCIDENT_MAX
            )
        )
    chosen = await service.audience_recipients(
        context.session,
        Audience(AudienceType.ALL),
        BroadcastCategory.ESSENTIAL,
        context.settings,
        utcnow(),
    )
    data.chat, data.message = message.chat.id, message.message_id
    data.preview, data.count = service.preview_of(text), len(chosen)


class IncidentForm(Form[IncidentData], state="incident_form"):
    """The notice, then the confirmation; no ✏️: a wrong notice is cancelled and typed again."""

    key = "in"
    data_type = IncidentData
    flags = OWNER_ONLY
    steps = (Step("notice", notice_prompt, receive=receive_notice),)

    def step_text(self, step: Step[IncidentData], data: IncidentData) -> str:
        return step.question(data)

    def summary_text(self, data: IncidentData) -> str:
        return "\n".join(
            [
                ngettext(
                    "🚨 <b>{count} person will get this notice now</b>, exactly as written above.",
                    "🚨 <b>{count} people will get this notice now</b>, exactly as written above.",
                    data.count,
                ).format(count=data.count),
                _("It cannot be recalled once sent."),
            ]
        )

    def summary_markup(self, data: IncidentData) -> InlineKeyboardMarkup:
        send = _("🚨 Send to {count} now").format(count=data.count)
        return summary_keyboard(self.key, send, _("Do not send"), editable=False)

    def while_confirming_text(self) -> str:
        return buttons_hint()

    def cancelled_text(self) -> str:
        return nothing_sent_text()

    async def save(self, data: IncidentData, context: FormContext) -> Retry | None:
        draft = Draft(
            source_chat_id=data.chat,
            source_message_id=data.message,
            preview_text=data.preview,
            audience=Audience(AudienceType.ALL),
            category=BroadcastCategory.ESSENTIAL,
        )
        await start_sending(context, draft, incident=True)
        return None


async def start_incident(message: Message, scenes: ScenesManager) -> None:
    await IncidentForm.open(scenes, IncidentData())


def create_router() -> Router:
    router = Router(name="admin.broadcasts.incident")
    router.message.register(start_incident, Command("incident"), flags=OWNER_ONLY)
    router.include_router(IncidentForm.as_router())
    return router
