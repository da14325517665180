"""👥 Groups (permission `academic`): the list and a group's card (`cards`), the group form
(`form`, its data in `data`, the steps picked with buttons in `pickers`, its weekly timetable
in `slots`), and what they say (`texts`)."""

from aiogram import Router

from handlers.admin.groups import cards
from handlers.admin.groups.form import GroupForm


def create_router() -> Router:
    router = Router(name="admin.groups")
    router.include_router(cards.create_router())
    router.include_router(GroupForm.as_router())
    return router
