"""Online payment in chat (Telegram Payments): who may pay for whom, the invoice payload,
the pre-checkout re-check and the one-time recording of a successful payment.

The payload `pay:<student>:<amount>:<nonce>:<tag>` is signed with a key derived from the
bot token (HMAC-SHA256, 16 hex characters), so a payload the bot did not write is refused
however it reached the pre-checkout. Telegram counts UZS in tiyin (so'm × 100); the
ledger in whole so'm.

Amount rule at pre-checkout: the debt may have changed since the invoice was sent (a cash
payment, a new charge). The invoice is accepted while its amount is positive, within
`ONLINE_MAX` and not above the current debt; paying an invoice for more than is now owed
is refused (the payer is told to open the balance again for a fresh invoice). The money
taken after an accepted pre-checkout is always recorded.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.parsing import MONEY_MAX
from bot.services.payments import ledger
from bot.services.payments.ledger import LedgerOutcome, PaymentResult
from db.ids import is_row_id
from db.models import AuditOutcome, PaymentMethod, Role, User
from db.repositories import mydata as mydata_repo
from db.repositories import users as users_repo

CURRENCY = "UZS"
TIYIN_PER_SOM = 100
ONLINE_MAX = MONEY_MAX  # so'm; a larger debt is paid at the centre
PAYLOAD_PREFIX = "pay"
PAYLOAD_MAX_BYTES = 128
_TAG_CHARS = 16
_PAYLOAD = re.compile(
    rf"^{PAYLOAD_PREFIX}:(?P<student>[1-9]\d{{0,17}}):(?P<amount>[1-9]\d{{0,17}}):"
    rf"(?P<nonce>[0-9a-f]{{8}}):(?P<tag>[0-9a-f]{{{_TAG_CHARS}}})$"
)
NOTE_MAX = 500


class PayProblem(StrEnum):
    NO_STUDENT = "no_student"  # no such student (or erased, or not a student)
    NOT_ALLOWED = "not_allowed"  # the payer is neither the student nor a linked parent
    NOTHING_TO_PAY = "nothing_to_pay"  # no debt
    TOO_LARGE = "too_large"  # above ONLINE_MAX
    BAD_PAYLOAD = "bad_payload"  # not a payload this bot signed
    WRONG_CURRENCY = "wrong_currency"
    WRONG_AMOUNT = "wrong_amount"  # the total differs from the payload's amount
    AMOUNT_CHANGED = "amount_changed"  # now more than the current debt


@dataclass(frozen=True, slots=True)
class Invoice:
    """What to put in the invoice: the student's name, the amount in so'm, the payload."""

    student_id: int
    student_name: str | None
    amount: int
    payload: str

    @property
    def total(self) -> int:
        """The invoice total in tiyin, as the Bot API wants it."""
        return self.amount * TIYIN_PER_SOM


@dataclass(frozen=True, slots=True)
class InvoicePayload:
    student_id: int
    amount: int
    nonce: str


# --- the payload ----------------------------------------------------------------------------


def payload_key(bot_token: str) -> bytes:
    """A key of its own for invoice payloads, derived from the bot token (never the token)."""
    return hashlib.sha256(b"educrm-invoice-payload:" + bot_token.encode()).digest()


def _tag(key: bytes, body: str) -> str:
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:_TAG_CHARS]


def build_payload(key: bytes, student_id: int, amount: int, nonce: str | None = None) -> str:
    nonce = nonce or secrets.token_hex(4)
    body = f"{PAYLOAD_PREFIX}:{student_id}:{amount}:{nonce}"
    payload = f"{body}:{_tag(key, body)}"
    assert len(payload.encode()) <= PAYLOAD_MAX_BYTES
    return payload


def parse_payload(key: bytes, text: str | None) -> InvoicePayload | None:
    """The payload's parts when this bot wrote it; None for anything else."""
    match = _PAYLOAD.match(text or "")
    if match is None:
        return None
    body = text.rpartition(":")[0]
    if not hmac.compare_digest(_tag(key, body), match["tag"]):
        return None
    return InvoicePayload(int(match["student"]), int(match["amount"]), match["nonce"])


# --- who may pay for whom -------------------------------------------------------------------


async def _student(session: AsyncSession, student_id: int) -> User | None:
    if not is_row_id(student_id):  # a forged button: no query with an impossible id
        return None
    user = await session.get(User, student_id)
    if user is None or user.deleted_at is not None:
        return None
    if Role.STUDENT not in await users_repo.roles_of(session, student_id):
        return None
    return user


async def may_pay_for(session: AsyncSession, payer_id: int, student_id: int) -> bool:
    """The student themself, or a parent linked to them."""
    return payer_id == student_id or await mydata_repo.is_linked_child(
        session, payer_id, student_id
    )


async def _checked_student(
    session: AsyncSession, payer_id: int, student_id: int
) -> User | PayProblem:
    student = await _student(session, student_id)
    if student is None:
        return PayProblem.NO_STUDENT
    if not await may_pay_for(session, payer_id, student_id):
        return PayProblem.NOT_ALLOWED
    return student


async def debt_of(session: AsyncSession, student_id: int) -> int:
    return max(0, -await ledger.balance(session, student_id))


async def invoice_for(
    session: AsyncSession, key: bytes, payer_id: int, student_id: int
) -> Invoice | PayProblem:
    """The invoice for the student's whole current debt, if this payer may pay it."""
    student = await _checked_student(session, payer_id, student_id)
    if isinstance(student, PayProblem):
        return student
    debt = await debt_of(session, student_id)
    if debt <= 0:
        return PayProblem.NOTHING_TO_PAY
    if debt > ONLINE_MAX:
        return PayProblem.TOO_LARGE
    return Invoice(student_id, student.full_name, debt, build_payload(key, student_id, debt))


async def check_checkout(
    session: AsyncSession,
    key: bytes,
    *,
    payer_id: int | None,
    payload: str,
    currency: str,
    total_amount: int,
) -> InvoicePayload | PayProblem:
    """The pre-checkout re-check: the payload, the student, the payer, the currency and sum."""
    parsed = parse_payload(key, payload)
    if parsed is None:
        return PayProblem.BAD_PAYLOAD
    if payer_id is None:
        return PayProblem.NOT_ALLOWED
    student = await _checked_student(session, payer_id, parsed.student_id)
    if isinstance(student, PayProblem):
        return student
    if currency != CURRENCY:
        return PayProblem.WRONG_CURRENCY
    if total_amount != parsed.amount * TIYIN_PER_SOM or not 0 < parsed.amount <= ONLINE_MAX:
        return PayProblem.WRONG_AMOUNT
    if parsed.amount > await debt_of(session, parsed.student_id):
        return PayProblem.AMOUNT_CHANGED
    return parsed


async def refuse(session: AsyncSession, payer_id: int | None, action: str, details: dict) -> None:
    """A refused press or pre-checkout: a `denied` audit entry in its own transaction."""
    await audit.record_denied(session, actor_id=payer_id, action=action, details=details)


# --- recording ------------------------------------------------------------------------------


def payment_note(provider_charge_id: str | None) -> str:
    note = "Telegram Payments"
    if provider_charge_id:
        note += f"; provider charge {provider_charge_id}"
    return note[:NOTE_MAX]


async def record(
    session: AsyncSession,
    *,
    payer_id: int | None,
    student_id: int,
    total_amount: int,
    telegram_charge_id: str,
    provider_charge_id: str | None,
    now: datetime,
) -> PaymentResult:
    """Record the money Telegram took, once per `telegram_charge_id` (a resent update is a
    DUPLICATE and changes nothing). The ledger writes the payment, balance and its audit
    entry; nobody on the staff received it (received_by stays empty), so a second entry,
    `payment.online`, names the payer and Telegram's ids."""
    result = await ledger.record_payment(
        session,
        actor_id=None,
        student_id=student_id,
        amount=total_amount // TIYIN_PER_SOM,
        method=PaymentMethod.TELEGRAM,
        note=payment_note(provider_charge_id),
        now=now,
        external_id=telegram_charge_id,
    )
    if result.outcome is LedgerOutcome.DONE and result.payment is not None:
        await audit.record(
            session,
            payer_id,
            "payment.online",
            "payment",
            result.payment.id,
            details={
                "student_id": student_id,
                "amount": result.payment.amount,
                "charge": telegram_charge_id,
                "provider_charge": provider_charge_id,
            },
        )
        await session.commit()
    return result


async def record_unrecorded(
    session: AsyncSession, *, payer_id: int | None, details: dict, ours: bool
) -> None:
    """Money Telegram took that could not be put in the ledger: an audit entry to act on,
    `failed` for an invoice of ours, `denied` for a payload this bot never signed."""
    await audit.record(
        session,
        payer_id,
        "payment.online_unrecorded",
        outcome=AuditOutcome.FAILED if ours else AuditOutcome.DENIED,
        details=details,
    )
    await session.commit()
