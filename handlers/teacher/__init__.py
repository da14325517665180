"""The teacher's router: every handler here needs the teacher role.

/today and /groups, the attendance sheet, grades and homework; each handler also checks
that the group is the teacher's own (bot.services.attendance.may_manage / may_mark).
"""

from aiogram import Router

from bot.filters.access import guard_router
from db.models import Role
from handlers.teacher import attendance, grades, homework, lessons, salary


def create_router() -> Router:
    router = guard_router(Router(name="teacher"), Role.TEACHER)
    # lessons first: its menu buttons win over a form step's free text
    router.include_routers(
        lessons.create_router(),
        attendance.create_router(),
        grades.create_router(),
        homework.create_router(),
        salary.on.router("teacher.salary"),
    )
    return router
