"""💼 Payroll (permission `payroll`; owners hold it): /payroll's months of payslips and
their cards (screens), the pay schemes of the teachers (schemes), adjustments and payouts
(money). Business rules live in bot/services/payroll."""

from aiogram import Router

from handlers.admin.payroll import money, schemes, screens


def create_router() -> Router:
    router = Router(name="admin.payroll")
    router.include_routers(
        screens.on.router("admin.payroll.screens"),
        schemes.on.router("admin.payroll.schemes"),
        money.on.router("admin.payroll.money"),
    )
    router.include_routers(
        schemes.SchemeForm.as_router(),
        money.AdjustForm.as_router(),
        money.PayoutForm.as_router(),
        money.UnpayForm.as_router(),
    )
    return router
