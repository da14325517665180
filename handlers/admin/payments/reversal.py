"""↩️ Reverse a payment (entered by mistake): the reason, then a danger confirmation that
names its action and its way out ("↩️ Reverse the payment" / "Keep the payment").

The payment stays in the records marked as reversed; the ledger writes the reversal, the
balance and the audit entry in one transaction. `save` closes the form before the ledger is
called, so the same ✅ pressed twice reverses once. The student and the parents are told
after the commit, in the background.
"""

from html import escape

from aiogram import F, Router
from aiogram.fsm.scene import ScenesManager
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.formatting import format_money
from bot.forms import FormContext, Retry
from bot.i18n import _
from bot.notices import receipts
from bot.services.payments import ledger, payment_desk
from bot.services.payments.ledger import LedgerOutcome
from bot.wording import stale_button_text
from db.base import utcnow
from handlers.admin.payments.common import (
    PAYMENTS,
    REVERSE_FORM,
    TEXT_MAX,
    HasReason,
    MoneyForm,
    balance_change,
    reason_step,
)
from handlers.admin.payments.listing import show_list
from keyboards.forms import summary_keyboard
from keyboards.payments.desk import DeskCb


class ReverseData(HasReason):
    payment_id: int = 0
    name: str = ""
    amount: int = 0


def already_reversed_text() -> str:
    return _("ℹ️ This payment is already reversed.")


def reason_prompt(data: ReverseData) -> str:
    return _(
        "Type the reason (required, up to {limit} characters), for example <i>entered twice</i>."
    ).format(limit=TEXT_MAX)


class ReverseForm(MoneyForm, state=REVERSE_FORM):
    """The reason; ✏️ Edit goes back to it."""

    key = "rv"
    data_type = ReverseData
    edit_from = "reason"
    steps = (reason_step(reason_prompt),)

    def title(self, data: ReverseData) -> str:
        return _("↩️ <b>Reverse a payment</b> of {name}: {amount}").format(
            name=escape(data.name), amount=format_money(data.amount)
        )

    def summary_text(self, data: ReverseData) -> str:
        return "\n".join(
            [
                _("⚠️ <b>Reverse the payment</b> of {amount} from {name}?").format(
                    amount=format_money(data.amount), name=escape(data.name)
                ),
                _("Reason: {reason}").format(reason=escape(data.reason)),
                balance_change(data.balance, data.balance - data.amount),
                "",
                _(
                    "The payment stays in the records marked as reversed; the student and the "
                    "parents are told. This cannot be undone."
                ),
            ]
        )

    def summary_markup(self, data: ReverseData) -> InlineKeyboardMarkup:
        return summary_keyboard(
            self.key, confirm_label=_("↩️ Reverse the payment"), keep_label=_("Keep the payment")
        )

    async def save(self, data: ReverseData, context: FormContext) -> Retry | None:
        await context.state.clear()  # before the ledger: a second ✅ finds no form
        session, settings = context.session, context.settings
        result = await ledger.reverse_payment(
            session,
            actor_id=context.actor.user_id,
            payment_id=data.payment_id,
            reason=data.reason,
            now=utcnow(),
        )
        if result.outcome is LedgerOutcome.ALREADY_REVERSED:
            context.toast, context.alert = already_reversed_text(), True
            return None
        if result.outcome is not LedgerOutcome.DONE or result.payment is None:
            context.toast = stale_button_text()  # the payment or its student is gone
            return None
        context.toast = _("↩️ Reversed.")
        notice = await receipts.reversal_notice(session, settings, result.payment, result.balance)
        context.send_later(notice)
        await show_list(context.event, session, settings, result.payment.student_id)  # type: ignore[arg-type]
        return None


async def reverse_pressed(
    callback: CallbackQuery, callback_data: DeskCb, session: AsyncSession, scenes: ScenesManager
) -> None:
    """↩️ Reverse on a payments list: the form, in a new message (the list stays)."""
    payment = await payment_desk.payment(session, callback_data.id)
    student = None
    if payment is not None and payment.student_id is not None:
        student = await payment_desk.student(session, payment.student_id)
    if payment is None or student is None:
        await callback.answer(stale_button_text())
        return
    if payment.reversed_at is not None:
        await callback.answer(already_reversed_text(), show_alert=True)
        return
    data = ReverseData(
        payment_id=payment.id, student_id=student.id, name=student.full_name, amount=payment.amount
    )
    await ReverseForm.open(scenes, data, below=True)


def create_router() -> Router:
    router = Router(name="admin.payments.reversal")
    router.callback_query.register(reverse_pressed, DeskCb.filter(F.action == "rv"), flags=PAYMENTS)
    router.include_router(ReverseForm.as_router())
    return router
