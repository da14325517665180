"""Online payment in chat (Telegram Payments), for students and parents alike.

💳 Pay → an invoice for the current debt (UZS, counted in tiyin) → Telegram asks
`pre_checkout_query`, which is re-checked and ALWAYS answered once (Telegram gives
10 seconds) → `successful_payment` is recorded once by its telegram_payment_charge_id
(a resent update finds the payment already there) → the receipt to the student and
their parents.

The successful_payment message passes the consent gate (`consent_free`): the money is
taken by then and must be recorded whatever happened to the payer's consent since.
"""

from html import escape

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, LabeledPrice, Message, PreCheckoutQuery
from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery import Sender
from bot.formatting import format_money
from bot.i18n import _
from bot.notices.receipts import send_receipt
from bot.services.access import Actor
from bot.services.payments import online_payments as service
from bot.services.payments.ledger import LedgerOutcome
from bot.services.payments.online_payments import CURRENCY, Invoice, PayProblem
from bot.wording import stale_button_text
from db.base import utcnow
from keyboards.payments.pay import PayCb, online_payments_on

INVOICE_ACTION = "payment.invoice"
CHECKOUT_ACTION = "payment.checkout"
TITLE_MAX, DESCRIPTION_MAX = 32, 255
REFUSED = (PayProblem.NO_STUDENT, PayProblem.NOT_ALLOWED)  # forged or stale buttons


def payload_key(settings: Settings) -> bytes:
    return service.payload_key(settings.telegram.bot_token.get_secret_value())


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- texts ----------------------------------------------------------------------------------


def problem_text(problem: PayProblem) -> str:
    """Why there is no invoice, or why Telegram's checkout was refused (plain text: the
    checkout error is shown by the Telegram app as is)."""
    texts = {
        PayProblem.NOTHING_TO_PAY: _("✅ Nothing to pay: there is no debt."),
        PayProblem.TOO_LARGE: _("⚠️ This sum is too large to pay online. Please pay at the centre."),
        PayProblem.AMOUNT_CHANGED: _(
            "⚠️ The amount due has changed since this invoice was made. "
            "Open the balance again and pay the new invoice."
        ),
        PayProblem.NO_STUDENT: _("⚠️ This invoice is out of date. Open the balance again."),
        PayProblem.NOT_ALLOWED: _("⚠️ Only the student or their parent can pay this invoice."),
    }
    return texts.get(problem, _("⚠️ This invoice is not valid. Open the balance again."))


def invoice_title() -> str:
    return clip(_("Tuition payment"), TITLE_MAX)


def invoice_description(invoice: Invoice) -> str:
    # Invoice fields are plain text: the name goes as written, no HTML escaping.
    name = invoice.student_name or _("No name")
    return clip(
        _("Payment for the studies of {name}: {amount}").format(
            name=name, amount=format_money(invoice.amount)
        ),
        DESCRIPTION_MAX,
    )


def unavailable_text() -> str:
    return _("⚠️ Online payment is not available right now. Please try later or pay at the centre.")


def duplicate_text() -> str:
    return _("ℹ️ This payment is already recorded. Thank you!")


def unrecorded_text(amount: int, charge_id: str) -> str:
    return _(
        "⚠️ Your payment of {amount} was received, but it could not be recorded automatically. "
        "The centre will record it by hand; please keep this reference: <code>{reference}</code>"
    ).format(amount=format_money(amount), reference=escape(charge_id))


# --- 💳 Pay ----------------------------------------------------------------------------------


async def send_invoice(bot: Bot, chat_id: int, invoice: Invoice, settings: Settings) -> bool:
    token = settings.telegram.payment_provider_token
    assert token is not None
    try:
        await bot.send_invoice(
            chat_id=chat_id,
            title=invoice_title(),
            description=invoice_description(invoice),
            payload=invoice.payload,
            provider_token=token.get_secret_value(),
            currency=CURRENCY,
            prices=[LabeledPrice(label=clip(_("Tuition"), TITLE_MAX), amount=invoice.total)],
        )
    except TelegramBadRequest as error:  # e.g. a sum outside the provider's limits
        logger.warning("invoice for student {} refused: {}", invoice.student_id, error.message)
        return False
    return True


async def press_pay(
    callback: CallbackQuery,
    callback_data: PayCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
) -> None:
    details = {"student": callback_data.student_id}
    if not online_payments_on(settings):
        await service.refuse(session, actor.user_id, INVOICE_ACTION, details | {"why": "off"})
        await callback.answer(stale_button_text())
        return
    invoice = await service.invoice_for(
        session, payload_key(settings), actor.user_id, callback_data.student_id
    )
    if isinstance(invoice, PayProblem) and invoice in REFUSED:
        await service.refuse(session, actor.user_id, INVOICE_ACTION, details | {"why": invoice})
        await callback.answer(stale_button_text())
        return
    await session.rollback()  # a read: nothing is held open while Telegram answers
    if isinstance(invoice, PayProblem):
        await callback.answer(problem_text(invoice), show_alert=True)
        return
    if not await send_invoice(callback.bot, actor.telegram_id, invoice, settings):
        await callback.answer(unavailable_text(), show_alert=True)
        return
    await callback.answer()


# --- pre-checkout ---------------------------------------------------------------------------


async def pre_checkout(
    query: PreCheckoutQuery,
    session: AsyncSession,
    settings: Settings,
    actor: Actor | None = None,
) -> None:
    """Always answered exactly once: ok, or refused with a reason the payer can act on."""
    payer_id = actor.user_id if actor else None
    try:
        checked = await service.check_checkout(
            session,
            payload_key(settings),
            payer_id=payer_id,
            payload=query.invoice_payload,
            currency=query.currency,
            total_amount=query.total_amount,
        )
        await session.rollback()
    except Exception:
        await query.answer(ok=False, error_message=unavailable_text())
        raise
    if not isinstance(checked, PayProblem):
        await query.answer(ok=True)
        return
    await query.answer(ok=False, error_message=problem_text(checked))
    details = {
        "why": checked,
        "currency": query.currency[:8],
        "total": query.total_amount,
        "payload": query.invoice_payload[:128],
    }
    await service.refuse(session, payer_id, CHECKOUT_ACTION, details)


# --- successful payment ---------------------------------------------------------------------


async def unrecorded(
    message: Message, session: AsyncSession, payer_id: int | None, why: str, *, ours: bool = True
) -> None:
    """Money taken that the ledger did not take: logged, audited, the payer told."""
    paid = message.successful_payment
    logger.error(
        "online payment NOT recorded ({}): charge {} provider {} payload {} total {} {}",
        why,
        paid.telegram_payment_charge_id,
        paid.provider_payment_charge_id,
        paid.invoice_payload,
        paid.total_amount,
        paid.currency,
    )
    details = {
        "why": why,
        "charge": paid.telegram_payment_charge_id,
        "provider_charge": paid.provider_payment_charge_id,
        "payload": paid.invoice_payload[:128],
        "total": paid.total_amount,
        "currency": paid.currency[:8],
    }
    try:
        await service.record_unrecorded(session, payer_id=payer_id, details=details, ours=ours)
    except Exception:
        logger.opt(exception=True).error("the unrecorded payment could not be audited either")
        await session.rollback()
    amount = paid.total_amount // service.TIYIN_PER_SOM
    await message.answer(unrecorded_text(amount, paid.telegram_payment_charge_id))


async def successful_payment(
    message: Message,
    session: AsyncSession,
    settings: Settings,
    sender: Sender,
    actor: Actor | None = None,
) -> None:
    paid = message.successful_payment
    payer_id = actor.user_id if actor else None
    parsed = service.parse_payload(payload_key(settings), paid.invoice_payload)
    if (
        parsed is None
        or paid.currency != CURRENCY
        or paid.total_amount <= 0
        or paid.total_amount % service.TIYIN_PER_SOM
    ):
        await unrecorded(message, session, payer_id, "not our invoice", ours=False)
        return
    try:
        result = await service.record(
            session,
            payer_id=payer_id,
            student_id=parsed.student_id,
            total_amount=paid.total_amount,
            telegram_charge_id=paid.telegram_payment_charge_id,
            provider_charge_id=paid.provider_payment_charge_id,
            now=utcnow(),
        )
    except Exception:
        logger.opt(exception=True).error("recording an online payment failed")
        await session.rollback()
        await unrecorded(message, session, payer_id, "error")
        return
    if result.outcome is LedgerOutcome.DUPLICATE:
        await message.answer(duplicate_text())
        return
    if result.outcome is not LedgerOutcome.DONE or result.payment is None:
        await unrecorded(message, session, payer_id, str(result.outcome))
        return
    await send_receipt(message.bot, sender, session, settings, result.payment, result.balance)


def create_router() -> Router:
    router = Router(name="common.payments")
    router.callback_query.register(press_pay, PayCb.filter())
    router.pre_checkout_query.register(pre_checkout)
    router.message.register(successful_payment, F.successful_payment, flags={"consent_free": True})
    return router
