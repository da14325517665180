"""The router of last resort, and the error handler.

Unknown commands, stray text, stale or forged buttons get a short answer and change
nothing; an event a role guard refused gets the refusal and a `denied` audit entry;
an exception gets "something went wrong, nothing was changed" (the session middleware
already rolled the transaction back).
"""

from aiogram import F, Router
from aiogram.types import CallbackQuery, ErrorEvent, Message
from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters.access import Denial
from bot.i18n import _
from bot.middlewares.logging import UpdateTrace
from bot.services import audit
from bot.services.access import Actor
from bot.wording import refusal_text, stale_button_text


async def record_denial(
    session: AsyncSession, actor: Actor | None, denial: Denial, kind: str
) -> None:
    await audit.record_denied(
        session,
        actor_id=actor.user_id if actor else None,
        action="access.denied",
        details={"needs": denial.needs, "handler": denial.handler, "event": kind},
    )


async def unmatched_message(
    message: Message, trace: UpdateTrace, session: AsyncSession, actor: Actor | None = None
) -> None:
    if trace.denial is not None:
        await record_denial(session, actor, trace.denial, "message")
        await message.answer(refusal_text())
    elif message.text and message.text.startswith("/"):
        await message.answer(_("⚠️ Unknown command. Send /help to see what I can do."))
    else:
        await message.answer(_("ℹ️ I did not understand that. Use the menu buttons or send /help."))


async def unmatched_callback(
    callback: CallbackQuery, trace: UpdateTrace, session: AsyncSession, actor: Actor | None = None
) -> None:
    if trace.denial is not None:
        await record_denial(session, actor, trace.denial, "callback")
        await callback.answer(refusal_text(), show_alert=True)
    else:
        await callback.answer(stale_button_text())


async def error_in_message(event: ErrorEvent, message: Message) -> None:
    log_error(event)
    await message.answer(something_went_wrong())


async def error_in_callback(event: ErrorEvent, callback: CallbackQuery) -> None:
    log_error(event)
    await callback.answer(something_went_wrong(), show_alert=True)


async def error_elsewhere(event: ErrorEvent) -> None:
    log_error(event)


def something_went_wrong() -> str:
    return _("⚠️ Something went wrong. Nothing was changed; please try again.")


def log_error(event: ErrorEvent) -> None:
    logger.opt(exception=event.exception).error(
        "update={} failed: {}", event.update.update_id, type(event.exception).__name__
    )


def create_router() -> Router:
    router = Router(name="fallback")
    router.message.register(unmatched_message)
    router.callback_query.register(unmatched_callback)
    router.error.register(error_in_message, F.update.message.as_("message"))
    router.error.register(error_in_callback, F.update.callback_query.as_("callback"))
    router.error.register(error_elsewhere)
    return router
