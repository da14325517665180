"""Small rules of the Bot API that handlers share."""

from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message

MESSAGE_LIMIT = 4096


def is_not_modified(error: TelegramBadRequest) -> bool:
    """Telegram refuses an edit that changes neither the text nor the keyboard."""
    return "message is not modified" in error.message


def is_gone(error: TelegramBadRequest) -> bool:
    """The message behind a button can no longer be edited (deleted, or too old)."""
    return "message to edit not found" in error.message or "can't be edited" in error.message


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split on paragraph boundaries so that no part exceeds `limit`; nothing is cut.

    A paragraph longer than the limit is split on line breaks, then on spaces; only a
    single word longer than the limit is split inside.
    """
    if len(text) <= limit:
        return [text] if text else []
    for separator in ("\n\n", "\n", " "):
        if separator in text:
            return _pack(text.split(separator), separator, limit)
    return [text[i : i + limit] for i in range(0, len(text), limit)]


def _pack(pieces: list[str], separator: str, limit: int) -> list[str]:
    parts: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}{separator}{piece}" if current else piece
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        if len(piece) <= limit:
            current = piece
        else:
            *complete, current = split_message(piece, limit)
            parts.extend(complete)
    if current.strip():
        parts.append(current)
    return parts


async def edit_or_send(callback: CallbackQuery, text: str, markup: Any) -> None:
    """Edit the message the button belongs to; an unchanged page is not an error."""
    if not isinstance(callback.message, Message):
        await callback.bot.send_message(callback.from_user.id, text, reply_markup=markup)
        return
    try:
        await callback.message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as error:
        if is_gone(error):  # deleted, or too old to edit: say it in a new message
            await callback.bot.send_message(callback.from_user.id, text, reply_markup=markup)
        elif not is_not_modified(error):
            raise
