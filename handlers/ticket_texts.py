"""What both sides of a support ticket read: the lines of its card (the author's and the
staff's), and the problems of a typed ticket or answer."""

from html import escape
from zoneinfo import ZoneInfo

from bot.formatting import format_datetime
from bot.i18n import _
from bot.services.support import TextProblem, TicketInfo
from keyboards.support import status_labels, topic_labels

TEXT_ON_ANSWERED_CARD = 1800  # the message is cut to leave room for the answer


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


def ticket_title(template: str, ticket: TicketInfo) -> str:
    """A card's first line: `template` with the ticket's {id} and {topic}."""
    return template.format(id=ticket.id, topic=topic_labels()[ticket.topic])


def sent_and_status(ticket: TicketInfo, tz: ZoneInfo) -> list[str]:
    return [
        _("🕘 Sent: {when}").format(when=format_datetime(ticket.created_at, tz)),
        _("Status: {status}").format(status=status_labels()[ticket.status]),
    ]


def message_and_answer(ticket: TicketInfo, tz: ZoneInfo) -> list[str]:
    """The ticket's message, then its answer once there is one."""
    if not ticket.answer:
        return [escape(ticket.text)]
    answered = format_datetime(ticket.answered_at, tz) if ticket.answered_at else ""
    return [
        escape(shorten(ticket.text, TEXT_ON_ANSWERED_CARD)),
        "",
        _("<b>Answer</b> ({when}):").format(when=answered),
        escape(ticket.answer),
    ]
