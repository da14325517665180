"""/expenses: the month's expenses (newest first, a page at a time, the months either side),
an expense's card with its receipt photo, ➕ New expense and ➕ Enter it anew."""

from html import escape

from aiogram.fsm.context import FSMContext
from aiogram.fsm.scene import ScenesManager
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters.access import EXPENSES
from bot.formatting import format_date, format_datetime, format_money
from bot.i18n import _
from bot.services import expenses as service
from bot.services.expenses import ExpenseInfo, MonthPage
from handlers.admin.expenses.common import (
    FORMS,
    category_text,
    day_label,
    month_label,
    short_month_label,
    today,
)
from handlers.admin.expenses.form import ExpenseData, ExpenseForm, anew
from handlers.buttons import show_screen
from handlers.registry import Registry
from keyboards.expenses import ExpenseCb, expense_card, expenses_list, month_number, month_of

on = Registry(ExpenseCb, flags=EXPENSES)


def list_text(found: MonthPage) -> str:
    lines = [_("💸 <b>Expenses · {month}</b>").format(month=month_label(found.month))]
    if found.page.total == 0:
        lines += ["", _("No expenses in this month. Tap ➕ New expense to enter one.")]
        return "\n".join(lines)
    lines += [
        _("Total: <b>{amount}</b> · entries: {count}").format(
            amount=format_money(found.total), count=found.page.total
        ),
        _("Teachers' pay is not here: it is the payroll's, in the profit report."),
        "",
        _("Tap an expense to open it. ↩️ marks a reversed one."),
    ]
    return "\n".join(lines)


def card_text(expense: ExpenseInfo, settings: Settings) -> str:
    lines = [
        _("💸 <b>Expense #{id}</b> · {category}").format(
            id=expense.id, category=category_text(expense.category)
        ),
    ]
    if expense.is_reversed:
        lines.append(
            _("↩️ Reversed {when}: {reason}").format(
                when=format_datetime(expense.reversed_at, settings.centre.tz),  # type: ignore[arg-type]
                reason=escape(expense.reversal_reason or "—"),
            )
        )
    lines += [
        "",
        _("💰 Amount: {amount}").format(amount=format_money(expense.amount)),
        _("📅 Day: {day}").format(day=format_date(expense.spent_on)),
        _("📝 {note}").format(note=escape(expense.note)),
        _("🧾 Receipt: {receipt}").format(
            receipt=_("a photo (tap to see it)") if expense.receipt_file_id else "—"
        ),
    ]
    if expense.recurring_id is not None:
        lines.append(_("🔁 Made by a recurring expense."))
    lines.append(
        _("🕘 Entered: {when}").format(when=format_datetime(expense.created_at, settings.centre.tz))
    )
    return "\n".join(lines)


@on.pages("expenses")
async def expenses_screen(
    page: int, session: AsyncSession, settings: Settings, callback_data: ExpenseCb | None
) -> tuple[str, InlineKeyboardMarkup]:
    current = today(settings).replace(day=1)
    month = current
    if callback_data is not None and callback_data.month:
        month = min(month_of(callback_data.month) or current, current)
    found = await service.month_page(session, month, page)
    markup = expenses_list(found.page, month, current, day_label, short_month_label)
    return list_text(found), markup


@on.button("card", expense=service.get)
async def card_pressed(
    callback: CallbackQuery,
    callback_data: ExpenseCb,
    settings: Settings,
    state: FSMContext,
    expense: ExpenseInfo,
) -> None:
    if await state.get_state() in FORMS:
        await state.clear()  # the card replaces the form's screen: the form ends
    month = callback_data.month or month_number(expense.spent_on.replace(day=1))
    await show_screen(
        callback, card_text(expense, settings), expense_card(expense, callback_data.page, month)
    )


@on.button("photo", expense=service.get)
async def photo_pressed(callback: CallbackQuery, expense: ExpenseInfo) -> None:
    """The receipt as the photo it was sent as, below the card (which stays)."""
    if not expense.receipt_file_id:
        await callback.answer(_("ℹ️ This expense has no receipt."))
        return
    caption = _("🧾 Receipt of expense #{id}: {amount}, {day}").format(
        id=expense.id, amount=format_money(expense.amount), day=format_date(expense.spent_on)
    )
    await callback.bot.send_photo(  # type: ignore[union-attr]
        callback.from_user.id, expense.receipt_file_id, caption=caption
    )
    await callback.answer()


@on.button("new")
async def new_pressed(callback: CallbackQuery, scenes: ScenesManager) -> None:
    await ExpenseForm.open(scenes, ExpenseData(), below=True)


@on.button("again", expense=service.get)
async def again_pressed(
    callback: CallbackQuery, scenes: ScenesManager, expense: ExpenseInfo
) -> None:
    """A reversed expense entered anew: its answers, from the amount on (✏️ Edit for the rest)."""
    if not expense.is_reversed:
        await callback.answer(
            _("ℹ️ Reverse the expense first, then enter it anew."), show_alert=True
        )
        return
    await ExpenseForm.open(scenes, anew(expense), step="amount", single=True, below=True)
