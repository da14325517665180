"""The administrator's router: every handler here needs the admin role (owners have it)."""

from aiogram import Router

from bot.filters.access import guard_router
from db.models import Permission, Role
from handlers.admin import audit, courses, enrolment, groups, lessons, panel, people, staff, tickets
from handlers.admin import backup as admin_backup
from handlers.admin import balances as admin_balances
from handlers.admin import broadcasts as admin_broadcasts
from handlers.admin import debtors as admin_debtors
from handlers.admin import expenses as admin_expenses
from handlers.admin import imports as admin_imports
from handlers.admin import leads as admin_leads
from handlers.admin import payments as admin_payments
from handlers.admin import payroll as admin_payroll
from handlers.admin import reports as admin_reports
from handlers.teacher import attendance as teacher_attendance


def create_router() -> Router:
    router = guard_router(Router(name="admin"), Role.ADMIN)
    router.include_routers(panel.create_router(), audit.create_router(), tickets.create_router())
    router.include_router(admin_backup.create_router())
    router.include_router(admin_balances.create_router())
    router.include_router(admin_broadcasts.create_router())
    router.include_routers(admin_payments.create_router(), admin_debtors.create_router())
    router.include_router(admin_expenses.create_router())
    router.include_router(admin_reports.create_router())
    router.include_router(admin_payroll.create_router())
    router.include_router(admin_imports.create_router())
    router.include_routers(
        people.create_router(), staff.create_router(), admin_leads.create_router()
    )
    router.include_routers(
        courses.create_router(),
        groups.create_router(),
        lessons.create_router(),
        enrolment.create_router(),
    )
    # an admin with `academic` opens and marks any lesson's attendance sheet
    router.include_router(teacher_attendance.create_router(Permission.ACADEMIC))
    return router
