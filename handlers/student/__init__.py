"""The student's router: every handler here needs the student role.

Its screens arrive with the academic and money features; the guard is in place
first so that no handler added later can forget it.
"""

from aiogram import Router

from bot.filters.access import guard_router
from db.models import Role
from handlers.student import balance, views


def create_router() -> Router:
    router = guard_router(Router(name="student"), Role.STUDENT)
    router.include_router(views.create_router())
    router.include_router(balance.create_router())
    return router
