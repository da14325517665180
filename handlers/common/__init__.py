"""Everyone's commands: start, help, language, cancel, and chat-member changes."""

from aiogram import Router

from handlers.common import cancel, chat_member, language, privacy, settings, start


def create_router() -> Router:
    router = Router(name="common")
    router.include_routers(
        privacy.create_router(),
        start.create_router(),
        settings.create_router(),
        language.create_router(),
        cancel.create_router(),
        chat_member.create_router(),
    )
    return router
