"""💸 Refund: money paid back out of a student's credit — the amount (at most the credit),
the method, the reason, then a danger confirmation ("💸 Pay back the money" / "Do not pay
back").

The ledger writes the refund, the balance and the audit entry in one transaction and
refuses more than the credit of that moment (a charge may have come meanwhile). `save`
closes the form before the ledger is called; the student and the parents are told after the
commit, in the background.
"""

from html import escape

from aiogram import F, Router
from aiogram.fsm.scene import ScenesManager
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.formatting import format_money
from bot.forms import FormContext, Refusal, Retry
from bot.i18n import _
from bot.notices import receipts
from bot.notices.receipts import method_label
from bot.services.parsing import parse_amount
from bot.services.payments import ledger, payment_desk
from bot.services.payments.ledger import LedgerOutcome
from bot.wording import stale_button_text
from db.base import utcnow
from db.models import PaymentMethod
from handlers.admin.payments.common import (
    PAYMENTS,
    REFUND_FORM,
    TEXT_MAX,
    HasMethod,
    HasReason,
    MoneyForm,
    amount_step,
    balance_change,
    choose_method,
    method_step,
    reason_step,
)
from handlers.admin.payments.listing import show_list
from keyboards.forms import summary_keyboard
from keyboards.payments.desk import DeskCb


class RefundData(HasMethod, HasReason):
    name: str = ""
    credit: int = 0  # the balance when the amount was asked
    amount: int = 0


def no_credit_text() -> str:
    return _("ℹ️ There is no credit to pay back: the balance is not above zero.")


def over_credit_text(credit: int) -> str:
    return _("⚠️ That is more than the credit: at most {credit} can be paid back.").format(
        credit=format_money(credit)
    )


def amount_prompt(data: RefundData) -> str:
    return _("Step 1/3 — the amount in soʻm, at most the credit of {credit}.").format(
        credit=format_money(data.credit)
    )


async def read_amount(data: RefundData, text: str | None, context: FormContext) -> None:
    data.credit = await ledger.balance(context.session, data.student_id)
    if data.credit <= 0:
        raise Refusal(no_credit_text())
    amount = parse_amount(text)
    if amount > data.credit:
        raise Refusal(over_credit_text(data.credit))
    data.amount = amount


async def pick_method(data: RefundData, value: str, context: FormContext) -> None:
    choose_method(data, value)


def reason_prompt(data: RefundData) -> str:
    return _(
        "Step 3/3 — the reason (required, up to {limit} characters), for example "
        "<i>left the course</i>."
    ).format(limit=TEXT_MAX)


class RefundForm(MoneyForm, state=REFUND_FORM):
    """The amount, the method and the reason; ✏️ Edit goes back to the amount."""

    key = "rf"
    data_type = RefundData
    edit_from = "amount"
    steps = (
        amount_step(amount_prompt, read_amount),
        method_step(lambda data: _("Step 2/3 — how is it paid back?"), pick_method),
        reason_step(reason_prompt),
    )

    def title(self, data: RefundData) -> str:
        return _("💸 <b>Refund</b> to {name}").format(name=escape(data.name))

    def summary_text(self, data: RefundData) -> str:
        return "\n".join(
            [
                _("⚠️ <b>Pay back {amount}</b> to {name}?").format(
                    amount=format_money(data.amount), name=escape(data.name)
                ),
                _("Method: {method}").format(method=method_label(data.method)),
                _("Reason: {reason}").format(reason=escape(data.reason)),
                balance_change(data.balance, data.balance - data.amount),
            ]
        )

    def summary_markup(self, data: RefundData) -> InlineKeyboardMarkup:
        return summary_keyboard(
            self.key, confirm_label=_("💸 Pay back the money"), keep_label=_("Do not pay back")
        )

    async def save(self, data: RefundData, context: FormContext) -> Retry | None:
        await context.state.clear()  # before the ledger: a second ✅ finds no form
        session, settings = context.session, context.settings
        result = await ledger.record_refund(
            session,
            actor_id=context.actor.user_id,
            student_id=data.student_id,
            amount=data.amount,
            method=PaymentMethod(data.method),
            reason=data.reason,
            now=utcnow(),
        )
        if result.outcome is LedgerOutcome.EXCEEDS_CREDIT:
            credit = await ledger.balance(session, data.student_id)
            context.toast, context.alert = over_credit_text(max(credit, 0)), True
            return None
        if result.outcome is not LedgerOutcome.DONE:
            context.toast = stale_button_text()  # the student is gone
            return None
        context.toast = _("💸 Refund saved.")
        notice = await receipts.refund_notice(
            session,
            settings,
            student_id=data.student_id,
            amount=data.amount,
            method=data.method,
            balance=result.balance,
        )
        context.send_later(notice)
        await show_list(context.event, session, settings, data.student_id)  # type: ignore[arg-type]
        return None


async def refund_pressed(
    callback: CallbackQuery, callback_data: DeskCb, session: AsyncSession, scenes: ScenesManager
) -> None:
    """💸 Refund on a payments list: the form, in a new message (the list stays)."""
    student = await payment_desk.student(session, callback_data.id)
    if student is None:
        await callback.answer(stale_button_text())
        return
    credit = await ledger.balance(session, student.id)
    if credit <= 0:
        await callback.answer(no_credit_text(), show_alert=True)
        return
    data = RefundData(student_id=student.id, name=student.full_name, credit=credit)
    await RefundForm.open(scenes, data, step="amount", below=True)


def create_router() -> Router:
    router = Router(name="admin.payments.refund")
    router.callback_query.register(refund_pressed, DeskCb.filter(F.action == "rf"), flags=PAYMENTS)
    router.include_router(RefundForm.as_router())
    return router
