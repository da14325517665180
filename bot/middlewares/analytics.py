"""Counts each handled command per day and role, for users with the analytics consent.

The counts go to the dispatcher's `UsageTally`, which writes them every few seconds."""

from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Message, TelegramObject

from bot.commands import COMMANDS
from bot.config import Settings
from bot.middlewares import EventData, Handler
from bot.services.analytics import UsageTally
from db.base import utcnow

KNOWN_COMMANDS = frozenset(spec.name for spec in COMMANDS)


def command_of(message: Message) -> str | None:
    text = message.text or ""
    if not text.startswith("/"):
        return None
    name = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
    return name if name in KNOWN_COMMANDS else None


class UsageCountMiddleware(BaseMiddleware):
    async def __call__(self, handler: Handler, event: TelegramObject, data: EventData) -> Any:
        result = await handler(event, data)
        actor = data.get("actor")
        command = command_of(event) if isinstance(event, Message) else None
        if actor is not None and command is not None:
            settings: Settings = data["settings"]
            tally: UsageTally = data["usage_tally"]
            tally.count(
                actor,
                command,
                now=utcnow(),
                tz=settings.centre.tz,
                policy_version=settings.centre.policy_version,
            )
        return result
