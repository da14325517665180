"""Pay notices to a teacher: a payslip approved, a payout recorded. Essential (POLICY 3):
they are about the teacher's own money, so every teacher who accepted the policy and has
not blocked the bot gets them, in their own language, with a 💼 button to /salary's payslip.
The caller has committed; the recipient is read, the read ended, then Telegram is called."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from aiogram import Bot
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.dates import format_date as babel_date
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery import Outcome, Recipient, Sender, recipients
from bot.formatting import babel_locale, format_money
from bot.i18n import _
from bot.services.consent import Category
from db.models import Payout, Payslip
from keyboards.labels import method_label
from keyboards.payroll import SalaryCb


@dataclass(frozen=True)
class PayNotice:
    recipients: list[Recipient]
    render: Callable[[], str]
    payslip_id: int

    def markup(self) -> InlineKeyboardMarkup:
        builder = InlineKeyboardBuilder()
        builder.button(
            text=_("💼 Open the payslip"), callback_data=SalaryCb(action="slip", id=self.payslip_id)
        )
        return builder.as_markup()

    async def send(self, bot: Bot, sender: Sender) -> int:
        sent = 0
        for recipient in self.recipients:
            result = await sender.notify(bot, recipient, self.render, self.markup)
            sent += result.outcome is Outcome.SENT
        return sent


def _month(month: date) -> str:
    return babel_date(month, "LLLL y", locale=babel_locale())


async def _teacher(session: AsyncSession, settings: Settings, teacher_id: int) -> list[Recipient]:
    chosen = await recipients(
        session, [teacher_id], Category.ESSENTIAL, settings.centre.policy_version
    )
    await session.commit()  # end the read: nothing is held open while Telegram answers
    return chosen


async def approved_notice(session: AsyncSession, settings: Settings, payslip: Payslip) -> PayNotice:
    month, amount = payslip.month, payslip.total

    def render() -> str:
        return "\n".join(
            [
                _("💼 <b>Your pay for {month} is approved</b>: {amount}").format(
                    month=_month(month), amount=format_money(amount)
                ),
                _("The payslip shows what was counted; the payout follows. /salary shows it all."),
            ]
        )

    return PayNotice(await _teacher(session, settings, payslip.teacher_id), render, payslip.id)


async def payout_notice(
    session: AsyncSession, settings: Settings, payslip: Payslip, payout: Payout, owed: int
) -> PayNotice:
    month, amount, method = payslip.month, payout.amount, payout.method

    def render() -> str:
        lines = [
            _("💸 <b>Pay for {month}</b>: {amount} paid out ({method})").format(
                month=_month(month), amount=format_money(amount), method=method_label(method)
            )
        ]
        if owed > 0:
            lines.append(_("Still owed: {owed}").format(owed=format_money(owed)))
        else:
            lines.append(_("This month's pay is paid in full."))
        return "\n".join(lines)

    return PayNotice(await _teacher(session, settings, payslip.teacher_id), render, payslip.id)
