"""Support tickets: the user's /support screens and the staff's /tickets screens."""

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import _
from bot.services.support import TicketInfo, TicketPage
from db.models import TicketStatus
from keyboards.admin import AdminCb
from keyboards.confirmation import confirmation
from keyboards.ids import Id, Number

# the names handlers/common/support.py and handlers/admin/tickets.py import from here
from keyboards.labels import ticket_status_labels as status_labels
from keyboards.labels import ticket_topic_labels as topic_labels
from keyboards.paging import page_row


class TicketCb(CallbackData, prefix="tk"):
    action: str
    id: Id = 0
    page: Number = 1
    value: str = ""


def support_home(recent: list[TicketInfo]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for topic, label in topic_labels().items():
        builder.button(text=label, callback_data=TicketCb(action="topic", value=topic.value))
    statuses = status_labels()
    for ticket in recent:
        builder.button(
            text=f"#{ticket.id} · {statuses[ticket.status]}",
            callback_data=TicketCb(action="view", id=ticket.id),
        )
    builder.adjust(2, 2, *([1] * len(recent)))
    return builder.as_markup()


def support_text_step() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⬅ Back"), callback_data=TicketCb(action="home"))
    return builder.as_markup()


def own_ticket_back() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⬅ Back"), callback_data=TicketCb(action="home"))
    return builder.as_markup()


def answer_button(ticket_id: int) -> InlineKeyboardMarkup:
    """Under a ticket sent to the staff (new ticket, reminder)."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✍️ Answer"), callback_data=TicketCb(action="answer", id=ticket_id))
    return builder.as_markup()


def tickets_list(page: TicketPage) -> InlineKeyboardMarkup:
    topics = topic_labels()
    rows: list[list[InlineKeyboardButton]] = []
    for ticket in page.items:
        name = ticket.author_name or "—"
        label = f"#{ticket.id} · {topics[ticket.topic]} · {name}"
        if len(label) > 60:
            label = label[:59] + "…"
        rows.append(
            [
                InlineKeyboardButton(
                    text=label,
                    callback_data=TicketCb(action="card", id=ticket.id, page=page.page).pack(),
                )
            ]
        )
    if page.pages > 1:
        rows.append(
            page_row(page.page, page.pages, lambda number: TicketCb(action="list", page=number))
        )
    rows.append(
        [InlineKeyboardButton(text=_("⬅ Back"), callback_data=AdminCb(action="home").pack())]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def ticket_card(ticket: TicketInfo, page: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if ticket.status is TicketStatus.OPEN:
        builder.button(text=_("✍️ Answer"), callback_data=TicketCb(action="answer", id=ticket.id))
        builder.button(
            text=_("🔒 Close"), callback_data=TicketCb(action="close", id=ticket.id, page=page)
        )
    builder.button(text=_("⬅ Back"), callback_data=TicketCb(action="list", page=page))
    builder.adjust(2, 1)
    return builder.as_markup()


def close_confirmation(ticket_id: int, page: int) -> InlineKeyboardMarkup:
    close = TicketCb(action="close_yes", id=ticket_id, page=page)
    keep = TicketCb(action="card", id=ticket_id, page=page)
    return confirmation(_("✅ Close the ticket"), close, _("Keep it open"), keep)
