"""📅 A group's lessons (permission `academic`): the list, a lesson's card, cancelling or
moving one lesson.

Only a scheduled lesson that has not begun and has no attendance can be cancelled or
moved. Cancelling asks for a second tap that names who will be told; moving is a short
form (new date, new time, summary). After the commit the group's students, their
linked parents and the teacher get a notice in their own language (essential).

By screen: `cards` (the list, the card, cancelling), `moving` (the move form); `common`
the texts they share, `notices` what people are told.
"""

from aiogram import Router

from handlers.admin.lessons import cards, moving


def create_router() -> Router:
    router = Router(name="admin.lessons")
    router.include_routers(cards.create_router(), moving.create_router())
    return router
