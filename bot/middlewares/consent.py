"""The consent gate (POLICY 1-2): nothing but the policy, the terms, the language and
/contact before the user accepts; a reminder to re-accept after the policy changed.

Registered as an inner middleware on the dispatcher, so it runs after a handler's
filters matched and sees its flags: handlers usable before consent carry
`flags={"consent_free": True}`.
"""

import inspect
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.dispatcher.flags import get_flag
from aiogram.types import CallbackQuery, TelegramObject

from bot.config import Settings
from bot.middlewares import EventData, Handler
from bot.middlewares.logging import note_outcome
from bot.services.access import Actor

Responder = Callable[[TelegramObject, EventData], Awaitable[None]]


class ConsentGate(BaseMiddleware):
    def __init__(self, ask_for_consent: Responder, ask_to_renew: Responder) -> None:
        self.ask_for_consent = ask_for_consent
        self.ask_to_renew = ask_to_renew

    async def __call__(self, handler: Handler, event: TelegramObject, data: EventData) -> Any:
        actor: Actor | None = data.get("actor")
        if actor is None and _needs_actor(data):
            # No person behind it (a message without a sender, or from a bot): a handler
            # that acts for somebody does not run.
            note_outcome(data, "no_sender")
            if isinstance(event, CallbackQuery):
                await event.answer()
            return None
        if actor is None or get_flag(data, "consent_free"):
            return await handler(event, data)
        if actor.consent is None:
            note_outcome(data, "consent_required")
            await self.ask_for_consent(event, data)
            return None
        result = await handler(event, data)
        settings: Settings = data["settings"]
        if not actor.consent.is_current(settings.centre.policy_version):
            # Essential features keep working; the user is asked to accept the new version.
            await self.ask_to_renew(event, data)
        return result


def _needs_actor(data: EventData) -> bool:
    handler_object: HandlerObject | None = data.get("handler")
    return handler_object is None or _requires_actor(handler_object.callback)


@cache
def _requires_actor(callback: Callable[..., Any]) -> bool:
    """The handler takes `actor` without a default (the fallback's `actor=None` does not)."""
    parameter = inspect.signature(callback).parameters.get("actor")
    return parameter is not None and parameter.default is inspect.Parameter.empty
