"""Loads (and on first contact creates) the sender; sets the language for gettext."""

from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bot.config import Settings
from bot.i18n import set_language
from bot.middlewares import EventData, Handler
from bot.middlewares.logging import UpdateTrace
from bot.middlewares.nul_bytes import without_nul
from bot.services import users as users_service
from db.base import utcnow


class UserMiddleware(BaseMiddleware):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def __call__(self, handler: Handler, event: TelegramObject, data: EventData) -> Any:
        sender: User | None = data.get("event_from_user")
        if sender is None or sender.is_bot:
            return await handler(event, data)
        actor = await users_service.sync_sender(
            data["session"],
            users_service.TelegramProfile(
                telegram_id=sender.id,
                # PostgreSQL cannot store a NUL; a name is cleaned, not refused (see nul_bytes).
                full_name=without_nul(sender.full_name) or "",
                username=without_nul(sender.username),
                language_code=sender.language_code,
            ),
            now=utcnow(),
            default_language=self.settings.centre.default_language,
            owner_ids=self.settings.telegram.owner_ids,
        )
        data["actor"] = actor
        trace: UpdateTrace | None = data.get("trace")
        if trace is not None:
            trace.role = actor.label
        return await handler(event, data)


class LocaleMiddleware(BaseMiddleware):
    """The language comes from the database user, never from Telegram's client setting."""

    def __init__(self, default_language: str) -> None:
        self.default_language = default_language

    async def __call__(self, handler: Handler, event: TelegramObject, data: EventData) -> Any:
        actor = data.get("actor")
        set_language(actor.language if actor else self.default_language)
        return await handler(event, data)
