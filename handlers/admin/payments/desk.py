"""/pay, the payment desk's form: the student (a name or a phone, then a pick among the
students found), the amount, the method, a note, then the summary.

Nothing is written before ✅ Confirm. `save` closes the form *before* the ledger is called,
so a second (or stale) press of the same ✅ finds no form and is answered as out of date: a
payment is never entered twice. The receipts go out after the ledger committed, in the
background (bot/jobs/receipts.py): they wait for the outbound pace, the desk goes on.
"""

from html import escape

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.scene import ScenesManager
from aiogram.types import CallbackQuery, Message
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters.menu import MenuButton
from bot.formatting import format_money
from bot.forms import Advance, FormContext, OutOfDate, Refusal, Retry, Step
from bot.i18n import _
from bot.notices import receipts
from bot.notices.receipts import balance_line, method_label
from bot.services.parsing import parse_amount
from bot.services.payments import ledger, payment_desk
from bot.services.payments.ledger import LedgerOutcome, PaymentInfo
from bot.services.payments.payment_desk import StudentRef, StudentsFound
from bot.services.people import InvalidQuery
from bot.telegram import edit_or_send
from bot.wording import stale_button_text
from db.base import utcnow
from db.ids import ID_MAX
from db.models import PaymentMethod
from handlers.admin.payments.common import (
    PAY_FORM,
    PAYMENTS,
    TEXT_MAX,
    HasMethod,
    MoneyForm,
    amount_step,
    balance_change,
    choose_method,
    clean_text,
    method_step,
)
from keyboards.forms import skip_row
from keyboards.payments.desk import DeskCb, after_payment, cancel_row, student_choice

PAGE = "p"  # a pick's value "p2" turns to page 2 of the students found


class Found(BaseModel):
    id: int
    label: str  # the name, and the phone when there is one


class PayData(HasMethod):
    student_id: int = 0
    name: str = ""
    query: str = ""  # the search the students found answer (empty: none yet)
    found: list[Found] = Field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1
    capped: bool = False
    amount: int = 0
    note: str | None = None
    balance: int = 0  # before this payment, for the summary


# --- the student ------------------------------------------------------------------------


def student_prompt(data: PayData) -> str:
    return _(
        "Step 1/4 — the student: send a name or a phone number, for example "
        "<i>Gʻulom</i> or <i>90 123 45</i>."
    )


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


def show_found(data: PayData, query: str, found: StudentsFound) -> None:
    data.query, data.total, data.capped = query, found.total, found.capped
    data.page, data.pages = found.page, found.pages
    data.found = [
        Found(id=s.id, label=s.full_name if not s.phone else f"{s.full_name} · {s.phone}")
        for s in found.items
    ]


def choose_student(data: PayData, student: StudentRef) -> None:
    data.student_id, data.name = student.id, student.full_name
    data.query, data.found = "", []


async def read_query(data: PayData, text: str | None, context: FormContext) -> Advance:
    query = (text or "").strip()
    try:
        found = await payment_desk.find_students(context.session, query)
    except InvalidQuery:
        raise Refusal(query_problem_text()) from None
    if found.total == 1:
        choose_student(data, found.items[0])
        return Advance.NEXT
    show_found(data, query, found)
    return Advance.STAY


async def pick_student(data: PayData, value: str, context: FormContext) -> Advance:
    if value.startswith(PAGE):
        page = value.removeprefix(PAGE)
        if not data.query or not page.isdigit() or not 0 < int(page) <= ID_MAX:
            raise OutOfDate
        found = await payment_desk.find_students(context.session, data.query, int(page))
        show_found(data, data.query, found)
        return Advance.STAY
    if not value.isdigit() or int(value) > ID_MAX:
        raise OutOfDate
    student = await payment_desk.student(context.session, int(value))
    if student is None:
        raise OutOfDate
    choose_student(data, student)
    return Advance.NEXT


def student_buttons(data: PayData, form: str):
    if not data.found:
        return [cancel_row(form)]
    students = [(found.id, found.label) for found in data.found]
    return student_choice(form, "student", students, data.page, data.pages)


# --- amount, method, note ---------------------------------------------------------------


def amount_prompt(data: PayData) -> str:
    return _("Step 2/4 — the amount in soʻm, for example <i>1 250 000</i> (or 1250000, 1.250.000).")


async def read_amount(data: PayData, text: str | None, context: FormContext) -> None:
    data.amount = parse_amount(text)


async def pick_method(data: PayData, value: str, context: FormContext) -> None:
    choose_method(data, value)
    data.balance = await ledger.balance(context.session, data.student_id)


def note_prompt(data: PayData) -> str:
    return _("Step 4/4 — a note for the records (up to {limit} characters), or ⏭ Skip.").format(
        limit=TEXT_MAX
    )


async def read_note(data: PayData, text: str | None, context: FormContext) -> None:
    data.note = clean_text(text)


def skip_note(data: PayData) -> None:
    data.note = None


# --- the form ---------------------------------------------------------------------------


def gone_text() -> str:
    return _("⚠️ This person is no longer a student here. Nothing was saved.")


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


class PayForm(MoneyForm, state=PAY_FORM):
    """The student, the amount, the method and a note; ✏️ Edit goes back to the amount."""

    key = "pay"
    data_type = PayData
    edit_from = "amount"
    steps = (
        Step(
            "student",
            student_prompt,
            read=read_query,
            pick=pick_student,
            buttons=student_buttons,
        ),
        amount_step(amount_prompt, read_amount),
        method_step(lambda data: _("Step 3/4 — how was it paid?"), pick_method),
        Step(
            "note",
            note_prompt,
            read=read_note,
            skip=skip_note,
            buttons=lambda data, form: [skip_row(form, "note"), cancel_row(form)],
        ),
    )

    def title(self, data: PayData) -> str:
        if data.name:
            return _("💵 <b>Payment</b> from {name}").format(name=escape(data.name))
        return _("💵 <b>Payment</b>")

    def step_text(self, step: Step, data: PayData) -> str:
        if step.name == "student" and data.query:  # the students found, or none
            return found_text(data.query, data.total, data.capped)
        return super().step_text(step, data)

    def summary_text(self, data: PayData) -> str:
        return "\n".join(
            [
                _("💵 <b>Check the payment</b>"),
                "",
                _("Student: {name}").format(name=escape(data.name)),
                _("Amount: {amount}").format(amount=format_money(data.amount)),
                _("Method: {method}").format(method=method_label(data.method)),
                _("Note: {note}").format(note=escape(data.note) if data.note else "—"),
                balance_change(data.balance, data.balance + data.amount),
                "",
                _("Nothing is saved before ✅ Confirm. The student and the parents get a receipt."),
            ]
        )

    async def save(self, data: PayData, context: FormContext) -> Retry | None:
        await context.state.clear()  # before the ledger: a second ✅ finds no form
        session, callback = context.session, context.event
        result = await ledger.record_payment(
            session,
            actor_id=context.actor.user_id,
            student_id=data.student_id,
            amount=data.amount,
            method=PaymentMethod(data.method),
            note=data.note,
            now=utcnow(),
        )
        if result.outcome is not LedgerOutcome.DONE or result.payment is None:
            await edit_or_send(callback, gone_text(), None)  # type: ignore[arg-type]
            return None
        context.toast = _("✅ Saved.")
        balance = result.balance
        receipt = await receipts.receipt_notice(session, context.settings, result.payment, balance)
        context.send_later(receipt)
        await edit_or_send(
            callback,  # type: ignore[arg-type]
            saved_text(
                result.payment, data.name, balance, len(receipt.recipients) if receipt else 0
            ),
            after_payment(result.payment.student_id),
        )
        return None


# --- opening it -------------------------------------------------------------------------


async def start_pay(message: Message, scenes: ScenesManager) -> None:
    await PayForm.open(scenes, PayData())


async def new_pressed(
    callback: CallbackQuery, callback_data: DeskCb, session: AsyncSession, scenes: ScenesManager
) -> None:
    """💵 Payment on a person card, a payments list or a receipt: the form for that student,
    in a new message (the card stays)."""
    student = await payment_desk.student(session, callback_data.id)
    if student is None:
        await callback.answer(stale_button_text())
        return
    data = PayData(student_id=student.id, name=student.full_name)
    await PayForm.open(scenes, data, step="amount", below=True)


def create_router() -> Router:
    router = Router(name="admin.payments.desk")
    router.message.register(start_pay, Command("pay"), flags=PAYMENTS)
    router.message.register(start_pay, MenuButton("admin.pay"), flags=PAYMENTS)
    router.callback_query.register(new_pressed, DeskCb.filter(F.action == "new"), flags=PAYMENTS)
    router.include_router(PayForm.as_router())
    return router
