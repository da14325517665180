"""Everyone's commands: start, help, language, cancel, and chat-member changes."""

from aiogram import Router

from handlers.common import (
    cancel,
    chat_member,
    corrections,
    deletion,
    export,
    language,
    leads,
    mydata,
    payments,
    privacy,
    settings,
    start,
    support,
    webapp,
)


def create_router() -> Router:
    router = Router(name="common")
    router.include_routers(
        payments.create_router(),  # first: a payment message is never taken by a form
        privacy.create_router(),
        start.create_router(),
        settings.create_router(),
        language.create_router(),
        cancel.create_router(),
        mydata.create_router(),
        corrections.create_router(),  # after cancel: /cancel leaves its form
        export.create_router(),
        support.create_router(),  # after cancel: /cancel leaves its form
        deletion.create_router(),  # after cancel: /cancel leaves its form
        leads.create_router(),  # after cancel: /cancel leaves its form
        webapp.create_router(),
        chat_member.create_router(),
    )
    return router
