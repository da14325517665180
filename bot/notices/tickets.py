"""Ticket notices to the staff: a new ticket, and the 24-hour reminder.

Each notice is rendered in its recipient's own language; the caller has ended its
transaction before Telegram is called.
"""

from html import escape

from aiogram import Bot
from loguru import logger

from bot.config import Settings
from bot.delivery import Outcome, Sender
from bot.formatting import format_datetime
from bot.i18n import _
from bot.services.support import TicketInfo, TicketNotice
from keyboards.support import answer_button, topic_labels


def author_name(ticket: TicketInfo) -> str:
    """The author's name as they wrote it, escaped; a stand-in when it is gone."""
    if ticket.author_name:
        return escape(ticket.author_name)
    return _("a user without a name")


def staff_notice_text(ticket: TicketInfo, settings: Settings, *, reminder: bool) -> str:
    topic = topic_labels()[ticket.topic]
    if reminder:
        title = _("⏰ <b>Ticket #{id} has waited more than 24 hours</b> · {topic}")
    else:
        title = _("📨 <b>New ticket #{id}</b> · {topic}")
    return "\n".join(
        [
            title.format(id=ticket.id, topic=topic),
            _("👤 From: {name}").format(name=author_name(ticket)),
            _("🕘 Sent: {when}").format(
                when=format_datetime(ticket.created_at, settings.centre.tz)
            ),
            "",
            escape(ticket.text),
        ]
    )


async def notify_staff(
    bot: Bot, sender: Sender, notice: TicketNotice, settings: Settings, *, reminder: bool = False
) -> int:
    """Send the ticket to every recipient; returns how many got it.

    A recipient who blocked the bot (or cannot be reached) is logged and skipped.
    """
    if not notice.recipients:
        logger.warning("ticket {}: nobody on the staff can be told of it", notice.ticket.id)
    sent = 0
    for recipient in notice.recipients:
        delivered = await sender.notify(
            bot,
            recipient,
            lambda: staff_notice_text(notice.ticket, settings, reminder=reminder),
            reply_markup=lambda: answer_button(notice.ticket.id),
        )
        sent += delivered.outcome is Outcome.SENT
    return sent
