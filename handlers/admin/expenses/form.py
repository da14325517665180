"""➕ New expense: the category, the amount, the day, a note and a photo of the receipt (or
⏭ No receipt), then the summary. Nothing is written before ✅ Confirm; `save` is one service
call (the expense and its audit entry in one transaction).

"➕ Enter it anew" on a reversed expense opens the same form with its answers, at the amount.
"""

from datetime import date
from html import escape

from aiogram.types import CallbackQuery, Message

from bot.formatting import format_date, format_money
from bot.forms import Advance, FormContext, Refusal, Retry, Step
from bot.i18n import _
from bot.services import expenses as service
from bot.services.expenses import ExpenseInfo, Outcome
from bot.services.parsing import Invalid
from bot.telegram import edit_or_send
from bot.wording import amount_problem, text_problem
from db.base import utcnow
from handlers.admin.expenses.common import (
    EXPENSE_FORM,
    ExpenseBaseForm,
    HasExpense,
    day_problem,
    note_hint,
    pick_category,
    pick_day,
    read_amount,
    read_day,
    read_note,
    refused,
    retired_text,
    today,
)
from handlers.admin.expenses.common import amount_hint as amount_example
from keyboards.expenses import after_expense, cancel_row, category_choice, day_choice
from keyboards.forms import Rows, skip_row
from keyboards.labels import category_name


class ExpenseData(HasExpense):
    spent_on: str = ""  # ISO date (the FSM data is JSON)
    receipt_file_id: str | None = None


def saved_text(expense: ExpenseInfo) -> str:
    return "\n".join(
        [
            _("✅ <b>Expense saved</b>: {amount}, {category}").format(
                amount=format_money(expense.amount),
                category=escape(category_name(expense.category)),
            ),
            _("Day: {day}").format(day=format_date(expense.spent_on)),
            _("Receipt: {receipt}").format(
                receipt=_("🧾 photo kept") if expense.receipt_file_id else "—"
            ),
        ]
    )


def gone_text() -> str:
    return _("⚠️ This category no longer exists: choose another one.")


# --- the steps ------------------------------------------------------------------------------


async def category_buttons(data: ExpenseData, form: str, context: FormContext) -> Rows:
    offered = await service.active_categories(context.session)
    return [*category_choice(form, "category", offered), cancel_row(form)]


async def read_typed_day(data: ExpenseData, text: str | None, context: FormContext) -> None:
    try:
        data.spent_on = read_day(text, today(context.settings)).isoformat()
    except Invalid as error:
        await refused(context, f"day.{error.problem.value}")
        raise


async def pick_a_day(data: ExpenseData, value: str, context: FormContext) -> None:
    data.spent_on = pick_day(value, today(context.settings)).isoformat()


async def receive_receipt(data: ExpenseData, message: Message, context: FormContext) -> None:
    """A photo of the receipt (Telegram keeps it: its file id is stored); anything else is
    refused with what to send instead."""
    if not message.photo:
        await refused(context, "receipt.not_photo")
        raise Refusal(_("⚠️ Send the receipt as a photo (not as a file), or tap ⏭ No receipt."))
    data.receipt_file_id = message.photo[-1].file_id


def skip_receipt(data: ExpenseData) -> None:
    data.receipt_file_id = None


class ExpenseForm(ExpenseBaseForm, state=EXPENSE_FORM):
    key = "ex"
    data_type = ExpenseData
    steps = (
        Step(
            "category",
            lambda data: _("Step 1/5 — the category of the expense."),
            pick=pick_category,
            choices=category_buttons,
            label=lambda: _("✏️ Category"),
            typed_hint=lambda: _("ℹ️ Choose the category with the buttons above, or /cancel."),
        ),
        Step(
            "amount",
            lambda data: _("Step 2/5 — the amount in soʻm."),
            read=read_amount,
            buttons=lambda data, form: [cancel_row(form)],
            problem=amount_problem,
            label=lambda: _("✏️ Amount"),
            example=amount_example,
        ),
        Step(
            "day",
            lambda data: _("Step 3/5 — the day it was spent: a button, or type the date."),
            read=read_typed_day,
            pick=pick_a_day,
            buttons=lambda data, form: [*day_choice(form, "day"), cancel_row(form)],
            problem=day_problem,
            label=lambda: _("✏️ Day"),
            example=lambda: _("Example: <i>05.03.2026</i>"),
        ),
        Step(
            "note",
            lambda data: _("Step 4/5 — what it was for (up to {limit} characters).").format(
                limit=service.NOTE_MAX
            ),
            read=read_note,
            buttons=lambda data, form: [cancel_row(form)],
            problem=text_problem,
            label=lambda: _("✏️ Note"),
            example=note_hint,
        ),
        Step(
            "receipt",
            lambda data: _("Step 5/5 — a photo of the receipt, or ⏭ No receipt."),
            receive=receive_receipt,
            skip=skip_receipt,
            buttons=lambda data, form: [
                skip_row(form, "receipt", _("⏭ No receipt")),
                cancel_row(form),
            ],
            label=lambda: _("✏️ Receipt"),
        ),
    )

    def title(self, data: ExpenseData) -> str:
        return _("💸 <b>New expense</b>")

    def summary_text(self, data: ExpenseData) -> str:
        return "\n".join(
            [
                _("💸 <b>Check the expense</b>"),
                "",
                _("Category: {category}").format(category=escape(data.category)),
                _("Amount: {amount}").format(amount=format_money(data.amount)),
                _("Day: {day}").format(day=format_date(date.fromisoformat(data.spent_on))),
                _("Note: {note}").format(note=escape(data.note)),
                _("Receipt: {receipt}").format(
                    receipt=_("🧾 a photo") if data.receipt_file_id else "—"
                ),
                "",
                _(
                    "Nothing is saved before ✅ Confirm. An expense is never edited: a mistake "
                    "is reversed and entered anew."
                ),
            ]
        )

    async def save(self, data: ExpenseData, context: FormContext) -> Retry | Advance | None:
        result = await service.record_expense(
            context.session,
            actor_id=context.actor.user_id,
            category_id=data.category_id,
            amount=data.amount,
            spent_on=date.fromisoformat(data.spent_on),
            note=data.note,
            receipt_file_id=data.receipt_file_id,
            today=today(context.settings),
            now=utcnow(),
        )
        if result.outcome is Outcome.RETIRED:
            found = await service.category(context.session, data.category_id)
            return Retry("category", retired_text(found) if found else gone_text())
        if result.outcome is Outcome.MISSING:
            return Retry("category", gone_text())
        callback: CallbackQuery = context.event  # type: ignore[assignment]
        if result.outcome is not Outcome.DONE or result.expense is None:
            await edit_or_send(
                callback, _("⚠️ This expense cannot be saved. Nothing was saved."), None
            )
            return None
        context.toast = _("✅ Saved.")
        await edit_or_send(callback, saved_text(result.expense), after_expense(result.expense))
        return None


def anew(expense: ExpenseInfo) -> ExpenseData:
    """The answers of a reversed expense, to enter it again corrected."""
    return ExpenseData(
        category_id=expense.category.id,
        category=category_name(expense.category),
        amount=expense.amount,
        spent_on=expense.spent_on.isoformat(),
        note=expense.note,
        receipt_file_id=expense.receipt_file_id,
    )
