"""Small rules of the Bot API that handlers share."""

from aiogram.exceptions import TelegramBadRequest


def is_not_modified(error: TelegramBadRequest) -> bool:
    """Telegram refuses an edit that changes neither the text nor the keyboard."""
    return "message is not modified" in error.message
