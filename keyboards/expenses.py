"""💸 Expenses: the month's list, an expense's card, categories and recurring expenses.

One CallbackData (`ex`) carries the screen (`action`), the row (`id`), the list's page and
month (`month` as YYYYMM, 0: the current one), so the ⬅ Back of a card returns to the page
it came from.
"""

from collections.abc import Callable, Sequence
from datetime import date

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.formatting import format_money
from bot.i18n import _
from bot.services.expenses import CategoryInfo, ExpenseInfo, RecurringInfo
from bot.services.paging import Page
from keyboards.forms import Rows, form_button, pick_button
from keyboards.ids import Id, Number
from keyboards.labels import category_name
from keyboards.paging import page_row

ROW = 2  # category buttons a row


class ExpenseCb(CallbackData, prefix="ex"):
    # list, card, photo, rv (reverse), again (enter anew), new; cats, cat, cnew, cren, cret,
    # cres, cdel, cdely; rec, rcard, rnew, rstop, rstopy
    action: str
    id: Id = 0
    page: Number = 1
    month: Number = 0  # YYYYMM; 0: the current month


def month_number(month: date) -> int:
    return month.year * 100 + month.month


def month_of(number: int) -> date | None:
    """The first day of the month a button names, None for one that is not a month."""
    year, month = divmod(number, 100)
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def _button(text: str, data: ExpenseCb) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(text=text, callback_data=data.pack())]


def _previous(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def _next(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def expense_button_text(expense: ExpenseInfo, day: str) -> str:
    mark = "↩️ " if expense.is_reversed else ""
    receipt = " 🧾" if expense.receipt_file_id else ""
    name = category_name(expense.category)
    return f"{mark}{day} · {format_money(expense.amount)} · {name}{receipt}"[:64]


def expenses_list(
    page: Page[ExpenseInfo],
    month: date,
    current: date,
    day_label: Callable[[date], str],
    month_label: Callable[[date], str],
) -> InlineKeyboardMarkup:
    """One button an expense, ◀ n/m ▶, the months either side (none after the current),
    then ➕ New expense, 🗂 Categories and 🔁 Recurring."""
    number = month_number(month)
    rows = [
        _button(
            expense_button_text(expense, day_label(expense.spent_on)),
            ExpenseCb(action="card", id=expense.id, page=page.page, month=number),
        )
        for expense in page.items
    ]
    paging = page_row(
        page.page, page.pages, lambda p: ExpenseCb(action="list", page=p, month=number)
    )
    if paging:
        rows.append(paging)
    months = [
        InlineKeyboardButton(
            text=f"◀ {month_label(_previous(month))}",
            callback_data=ExpenseCb(action="list", month=month_number(_previous(month))).pack(),
        )
    ]
    if month < current:
        months.append(
            InlineKeyboardButton(
                text=f"{month_label(_next(month))} ▶",
                callback_data=ExpenseCb(action="list", month=month_number(_next(month))).pack(),
            )
        )
    rows.append(months)
    rows.append(_button(_("➕ New expense"), ExpenseCb(action="new")))
    rows.append(
        [
            InlineKeyboardButton(
                text=_("🗂 Categories"), callback_data=ExpenseCb(action="cats").pack()
            ),
            InlineKeyboardButton(
                text=_("🔁 Recurring"), callback_data=ExpenseCb(action="rec").pack()
            ),
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def expense_card(expense: ExpenseInfo, page: int, month: int) -> InlineKeyboardMarkup:
    rows = []
    if expense.receipt_file_id:
        rows.append(_button(_("🧾 Show the receipt"), ExpenseCb(action="photo", id=expense.id)))
    if expense.is_reversed:
        rows.append(_button(_("➕ Enter it anew"), ExpenseCb(action="again", id=expense.id)))
    else:
        rows.append(_button(_("↩️ Reverse"), ExpenseCb(action="rv", id=expense.id)))
    rows.append(_button(_("⬅ Back"), ExpenseCb(action="list", page=page, month=month)))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def after_expense(expense: ExpenseInfo) -> InlineKeyboardMarkup:
    """Under "✅ Expense saved": its card, another one, the month's list."""
    month = month_number(expense.spent_on.replace(day=1))
    return InlineKeyboardMarkup(
        inline_keyboard=[
            _button(_("📄 Open the expense"), ExpenseCb(action="card", id=expense.id, month=month)),
            _button(_("➕ New expense"), ExpenseCb(action="new")),
            _button(_("📜 Expenses of the month"), ExpenseCb(action="list", month=month)),
        ]
    )


# --- in the forms -----------------------------------------------------------------------


def category_choice(form: str, step: str, categories: Sequence[CategoryInfo]) -> Rows:
    """The categories an expense may go in, ROW a row."""
    buttons = [
        pick_button(category_name(category)[:40], form, step, str(category.id))
        for category in categories
    ]
    return [buttons[index : index + ROW] for index in range(0, len(buttons), ROW)]


def day_choice(form: str, step: str) -> Rows:
    return [
        [
            pick_button(_("📅 Today"), form, step, "today"),
            pick_button(_("Yesterday"), form, step, "yesterday"),
        ]
    ]


def cancel_row(form: str) -> list[InlineKeyboardButton]:
    return [form_button(_("❌ Cancel"), form, "no")]


# --- categories -------------------------------------------------------------------------


def categories_keyboard(categories: Sequence[CategoryInfo]) -> InlineKeyboardMarkup:
    rows = []
    for category in categories:
        mark = "🗄 " if category.retired else ""
        rows.append(
            _button(
                f"{mark}{category_name(category)}"[:64], ExpenseCb(action="cat", id=category.id)
            )
        )
    rows.append(_button(_("➕ New category"), ExpenseCb(action="cnew")))
    rows.append(_button(_("⬅ Back"), ExpenseCb(action="list")))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def category_card(category: CategoryInfo) -> InlineKeyboardMarkup:
    rows = [_button(_("✏️ Rename"), ExpenseCb(action="cren", id=category.id))]
    if category.retired:
        rows.append(_button(_("♻️ Bring back"), ExpenseCb(action="cres", id=category.id)))
    else:
        rows.append(_button(_("🗄 Retire"), ExpenseCb(action="cret", id=category.id)))
    if not category.is_builtin:
        rows.append(_button(_("🗑 Delete"), ExpenseCb(action="cdel", id=category.id)))
    rows.append(_button(_("⬅ Back"), ExpenseCb(action="cats")))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def delete_confirmation(category: CategoryInfo) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            _button(_("🗑 Delete the category"), ExpenseCb(action="cdely", id=category.id)),
            _button(_("Keep it"), ExpenseCb(action="cat", id=category.id)),
        ]
    )


# --- recurring expenses -----------------------------------------------------------------


def recurring_list(page: Page[RecurringInfo]) -> InlineKeyboardMarkup:
    rows = [
        _button(
            f"{category_name(item.category)} · {format_money(item.amount)}"[:64],
            ExpenseCb(action="rcard", id=item.id, page=page.page),
        )
        for item in page.items
    ]
    paging = page_row(page.page, page.pages, lambda p: ExpenseCb(action="rec", page=p))
    if paging:
        rows.append(paging)
    rows.append(_button(_("➕ New recurring expense"), ExpenseCb(action="rnew")))
    rows.append(_button(_("⬅ Back"), ExpenseCb(action="list")))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def recurring_card(item: RecurringInfo, page: int) -> InlineKeyboardMarkup:
    rows = []
    if not item.stopped:
        rows.append(_button(_("⏹ Stop it"), ExpenseCb(action="rstop", id=item.id, page=page)))
    rows.append(_button(_("⬅ Back"), ExpenseCb(action="rec", page=page)))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def stop_confirmation(item: RecurringInfo, page: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            _button(_("⏹ Stop it from now on"), ExpenseCb(action="rstopy", id=item.id, page=page)),
            _button(_("Keep it running"), ExpenseCb(action="rcard", id=item.id, page=page)),
        ]
    )
