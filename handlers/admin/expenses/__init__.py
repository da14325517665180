"""💸 Expenses (permission `payroll`; owners always): /expenses lists the month's expenses
and opens the rest — an expense's card and receipt, ➕ New expense (a form), ↩️ Reverse (a
form), 🗂 Categories and 🔁 Recurring expenses. Teachers' pay is never typed here: it is the
payroll's, and the profit report counts it once."""

from aiogram import Router

from handlers.admin.expenses import categories, listing, recurring, reversal
from handlers.admin.expenses.categories import CategoryForm
from handlers.admin.expenses.form import ExpenseForm
from handlers.admin.expenses.recurring import RecurringForm
from handlers.admin.expenses.reversal import ReverseExpenseForm


def create_router() -> Router:
    router = listing.on.router("admin.expenses")
    for module in (reversal, categories, recurring):
        module.on.register(router)
    for form in (ExpenseForm, ReverseExpenseForm, CategoryForm, RecurringForm):
        router.include_router(form.as_router())
    return router
