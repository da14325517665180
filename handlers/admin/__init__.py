"""The administrator's router: every handler here needs the admin role (owners have it)."""

from aiogram import Router

from bot.filters.access import guard_router
from db.models import Role
from handlers.admin import audit, panel, tickets


def create_router() -> Router:
    router = guard_router(Router(name="admin"), Role.ADMIN)
    router.include_routers(panel.create_router(), audit.create_router(), tickets.create_router())
    return router
