"""📜 A student's payments: the last ones (a reversed one struck through, with its reason),
the refunds, the balance, and the buttons that reverse a payment, record a new one or
refund the credit."""

from html import escape

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.formatting import format_datetime, format_money
from bot.i18n import _
from bot.notices.receipts import balance_line, method_label
from bot.services.payments import ledger, payment_desk
from bot.services.payments.ledger import PaymentInfo, RefundInfo, Statement
from bot.services.payments.payment_desk import StudentRef
from bot.telegram import edit_or_send
from bot.wording import stale_button_text
from handlers.admin.payments.common import PAY_FORM, PAYMENTS, REFUND_FORM, REVERSE_FORM, today
from keyboards.payments.desk import DeskCb, payments_list

LIST_MAX = 10  # payments shown on a student's list


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


async def show_list(
    callback: CallbackQuery, session: AsyncSession, settings: Settings, student_id: int
) -> bool:
    """The list in the button's message; False when the student is gone (nothing shown)."""
    student = await payment_desk.student(session, student_id)
    if student is None:
        return False
    statement = await ledger.statement(session, student.id, today=today(settings), limit=LIST_MAX)
    await edit_or_send(
        callback,
        payments_text(student, statement, settings),
        payments_list(student.id, statement.payments, statement.balance, settings.centre.tz),
    )
    return True


async def list_pressed(
    callback: CallbackQuery,
    callback_data: DeskCb,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
) -> None:
    if await state.get_state() in (PAY_FORM, REVERSE_FORM, REFUND_FORM):
        await state.clear()  # the list replaces the form's screen: the form ends
    if await show_list(callback, session, settings, callback_data.id):
        await callback.answer()
    else:
        await callback.answer(stale_button_text())


def create_router() -> Router:
    router = Router(name="admin.payments.list")
    router.callback_query.register(list_pressed, DeskCb.filter(F.action == "list"), flags=PAYMENTS)
    return router
