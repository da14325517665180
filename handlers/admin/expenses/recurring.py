"""🔁 Recurring expenses (rent each month): the list of those running, a card, ⏹ Stop it
(a danger confirmation), and the form: the category, the amount, the day of the month, the
start (this month or later), an end (or none) and a note. The daily job makes each month's
expense on its day (bot/jobs/expenses.py); one due already is made as the form is saved."""

from datetime import date
from html import escape

from aiogram.fsm.scene import ScenesManager
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters.access import EXPENSES
from bot.formatting import format_date, format_money
from bot.forms import FormContext, OutOfDate, Retry, Step
from bot.i18n import _
from bot.services import expenses as service
from bot.services import parsing
from bot.services.access import Actor
from bot.services.expenses import Outcome, RecurringInfo
from bot.services.paging import Page
from bot.services.parsing import Invalid
from bot.telegram import edit_or_send
from bot.wording import (
    amount_problem,
    date_problem,
    number_problem,
    stale_button_text,
    text_problem,
)
from db.base import utcnow
from handlers.admin.expenses.common import (
    RECURRING_FORM,
    ExpenseBaseForm,
    HasExpense,
    amount_hint,
    category_text,
    note_hint,
    pick_category,
    read_amount,
    read_note,
    refused,
    retired_text,
    today,
)
from handlers.buttons import show_screen
from handlers.registry import Registry
from keyboards.expenses import (
    ExpenseCb,
    cancel_row,
    category_choice,
    recurring_card,
    recurring_list,
    stop_confirmation,
)
from keyboards.forms import Rows, pick_button, skip_row

on = Registry(ExpenseCb, flags=EXPENSES)


def list_text(page: Page[RecurringInfo]) -> str:
    if page.total == 0:
        return "\n".join(
            [
                _("🔁 <b>Recurring expenses</b>"),
                "",
                _("None yet. Rent, say: enter it once, and it is made each month on its day."),
            ]
        )
    return "\n".join(
        [
            _("🔁 <b>Recurring expenses running: {count}</b>").format(count=page.total),
            _("Each is entered as an expense on its day of the month."),
        ]
    )


def schedule_text(item: RecurringInfo) -> str:
    if item.ends_on is None:
        return _("each month on day {day}, from {start}").format(
            day=item.day, start=format_date(item.starts_on)
        )
    return _("each month on day {day}, from {start} to {end}").format(
        day=item.day, start=format_date(item.starts_on), end=format_date(item.ends_on)
    )


def card_text(item: RecurringInfo) -> str:
    lines = [
        _("🔁 <b>Recurring expense #{id}</b> · {category}").format(
            id=item.id, category=category_text(item.category)
        )
    ]
    if item.stopped:
        lines.append(_("⏹ Stopped: no more months; the expenses it made stay."))
    lines += [
        "",
        _("💰 Amount: {amount}").format(amount=format_money(item.amount)),
        _("📅 {schedule}").format(schedule=schedule_text(item)),
        _("📝 {note}").format(note=escape(item.note)),
        _("A month shorter than the day gets it on its last day."),
    ]
    return "\n".join(lines)


@on.pages("recurring", action="rec")
async def recurring_screen(page: int, session: AsyncSession) -> tuple[str, InlineKeyboardMarkup]:
    found = await service.recurring_page(session, page)
    return list_text(found), recurring_list(found)


@on.button("rcard", item=service.recurring)
async def card_pressed(
    callback: CallbackQuery, callback_data: ExpenseCb, item: RecurringInfo
) -> None:
    await show_screen(callback, card_text(item), recurring_card(item, callback_data.page))


@on.button("rstop", item=service.recurring)
async def stop_pressed(
    callback: CallbackQuery, callback_data: ExpenseCb, item: RecurringInfo
) -> None:
    if item.stopped:
        await callback.answer(_("ℹ️ It is stopped already."))
        return
    question = _("⚠️ <b>Stop it?</b> No expense is made for it from now on; those made stay.")
    await show_screen(
        callback, f"{card_text(item)}\n\n{question}", stop_confirmation(item, callback_data.page)
    )


@on.button("rstopy")
async def stop_confirmed(
    callback: CallbackQuery, callback_data: ExpenseCb, actor: Actor, session: AsyncSession
) -> None:
    result = await service.stop_recurring(session, actor.user_id, callback_data.id, utcnow())
    if result.recurring is None:
        await callback.answer(stale_button_text())
        return
    await edit_or_send(
        callback, card_text(result.recurring), recurring_card(result.recurring, callback_data.page)
    )
    if result.outcome is Outcome.ALREADY_STOPPED:
        await callback.answer(_("ℹ️ It is stopped already."))
    else:
        await callback.answer(_("⏹ Stopped."))


# --- the form -----------------------------------------------------------------------------------


class RecurringData(HasExpense):
    day: int = 0
    starts_on: str = ""  # ISO dates (the FSM data is JSON)
    ends_on: str | None = None


async def category_buttons(data: RecurringData, form: str, context: FormContext) -> Rows:
    offered = await service.active_categories(context.session)
    return [*category_choice(form, "category", offered), cancel_row(form)]


async def read_day(data: RecurringData, text: str | None, context: FormContext) -> None:
    try:
        data.day = parsing.parse_whole(text, 1, 31)
    except Invalid as error:
        await refused(context, f"day_of_month.{error.problem.value}")
        raise


def start_problem(error: Invalid, typed: str | None) -> str:
    if error.problem is parsing.Problem.DATE_PAST:
        return _("⚠️ The start is this month or later; enter the months before as expenses.")
    if error.problem is parsing.Problem.END_BEFORE_START:
        return _("⚠️ The end cannot be before the start.")
    return date_problem(error, typed)


async def read_start(data: RecurringData, text: str | None, context: FormContext) -> None:
    try:
        start = parsing.parse_date(text)
        if start < service.first_start(today(context.settings)):
            raise Invalid(parsing.Problem.DATE_PAST)
    except Invalid as error:
        await refused(context, f"start.{error.problem.value}")
        raise
    data.starts_on = start.isoformat()
    if data.ends_on and date.fromisoformat(data.ends_on) < start:
        data.ends_on = None  # asked again below


async def pick_start(data: RecurringData, value: str, context: FormContext) -> None:
    if value != "today":
        raise OutOfDate
    data.starts_on = today(context.settings).isoformat()


async def read_end(data: RecurringData, text: str | None, context: FormContext) -> None:
    try:
        end = parsing.parse_date(text)
        if end < date.fromisoformat(data.starts_on):
            raise Invalid(parsing.Problem.END_BEFORE_START)
    except Invalid as error:
        await refused(context, f"end.{error.problem.value}")
        raise
    data.ends_on = end.isoformat()


def skip_end(data: RecurringData) -> None:
    data.ends_on = None


class RecurringForm(ExpenseBaseForm, state=RECURRING_FORM):
    key = "exp"
    data_type = RecurringData
    steps = (
        Step(
            "category",
            lambda data: _("Step 1/6 — the category."),
            pick=pick_category,
            choices=category_buttons,
            label=lambda: _("✏️ Category"),
            typed_hint=lambda: _("ℹ️ Choose the category with the buttons above, or /cancel."),
        ),
        Step(
            "amount",
            lambda data: _("Step 2/6 — the amount each month, in soʻm."),
            read=read_amount,
            buttons=lambda data, form: [cancel_row(form)],
            problem=amount_problem,
            label=lambda: _("✏️ Amount"),
            example=amount_hint,
        ),
        Step(
            "day",
            lambda data: _(
                "Step 3/6 — the day of the month, 1 to 31 (a shorter month: its last day)."
            ),
            read=read_day,
            buttons=lambda data, form: [cancel_row(form)],
            problem=number_problem,
            label=lambda: _("✏️ Day of the month"),
            example=lambda: _("Example: <i>5</i>"),
        ),
        Step(
            "start",
            lambda data: _("Step 4/6 — the first day it counts from (this month or later)."),
            read=read_start,
            pick=pick_start,
            buttons=lambda data, form: [
                [pick_button(_("📅 Today"), form, "start", "today")],
                cancel_row(form),
            ],
            problem=start_problem,
            label=lambda: _("✏️ Start"),
            example=lambda: _("Example: <i>01.03.2026</i>"),
        ),
        Step(
            "end",
            lambda data: _("Step 5/6 — the last day it counts, or ⏭ No end."),
            read=read_end,
            skip=skip_end,
            buttons=lambda data, form: [skip_row(form, "end", _("⏭ No end")), cancel_row(form)],
            problem=start_problem,
            label=lambda: _("✏️ End"),
            example=lambda: _("Example: <i>31.12.2026</i>"),
        ),
        Step(
            "note",
            lambda data: _("Step 6/6 — what it is for (up to {limit} characters).").format(
                limit=service.NOTE_MAX
            ),
            read=read_note,
            buttons=lambda data, form: [cancel_row(form)],
            problem=text_problem,
            label=lambda: _("✏️ Note"),
            example=note_hint,
        ),
    )

    def title(self, data: RecurringData) -> str:
        return _("🔁 <b>New recurring expense</b>")

    def summary_text(self, data: RecurringData) -> str:
        start = date.fromisoformat(data.starts_on)
        end = date.fromisoformat(data.ends_on) if data.ends_on else None
        item = RecurringInfo(0, None, data.amount, data.day, start, end, data.note, False)  # type: ignore[arg-type]
        return "\n".join(
            [
                _("🔁 <b>Check the recurring expense</b>"),
                "",
                _("Category: {category}").format(category=escape(data.category)),
                _("Amount: {amount}").format(amount=format_money(data.amount)),
                _("When: {schedule}").format(schedule=schedule_text(item)),
                _("Note: {note}").format(note=escape(data.note)),
                "",
                _("Nothing is saved before ✅ Confirm. A month already due is entered at once."),
            ]
        )

    async def save(self, data: RecurringData, context: FormContext) -> Retry | None:
        result = await service.add_recurring(
            context.session,
            actor_id=context.actor.user_id,
            category_id=data.category_id,
            amount=data.amount,
            day=data.day,
            starts_on=date.fromisoformat(data.starts_on),
            ends_on=date.fromisoformat(data.ends_on) if data.ends_on else None,
            note=data.note,
            today=today(context.settings),
            now=utcnow(),
        )
        if result.outcome is Outcome.RETIRED:
            found = await service.category(context.session, data.category_id)
            return Retry("category", retired_text(found) if found else stale_button_text())
        if result.outcome is Outcome.MISSING:
            return Retry("category", stale_button_text())
        if result.outcome is Outcome.INVALID:  # the month turned meanwhile: the start is past
            return Retry("start", start_problem(Invalid(parsing.Problem.DATE_PAST), None))
        assert result.recurring is not None
        context.toast = _("✅ Saved.")
        await edit_or_send(
            context.event,  # type: ignore[arg-type]
            card_text(result.recurring),
            recurring_card(result.recurring, 1),
        )
        return None


@on.button("rnew")
async def new_pressed(callback: CallbackQuery, scenes: ScenesManager) -> None:
    await RecurringForm.open(scenes, RecurringData())
