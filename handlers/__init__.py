"""Routers in the order they are tried: common first, role routers, fallback last.

Each call builds new routers (a router belongs to one dispatcher), so tests and
several dispatchers in one process each get their own.
"""

from aiogram import Router

from bot.routing import add_gates
from handlers import admin, common, fallback, parent, student, teacher


def get_routers() -> list[Router]:
    routers = [
        common.create_router(),
        admin.create_router(),
        teacher.create_router(),
        student.create_router(),
        parent.create_router(),
        fallback.create_router(),
    ]
    for router in routers:
        add_gates(router)
    return routers
