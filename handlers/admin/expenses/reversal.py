"""↩️ Reverse an expense (entered by mistake): the reason, then a danger confirmation that
names its action and its way out. The expense stays listed, marked reversed, and counts
nowhere; "➕ Enter it anew" on its card enters the right one. `save` is one service call;
the same ✅ pressed twice reverses once.
"""

from datetime import date
from html import escape

from aiogram.fsm.scene import ScenesManager
from aiogram.types import CallbackQuery, InlineKeyboardMarkup

from bot.filters.access import EXPENSES
from bot.formatting import format_date, format_money
from bot.forms import FormContext, FormData, Retry, Step
from bot.i18n import _
from bot.services import expenses as service
from bot.services import parsing
from bot.services.expenses import ExpenseInfo, Outcome
from bot.services.parsing import Invalid
from bot.telegram import edit_or_send
from bot.wording import stale_button_text, text_problem
from db.base import utcnow
from handlers.admin.expenses.common import REVERSE_FORM, ExpenseBaseForm, refused
from handlers.admin.expenses.listing import card_text
from handlers.registry import Registry
from keyboards.expenses import ExpenseCb, cancel_row, expense_card, month_number
from keyboards.forms import summary_keyboard
from keyboards.labels import category_name

on = Registry(ExpenseCb, flags=EXPENSES)


class ReverseData(FormData):
    expense_id: int = 0
    amount: int = 0
    category: str = ""
    spent_on: str = ""
    reason: str = ""


def already_reversed_text() -> str:
    return _("ℹ️ This expense is already reversed.")


async def read_reason(data: ReverseData, text: str | None, context: FormContext) -> None:
    try:
        data.reason = parsing.clean_text(text, 1, service.NOTE_MAX)
    except Invalid as error:
        await refused(context, f"reason.{error.problem.value}", expense_id=data.expense_id)
        raise


class ReverseExpenseForm(ExpenseBaseForm, state=REVERSE_FORM):
    key = "exr"
    data_type = ReverseData
    edit_from = "reason"
    steps = (
        Step(
            "reason",
            lambda data: _("Type the reason (required, up to {limit} characters).").format(
                limit=service.NOTE_MAX
            ),
            read=read_reason,
            buttons=lambda data, form: [cancel_row(form)],
            problem=text_problem,
            example=lambda: _("Example: <i>entered twice</i>"),
        ),
    )

    def title(self, data: ReverseData) -> str:
        return _("↩️ <b>Reverse the expense</b> #{id}: {amount}, {category}").format(
            id=data.expense_id, amount=format_money(data.amount), category=escape(data.category)
        )

    def summary_text(self, data: ReverseData) -> str:
        return "\n".join(
            [
                _("⚠️ <b>Reverse the expense</b> of {amount} ({category}, {day})?").format(
                    amount=format_money(data.amount),
                    category=escape(data.category),
                    day=format_date(date.fromisoformat(data.spent_on)),
                ),
                _("Reason: {reason}").format(reason=escape(data.reason)),
                "",
                _(
                    "It stays in the records marked as reversed and counts in no report. "
                    "This cannot be undone."
                ),
            ]
        )

    def summary_markup(self, data: ReverseData) -> InlineKeyboardMarkup:
        return summary_keyboard(
            self.key, confirm_label=_("↩️ Reverse the expense"), keep_label=_("Keep the expense")
        )

    async def save(self, data: ReverseData, context: FormContext) -> Retry | None:
        result = await service.reverse_expense(
            context.session,
            actor_id=context.actor.user_id,
            expense_id=data.expense_id,
            reason=data.reason,
            now=utcnow(),
        )
        if result.outcome is Outcome.ALREADY_REVERSED:
            context.toast, context.alert = already_reversed_text(), True
        elif result.outcome is not Outcome.DONE:
            context.toast = stale_button_text()
        else:
            context.toast = _("↩️ Reversed.")
        expense = result.expense
        if expense is not None:
            month = month_number(expense.spent_on.replace(day=1))
            await edit_or_send(
                context.event,  # type: ignore[arg-type]
                card_text(expense, context.settings),
                expense_card(expense, 1, month),
            )
        return None


@on.button("rv", expense=service.get)
async def reverse_pressed(
    callback: CallbackQuery, scenes: ScenesManager, expense: ExpenseInfo
) -> None:
    if expense.is_reversed:
        await callback.answer(already_reversed_text(), show_alert=True)
        return
    data = ReverseData(
        expense_id=expense.id,
        amount=expense.amount,
        category=category_name(expense.category),
        spent_on=expense.spent_on.isoformat(),
    )
    await ReverseExpenseForm.open(scenes, data, below=True)
