"""The student's /balance (the parent's per-child balance renders with the same function,
see handlers/parent/children.py): the balance in words, this month's charge, the last
payments (reversed ones marked) and charges, and 💳 Pay when online payment is on.

A read: one session, a few queries, nothing written; the read transaction is closed
before anything is sent to Telegram.
"""

from datetime import date
from html import escape
from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters.menu import MenuButton
from bot.formatting import format_date, format_datetime, format_money, format_month
from bot.i18n import _
from bot.notices.receipts import balance_line, method_label
from bot.services.access import Actor
from bot.services.payments import ledger
from bot.services.payments.ledger import ChargeLine, PaymentInfo, RefundInfo, Statement
from db.base import utcnow
from keyboards.payments.pay import online_payments_on, pay_button

RECENT = 5  # payments and charges shown


def own_title() -> str:
    return _("💰 <b>My balance</b>")


def child_title(name: str) -> str:
    return _("💰 <b>Balance of {name}</b>").format(name=escape(name))


def month_name(period: date) -> str:
    return format_month(period)


def payment_line(payment: PaymentInfo, tz: ZoneInfo) -> str:
    text = _("{when} · {amount} · {method}").format(
        when=format_datetime(payment.paid_at, tz),
        amount=format_money(payment.amount),
        method=method_label(payment.method),
    )
    if payment.reversed_at is not None:
        return "• ↩️ <s>" + text + "</s> · " + _("reversed")
    return "• " + text


def charge_line(charge: ChargeLine) -> str:
    text = _("{month} · {amount} · due {due}").format(
        month=month_name(charge.period),
        amount=format_money(charge.amount),
        due=format_date(charge.due_date),
    )
    if charge.group_name:
        text += " · " + escape(charge.group_name)
    if charge.cancelled:
        return "• ❌ <s>" + text + "</s> · " + _("cancelled")
    return "• " + text


def refund_line(refund: RefundInfo, tz: ZoneInfo) -> str:
    return "• " + _("{when} · {amount} · {method}").format(
        when=format_datetime(refund.refunded_at, tz),
        amount=format_money(refund.amount),
        method=method_label(refund.method),
    )


def listing(heading: str, lines: list[str]) -> str:
    return "\n".join([heading, *lines])


def render_balance(statement: Statement, tz: ZoneInfo, title: str) -> str:
    blocks = [title, "<b>" + balance_line(statement.balance) + "</b>"]
    if statement.month_charge:
        blocks[-1] += "\n" + _("This month's charge: {amount}").format(
            amount=format_money(statement.month_charge)
        )
    else:
        blocks[-1] += "\n" + _("No charge this month.")
    if statement.payments:
        lines = [payment_line(item, tz) for item in statement.payments]
        blocks.append(listing(_("<b>Last payments</b>"), lines))
    else:
        blocks.append(_("No payments yet."))
    if statement.refunds:
        lines = [refund_line(item, tz) for item in statement.refunds]
        blocks.append(listing(_("<b>Refunds</b>"), lines))
    if statement.charges:
        lines = [charge_line(item) for item in statement.charges]
        blocks.append(listing(_("<b>Last charges</b>"), lines))
    return "\n\n".join(blocks)


def balance_markup(
    settings: Settings,
    student_id: int,
    balance: int,
    extra: list[InlineKeyboardButton] | None = None,
) -> InlineKeyboardMarkup | None:
    """💳 Pay while there is a debt and online payment is on; then `extra` (e.g. ⬅ Back)."""
    rows = []
    if balance < 0 and online_payments_on(settings):
        rows.append([pay_button(student_id)])
    if extra:
        rows.append(extra)
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


async def build_balance(
    session: AsyncSession, student_id: int, settings: Settings, title: str
) -> tuple[str, int]:
    """The balance screen's text and the balance (for the buttons); ends the read."""
    tz = settings.centre.tz
    today = utcnow().astimezone(tz).date()
    statement = await ledger.statement(session, student_id, today=today, limit=RECENT)
    await session.rollback()  # a read: close the transaction before Telegram is called
    return render_balance(statement, tz, title), statement.balance


async def show_balance(
    message: Message, actor: Actor, session: AsyncSession, settings: Settings
) -> None:
    text, balance = await build_balance(session, actor.user_id, settings, own_title())
    await message.answer(text, reply_markup=balance_markup(settings, actor.user_id, balance))


def create_router() -> Router:
    router = Router(name="student.balance")
    router.message.register(show_balance, Command("balance"))
    router.message.register(show_balance, MenuButton("student.balance"))
    return router
