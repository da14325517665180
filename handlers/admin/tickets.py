"""/tickets (POLICY 10), the staff's side: open tickets, a ticket's card, answering, closing.

Every handler needs the `users` permission (owners hold it). A ticket is answered once:
the service's conditional update lets the first answer win; a second one, a double tap,
or an old button gets "already answered" and changes nothing. The author is told in
their own language, after the commit.
"""

from collections.abc import Callable
from html import escape
from typing import Any

from aiogram import Bot, Router
from aiogram.fsm.scene import ScenesManager
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery import Outcome as Delivered
from bot.delivery import Sender
from bot.filters.access import USERS
from bot.forms import Form, FormContext, FormData, Refusal, Retry, Step
from bot.i18n import _
from bot.notices.tickets import author_name
from bot.services import support as support_service
from bot.services.access import Actor
from bot.services.support import Outcome, Recipient, Resolution, TicketInfo, TicketPage
from bot.telegram import edit_or_send
from bot.wording import stale_button_text
from db.models import TicketStatus
from handlers.buttons import show_screen
from handlers.registry import Registry
from handlers.ticket_texts import (
    message_and_answer,
    problem_text,
    sent_and_status,
    shorten,
    ticket_title,
)
from keyboards.forms import FormCb, form_button
from keyboards.support import (
    TicketCb,
    close_confirmation,
    ticket_card,
    tickets_list,
)

on = Registry(TicketCb, flags=USERS)


def list_text(page: TicketPage) -> str:
    if page.total == 0:
        return _("✅ <b>No open tickets.</b> Every ticket has an answer.")
    return "\n".join(
        [
            _("📨 <b>Open tickets: {total}</b>").format(total=page.total),
            _("Oldest first. Tap a ticket to open it."),
        ]
    )


def card_text(ticket: TicketInfo, settings: Settings) -> str:
    tz = settings.centre.tz
    lines = [
        ticket_title(_("📨 <b>Ticket #{id}</b> · {topic}"), ticket),
        _("👤 From: {name}").format(name=author_name(ticket)),
        *sent_and_status(ticket, tz),
        "",
        *message_and_answer(ticket, tz),
    ]
    return "\n".join(lines)


def refusal_text(state: Outcome | TicketStatus, ticket_id: int) -> str:
    if state in (Outcome.ANSWERED, TicketStatus.ANSWERED):
        return _("⚠️ Ticket #{id} has already been answered.").format(id=ticket_id)
    return _("⚠️ Ticket #{id} is closed.").format(id=ticket_id)


async def tell_author(
    bot: Bot, sender: Sender, author: Recipient | None, text_for: Callable[[], str], ticket_id: int
) -> bool:
    """Send the author a message rendered in their language; False when unreachable."""
    if author is None:
        return False
    return (await sender.notify(bot, author, text_for)).outcome is Delivered.SENT


def answer_for_author(ticket: TicketInfo) -> str:
    assert ticket.answer is not None
    return "\n".join(
        [
            _("💬 Answer to your ticket #{id}:").format(id=ticket.id),
            "",
            escape(ticket.answer),
            "",
            _("<i>Your message:</i> {text}").format(text=escape(shorten(ticket.text, 300))),
        ]
    )


class AnswerData(FormData):
    ticket_id: int = 0
    answer: str = ""


def answer_prompt(data: AnswerData) -> str:
    return "\n".join(
        [
            _("Step 1/2 — write the answer in one text, up to {maximum} characters.").format(
                maximum=support_service.ANSWER_MAX
            ),
            _("The user gets it in their chat with the bot."),
        ]
    )


async def read_answer(data: AnswerData, text: str | None, context: FormContext) -> None:
    problem = support_service.check_answer(text)
    if problem is not None:
        raise Refusal(
            problem_text(problem, text, support_service.ANSWER_MIN, support_service.ANSWER_MAX)
        )
    assert text is not None
    data.answer = text.strip()


class AnswerForm(Form[AnswerData], state="ticket_answer_form"):
    """The answer to an open ticket, then the summary; ✅ sends it to the ticket's author.
    A ticket is answered once: the first ✅ wins, a later one is told it was answered."""

    key = "ta"
    data_type = AnswerData
    flags = USERS
    steps = (Step("text", answer_prompt, read=read_answer, label=lambda: _("✏️ Edit")),)

    def title(self, data: AnswerData) -> str:
        return _("✍️ <b>Answer to ticket #{id}</b>").format(id=data.ticket_id)

    def step_text(self, step: Step[AnswerData], data: AnswerData) -> str:
        return "\n".join(
            [self.title(data), "", step.question(data), "", _("/cancel — leave without answering.")]
        )

    def while_confirming_text(self) -> str:
        return _("ℹ️ Use the buttons under the answer above: ✅ Send, ✏️ Edit or ❌ Cancel.")

    def cancelled_text(self) -> str:
        return _("❌ Cancelled. Nothing was sent.")

    @classmethod
    async def pressed_when_closed(
        cls, callback: CallbackQuery, callback_data: FormCb, **data: Any
    ) -> None:
        if callback_data.action == "ok":
            await answer_sent_already(callback, callback_data, data["session"])
        else:
            await super().pressed_when_closed(callback, callback_data, **data)

    def summary_text(self, data: AnswerData) -> str:
        return "\n".join(
            [
                _("Step 2/2 — check the answer to ticket #{id}:").format(id=data.ticket_id),
                "",
                escape(data.answer),
                "",
                _("Send it to the user?"),
            ]
        )

    def summary_markup(self, data: AnswerData) -> InlineKeyboardMarkup:
        """✏️ Edit goes straight to the one step; ✅ names the ticket, so that it can say
        what became of the ticket once the form has ended."""
        return InlineKeyboardMarkup(
            inline_keyboard=[
                [form_button(_("✅ Send"), self.key, "ok", str(data.ticket_id))],
                [
                    form_button(_("✏️ Edit"), self.key, "field", "text"),
                    form_button(_("❌ Cancel"), self.key, "no"),
                ],
            ]
        )

    async def save(self, data: AnswerData, context: FormContext) -> Retry | None:
        callback: CallbackQuery = context.event  # type: ignore[assignment]
        result: Resolution = await support_service.answer_ticket(
            context.session, data.ticket_id, context.actor.user_id, data.answer
        )
        if result.outcome is Outcome.MISSING:
            context.toast = stale_button_text()
            return None
        if result.outcome is not Outcome.DONE:
            refusal = refusal_text(result.outcome, data.ticket_id)
            await edit_or_send(callback, refusal, None)
            context.toast, context.alert = refusal, True
            return None
        assert result.ticket is not None
        ticket = result.ticket
        bot, sender = context.bot, context.sender
        if await tell_author(
            bot, sender, result.author, lambda: answer_for_author(ticket), ticket.id
        ):
            done = _("✅ The answer to ticket #{id} is sent.").format(id=ticket.id)
        else:
            done = _(
                "✅ The answer to ticket #{id} is saved, but the user could not be reached "
                "(they blocked the bot or their account is gone)."
            ).format(id=ticket.id)
        await edit_or_send(callback, f"{done}\n\n{escape(ticket.answer or '')}", None)
        context.toast = _("✅ Sent.")
        return None


def closed_for_author(ticket: TicketInfo) -> str:
    return _(
        "🔒 Your ticket #{id} was closed without a written answer. If you still need help, "
        "write again: /support"
    ).format(id=ticket.id)


@on.pages("tickets")
async def tickets_screen(page: int, session: AsyncSession) -> tuple[str, InlineKeyboardMarkup]:
    found = await support_service.open_tickets_page(session, page)
    return list_text(found), tickets_list(found)


@on.button("card", ticket=support_service.get_ticket)
async def card_pressed(
    callback: CallbackQuery,
    callback_data: TicketCb,
    session: AsyncSession,
    settings: Settings,
    ticket: TicketInfo,
) -> None:
    await show_screen(
        callback, card_text(ticket, settings), ticket_card(ticket, callback_data.page)
    )


@on.button("answer", ticket=support_service.get_ticket)
async def answer_pressed(
    callback: CallbackQuery,
    callback_data: TicketCb,
    session: AsyncSession,
    scenes: ScenesManager,
    ticket: TicketInfo,
) -> None:
    if ticket.status is not TicketStatus.OPEN:
        await callback.answer(refusal_text(ticket.status, ticket.id), show_alert=True)
        return
    await AnswerForm.open(scenes, AnswerData(ticket_id=ticket.id), below=True)


async def answer_sent_already(
    callback: CallbackQuery, callback_data: FormCb, session: AsyncSession
) -> None:
    """✅ Send of a summary whose form has ended (a double tap after sending, an old
    summary): say what became of the ticket."""
    ticket_id = int(callback_data.value) if callback_data.value.isdecimal() else 0
    ticket = await support_service.get_ticket(session, ticket_id) if ticket_id else None
    if ticket is None or ticket.status is TicketStatus.OPEN:
        await callback.answer(stale_button_text())
    else:
        await callback.answer(refusal_text(ticket.status, ticket.id), show_alert=True)


@on.button("close", ticket=support_service.get_ticket)
async def close_pressed(
    callback: CallbackQuery, callback_data: TicketCb, session: AsyncSession, ticket: TicketInfo
) -> None:
    if ticket.status is not TicketStatus.OPEN:
        await callback.answer(refusal_text(ticket.status, ticket.id), show_alert=True)
        return
    await show_screen(
        callback,
        _(
            "🔒 <b>Close ticket #{id} without a written answer?</b>\n\n"
            "The user will be told that it was closed."
        ).format(id=ticket.id),
        close_confirmation(ticket.id, callback_data.page),
    )


@on.button("close_yes")
async def close_confirmed(
    callback: CallbackQuery,
    callback_data: TicketCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
    sender: Sender,
) -> None:
    result = await support_service.close_ticket(session, callback_data.id, actor.user_id)
    if result.outcome is Outcome.MISSING:
        await callback.answer(stale_button_text())
        return
    if result.outcome is not Outcome.DONE:
        await callback.answer(refusal_text(result.outcome, callback_data.id), show_alert=True)
        return
    assert result.ticket is not None
    ticket = result.ticket
    await tell_author(bot, sender, result.author, lambda: closed_for_author(ticket), ticket.id)
    await edit_or_send(
        callback, card_text(ticket, settings), ticket_card(ticket, callback_data.page)
    )
    await callback.answer(_("🔒 Ticket #{id} is closed.").format(id=ticket.id))


def create_router() -> Router:
    router = on.router("admin.tickets")
    router.include_router(AnswerForm.as_router())
    return router
