"""Text with a NUL byte is refused before any handler (PostgreSQL cannot store or compare it).

A NUL (U+0000) in a text, a caption, a shared contact or button data reaches PostgreSQL as
`invalid byte sequence` — an error instead of an answer, on every path that stores or searches
free text. One outer middleware covers them all, edited messages and every other update type
included: a private message gets a translated refusal, a button the stale-button answer, a
pre-checkout query a refusal; anything else is dropped. Nothing is changed.

The sender's own Telegram profile (User, Chat) is not looked at: a name is cleaned with
`without_nul` where it is stored (the user loader, consent acceptance) rather than locking its
owner out. A successful payment is let
through: money was taken, and its handler records it or reports it as not recorded.
"""

from collections.abc import Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Chat, TelegramObject, Update, User

from bot.i18n import _
from bot.middlewares import EventData, Handler
from bot.middlewares.logging import note_outcome

NUL = "\x00"


def without_nul(text: str | None) -> str | None:
    return text.replace(NUL, "") if text else text


PROFILES = (User, Chat)


def carries_nul(value: Any) -> bool:
    """A NUL in any string of this Telegram object, but in the people and chats it names.

    Only the fields the update carries are walked (pydantic's fields set: a message has some
    130 fields, a few are set), by exact type: this runs for every update (about 6 µs)."""
    kind = type(value)
    if kind is str:
        return NUL in value
    if kind is list or kind is tuple:
        return any(carries_nul(item) for item in value)
    fields_set = getattr(value, "__pydantic_fields_set__", None)
    if fields_set is None or kind in PROFILES:
        return False
    if kind is CallbackQuery:  # its message is the bot's own, not input
        return carries_nul(value.data) or carries_nul(value.inline_message_id)
    fields = value.__dict__
    return any(carries_nul(fields.get(name)) for name in fields_set)


def nul_refusal_text() -> str:
    return _(
        "⚠️ This message contains an invisible NUL character that cannot be saved. "
        "Nothing was changed; please send it again without it."
    )


class NulByteGuard(BaseMiddleware):
    def __init__(self, stale_button: Callable[[], str]) -> None:
        self.stale_button = stale_button

    async def __call__(self, handler: Handler, event: TelegramObject, data: EventData) -> Any:
        assert isinstance(event, Update)
        message = event.message
        if (message is not None and message.successful_payment is not None) or not carries_nul(
            event
        ):
            return await handler(event, data)
        note_outcome(data, "nul_refused")
        if message is not None and message.chat.type == ChatType.PRIVATE:
            await message.answer(nul_refusal_text())
        elif event.callback_query is not None:
            await event.callback_query.answer(self.stale_button())
        elif event.pre_checkout_query is not None:
            await event.pre_checkout_query.answer(ok=False, error_message=nul_refusal_text())
        return None
