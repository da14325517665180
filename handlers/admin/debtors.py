"""/debtors: students in debt, most debt first, 10 a page; 🔔 remind one now; 📥 XLSX.

Every handler needs the `payments` permission. The reminder goes through the payment
reminder job's own `remind_now`, so consent, quiet hours and the once-a-day limit are
the job's rules, not repeated here.
"""

from html import escape

from aiogram import Bot, Router
from aiogram.enums import ChatAction
from aiogram.types import BufferedInputFile, CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import Sender
from bot.filters.access import PAYMENTS
from bot.formatting import format_date, format_money
from bot.i18n import _, ngettext
from bot.notices import payment_reminders
from bot.notices.payment_reminders import RemindNow, RemindNowReason
from bot.services.access import Actor
from bot.services.payments import debtors_xlsx, ledger, payment_desk
from bot.services.payments.ledger import Debtor
from bot.wording import stale_button_text
from db.base import utcnow
from handlers.registry import Registry
from keyboards.payments.desk import DebtorsCb, RemindDebtorCb, debtors_list

PAGE_SIZE = 10

on = Registry(DebtorsCb, flags=PAYMENTS)


def today(settings: Settings):
    return utcnow().astimezone(settings.centre.tz).date()


def overdue_text(debtor: Debtor) -> str:
    if debtor.days_overdue > 0:
        return ngettext("{days} day overdue", "{days} days overdue", debtor.days_overdue).format(
            days=debtor.days_overdue
        )
    if debtor.oldest_due is not None:
        return _("due {date}").format(date=format_date(debtor.oldest_due))
    return _("not overdue")


def debtors_text(debtors: list[Debtor], total: int, page: int) -> str:
    if total == 0:
        return _("📋 <b>Debtors</b>\n\n✅ Nobody owes anything.")
    lines = [_("📋 <b>Debtors</b>: {total}").format(total=total), ""]
    first = (page - 1) * PAGE_SIZE + 1
    for number, debtor in enumerate(debtors, start=first):
        lines.append(
            _("{number}. {name} — {debt} · {overdue}").format(
                number=number,
                name=escape(debtor.name),
                debt=format_money(debtor.debt),
                overdue=overdue_text(debtor),
            )
        )
    lines += ["", _("🔔 reminds one person now (consent and the once-a-day limit apply).")]
    return "\n".join(lines)


@on.pages("debtors", menu="admin.debtors", action="page")
async def render(page: int, session: AsyncSession, settings: Settings) -> tuple[str, object]:
    day = today(settings)
    page = max(page, 1)
    debtors, total = await ledger.debtors(
        session, today=day, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    pages = max(1, -(-total // PAGE_SIZE))
    if page > pages:  # the list shrank since the button was drawn: show its last page
        page = pages
        debtors, total = await ledger.debtors(
            session, today=day, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
    return debtors_text(debtors, total, page), debtors_list(debtors, page, pages)


def xlsx_headers() -> list[str]:
    return [
        _("Name"),
        _("Phone"),
        _("Debt, soʻm"),
        _("Oldest due date"),
        _("Days overdue"),
        _("Parents"),
    ]


@on.button("xlsx")
async def xlsx_pressed(
    callback: CallbackQuery, session: AsyncSession, settings: Settings, actor: Actor, bot: Bot
) -> None:
    await callback.answer(_("⏳ Preparing the file…"))
    await bot.send_chat_action(actor.telegram_id, ChatAction.UPLOAD_DOCUMENT)
    file = await debtors_xlsx.export(session, actor.user_id, today(settings), xlsx_headers())
    await bot.send_document(
        actor.telegram_id,
        BufferedInputFile(file.data, file.name),
        caption=_("📥 Debtors: {rows}").format(rows=file.rows),
    )


def remind_outcome_text(result: RemindNow) -> str:
    reason = result.reason
    if reason is RemindNowReason.SENT:
        text = ngettext(
            "🔔 Reminder sent to {count} person.",
            "🔔 Reminder sent to {count} people.",
            result.sent,
        ).format(count=result.sent)
        if result.blocked or result.failed:
            text += " " + _("Not delivered: {count}.").format(count=result.blocked + result.failed)
        return text
    if reason is RemindNowReason.ALREADY_TODAY:
        return _("ℹ️ Already reminded today: the next reminder can go tomorrow.")
    if reason is RemindNowReason.NO_DEBT:
        return _("ℹ️ This student owes nothing now: no reminder sent.")
    if reason is RemindNowReason.QUIET_HOURS:
        until = result.quiet_until.strftime("%H:%M") if result.quiet_until else ""
        return _("🌙 Quiet hours now: nothing is sent. Press again after {time}.").format(
            time=until
        )
    return _(
        "ℹ️ Nobody to tell: the student and the parents are not on Telegram, blocked the bot "
        "or switched reminders off."
    )


@on.callback(RemindDebtorCb.filter())
async def remind_pressed(
    callback: CallbackQuery,
    callback_data: RemindDebtorCb,
    session: AsyncSession,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    actor: Actor,
    bot: Bot,
    sender: Sender,
) -> None:
    student = await payment_desk.student(session, callback_data.student_id)
    if student is None:
        await callback.answer(stale_button_text())
        return
    await session.rollback()  # end this read before the job's own sessions and Telegram
    result = await payment_reminders.remind_now(
        session_factory, bot, sender, settings, student.id, utcnow(), actor_id=actor.user_id
    )
    await callback.answer(remind_outcome_text(result), show_alert=True)


def create_router() -> Router:
    return on.router("admin.debtors")
