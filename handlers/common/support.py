"""/support (POLICY 10), the user's side: write to the centre, see your own tickets.

Step 1 picks a topic, step 2 takes the text, step 3 is a summary with ✅ Send; nothing
is stored before ✅. The staff are notified after the ticket is committed.
"""

from html import escape

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.scene import ScenesManager
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.formatting import format_datetime
from bot.forms import Form, FormContext, FormData, Refusal, Step
from bot.forms.engine import reply
from bot.i18n import _
from bot.notices.tickets import notify_staff
from bot.services import support as support_service
from bot.services.access import Actor
from bot.services.support import TextProblem, TicketInfo
from bot.wording import stale_button_text
from db.models import TicketTopic
from handlers.buttons import show_screen
from handlers.registry import Registry
from keyboards.forms import summary_keyboard
from keyboards.support import (
    TicketCb,
    own_ticket_back,
    status_labels,
    support_home,
    support_text_step,
    topic_labels,
)

on = Registry(TicketCb)


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def problem_text(problem: TextProblem, text: str | None, minimum: int, maximum: int) -> str:
    if problem is TextProblem.NOT_TEXT:
        return _(
            "⚠️ Please write it as a text message; photos, files and stickers are not taken here."
        )
    if problem is TextProblem.TOO_SHORT:
        return _("⚠️ That is too short: write at least {minimum} characters.").format(
            minimum=minimum
        )
    return _(
        "⚠️ That is too long: {length} characters, and the limit is {maximum}. Please shorten it."
    ).format(length=len((text or "").strip()), maximum=maximum)


def home_text(recent: list[TicketInfo], settings: Settings) -> str:
    lines = [
        _("🆘 <b>Support</b>"),
        "",
        _(
            "Write to the centre: a question, a complaint, a request about your personal "
            "data, or a payment matter. We answer within 24 hours, here in this chat."
        ),
    ]
    if recent:
        topics, statuses = topic_labels(), status_labels()
        lines += ["", _("Your recent tickets:")]
        lines += [
            f"#{t.id} · {topics[t.topic]} · {format_datetime(t.created_at, settings.centre.tz)}"
            f" · {statuses[t.status]}"
            for t in recent
        ]
    lines += ["", _("Step 1/3 — choose a topic:")]
    return "\n".join(lines)


def text_step_text(topic: TicketTopic) -> str:
    return "\n".join(
        [
            _("🆘 <b>Support</b> · {topic}").format(topic=topic_labels()[topic]),
            "",
            _(
                "Step 2/3 — write your message in one text, from {minimum} to {maximum} characters."
            ).format(minimum=support_service.TEXT_MIN, maximum=support_service.TEXT_MAX),
            _("Example: <i>My son missed Monday's lesson; can he make it up on Wednesday?</i>"),
            "",
            _("/cancel — leave without sending."),
        ]
    )


def summary_text(topic: TicketTopic, text: str) -> str:
    return "\n".join(
        [
            _("Step 3/3 — check your message:"),
            "",
            _("<b>Topic:</b> {topic}").format(topic=topic_labels()[topic]),
            "",
            escape(text),
            "",
            _("Send it to the centre?"),
        ]
    )


def own_ticket_text(ticket: TicketInfo, settings: Settings) -> str:
    tz = settings.centre.tz
    lines = [
        _("🆘 <b>Ticket #{id}</b> · {topic}").format(
            id=ticket.id, topic=topic_labels()[ticket.topic]
        ),
        _("🕘 Sent: {when}").format(when=format_datetime(ticket.created_at, tz)),
        _("Status: {status}").format(status=status_labels()[ticket.status]),
        "",
        _("<b>Your message:</b>"),
        escape(shorten(ticket.text, 1800) if ticket.answer else ticket.text),
    ]
    if ticket.answer:
        answered = format_datetime(ticket.answered_at, tz) if ticket.answered_at else ""
        lines += [
            "",
            _("<b>Answer</b> ({when}):").format(when=answered),
            escape(ticket.answer),
        ]
    return "\n".join(lines)


class TicketData(FormData):
    topic: TicketTopic = TicketTopic.QUESTION
    text: str = ""


async def read_text(data: TicketData, text: str | None, context: FormContext) -> None:
    problem = support_service.check_text(text)
    if problem is not None:
        minimum, maximum = support_service.TEXT_MIN, support_service.TEXT_MAX
        raise Refusal(problem_text(problem, text, minimum, maximum))
    data.text = (text or "").strip()


class SupportForm(Form[TicketData], state="support_form"):
    """The topic is picked on the support screen; the form takes the text, then ✅ Send."""

    key = "su"
    data_type = TicketData
    steps = (
        Step(
            "text",
            lambda data: "",
            read=read_text,
            buttons=lambda data, form: support_text_step().inline_keyboard,
            label=lambda: _("✏️ Edit"),
        ),
    )

    def step_text(self, step: Step[TicketData], data: TicketData) -> str:
        return text_step_text(data.topic)

    def summary_text(self, data: TicketData) -> str:
        return summary_text(data.topic, data.text)

    def summary_markup(self, data: TicketData) -> InlineKeyboardMarkup:
        return summary_keyboard(self.key, confirm_label=_("✅ Send"))

    def cancelled_text(self) -> str:
        return _("❌ Cancelled. Nothing was sent.")

    def while_confirming_text(self) -> str:
        return _("ℹ️ Use the buttons under your message above: ✅ Send, ✏️ Edit or ❌ Cancel.")

    async def save(self, data: TicketData, context: FormContext) -> None:
        settings: Settings = context.settings
        notice = await support_service.open_ticket(
            context.session,
            context.actor.user_id,
            data.topic,
            data.text,
            settings.telegram.owner_ids,
        )
        text = _("✅ Ticket #{id} received. We answer within 24 hours, here in this chat.")
        await reply(context, text.format(id=notice.ticket.id), None)
        context.toast = _("✅ Sent.")
        await notify_staff(context.bot, context.sender, notice, settings)


@on.command("support", menu="support")
async def show_support(
    message: Message, actor: Actor, session: AsyncSession, settings: Settings
) -> None:
    recent = await support_service.recent_of_user(session, actor.user_id)
    await message.answer(home_text(recent, settings), reply_markup=support_home(recent))


@on.button("home")
async def support_home_pressed(
    callback: CallbackQuery,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    if await SupportForm.is_open(state):
        await state.clear()
    recent = await support_service.recent_of_user(session, actor.user_id)
    await show_screen(callback, home_text(recent, settings), support_home(recent))


@on.button("topic", where=F.value.in_([t.value for t in TicketTopic]))
async def topic_picked(
    callback: CallbackQuery, callback_data: TicketCb, scenes: ScenesManager
) -> None:
    await SupportForm.open(scenes, TicketData(topic=TicketTopic(callback_data.value)))


@on.button("view")
async def own_ticket_pressed(
    callback: CallbackQuery,
    callback_data: TicketCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
) -> None:
    ticket = await support_service.ticket_of_user(session, actor.user_id, callback_data.id)
    if ticket is None:  # someone else's ticket, or none at all
        await callback.answer(stale_button_text())
        return
    await show_screen(callback, own_ticket_text(ticket, settings), own_ticket_back())


def create_router() -> Router:
    router = on.router("common.support")
    router.include_router(SupportForm.as_router())
    return router
