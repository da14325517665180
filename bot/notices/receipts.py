"""Receipts and correction notices for the student and their linked parents.

A receipt is essential (POLICY 3): everyone who accepted the policy and has not blocked
the bot gets it, each in their own language; a parent's copy names the child. The
caller has committed the ledger change; the recipients are read, the read transaction
is ended, and only then is Telegram called (no transaction held across a send).
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from html import escape

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery import Outcome, Recipient, Sender, recipients
from bot.formatting import format_datetime, format_money
from bot.i18n import _
from bot.services.consent import Category
from bot.services.payments import payment_desk
from bot.services.payments.ledger import PaymentInfo
from keyboards.labels import method_label

Render = Callable[[bool], str]  # for_student → the text, in the current language


def balance_line(balance: int) -> str:
    """The balance in words: a debt, a credit (paid ahead) or nothing owed."""
    if balance < 0:
        return _("💰 Balance: debt of {amount}").format(amount=format_money(-balance))
    if balance > 0:
        return _("💰 Balance: {amount} paid ahead").format(amount=format_money(balance))
    return _("💰 Balance: 0 — nothing owed")


async def _audience(
    session: AsyncSession, settings: Settings, student_id: int
) -> tuple[str, list[Recipient]]:
    student = await payment_desk.student(session, student_id)
    name = student.full_name if student else ""
    ids = [student_id, *await payment_desk.parent_ids(session, student_id)]
    chosen = await recipients(session, ids, Category.ESSENTIAL, settings.centre.policy_version)
    await session.commit()  # end the read: nothing is held open while Telegram answers
    return name, chosen


@dataclass(frozen=True)
class Notice:
    """Who is told about one student, and what: read inside the handler's transaction,
    sent afterwards (possibly in the background, see `Sender.in_background`)."""

    student_id: int
    student_name: str
    recipients: list[Recipient]
    render: Render

    async def send(self, bot: Bot, sender: Sender) -> int:
        """Send to each recipient in their language; returns how many got it."""
        sent = 0
        for recipient in self.recipients:
            result = await sender.notify(bot, recipient, partial(self._text, recipient))
            sent += result.outcome is Outcome.SENT
        return sent

    def _text(self, recipient: Recipient) -> str:
        body = self.render(recipient.user_id == self.student_id)
        if recipient.user_id == self.student_id:
            return body
        return _("👪 For {child}:").format(child=escape(self.student_name)) + "\n" + body


async def _notice(
    session: AsyncSession, settings: Settings, student_id: int, render: Render
) -> Notice:
    name, chosen = await _audience(session, settings, student_id)
    return Notice(student_id, name, chosen, render)


async def _tell(
    bot: Bot,
    sender: Sender,
    session: AsyncSession,
    settings: Settings,
    student_id: int,
    render: Render,
) -> int:
    notice = await _notice(session, settings, student_id, render)
    return await notice.send(bot, sender)


def _receipt(settings: Settings, payment: PaymentInfo, balance: int) -> Render:
    def render(for_student: bool) -> str:
        return "\n".join(
            [
                _("🧾 <b>Receipt</b>: payment of {amount} received").format(
                    amount=format_money(payment.amount)
                ),
                _("Method: {method}").format(method=method_label(payment.method)),
                _("Date: {when}").format(when=format_datetime(payment.paid_at, settings.centre.tz)),
                balance_line(balance),
                _("Thank you!"),
            ]
        )

    return render


async def receipt_notice(
    session: AsyncSession, settings: Settings, payment: PaymentInfo, balance: int
) -> Notice | None:
    """The receipt of `payment` (the balance after it), ready to send; None when the student
    was erased meanwhile."""
    if payment.student_id is None:
        return None
    return await _notice(
        session, settings, payment.student_id, _receipt(settings, payment, balance)
    )


async def send_receipt(
    bot: Bot,
    sender: Sender,
    session: AsyncSession,
    settings: Settings,
    payment: PaymentInfo,
    balance: int,
) -> int:
    """The receipt of `payment` (the balance after it); returns how many got it."""
    notice = await receipt_notice(session, settings, payment, balance)
    return await notice.send(bot, sender) if notice is not None else 0


async def send_reversal_notice(
    bot: Bot,
    sender: Sender,
    session: AsyncSession,
    settings: Settings,
    payment: PaymentInfo,
    balance: int,
) -> int:
    """A payment was reversed (entered by mistake): the correction and the new balance."""

    def render(for_student: bool) -> str:
        return "\n".join(
            [
                _(
                    "↩️ <b>Payment corrected</b>: the payment of {amount} of {when} was cancelled."
                ).format(
                    amount=format_money(payment.amount),
                    when=format_datetime(payment.paid_at, settings.centre.tz),
                ),
                _("Reason: {reason}").format(reason=escape(payment.reversal_reason or "—")),
                balance_line(balance),
                _("Questions? Write to /support."),
            ]
        )

    if payment.student_id is None:
        return 0
    return await _tell(bot, sender, session, settings, payment.student_id, render)


async def send_refund_notice(
    bot: Bot,
    sender: Sender,
    session: AsyncSession,
    settings: Settings,
    *,
    student_id: int,
    amount: int,
    method: str,
    balance: int,
) -> int:
    """Money paid back out of the credit."""

    def render(for_student: bool) -> str:
        return "\n".join(
            [
                _("💸 <b>Refund</b>: {amount} paid back").format(amount=format_money(amount)),
                _("Method: {method}").format(method=method_label(method)),
                balance_line(balance),
            ]
        )

    return await _tell(bot, sender, session, settings, student_id, render)
