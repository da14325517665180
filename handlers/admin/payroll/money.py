"""A draft's adjustments (➕ bonus, ➖ deduction: the amount and a reason) and an approved
payslip's payouts (💸 the amount, at most what is still owed, the method, a note; ↩️ a
payout entered by mistake is reversed with a reason, never edited). Forms on the engine:
nothing is written before ✅; each save is one service call, audited; the teacher is told
of a payout after the commit."""

from html import escape

from aiogram.fsm.scene import ScenesManager
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters.access import PAYROLL
from bot.formatting import format_money
from bot.forms import Form, FormContext, FormData, OutOfDate, Refusal, Step
from bot.i18n import _
from bot.notices import payroll as pay_notices
from bot.services.access import Actor
from bot.services.parsing import MONEY_MAX, Invalid, parse_amount
from bot.services.payroll import payslips as service
from bot.services.payroll.payslips import PayOutcome
from bot.telegram import edit_or_send
from bot.wording import amount_problem
from db.base import utcnow
from db.models import PayLineKind, PayoutMethod, Payslip, PayslipStatus
from db.repositories import payroll as repo
from handlers.admin.payments.common import clean_text
from handlers.admin.payroll.screens import already_approved_text, card, refusal_text
from handlers.payroll_texts import month_name
from handlers.registry import Registry
from keyboards.forms import pick_button, skip_row
from keyboards.labels import method_label
from keyboards.payments.desk import cancel_row
from keyboards.payroll import PayrollCb, payout_methods

on = Registry(PayrollCb, flags=PAYROLL)


def cancel_buttons(data: FormData, form: str):
    return [cancel_row(form)]


async def deny_typed(context: FormContext, action: str, payslip_id: int, typed: str | None) -> None:
    await service.deny(
        context.session,
        context.actor.user_id,
        action,
        payslip_id=payslip_id,
        typed=(typed or "")[:40],
    )


async def back_to_card(context: FormContext, payslip_id: int, head: str) -> None:
    screen = await card(context.session, context.settings, payslip_id)
    if screen is None:
        await edit_or_send(context.event, head, None)  # type: ignore[arg-type]
        return
    text, markup = screen
    await edit_or_send(context.event, f"{head}\n\n{text}", markup)  # type: ignore[arg-type]


# --- adjustments --------------------------------------------------------------------------------


class AdjustData(FormData):
    payslip_id: int = 0
    kind: str = PayLineKind.BONUS.value
    title: str = ""
    amount: int = 0
    reason: str = ""


async def read_adjust_amount(data: AdjustData, text: str | None, context: FormContext) -> None:
    try:
        data.amount = parse_amount(text, maximum=MONEY_MAX)
    except Invalid:
        await deny_typed(context, "adjustment", data.payslip_id, text)
        raise


async def read_reason(data: FormData, text: str | None, context: FormContext) -> None:
    data.reason = clean_text(text)  # type: ignore[attr-defined]


class AdjustForm(Form[AdjustData], state="pay_adjust_form"):
    key = "padj"
    data_type = AdjustData
    flags = PAYROLL
    edit_from = "amount"
    steps = (
        Step(
            "amount",
            lambda data: _("Step 1/2 — the amount in soʻm."),
            read=read_adjust_amount,
            buttons=cancel_buttons,
            problem=amount_problem,
            example=lambda: _("For example: <i>200 000</i>"),
        ),
        Step(
            "reason",
            lambda data: _("Step 2/2 — the reason (required): the teacher sees it on the payslip."),
            read=read_reason,
            buttons=cancel_buttons,
            example=lambda: _("For example: <i>the olympiad preparation</i>"),
        ),
    )

    def title(self, data: AdjustData) -> str:
        if data.kind == PayLineKind.DEDUCTION:
            return _("➖ <b>Deduction</b> · {payslip}").format(payslip=escape(data.title))
        return _("➕ <b>Bonus</b> · {payslip}").format(payslip=escape(data.title))

    def summary_text(self, data: AdjustData) -> str:
        return "\n".join(
            [
                self.title(data),
                "",
                _("Amount: {amount}").format(amount=format_money(data.amount)),
                _("Reason: {reason}").format(reason=escape(data.reason)),
            ]
        )

    async def save(self, data: AdjustData, context: FormContext):
        await context.state.clear()
        result = await service.add_adjustment(
            context.session,
            context.actor.user_id,
            data.payslip_id,
            PayLineKind(data.kind),
            data.amount,
            data.reason,
            now=utcnow(),
        )
        if result.outcome is not PayOutcome.DONE:
            await back_to_card(context, data.payslip_id, refusal_text(result.outcome))
            return None
        context.toast = _("✅ Saved.")
        await back_to_card(context, data.payslip_id, _("✅ Added to the draft."))
        return None


async def payslip_title(session: AsyncSession, payslip: Payslip) -> str:
    name = (await repo.names(session, [payslip.teacher_id])).get(payslip.teacher_id) or "—"
    return f"{name}, {month_name(payslip.month)}"


@on.button("bonus", "deduct", payslip=repo.payslip)
async def adjust_pressed(
    callback: CallbackQuery,
    callback_data: PayrollCb,
    payslip: Payslip,
    session: AsyncSession,
    actor: Actor,
    scenes: ScenesManager,
) -> None:
    kind = PayLineKind.BONUS if callback_data.action == "bonus" else PayLineKind.DEDUCTION
    if payslip.status != PayslipStatus.DRAFT:
        await service.deny(
            session, actor.user_id, "adjustment", payslip_id=payslip.id, outcome="already_approved"
        )
        await callback.answer(already_approved_text(), show_alert=True)
        return
    data = AdjustData(
        payslip_id=payslip.id, kind=kind.value, title=await payslip_title(session, payslip)
    )
    await AdjustForm.open(scenes, data, below=True)


# --- payouts ----------------------------------------------------------------------------------


class PayoutData(FormData):
    payslip_id: int = 0
    title: str = ""
    owed: int = 0
    amount: int = 0
    method: str = ""
    note: str | None = None


def over_owed_text(owed: int) -> str:
    return _("⚠️ That is more than is owed: at most {owed} can be paid out.").format(
        owed=format_money(owed)
    )


async def read_payout_amount(data: PayoutData, text: str | None, context: FormContext) -> None:
    payslip = await repo.payslip(context.session, data.payslip_id)
    if payslip is None:
        raise Refusal(refusal_text(PayOutcome.MISSING), close=True)
    data.owed = await service.owed(context.session, payslip)
    try:
        amount = parse_amount(text, maximum=MONEY_MAX)
    except Invalid:
        await deny_typed(context, "payout", data.payslip_id, text)
        raise
    if amount > data.owed:
        await service.deny(
            context.session,
            context.actor.user_id,
            "payout",
            payslip_id=data.payslip_id,
            outcome=PayOutcome.OVER_OWED.value,
            amount=amount,
            owed=data.owed,
        )
        raise Refusal(over_owed_text(data.owed))
    data.amount = amount


async def pick_whole(data: PayoutData, value: str, context: FormContext) -> None:
    if value != "all" or data.owed <= 0:
        raise OutOfDate
    data.amount = data.owed


async def pick_method(data: PayoutData, value: str, context: FormContext) -> None:
    if value not in {m.value for m in PayoutMethod}:
        raise OutOfDate
    data.method = value


async def read_note(data: PayoutData, text: str | None, context: FormContext) -> None:
    data.note = clean_text(text)


def skip_note(data: PayoutData) -> None:
    data.note = None


def whole_buttons(data: PayoutData, form: str):
    whole = _("All that is owed: {owed}").format(owed=format_money(data.owed))
    return [[pick_button(whole, form, "amount", "all")], cancel_row(form)]


class PayoutForm(Form[PayoutData], state="pay_payout_form"):
    key = "pout"
    data_type = PayoutData
    flags = PAYROLL
    edit_from = "amount"
    steps = (
        Step(
            "amount",
            lambda data: _(
                "Step 1/3 — the amount paid out, in soʻm: at most the {owed} owed."
            ).format(owed=format_money(data.owed)),
            read=read_payout_amount,
            pick=pick_whole,
            buttons=whole_buttons,
            problem=amount_problem,
            example=lambda: _("For example: <i>1 000 000</i> (a part is fine)"),
        ),
        Step(
            "method",
            lambda data: _("Step 2/3 — how was it paid?"),
            pick=pick_method,
            buttons=lambda data, form: [*payout_methods(form, "method"), cancel_row(form)],
            typed_hint=lambda: _("ℹ️ Choose the method with the buttons above, or /cancel."),
        ),
        Step(
            "note",
            lambda data: _("Step 3/3 — a note for the records, or ⏭ Skip."),
            read=read_note,
            skip=skip_note,
            buttons=lambda data, form: [skip_row(form, "note"), cancel_row(form)],
        ),
    )

    def title(self, data: PayoutData) -> str:
        return _("💸 <b>Payout</b> · {payslip}").format(payslip=escape(data.title))

    def summary_text(self, data: PayoutData) -> str:
        return "\n".join(
            [
                _("💸 <b>Check the payout</b> · {payslip}").format(payslip=escape(data.title)),
                "",
                _("Amount: {amount}").format(amount=format_money(data.amount)),
                _("Method: {method}").format(method=method_label(data.method)),
                _("Note: {note}").format(note=escape(data.note) if data.note else "—"),
                _("Still owed after it: {owed}").format(owed=format_money(data.owed - data.amount)),
                "",
                _("Nothing is saved before ✅ Confirm. The teacher is told."),
            ]
        )

    async def save(self, data: PayoutData, context: FormContext):
        await context.state.clear()  # before the service: a second ✅ finds no form
        session = context.session
        result = await service.record_payout(
            session,
            context.actor.user_id,
            data.payslip_id,
            data.amount,
            PayoutMethod(data.method),
            data.note,
            now=utcnow(),
        )
        if result.outcome is not PayOutcome.DONE or result.payslip is None or result.payout is None:
            text = (
                over_owed_text(result.owed)
                if result.outcome is PayOutcome.OVER_OWED
                else refusal_text(result.outcome)
            )
            await back_to_card(context, data.payslip_id, text)
            return None
        context.toast = _("✅ Saved.")
        notice = await pay_notices.payout_notice(
            session, context.settings, result.payslip, result.payout, result.owed
        )
        context.send_later(notice)
        await back_to_card(context, data.payslip_id, _("✅ The payout is recorded."))
        return None


@on.button("payout", payslip=repo.payslip)
async def payout_pressed(
    callback: CallbackQuery,
    payslip: Payslip,
    session: AsyncSession,
    actor: Actor,
    scenes: ScenesManager,
) -> None:
    owed = await service.owed(session, payslip)
    outcome = None
    if payslip.status != PayslipStatus.APPROVED:
        outcome = PayOutcome.NOT_APPROVED
    elif owed <= 0:
        outcome = PayOutcome.NOTHING_OWED
    if outcome is not None:
        await service.deny(
            session, actor.user_id, "payout", payslip_id=payslip.id, outcome=outcome.value
        )
        await callback.answer(refusal_text(outcome), show_alert=True)
        return
    data = PayoutData(payslip_id=payslip.id, title=await payslip_title(session, payslip), owed=owed)
    await PayoutForm.open(scenes, data, below=True)


# --- a payout reversed ----------------------------------------------------------------------


class UnpayData(FormData):
    payout_id: int = 0
    payslip_id: int = 0
    title: str = ""
    amount: int = 0
    reason: str = ""


class UnpayForm(Form[UnpayData], state="pay_unpay_form"):
    key = "punp"
    data_type = UnpayData
    flags = PAYROLL
    edit_from = "reason"
    steps = (
        Step(
            "reason",
            lambda data: _("Type the reason (required), for example <i>entered twice</i>."),
            read=read_reason,
            buttons=cancel_buttons,
        ),
    )

    def title(self, data: UnpayData) -> str:
        return _("↩️ <b>Reverse a payout</b> of {amount} · {payslip}").format(
            amount=format_money(data.amount), payslip=escape(data.title)
        )

    def summary_text(self, data: UnpayData) -> str:
        return "\n".join(
            [
                _("⚠️ <b>Reverse the payout</b> of {amount} · {payslip}?").format(
                    amount=format_money(data.amount), payslip=escape(data.title)
                ),
                _("Reason: {reason}").format(reason=escape(data.reason)),
                "",
                _("The payout stays in the records marked as reversed; the amount is owed again."),
            ]
        )

    async def save(self, data: UnpayData, context: FormContext):
        await context.state.clear()
        result = await service.reverse_payout(
            context.session, context.actor.user_id, data.payout_id, data.reason, now=utcnow()
        )
        if result.outcome is not PayOutcome.DONE:
            await back_to_card(context, data.payslip_id, refusal_text(result.outcome))
            return None
        context.toast = _("↩️ Reversed.")
        await back_to_card(context, data.payslip_id, _("↩️ The payout is reversed."))
        return None


@on.button("unpay", payout=repo.payout)
async def unpay_pressed(
    callback: CallbackQuery, payout, session: AsyncSession, scenes: ScenesManager
) -> None:
    if payout.reversed_at is not None:
        await callback.answer(refusal_text(PayOutcome.ALREADY_REVERSED), show_alert=True)
        return
    payslip = await repo.payslip(session, payout.payslip_id)
    if payslip is None:
        await callback.answer(refusal_text(PayOutcome.MISSING))
        return
    data = UnpayData(
        payout_id=payout.id,
        payslip_id=payslip.id,
        title=await payslip_title(session, payslip),
        amount=payout.amount,
    )
    await UnpayForm.open(scenes, data, below=True)
