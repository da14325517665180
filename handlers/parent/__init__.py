"""The parent's router: every handler here needs the parent role.

Its screens arrive with the academic and money features; the guard is in place
first so that no handler added later can forget it.
"""

from aiogram import Router

from bot.filters.access import guard_router
from db.models import Role
from handlers.parent import children


def create_router() -> Router:
    router = guard_router(Router(name="parent"), Role.PARENT)
    router.include_router(children.create_router())
    return router
