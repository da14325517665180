"""/payroll (permission `payroll`): a month's payslips (last month first), making the drafts
on demand, a payslip's card with its lines, counting a draft again, approving it (a second
confirmation: it locks the payslip for good)."""

from datetime import date
from html import escape

from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery import Sender
from bot.filters.access import PAYROLL
from bot.formatting import format_money
from bot.i18n import _
from bot.notices import payroll as pay_notices
from bot.services.access import Actor
from bot.services.payroll import payslips as service
from bot.services.payroll.compute import add_months
from bot.services.payroll.payslips import PayOutcome
from bot.telegram import edit_or_send
from bot.wording import stale_button_text
from db.base import utcnow
from db.models import Payslip, PayslipStatus
from db.repositories import payroll as repo
from handlers.buttons import parsed_or_stale, show_screen
from handlers.payroll_texts import month_name, payslip_label, payslip_text, status_word
from handlers.registry import Registry
from keyboards.labels import method_label
from keyboards.payroll import PayrollCb, approve_confirmation, month_of, month_screen, payslip_card

on = Registry(PayrollCb, flags=PAYROLL)


def today(settings: Settings) -> date:
    return utcnow().astimezone(settings.centre.tz).date()


def last_month(settings: Settings) -> date:
    return add_months(today(settings).replace(day=1), -1)


async def month_view(
    session: AsyncSession, settings: Settings, month: date
) -> tuple[str, InlineKeyboardMarkup]:
    rows = await repo.month_list(session, month)
    current = today(settings).replace(day=1)
    lines = [_("💼 <b>Payroll for {month}</b>").format(month=month_name(month)), ""]
    if not rows:
        lines.append(_("No payslips for this month yet."))
    money = paid = 0
    buttons = []
    for payslip, name, paid_out in rows:
        money += payslip.total
        paid += int(paid_out)
        buttons.append((payslip.id, payslip_label(month, payslip.status, payslip.total, name)))
    if rows:
        drafts = sum(p.status == PayslipStatus.DRAFT for p, _n, _p in rows)
        lines += [
            _("Teachers: {count} · drafts: {drafts}").format(count=len(rows), drafts=drafts),
            _("Total: {total} · paid out: {paid}").format(
                total=format_money(money), paid=format_money(paid)
            ),
        ]
    lines += [
        "",
        _("Drafts are made on day {day} of each month for the month before.").format(
            day=settings.payroll.payroll_day
        ),
    ]
    following = add_months(month, 1)
    markup = month_screen(
        month,
        add_months(month, -1),
        following if following <= current else None,
        buttons,
        can_draft=month < current,
    )
    return "\n".join(lines), markup


@on.command("payroll")
async def payroll_command(message: Message, session: AsyncSession, settings: Settings) -> None:
    text, markup = await month_view(session, settings, last_month(settings))
    await message.answer(text, reply_markup=markup)


@on.button("month")
async def month_pressed(
    callback: CallbackQuery, callback_data: PayrollCb, session: AsyncSession, settings: Settings
) -> None:
    month = await parsed_or_stale(callback, month_of, callback_data.month)
    if month is not None:
        await show_screen(callback, *await month_view(session, settings, month))


@on.button("draft")
async def draft_pressed(
    callback: CallbackQuery,
    callback_data: PayrollCb,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
) -> None:
    month = await parsed_or_stale(callback, month_of, callback_data.month)
    if month is None:
        return
    if month >= today(settings).replace(day=1):
        await callback.answer(_("⚠️ A month is paid once it is over."), show_alert=True)
        return
    result = await service.make_drafts(
        session, actor.user_id, month, tz=settings.centre.tz, now=utcnow()
    )
    text, markup = await month_view(session, settings, month)
    await edit_or_send(callback, text, markup)
    await callback.answer(
        _("✅ Drafts made: {created}, counted again: {refreshed}.").format(
            created=result.created, refreshed=result.refreshed
        )
    )


async def card(
    session: AsyncSession, settings: Settings, payslip_id: int
) -> tuple[str, InlineKeyboardMarkup] | None:
    view = await service.view(session, payslip_id)
    if view is None:
        return None
    payslip = view.payslip
    payouts = [
        (p.id, f"{format_money(p.amount)} {method_label(p.method)}")
        for p in view.payouts
        if p.reversed_at is None
    ]
    markup = payslip_card(
        payslip.id, payslip.month, payslip.status == PayslipStatus.DRAFT, view.owed, payouts
    )
    return payslip_text(view, settings.centre.tz), markup


async def show_card(callback: CallbackQuery, session, settings, payslip_id: int) -> None:
    screen = await card(session, settings, payslip_id)
    if screen is None:
        await callback.answer(stale_button_text())
        return
    await show_screen(callback, *screen)


@on.button("slip", payslip=repo.payslip)
async def slip_pressed(
    callback: CallbackQuery, payslip: Payslip, session: AsyncSession, settings: Settings
) -> None:
    await show_card(callback, session, settings, payslip.id)


@on.button("recount", payslip=repo.payslip)
async def recount_pressed(
    callback: CallbackQuery,
    payslip: Payslip,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
) -> None:
    if payslip.status != PayslipStatus.DRAFT:
        await service.deny(session, actor.user_id, "recount", payslip_id=payslip.id)
        await callback.answer(already_approved_text(), show_alert=True)
        return
    await service.make_drafts(
        session,
        actor.user_id,
        payslip.month,
        tz=settings.centre.tz,
        now=utcnow(),
        teacher_id=payslip.teacher_id,
    )
    await show_card(callback, session, settings, payslip.id)


def already_approved_text() -> str:
    return _(
        "ℹ️ This payslip is already approved: it no longer changes. Corrections go into the next "
        "month's draft."
    )


@on.button("approve", payslip=repo.payslip)
async def approve_pressed(
    callback: CallbackQuery, payslip: Payslip, session: AsyncSession, actor: Actor
) -> None:
    if payslip.status != PayslipStatus.DRAFT:
        await service.deny(
            session, actor.user_id, "approve", payslip_id=payslip.id, outcome="already_approved"
        )
        await callback.answer(already_approved_text(), show_alert=True)
        return
    name = (await repo.names(session, [payslip.teacher_id])).get(payslip.teacher_id)
    text = "\n".join(
        [
            _("⚠️ <b>Approve the pay</b> of {name} for {month}: {total}?").format(
                name=escape(name or "—"),
                month=month_name(payslip.month),
                total=format_money(payslip.total),
            ),
            _(
                "Once approved, the payslip is locked for good: a lesson marked later goes into "
                "the next month's draft as a correction. The teacher is told."
            ),
        ]
    )
    await show_screen(callback, text, approve_confirmation(payslip.id))


def refusal_text(outcome: PayOutcome) -> str:
    return {
        PayOutcome.ALREADY_APPROVED: already_approved_text(),
        PayOutcome.NEGATIVE: _(
            "⚠️ The total is below zero: a deduction larger than the pay cannot be approved. "
            "Lower the deduction first."
        ),
        PayOutcome.NOT_APPROVED: _("⚠️ Approve the payslip before paying it out."),
        PayOutcome.NOTHING_OWED: _("ℹ️ Nothing is owed on this payslip any more."),
        PayOutcome.ALREADY_REVERSED: _("ℹ️ This payout is already reversed."),
    }.get(outcome, stale_button_text())


@on.button("approve_yes", payslip=repo.payslip)
async def approve_confirmed(
    callback: CallbackQuery,
    payslip: Payslip,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    sender: Sender,
) -> None:
    result = await service.approve(
        session, actor.user_id, payslip.id, tz=settings.centre.tz, now=utcnow()
    )
    if result.outcome is not PayOutcome.DONE or result.payslip is None:
        await callback.answer(refusal_text(result.outcome), show_alert=True)
        return
    notice = await pay_notices.approved_notice(session, settings, result.payslip)
    sender.in_background(notice.send(callback.bot, sender))
    screen = await card(session, settings, payslip.id)
    if screen is not None:
        await edit_or_send(callback, *screen)
    await callback.answer(
        _("✅ Approved: {status}.").format(status=status_word(PayslipStatus.APPROVED))
    )
