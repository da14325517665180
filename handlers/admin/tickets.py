"""/tickets (POLICY 10), the staff's side: open tickets, a ticket's card, answering, closing.

Every handler needs the `users` permission (owners hold it). A ticket is answered once:
the service's conditional update lets the first answer win; a second one, a double tap,
or an old button gets "already answered" and changes nothing. The author is told in
their own language, after the commit.
"""

from collections.abc import Callable
from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery import Outcome as Delivered
from bot.delivery import Sender
from bot.formatting import format_datetime
from bot.i18n import _
from bot.notices.tickets import author_name
from bot.services import support as support_service
from bot.services.access import Actor
from bot.services.support import Outcome, Recipient, Resolution, TicketInfo, TicketPage
from bot.telegram import edit_or_send
from bot.wording import stale_button_text
from db.models import Permission, TicketStatus
from handlers.common.support import problem_text, shorten
from handlers.forms import in_state, not_a_command
from keyboards.support import (
    TicketCb,
    answer_confirm,
    close_confirmation,
    status_labels,
    ticket_card,
    tickets_list,
    topic_labels,
)

USERS = {"permission": Permission.USERS}


class AnswerForm(StatesGroup):
    text = State()
    confirm = State()


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
        _("📨 <b>Ticket #{id}</b> · {topic}").format(
            id=ticket.id, topic=topic_labels()[ticket.topic]
        ),
        _("👤 From: {name}").format(name=author_name(ticket)),
        _("🕘 Sent: {when}").format(when=format_datetime(ticket.created_at, tz)),
        _("Status: {status}").format(status=status_labels()[ticket.status]),
        "",
        escape(shorten(ticket.text, 1800) if ticket.answer else ticket.text),
    ]
    if ticket.answer:
        answered = format_datetime(ticket.answered_at, tz) if ticket.answered_at else ""
        lines += ["", _("<b>Answer</b> ({when}):").format(when=answered), escape(ticket.answer)]
    return "\n".join(lines)


def refusal_text(state: Outcome | TicketStatus, ticket_id: int) -> str:
    if state in (Outcome.ANSWERED, TicketStatus.ANSWERED):
        return _("⚠️ Ticket #{id} has already been answered.").format(id=ticket_id)
    return _("⚠️ Ticket #{id} is closed.").format(id=ticket_id)


def answer_step_text(ticket_id: int) -> str:
    return "\n".join(
        [
            _("✍️ <b>Answer to ticket #{id}</b>").format(id=ticket_id),
            "",
            _("Step 1/2 — write the answer in one text, up to {maximum} characters.").format(
                maximum=support_service.ANSWER_MAX
            ),
            _("The user gets it in their chat with the bot."),
            "",
            _("/cancel — leave without answering."),
        ]
    )


def answer_summary_text(ticket_id: int, answer: str) -> str:
    return "\n".join(
        [
            _("Step 2/2 — check the answer to ticket #{id}:").format(id=ticket_id),
            "",
            escape(answer),
            "",
            _("Send it to the user?"),
        ]
    )


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


def closed_for_author(ticket: TicketInfo) -> str:
    return _(
        "🔒 Your ticket #{id} was closed without a written answer. If you still need help, "
        "write again: /support"
    ).format(id=ticket.id)


async def show_tickets(message: Message, session: AsyncSession) -> None:
    page = await support_service.open_tickets_page(session, 1)
    await message.answer(list_text(page), reply_markup=tickets_list(page))


async def list_pressed(
    callback: CallbackQuery, callback_data: TicketCb, session: AsyncSession
) -> None:
    page = await support_service.open_tickets_page(session, callback_data.page)
    await edit_or_send(callback, list_text(page), tickets_list(page))
    await callback.answer()


async def card_pressed(
    callback: CallbackQuery, callback_data: TicketCb, session: AsyncSession, settings: Settings
) -> None:
    ticket = await support_service.get_ticket(session, callback_data.id)
    if ticket is None:
        await callback.answer(stale_button_text())
        return
    await edit_or_send(
        callback, card_text(ticket, settings), ticket_card(ticket, callback_data.page)
    )
    await callback.answer()


async def answer_pressed(
    callback: CallbackQuery, callback_data: TicketCb, session: AsyncSession, state: FSMContext
) -> None:
    ticket = await support_service.get_ticket(session, callback_data.id)
    if ticket is None:
        await callback.answer(stale_button_text())
        return
    if ticket.status is not TicketStatus.OPEN:
        await callback.answer(refusal_text(ticket.status, ticket.id), show_alert=True)
        return
    await state.set_state(AnswerForm.text)
    await state.set_data({"ticket_id": ticket.id})
    await callback.answer()
    await callback.bot.send_message(callback.from_user.id, answer_step_text(ticket.id))


async def answer_received(message: Message, state: FSMContext) -> None:
    ticket_id = int((await state.get_data())["ticket_id"])
    problem = support_service.check_answer(message.text)
    if problem is not None:
        reason = problem_text(
            problem, message.text, support_service.ANSWER_MIN, support_service.ANSWER_MAX
        )
        await message.answer(f"{reason}\n\n{answer_step_text(ticket_id)}")
        return
    assert message.text is not None
    answer = message.text.strip()
    await state.set_data({"ticket_id": ticket_id, "answer": answer})
    await state.set_state(AnswerForm.confirm)
    await message.answer(
        answer_summary_text(ticket_id, answer), reply_markup=answer_confirm(ticket_id)
    )


async def answer_while_confirming(message: Message) -> None:
    await message.answer(
        _("ℹ️ Use the buttons under the answer above: ✅ Send, ✏️ Edit or ❌ Cancel.")
    )


async def drafting(state: FSMContext, ticket_id: int, *states: State) -> dict | None:
    """The answer draft of this ticket, when the form is at one of `states`."""
    data = await in_state(state, *states)
    return data if data is not None and data.get("ticket_id") == ticket_id else None


async def answer_edit_pressed(
    callback: CallbackQuery, callback_data: TicketCb, state: FSMContext
) -> None:
    if await drafting(state, callback_data.id, AnswerForm.confirm) is None:
        await callback.answer(stale_button_text())
        return
    await state.set_state(AnswerForm.text)
    await edit_or_send(callback, answer_step_text(callback_data.id), None)
    await callback.answer()


async def answer_drop_pressed(
    callback: CallbackQuery, callback_data: TicketCb, state: FSMContext
) -> None:
    if await drafting(state, callback_data.id, AnswerForm.text, AnswerForm.confirm) is None:
        await callback.answer(stale_button_text())
        return
    await state.clear()
    await edit_or_send(callback, _("❌ Cancelled. Nothing was sent."), None)
    await callback.answer()


async def answer_send_pressed(
    callback: CallbackQuery,
    callback_data: TicketCb,
    actor: Actor,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    sender: Sender,
) -> None:
    draft = await drafting(state, callback_data.id, AnswerForm.confirm)
    if draft is None:
        # A double tap after sending, or an old summary: say what became of the ticket.
        ticket = await support_service.get_ticket(session, callback_data.id)
        if ticket is None or ticket.status is TicketStatus.OPEN:
            await callback.answer(stale_button_text())
        else:
            await callback.answer(refusal_text(ticket.status, ticket.id), show_alert=True)
        return
    result: Resolution = await support_service.answer_ticket(
        session, callback_data.id, actor.user_id, draft["answer"]
    )
    await state.clear()
    if result.outcome is Outcome.MISSING:
        await callback.answer(stale_button_text())
        return
    if result.outcome is not Outcome.DONE:
        await edit_or_send(callback, refusal_text(result.outcome, callback_data.id), None)
        await callback.answer(refusal_text(result.outcome, callback_data.id), show_alert=True)
        return
    assert result.ticket is not None
    ticket = result.ticket
    if await tell_author(bot, sender, result.author, lambda: answer_for_author(ticket), ticket.id):
        done = _("✅ The answer to ticket #{id} is sent.").format(id=ticket.id)
    else:
        done = _(
            "✅ The answer to ticket #{id} is saved, but the user could not be reached "
            "(they blocked the bot or their account is gone)."
        ).format(id=ticket.id)
    await edit_or_send(callback, f"{done}\n\n{escape(ticket.answer or '')}", None)
    await callback.answer(_("✅ Sent."))


async def close_pressed(
    callback: CallbackQuery, callback_data: TicketCb, session: AsyncSession
) -> None:
    ticket = await support_service.get_ticket(session, callback_data.id)
    if ticket is None:
        await callback.answer(stale_button_text())
        return
    if ticket.status is not TicketStatus.OPEN:
        await callback.answer(refusal_text(ticket.status, ticket.id), show_alert=True)
        return
    await edit_or_send(
        callback,
        _(
            "🔒 <b>Close ticket #{id} without a written answer?</b>\n\n"
            "The user will be told that it was closed."
        ).format(id=ticket.id),
        close_confirmation(ticket.id, callback_data.page),
    )
    await callback.answer()


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
    router = Router(name="admin.tickets")
    router.message.register(show_tickets, Command("tickets"), flags=USERS)
    router.message.register(
        answer_received, StateFilter(AnswerForm.text), not_a_command, flags=USERS
    )
    router.message.register(
        answer_while_confirming, StateFilter(AnswerForm.confirm), not_a_command, flags=USERS
    )
    callbacks = router.callback_query
    for handler, action in (
        (list_pressed, "list"),
        (card_pressed, "card"),
        (answer_pressed, "answer"),
        (answer_edit_pressed, "aedit"),
        (answer_drop_pressed, "adrop"),
        (answer_send_pressed, "asend"),
        (close_pressed, "close"),
        (close_confirmed, "close_yes"),
    ):
        callbacks.register(handler, TicketCb.filter(F.action == action), flags=USERS)
    return router
