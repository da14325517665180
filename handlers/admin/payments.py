"""/pay and a student's payments: record a payment, reverse one, refund a credit.

Every handler needs the `payments` permission. Nothing is written before ✅: the forms
keep their answers in the FSM data (JSON-safe: ids, whole so'm, method codes). A confirm
press clears the form *before* the ledger is called, so a second (or stale) press of the
same ✅ finds no form and is answered as out of date — a payment is never entered twice.
Receipts and correction notices go out after the ledger committed (bot/jobs/receipts.py).
"""

from html import escape
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery import Sender
from bot.filters.menu import MenuButton
from bot.formatting import format_datetime, format_money
from bot.i18n import _
from bot.notices import receipts
from bot.notices.receipts import balance_line, method_label
from bot.services import parsing
from bot.services.access import Actor
from bot.services.parsing import Invalid
from bot.services.payments import ledger, payment_desk
from bot.services.payments.ledger import LedgerOutcome, PaymentInfo, RefundInfo, Statement
from bot.services.payments.payment_desk import StudentRef
from bot.services.people import InvalidQuery
from bot.telegram import edit_or_send
from bot.wording import amount_problem, cancel_hint, stale_button_text, while_confirming_text
from db.base import utcnow
from db.models import PaymentMethod, Permission
from handlers.common.leads import not_a_menu_button
from handlers.forms import in_state, not_a_command
from keyboards.payments.desk import (
    DESK_METHODS,
    DeskCb,
    after_payment,
    confirmation,
    method_choice,
    only_cancel,
    payments_list,
    skip_or_cancel,
    student_choice,
)

PAYMENTS = {"permission": Permission.PAYMENTS}
TEXT_MAX = 500  # a note or a reason
LIST_MAX = 10  # payments shown on a student's list


class PayForm(StatesGroup):
    student = State()  # data: query
    amount = State()  # data: student, name
    method = State()  # + amount
    note = State()  # + method
    confirm = State()  # + note


class ReverseForm(StatesGroup):
    reason = State()  # data: payment, student, name, amount, paid_at
    confirm = State()  # + reason


class RefundForm(StatesGroup):
    amount = State()  # data: student, name
    method = State()  # + amount
    reason = State()  # + method
    confirm = State()  # + reason


ALL_STATES = {
    state.state for group in (PayForm, ReverseForm, RefundForm) for state in group.__all_states__
}


# --- texts ------------------------------------------------------------------------------------


def pay_head(data: dict[str, Any]) -> str:
    if "name" in data:
        return _("💵 <b>Payment</b> from {name}").format(name=escape(data["name"]))
    return _("💵 <b>Payment</b>")


def pay_step(step: State, data: dict[str, Any]) -> str:
    bodies = {
        PayForm.student: _(
            "Step 1/4 — the student: send a name or a phone number, for example "
            "<i>Gʻulom</i> or <i>90 123 45</i>."
        ),
        PayForm.amount: _(
            "Step 2/4 — the amount in soʻm, for example <i>1 250 000</i> (or 1250000, 1.250.000)."
        ),
        PayForm.method: _("Step 3/4 — how was it paid?"),
        PayForm.note: _(
            "Step 4/4 — a note for the records (up to {limit} characters), or ⏭ Skip."
        ).format(limit=TEXT_MAX),
    }
    return "\n".join([pay_head(data), "", bodies[step], "", cancel_hint()])


def text_problem(text: str) -> str | None:
    if not text:
        return _("⚠️ This cannot be empty: please type it.")
    if len(text) > TEXT_MAX:
        return _("⚠️ That is too long: at most {maximum} characters (you sent {length}).").format(
            maximum=TEXT_MAX, length=len(text)
        )
    return None


def balance_change(now: int, after: int) -> str:
    return _("Balance: {now} → {after}").format(now=signed_money(now), after=signed_money(after))


def signed_money(amount: int) -> str:
    if amount < 0:
        return _("debt {amount}").format(amount=format_money(-amount))
    if amount > 0:
        return _("credit {amount}").format(amount=format_money(amount))
    return format_money(0)


def pay_summary(data: dict[str, Any], balance: int) -> str:
    lines = [
        _("💵 <b>Check the payment</b>"),
        "",
        _("Student: {name}").format(name=escape(data["name"])),
        _("Amount: {amount}").format(amount=format_money(data["amount"])),
        _("Method: {method}").format(method=method_label(data["method"])),
        _("Note: {note}").format(note=escape(data["note"]) if data.get("note") else "—"),
        balance_change(balance, balance + data["amount"]),
        "",
        _("Nothing is saved before ✅ Confirm. The student and the parents get a receipt."),
    ]
    return "\n".join(lines)


def gone_text() -> str:
    return _("⚠️ This person is no longer a student here. Nothing was saved.")


def payment_line(payment: PaymentInfo, settings: Settings) -> str:
    when = format_datetime(payment.paid_at, settings.centre.tz)
    text = _("{when} — {amount}, {method}").format(
        when=when, amount=format_money(payment.amount), method=method_label(payment.method)
    )
    if payment.note:
        text += f" — <i>{escape(payment.note)}</i>"
    if payment.reversed_at is not None:
        return "• <s>{text}</s>\n  {mark}".format(
            text=text,
            mark=_("↩️ reversed: {reason}").format(reason=escape(payment.reversal_reason or "—")),
        )
    return f"• {text}"


def refund_line(refund: RefundInfo, settings: Settings) -> str:
    return "• " + _("{when} — 💸 refund {amount}, {method}: {reason}").format(
        when=format_datetime(refund.refunded_at, settings.centre.tz),
        amount=format_money(refund.amount),
        method=method_label(refund.method),
        reason=escape(refund.reason or "—"),
    )


def payments_text(student: StudentRef, statement: Statement, settings: Settings) -> str:
    lines = [
        _("📜 <b>Payments of {name}</b>").format(name=escape(student.full_name)),
        balance_line(statement.balance),
        "",
    ]
    if statement.payments:
        lines += [payment_line(payment, settings) for payment in statement.payments]
    else:
        lines.append(_("No payments yet."))
    if statement.refunds:
        lines += ["", _("💸 <b>Refunds</b>")]
        lines += [refund_line(refund, settings) for refund in statement.refunds]
    return "\n".join(lines)


# --- helpers ----------------------------------------------------------------------------------


def today(settings: Settings):
    return utcnow().astimezone(settings.centre.tz).date()


async def reply(target: Message | CallbackQuery, text: str, markup: Any = None) -> None:
    """A form step: a new message after a typed answer, the same message after a button."""
    if isinstance(target, Message):
        await target.answer(text, reply_markup=markup)
    else:
        await edit_or_send(target, text, markup)


# --- /pay: the student ------------------------------------------------------------------------


async def start_pay(message: Message, state: FSMContext) -> None:
    await state.set_state(PayForm.student)
    await state.set_data({})
    await message.answer(pay_step(PayForm.student, {}), reply_markup=only_cancel())


def query_problem_text() -> str:
    return _("⚠️ Type at least 2 letters of the name, or at least 3 digits of the phone.")


def found_text(query: str, total: int, capped: bool) -> str:
    if total == 0:
        return _(
            "🔎 No student found for «{query}». Check the spelling or try the phone number."
        ).format(query=escape(query))
    lines = [
        _("🔎 <b>Students found: {total}</b> for «{query}»").format(
            total=total, query=escape(query)
        ),
        _("Tap the student who paid, or send another name."),
    ]
    if capped:
        lines.append(_("Only the first matches are shown: type more of the name."))
    return "\n".join(lines)


async def query_received(message: Message, state: FSMContext, session: AsyncSession) -> None:
    query = (message.text or "").strip()
    try:
        found = await payment_desk.find_students(session, query)
    except InvalidQuery:
        await message.answer(query_problem_text())
        return
    if found.total == 1:
        await choose_student(message, state, found.items[0])
        return
    await state.update_data(query=query)
    markup = student_choice(found) if found.total else only_cancel()
    await message.answer(found_text(query, found.total, found.capped), reply_markup=markup)


async def results_page(
    callback: CallbackQuery, callback_data: DeskCb, state: FSMContext, session: AsyncSession
) -> None:
    data = await in_state(state, PayForm.student)
    if data is None or not data.get("query"):
        await callback.answer(stale_button_text())
        return
    found = await payment_desk.find_students(session, data["query"], callback_data.page)
    await edit_or_send(
        callback, found_text(data["query"], found.total, found.capped), student_choice(found)
    )
    await callback.answer()


async def choose_student(
    target: Message | CallbackQuery, state: FSMContext, student: StudentRef
) -> None:
    data = {"student": student.id, "name": student.full_name}
    await state.set_state(PayForm.amount)
    await state.set_data(data)
    await reply(target, pay_step(PayForm.amount, data), only_cancel())


async def pick_pressed(
    callback: CallbackQuery, callback_data: DeskCb, state: FSMContext, session: AsyncSession
) -> None:
    if await state.get_state() != PayForm.student.state:
        await callback.answer(stale_button_text())
        return
    student = await payment_desk.student(session, callback_data.id)
    if student is None:
        await callback.answer(stale_button_text())
        return
    await choose_student(callback, state, student)
    await callback.answer()


async def new_pressed(
    callback: CallbackQuery, callback_data: DeskCb, state: FSMContext, session: AsyncSession
) -> None:
    """💵 Payment on a person card or a payments list: the form for that student."""
    student = await payment_desk.student(session, callback_data.id)
    if student is None:
        await callback.answer(stale_button_text())
        return
    data = {"student": student.id, "name": student.full_name}
    await state.set_state(PayForm.amount)
    await state.set_data(data)
    await callback.answer()
    await callback.bot.send_message(
        callback.from_user.id, pay_step(PayForm.amount, data), reply_markup=only_cancel()
    )


# --- /pay: amount, method, note, summary -------------------------------------------------------


async def pay_amount_received(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    try:
        amount = parsing.parse_amount(message.text)
    except Invalid as error:
        await message.answer(
            amount_problem(error, message.text) + "\n\n" + pay_step(PayForm.amount, data),
            reply_markup=only_cancel(),
        )
        return
    await state.update_data(amount=amount)
    await state.set_state(PayForm.method)
    await message.answer(pay_step(PayForm.method, data), reply_markup=method_choice())


async def method_pressed(callback: CallbackQuery, callback_data: DeskCb, state: FSMContext) -> None:
    current = await state.get_state()
    if callback_data.m not in {method.value for method in DESK_METHODS} or current not in (
        PayForm.method.state,
        RefundForm.method.state,
    ):
        await callback.answer(stale_button_text())
        return
    await state.update_data(method=callback_data.m)
    data = await state.get_data()
    if current == PayForm.method.state:
        await state.set_state(PayForm.note)
        await edit_or_send(callback, pay_step(PayForm.note, data), skip_or_cancel())
    else:
        await state.set_state(RefundForm.reason)
        await edit_or_send(callback, refund_step(RefundForm.reason, data), only_cancel())
    await callback.answer()


async def show_pay_summary(
    target: Message | CallbackQuery, state: FSMContext, session: AsyncSession
) -> None:
    data = await state.get_data()
    await state.set_state(PayForm.confirm)
    balance = await ledger.balance(session, data["student"])
    await reply(target, pay_summary(data, balance), confirmation(_("✅ Confirm"), "ok"))


async def note_received(message: Message, state: FSMContext, session: AsyncSession) -> None:
    note = (message.text or "").strip()
    problem = text_problem(note)
    if problem is not None:
        data = await state.get_data()
        await message.answer(
            problem + "\n\n" + pay_step(PayForm.note, data), reply_markup=skip_or_cancel()
        )
        return
    await state.update_data(note=note)
    await show_pay_summary(message, state, session)


async def skip_pressed(callback: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
    if await state.get_state() != PayForm.note.state:
        await callback.answer(stale_button_text())
        return
    await state.update_data(note=None)
    await show_pay_summary(callback, state, session)
    await callback.answer()


async def confirming(message: Message) -> None:
    await message.answer(while_confirming_text())


async def choosing(message: Message) -> None:
    await message.answer(_("ℹ️ Choose the method with the buttons above, or /cancel."))


def saved_text(payment: PaymentInfo, name: str, balance: int, receiving: int) -> str:
    return "\n".join(
        [
            _("✅ <b>Payment saved</b>: {amount} from {name}").format(
                amount=format_money(payment.amount), name=escape(name)
            ),
            _("Method: {method}").format(method=method_label(payment.method)),
            balance_line(balance),
            _("🧾 Receipts being sent: {count}.").format(count=receiving),
        ]
    )


async def pay_confirmed(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    bot: Bot,
    sender: Sender,
) -> None:
    data = await in_state(state, PayForm.confirm)
    if data is None:
        await callback.answer(stale_button_text())
        return
    await state.clear()  # before the ledger: a second press of ✅ finds no form
    result = await ledger.record_payment(
        session,
        actor_id=actor.user_id,
        student_id=int(data["student"]),
        amount=int(data["amount"]),
        method=PaymentMethod(data["method"]),
        note=data.get("note"),
        now=utcnow(),
    )
    if result.outcome is not LedgerOutcome.DONE or result.payment is None:
        await edit_or_send(callback, gone_text(), None)
        await callback.answer()
        return
    await callback.answer(_("✅ Saved."))
    balance = result.balance if result.balance is not None else 0
    # Receipts wait for the outbound pace: they go in the background, the desk goes on.
    receipt = await receipts.receipt_notice(session, settings, result.payment, balance)
    if receipt is not None:
        sender.in_background(receipt.send(bot, sender))
    await edit_or_send(
        callback,
        saved_text(
            result.payment, data["name"], balance, len(receipt.recipients) if receipt else 0
        ),
        after_payment(result.payment.student_id),
    )


async def edit_pressed(callback: CallbackQuery, state: FSMContext) -> None:
    current = await state.get_state()
    data = await state.get_data()
    if current == PayForm.confirm.state:
        await state.set_state(PayForm.amount)
        await edit_or_send(callback, pay_step(PayForm.amount, data), only_cancel())
    elif current == RefundForm.confirm.state:
        await state.set_state(RefundForm.amount)
        await edit_or_send(callback, refund_step(RefundForm.amount, data), only_cancel())
    elif current == ReverseForm.confirm.state:
        await state.set_state(ReverseForm.reason)
        await edit_or_send(callback, reverse_step(data), only_cancel())
    else:
        await callback.answer(stale_button_text())
        return
    await callback.answer()


async def cancel_pressed(callback: CallbackQuery, state: FSMContext) -> None:
    if await state.get_state() not in ALL_STATES:
        await callback.answer(stale_button_text())
        return
    await state.clear()
    await edit_or_send(callback, _("❌ Cancelled. Nothing was saved."), None)
    await callback.answer()


# --- a student's payments ---------------------------------------------------------------------


async def render_list(
    callback: CallbackQuery,
    session: AsyncSession,
    settings: Settings,
    student_id: int,
    toast: str | None = None,
    *,
    answered: bool = False,
) -> None:
    student = await payment_desk.student(session, student_id)
    if student is None:
        if not answered:
            await callback.answer(stale_button_text())
        return
    statement = await ledger.statement(session, student.id, today=today(settings), limit=LIST_MAX)
    await edit_or_send(
        callback,
        payments_text(student, statement, settings),
        payments_list(student.id, statement.payments, statement.balance, settings.centre.tz),
    )
    if not answered:
        await callback.answer(toast)


async def list_pressed(
    callback: CallbackQuery,
    callback_data: DeskCb,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
) -> None:
    if await state.get_state() in ALL_STATES:
        await state.clear()
    await render_list(callback, session, settings, callback_data.id)


# --- reversal ---------------------------------------------------------------------------------


def reverse_step(data: dict[str, Any]) -> str:
    return "\n".join(
        [
            _("↩️ <b>Reverse a payment</b> of {name}: {amount}").format(
                name=escape(data["name"]), amount=format_money(data["amount"])
            ),
            "",
            _(
                "Type the reason (required, up to {limit} characters), "
                "for example <i>entered twice</i>."
            ).format(limit=TEXT_MAX),
            "",
            cancel_hint(),
        ]
    )


async def reverse_pressed(
    callback: CallbackQuery, callback_data: DeskCb, state: FSMContext, session: AsyncSession
) -> None:
    payment = await payment_desk.payment(session, callback_data.id)
    student = None
    if payment is not None and payment.student_id is not None:
        student = await payment_desk.student(session, payment.student_id)
    if payment is None or student is None:
        await callback.answer(stale_button_text())
        return
    if payment.reversed_at is not None:
        await callback.answer(_("ℹ️ This payment is already reversed."), show_alert=True)
        return
    await state.set_state(ReverseForm.reason)
    await state.set_data(
        {"payment": payment.id, "student": student.id, "name": student.full_name}
        | {"amount": payment.amount}
    )
    await callback.answer()
    await callback.bot.send_message(
        callback.from_user.id, reverse_step(await state.get_data()), reply_markup=only_cancel()
    )


async def reverse_reason_received(
    message: Message, state: FSMContext, session: AsyncSession
) -> None:
    data = await state.get_data()
    reason = (message.text or "").strip()
    problem = text_problem(reason)
    if problem is not None:
        await message.answer(problem + "\n\n" + reverse_step(data), reply_markup=only_cancel())
        return
    await state.update_data(reason=reason)
    await state.set_state(ReverseForm.confirm)
    balance = await ledger.balance(session, data["student"])
    text = "\n".join(
        [
            _("⚠️ <b>Reverse the payment</b> of {amount} from {name}?").format(
                amount=format_money(data["amount"]), name=escape(data["name"])
            ),
            _("Reason: {reason}").format(reason=escape(reason)),
            balance_change(balance, balance - data["amount"]),
            "",
            _(
                "The payment stays in the records marked as reversed; the student and the "
                "parents are told. This cannot be undone."
            ),
        ]
    )
    await message.answer(
        text, reply_markup=confirmation(_("↩️ Reverse the payment"), "rvok", _("Keep the payment"))
    )


async def reverse_confirmed(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    bot: Bot,
    sender: Sender,
) -> None:
    data = await in_state(state, ReverseForm.confirm)
    if data is None:
        await callback.answer(stale_button_text())
        return
    await state.clear()
    result = await ledger.reverse_payment(
        session,
        actor_id=actor.user_id,
        payment_id=int(data["payment"]),
        reason=data["reason"],
        now=utcnow(),
    )
    if result.outcome is LedgerOutcome.ALREADY_REVERSED:
        await callback.answer(_("ℹ️ This payment is already reversed."), show_alert=True)
        return
    if result.outcome is not LedgerOutcome.DONE or result.payment is None:
        await callback.answer(stale_button_text())
        return
    await callback.answer(_("↩️ Reversed."))  # before the notices: they may take a while
    balance = result.balance if result.balance is not None else 0
    await receipts.send_reversal_notice(bot, sender, session, settings, result.payment, balance)
    await render_list(callback, session, settings, result.payment.student_id, answered=True)


# --- refund -----------------------------------------------------------------------------------


def refund_step(step: State, data: dict[str, Any]) -> str:
    head = _("💸 <b>Refund</b> to {name}").format(name=escape(data["name"]))
    bodies = {
        RefundForm.amount: _(
            "Step 1/3 — the amount in soʻm, at most the credit of {credit}."
        ).format(credit=format_money(int(data.get("credit", 0)))),
        RefundForm.method: _("Step 2/3 — how is it paid back?"),
        RefundForm.reason: _(
            "Step 3/3 — the reason (required, up to {limit} characters), for example "
            "<i>left the course</i>."
        ).format(limit=TEXT_MAX),
    }
    return "\n".join([head, "", bodies[step], "", cancel_hint()])


def no_credit_text() -> str:
    return _("ℹ️ There is no credit to pay back: the balance is not above zero.")


async def refund_pressed(
    callback: CallbackQuery, callback_data: DeskCb, state: FSMContext, session: AsyncSession
) -> None:
    student = await payment_desk.student(session, callback_data.id)
    if student is None:
        await callback.answer(stale_button_text())
        return
    credit = await ledger.balance(session, student.id)
    if credit <= 0:
        await callback.answer(no_credit_text(), show_alert=True)
        return
    data = {"student": student.id, "name": student.full_name, "credit": credit}
    await state.set_state(RefundForm.amount)
    await state.set_data(data)
    await callback.answer()
    await callback.bot.send_message(
        callback.from_user.id, refund_step(RefundForm.amount, data), reply_markup=only_cancel()
    )


def over_credit_text(credit: int) -> str:
    return _("⚠️ That is more than the credit: at most {credit} can be paid back.").format(
        credit=format_money(credit)
    )


async def refund_amount_received(
    message: Message, state: FSMContext, session: AsyncSession
) -> None:
    data = await state.get_data()
    credit = await ledger.balance(session, data["student"])
    await state.update_data(credit=credit)
    data["credit"] = credit
    if credit <= 0:
        await state.clear()
        await message.answer(no_credit_text())
        return
    try:
        amount = parsing.parse_amount(message.text)
    except Invalid as error:
        problem = amount_problem(error, message.text)
    else:
        if amount <= credit:
            await state.update_data(amount=amount)
            await state.set_state(RefundForm.method)
            await message.answer(refund_step(RefundForm.method, data), reply_markup=method_choice())
            return
        problem = over_credit_text(credit)
    await message.answer(
        problem + "\n\n" + refund_step(RefundForm.amount, data), reply_markup=only_cancel()
    )


async def refund_reason_received(
    message: Message, state: FSMContext, session: AsyncSession
) -> None:
    data = await state.get_data()
    reason = (message.text or "").strip()
    problem = text_problem(reason)
    if problem is not None:
        await message.answer(
            problem + "\n\n" + refund_step(RefundForm.reason, data), reply_markup=only_cancel()
        )
        return
    await state.update_data(reason=reason)
    await state.set_state(RefundForm.confirm)
    balance = await ledger.balance(session, data["student"])
    text = "\n".join(
        [
            _("⚠️ <b>Pay back {amount}</b> to {name}?").format(
                amount=format_money(data["amount"]), name=escape(data["name"])
            ),
            _("Method: {method}").format(method=method_label(data["method"])),
            _("Reason: {reason}").format(reason=escape(reason)),
            balance_change(balance, balance - data["amount"]),
        ]
    )
    await message.answer(
        text, reply_markup=confirmation(_("💸 Pay back the money"), "rfok", _("Do not pay back"))
    )


async def refund_confirmed(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    bot: Bot,
    sender: Sender,
) -> None:
    data = await in_state(state, RefundForm.confirm)
    if data is None:
        await callback.answer(stale_button_text())
        return
    await state.clear()
    student_id = int(data["student"])
    result = await ledger.record_refund(
        session,
        actor_id=actor.user_id,
        student_id=student_id,
        amount=int(data["amount"]),
        method=PaymentMethod(data["method"]),
        reason=data["reason"],
        now=utcnow(),
    )
    if result.outcome is LedgerOutcome.EXCEEDS_CREDIT:
        credit = await ledger.balance(session, student_id)
        await callback.answer(over_credit_text(max(credit, 0)), show_alert=True)
        return
    if result.outcome is not LedgerOutcome.DONE:
        await callback.answer(stale_button_text())
        return
    await callback.answer(_("💸 Refund saved."))
    balance = result.balance if result.balance is not None else 0
    await receipts.send_refund_notice(
        bot,
        sender,
        session,
        settings,
        student_id=student_id,
        amount=int(data["amount"]),
        method=data["method"],
        balance=balance,
    )
    await render_list(callback, session, settings, student_id, answered=True)


# --- routing ----------------------------------------------------------------------------------


def create_router() -> Router:
    router = Router(name="admin.payments")
    router.message.register(start_pay, Command("pay"), flags=PAYMENTS)
    router.message.register(start_pay, MenuButton("admin.pay"), flags=PAYMENTS)
    typed = (not_a_command, not_a_menu_button)  # a photo is refused by the step itself
    for handler, state in (
        (query_received, PayForm.student),
        (pay_amount_received, PayForm.amount),
        (note_received, PayForm.note),
        (reverse_reason_received, ReverseForm.reason),
        (refund_amount_received, RefundForm.amount),
        (refund_reason_received, RefundForm.reason),
    ):
        router.message.register(handler, StateFilter(state), *typed, flags=PAYMENTS)
    router.message.register(
        choosing, StateFilter(PayForm.method, RefundForm.method), *typed, flags=PAYMENTS
    )
    router.message.register(
        confirming,
        StateFilter(PayForm.confirm, ReverseForm.confirm, RefundForm.confirm),
        *typed,
        flags=PAYMENTS,
    )
    callbacks = router.callback_query
    for handler, action in (
        (results_page, "res"),
        (pick_pressed, "pick"),
        (new_pressed, "new"),
        (method_pressed, "m"),
        (skip_pressed, "skip"),
        (pay_confirmed, "ok"),
        (edit_pressed, "edit"),
        (cancel_pressed, "no"),
        (list_pressed, "list"),
        (reverse_pressed, "rv"),
        (reverse_confirmed, "rvok"),
        (refund_pressed, "rf"),
        (refund_confirmed, "rfok"),
    ):
        callbacks.register(handler, DeskCb.filter(F.action == action), flags=PAYMENTS)
    return router
