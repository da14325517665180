"""Online payment in chat, played against the fake Telegram: 💳 Pay → an invoice in UZS
(tiyin) → pre-checkout re-checked and answered once → successful_payment recorded once by
its telegram_payment_charge_id → receipts to the student and the parents."""

from datetime import date

import pytest
from aiogram.methods import AnswerPreCheckoutQuery, SendInvoice, SendMessage
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.payments import ledger
from bot.services.payments import online_payments as service
from db.models import (
    AuditEntry,
    AuditOutcome,
    ParentLink,
    Payment,
    PaymentMethod,
    Role,
    RoleAssignment,
)
from keyboards.payments.pay import PayCb
from keyboards.student import ParentChildCb
from tests.chat import ChatClient, Person
from tests.conftest import make_settings
from tests.factories import make_user
from tests.handlers.test_balance import NOW, TOKEN, charge
from tests.handlers.test_balance import paying_client as paying_client  # the fixture
from tests.mocked_bot import BOT_TOKEN

STALE = "⚠️ This button is out of date. Open the menu again."
STUDENT = Person(id=6_200_001, first_name="Aziz", language_code="en")
PARENT = Person(id=6_200_002, first_name="Dilnoza", language_code="ru")
STRANGER = Person(id=6_200_003, first_name="Bob", language_code="en")
KEY = service.payload_key(BOT_TOKEN)


async def family(session: AsyncSession, debt: int = 1_250_000):
    student = await make_user(
        session, STUDENT, roles=[Role.STUDENT], full_name="Aziz <Karimov> & Co"
    )
    parent = await make_user(session, PARENT, roles=[Role.PARENT], language="ru")
    session.add(ParentLink(parent_id=parent.id, student_id=student.id))
    await session.commit()
    if debt:
        await charge(session, student.id, date(2026, 3, 1), debt, date(2026, 3, 10))
    return student, parent


def invoices(client: ChatClient) -> list[SendInvoice]:
    return client.bot.session.telegram.invoices


def pre_checkout_answers(reply) -> list[AnswerPreCheckoutQuery]:
    return reply.of(AnswerPreCheckoutQuery)


async def count(session: AsyncSession, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


async def audit_actions(session: AsyncSession, outcome=None) -> list[str]:
    query = select(AuditEntry.action).order_by(AuditEntry.id)
    if outcome is not None:
        query = query.where(AuditEntry.outcome == outcome)
    return list(await session.scalars(query))


async def test_the_whole_exchange_and_a_resent_successful_payment(paying_client, session):
    client = paying_client
    student, _parent = await family(session)

    balance = await client.send(STUDENT, "/balance")
    pressed = await client.press(STUDENT, balance.callback_data("💳 Pay"), balance.message_id)
    [invoice] = pressed.of(SendInvoice)
    assert [answer.text for answer in pressed.answers] == [None]
    assert invoice.chat_id == STUDENT.id
    assert invoice.currency == "UZS"
    assert [(p.label, p.amount) for p in invoice.prices] == [("Tuition", 125_000_000)]  # tiyin
    assert invoice.provider_token == TOKEN
    assert invoice.title == "Tuition payment"
    # plain text: the name as written, not HTML-escaped
    assert invoice.description == "Payment for the studies of Aziz <Karimov> & Co: 1,250,000 soʻm"
    assert invoice.payload.startswith(f"pay:{student.id}:1250000:")
    assert len(invoice.payload.encode()) <= 128
    assert service.parse_payload(KEY, invoice.payload).amount == 1_250_000

    checkout = await client.pre_checkout(STUDENT, invoice.payload, 125_000_000)
    [answer] = pre_checkout_answers(checkout)
    assert answer.ok is True and answer.error_message is None
    assert await count(session, Payment) == 0  # nothing is written before the money is taken

    update = client.successful_payment_update(
        STUDENT, invoice.payload, 125_000_000, "tg-charge-1", provider_charge_id="prov-77"
    )
    paid = await client.feed(update)
    [payment] = (await session.scalars(select(Payment))).all()
    assert (payment.student_id, payment.amount, payment.method) == (
        student.id,
        1_250_000,
        "telegram",
    )
    assert payment.external_id == "tg-charge-1"
    assert payment.received_by_id is None
    assert "prov-77" in payment.note
    assert await ledger.balance(session, student.id) == 0
    receipts = {call.chat_id: call.text for call in paid.of(SendMessage)}
    assert set(receipts) == {STUDENT.id, PARENT.id}
    assert receipts[STUDENT.id].startswith("🧾 <b>Receipt</b>: payment of 1,250,000 soʻm received")
    assert "Telegram" in receipts[STUDENT.id]
    assert "Aziz &lt;Karimov&gt; &amp; Co" in receipts[PARENT.id]  # names the child
    entries = (
        await session.scalars(select(AuditEntry).where(AuditEntry.action == "payment.online"))
    ).all()
    assert [(e.actor_id, e.object_id) for e in entries] == [(student.id, str(payment.id))]
    assert "payment.recorded" in await audit_actions(session)

    # Telegram sends the same update again: the update de-duplication drops it, and the
    # same payment in an update it does not recognise (another process, a lost memory)
    # finds the charge id already recorded
    again = await client.feed(update)
    resent = await client.feed(
        client.successful_payment_update(
            STUDENT, invoice.payload, 125_000_000, "tg-charge-1", provider_charge_id="prov-77"
        )
    )
    assert await count(session, Payment) == 1
    assert await ledger.balance(session, student.id) == 0
    assert not again.of(SendMessage)
    assert [call.chat_id for call in resent.of(SendMessage)] == [STUDENT.id]  # no second receipt
    assert resent.text == "ℹ️ This payment is already recorded. Thank you!"

    # a second successful payment with another charge id is another payment (a credit)
    other = client.successful_payment_update(STUDENT, invoice.payload, 125_000_000, "tg-charge-2")
    await client.feed(other)
    assert await count(session, Payment) == 2
    assert await ledger.balance(session, student.id) == 1_250_000


async def test_a_parent_pays_for_their_child(paying_client, session):
    student, parent = await family(session, debt=900_000)
    card = await paying_client.send(PARENT, "/children")  # one child: their card at once
    view = await paying_client.press(
        PARENT, ParentChildCb(action="balance", child=student.id).pack(), card.message_id
    )
    pay_data = PayCb(student_id=student.id).pack()
    markup = view.markup()
    assert pay_data in [b.callback_data for row in markup.inline_keyboard for b in row]
    pressed = await paying_client.press(PARENT, pay_data, card.message_id)
    [invoice] = pressed.of(SendInvoice)
    assert invoice.chat_id == PARENT.id and invoice.prices[0].amount == 90_000_000

    checkout = await paying_client.pre_checkout(PARENT, invoice.payload, 90_000_000)
    assert pre_checkout_answers(checkout)[0].ok is True
    paid = await paying_client.feed(
        paying_client.successful_payment_update(PARENT, invoice.payload, 90_000_000, "tg-9")
    )
    assert {call.chat_id for call in paid.of(SendMessage)} == {STUDENT.id, PARENT.id}
    assert await ledger.balance(session, student.id) == 0
    [entry] = (
        await session.scalars(select(AuditEntry).where(AuditEntry.action == "payment.online"))
    ).all()
    assert entry.actor_id == parent.id


async def test_nothing_to_pay_and_a_foreign_student(paying_client, session):
    student, _parent = await family(session, debt=0)
    stranger = await make_user(session, STRANGER, roles=[Role.PARENT])

    nothing = await paying_client.press(STUDENT, PayCb(student_id=student.id).pack())
    assert [a.text for a in nothing.answers] == ["✅ Nothing to pay: there is no debt."]
    assert not nothing.of(SendInvoice)

    await charge(session, student.id, date(2026, 3, 1), 500_000, date(2026, 3, 10))
    foreign = await paying_client.press(STRANGER, PayCb(student_id=student.id).pack())
    assert [a.text for a in foreign.answers] == [STALE]
    assert not foreign.of(SendInvoice)
    entries = (
        await session.scalars(select(AuditEntry).where(AuditEntry.outcome == AuditOutcome.DENIED))
    ).all()
    assert [(e.actor_id, e.action, e.details["student"]) for e in entries] == [
        (stranger.id, "payment.invoice", student.id)
    ]
    for forged in (999_999, 0, -1, 2**31, 2**64):  # forged data: PayCb itself refuses most
        missing = await paying_client.press(STUDENT, f"py:{forged}")
        assert [a.text for a in missing.answers] == [STALE]


async def test_pre_checkout_rejects_what_does_not_match(paying_client, session):
    client = paying_client
    student, _parent = await family(session, debt=1_000_000)
    other = await make_user(session, STRANGER, roles=[Role.STUDENT], full_name="Other")
    await charge(session, other.id, date(2026, 3, 1), 1_000_000, date(2026, 3, 10))
    good = service.build_payload(KEY, student.id, 1_000_000)
    forged_key = service.build_payload(b"not the key", student.id, 1_000_000)
    tampered = good.replace(":1000000:", ":1:")
    too_much = service.build_payload(KEY, student.id, 1_500_000)

    cases = [
        (STUDENT, good, 100_000_000 - 100, "UZS", "not valid"),  # wrong total
        (STUDENT, good, 1_000_000, "UZS", "not valid"),  # so'm instead of tiyin
        (STUDENT, good, 100_000_000, "USD", "not valid"),
        (STUDENT, forged_key, 100_000_000, "UZS", "not valid"),
        (STUDENT, tampered, 100, "UZS", "not valid"),
        (STUDENT, "pay:1:2:3", 200, "UZS", "not valid"),
        (STRANGER, good, 100_000_000, "UZS", "Only the student or their parent"),
        (STUDENT, too_much, 150_000_000, "UZS", "The amount due has changed"),
    ]
    for person, payload, total, currency, reason in cases:
        reply = await client.pre_checkout(person, payload, total, currency)
        [answer] = pre_checkout_answers(reply)
        assert answer.ok is False, (payload, total, currency)
        assert reason in answer.error_message, (payload, answer.error_message)
    denied = await audit_actions(session, AuditOutcome.DENIED)
    assert denied == ["payment.checkout"] * len(cases)

    # the debt went down since the invoice (paid in cash): the stale invoice is refused
    await ledger.record_payment(
        session,
        actor_id=None,
        student_id=student.id,
        amount=400_000,
        method=PaymentMethod.CASH,
        note=None,
        now=NOW,
    )
    stale = await client.pre_checkout(STUDENT, good, 100_000_000)
    assert pre_checkout_answers(stale)[0].ok is False
    assert await count(session, Payment) == 1  # only the cash payment


async def test_pre_checkout_is_answered_even_when_the_check_fails(
    paying_client, session, monkeypatch
):
    student, _parent = await family(session)

    async def broken(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(service, "check_checkout", broken)
    payload = service.build_payload(KEY, student.id, 1_250_000)
    reply = await paying_client.pre_checkout(STUDENT, payload, 125_000_000)
    [answer] = pre_checkout_answers(reply)
    assert answer.ok is False and answer.error_message.startswith("⚠️ Online payment")


async def test_without_a_token_there_is_no_pay_button_and_a_forged_press_is_refused(
    client, session
):
    student, _parent = await family(session)
    balance = await client.send(STUDENT, "/balance")
    assert "💳 Pay" not in balance.buttons()
    reply = await client.press(STUDENT, PayCb(student_id=student.id).pack())
    assert [a.text for a in reply.answers] == [STALE]
    assert not reply.of(SendInvoice)
    [entry] = (
        await session.scalars(select(AuditEntry).where(AuditEntry.outcome == AuditOutcome.DENIED))
    ).all()
    assert entry.action == "payment.invoice" and entry.details["why"] == "off"


async def test_a_payment_the_ledger_cannot_take_is_reported_not_lost(paying_client, session):
    student, _parent = await family(session)
    foreign = service.build_payload(b"another bot", student.id, 1_250_000)
    reply = await paying_client.feed(
        paying_client.successful_payment_update(STUDENT, foreign, 125_000_000, "tg-x")
    )
    assert "could not be recorded automatically" in reply.text
    assert "<code>tg-x</code>" in reply.text
    assert await count(session, Payment) == 0
    [entry] = (
        await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "payment.online_unrecorded")
        )
    ).all()
    assert entry.outcome == AuditOutcome.DENIED and entry.details["charge"] == "tg-x"

    # our own invoice, but the student lost the role between checkout and payment
    ours = service.build_payload(KEY, student.id, 1_250_000)
    await session.execute(delete(RoleAssignment).where(RoleAssignment.user_id == student.id))
    await session.commit()
    lost = await paying_client.feed(
        paying_client.successful_payment_update(STUDENT, ours, 125_000_000, "tg-y")
    )
    assert "<code>tg-y</code>" in lost.text
    assert await count(session, Payment) == 0
    failed = (
        await session.scalars(select(AuditEntry).where(AuditEntry.outcome == AuditOutcome.FAILED))
    ).all()
    assert [(e.action, e.details["why"]) for e in failed] == [
        ("payment.online_unrecorded", "not_a_student")
    ]


async def test_a_successful_payment_passes_the_consent_gate_and_the_throttle(
    database_url, session_factory, bot, sender, session
):
    """Consent withdrawn after the invoice, and a user over the flood limit: the money
    Telegram took is still recorded."""
    from bot.middlewares.throttling import MemoryHitCounter
    from bot.startup.app import create_dispatcher

    settings = make_settings(database_url, payment_provider_token=TOKEN, throttle_rate=1)
    client = ChatClient(
        bot,
        create_dispatcher(
            settings, session_factory, hit_counter=MemoryHitCounter(60), sender=sender
        ),
    )
    student = await make_user(session, STUDENT, roles=[Role.STUDENT], consent=None)
    await charge(session, student.id, date(2026, 3, 1), 100_000, date(2026, 3, 10))
    payload = service.build_payload(KEY, student.id, 100_000)
    await client.send(STUDENT, "hello")  # uses up the flood allowance
    await client.feed(client.successful_payment_update(STUDENT, payload, 10_000_000, "tg-c"))
    assert await count(session, Payment) == 1
    assert await ledger.balance(session, student.id) == 0


@pytest.mark.parametrize("amount", [1, 1_250_000, service.ONLINE_MAX])
def test_payload_round_trip_and_size(amount):
    payload = service.build_payload(KEY, 2**53, amount)
    assert len(payload.encode()) <= 128
    parsed = service.parse_payload(KEY, payload)
    assert (parsed.student_id, parsed.amount) == (2**53, amount)
    assert service.parse_payload(service.payload_key("other:token"), payload) is None
    assert service.parse_payload(KEY, payload + "0") is None
    assert service.parse_payload(KEY, None) is None


async def test_an_invoice_telegram_refuses_gets_a_clear_answer(paying_client, session):
    student, _parent = await family(session)
    paying_client.bot.session.fail_next(
        SendInvoice, 400, "Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID"
    )
    reply = await paying_client.press(STUDENT, PayCb(student_id=student.id).pack())
    [answer] = reply.answers
    assert answer.show_alert and answer.text.startswith("⚠️ Online payment is not available")
    assert invoices(paying_client) == []
