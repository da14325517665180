"""Answers several forms read the same way."""

from aiogram.types import Message

from bot.forms.engine import FormContext, Refusal
from bot.i18n import _


def own_contact_phone(message: Message, context: FormContext) -> str:
    """The phone of a contact the person shared of themselves with Telegram's button: only
    that proves the number is theirs, so a typed number or someone else's contact is refused."""
    contact = message.contact
    if contact is None:
        raise Refusal(
            _(
                "⚠️ Typed numbers are not accepted: tap «📱 Share my phone number» below, "
                "and Telegram sends the number of this account."
            )
        )
    if contact.user_id != context.actor.telegram_id:
        raise Refusal(
            _("⚠️ This is someone else's contact. Tap «📱 Share my phone number» to send yours.")
        )
    return contact.phone_number
