"""/salary: the teacher's own pay — this month so far (what the scheme counts up to today)
and their payslips; a payslip's card with its lines and payouts. Only their own: another
teacher's payslip asked for by a forged button is refused and audited."""

from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n import _
from bot.services.access import Actor
from bot.services.payroll import payslips as service
from bot.wording import stale_button_text
from db.base import utcnow
from db.models import Payslip, PayslipStatus
from db.repositories import payroll as repo
from handlers.buttons import refuse_forged, show_screen
from handlers.payroll_texts import payslip_label, payslip_text, running_text
from handlers.registry import Registry
from keyboards.payroll import SalaryCb, salary_back, salary_screen

on = Registry(SalaryCb)


async def salary_view(session: AsyncSession, settings: Settings, teacher_id: int):
    today = utcnow().astimezone(settings.centre.tz).date()
    found = await service.salary(session, teacher_id, today, settings.centre.tz)
    lines = ["💼 " + _("<b>My pay</b>"), "", *running_text(found.running, today), ""]
    if found.payslips:
        lines.append(_("Approved payslips: tap one to see its lines and payouts."))
    else:
        lines.append(_("No payslips yet: the month's pay is counted after it is over."))
    buttons = []
    for payslip, paid in found.payslips:
        label = payslip_label(payslip.month, payslip.status, payslip.total)
        if payslip.status == PayslipStatus.APPROVED and paid < payslip.total:
            label += " · " + _("owed")
        buttons.append((payslip.id, label))
    return "\n".join(lines), salary_screen(buttons)


@on.command("salary")
async def salary_command(
    message: Message, session: AsyncSession, settings: Settings, actor: Actor
) -> None:
    text, markup = await salary_view(session, settings, actor.user_id)
    await message.answer(text, reply_markup=markup)


@on.button("home")
async def home_pressed(
    callback: CallbackQuery, session: AsyncSession, settings: Settings, actor: Actor
) -> None:
    await show_screen(callback, *await salary_view(session, settings, actor.user_id))


@on.button("slip", payslip=repo.payslip)
async def slip_pressed(
    callback: CallbackQuery,
    payslip: Payslip,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
) -> None:
    if payslip.teacher_id != actor.user_id:
        await refuse_forged(callback, actor, session, "payroll.payslip_denied", payslip.id)
        return
    view = await service.view(session, payslip.id)
    if view is None or payslip.status != PayslipStatus.APPROVED:  # a draft is not shown yet
        await callback.answer(stale_button_text())
        return
    await show_screen(
        callback, payslip_text(view, settings.centre.tz, for_teacher=True), salary_back()
    )
