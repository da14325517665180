"""Student /balance and the parent's per-child balance: the balance in words, this month's
charge, the last payments (reversed ones marked) and charges, in the centre's time zone;
💳 Pay only with a debt and a provider token; a forged child id refused and audited."""

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from aiogram.methods import EditMessageText, SendMessage
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import handlers.student.balance as balance_handlers
from bot.services.payments import ledger
from db.models import AuditEntry, AuditOutcome, Charge, ParentLink, Payment, PaymentMethod, Role
from db.repositories.payments import ledger as ledger_repo
from keyboards.student import ParentChildCb
from tests.chat import ChatClient, Person
from tests.conftest import make_settings
from tests.factories import make_user

STALE = "⚠️ This button is out of date. Open the menu again."
NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # Wed 4 Mar, 14:00 in Tashkent
STUDENT = Person(id=6_100_001, first_name="Aziz", language_code="en")
PARENT = Person(id=6_100_002, first_name="Dilnoza", language_code="en")
TOKEN = "284685063:TEST:NjA1ZTFmYTQ5ZGNm"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(balance_handlers, "utcnow", lambda: NOW)
    yield


@pytest.fixture
def paying_client(database_url, session_factory, bot, sender) -> ChatClient:
    """A bot with PAYMENT_PROVIDER_TOKEN set."""
    from bot.middlewares.throttling import MemoryHitCounter
    from bot.startup.app import create_dispatcher

    settings = make_settings(database_url, payment_provider_token=TOKEN)
    dispatcher = create_dispatcher(
        settings,
        session_factory,
        hit_counter=MemoryHitCounter(settings.runtime.throttle_window),
        sender=sender,
    )
    return ChatClient(bot, dispatcher)


async def charge(
    session: AsyncSession, student_id: int, period: date, amount: int, due: date
) -> Charge:
    """A charge and its balance change, as the ledger writes them."""
    row = Charge(student_id=student_id, period=period, amount=amount, due_date=due, created_at=NOW)
    session.add(row)
    await session.flush()
    await ledger_repo.add_to_balance(session, student_id, -amount, NOW)
    await session.commit()
    return row


async def pay(session: AsyncSession, student_id: int, amount: int, method, when: datetime):
    result = await ledger.record_payment(
        session,
        actor_id=None,
        student_id=student_id,
        amount=amount,
        method=method,
        note=None,
        now=when,
    )
    assert result.outcome is ledger.LedgerOutcome.DONE
    return result.payment


async def student_with_ledger(session: AsyncSession, name: str = "Aziz <A> & Co"):
    """February charged and paid; March charged, 500 000 paid, a 200 000 payment reversed:
    a debt of 750 000."""
    student = await make_user(session, STUDENT, roles=[Role.STUDENT], full_name=name)
    await charge(session, student.id, date(2026, 2, 1), 1_000_000, date(2026, 2, 10))
    await pay(
        session, student.id, 1_000_000, PaymentMethod.TRANSFER, datetime(2026, 2, 9, 6, tzinfo=UTC)
    )
    await charge(session, student.id, date(2026, 3, 1), 1_250_000, date(2026, 3, 10))
    await pay(session, student.id, 500_000, PaymentMethod.CASH, datetime(2026, 3, 2, 5, tzinfo=UTC))
    wrong = await pay(
        session, student.id, 200_000, PaymentMethod.CARD, datetime(2026, 3, 3, 7, tzinfo=UTC)
    )
    reversed_ = await ledger.reverse_payment(
        session, actor_id=None, payment_id=wrong.id, reason="typo", now=NOW
    )
    assert reversed_.balance == -750_000
    return student


async def test_student_balance_with_debt_payments_reversal_and_charges(client, session):
    await student_with_ledger(session)

    menu = await client.send(STUDENT, "/start")
    assert "💰 Balance" in menu.buttons()
    reply = await client.send(STUDENT, "💰 Balance")
    assert reply.text == (
        "💰 <b>My balance</b>\n\n"
        "<b>💰 Balance: debt of 750,000 soʻm</b>\n"
        "This month's charge: 1,250,000 soʻm\n\n"
        "<b>Last payments</b>\n"
        "• ↩️ <s>Tue, 3 Mar · 12:00 · 200,000 soʻm · 💳 Card</s> · reversed\n"
        "• Mon, 2 Mar · 10:00 · 500,000 soʻm · 💵 Cash\n"
        "• Mon, 9 Feb · 11:00 · 1,000,000 soʻm · 🏦 Bank transfer\n\n"
        "<b>Last charges</b>\n"
        "• March 2026 · 1,250,000 soʻm · due 10 March 2026\n"
        "• February 2026 · 1,000,000 soʻm · due 10 February 2026"
    )
    assert reply.markup() is None  # no provider token: no 💳 Pay anywhere
    assert (await client.send(STUDENT, "/balance")).text == reply.text


async def test_credit_and_settled_wording_and_a_new_student(client, session):
    student = await make_user(session, STUDENT, roles=[Role.STUDENT])
    empty = await client.send(STUDENT, "/balance")
    assert empty.text == (
        "💰 <b>My balance</b>\n\n<b>💰 Balance: 0 — nothing owed</b>\n"
        "No charge this month.\n\nNo payments yet."
    )
    await pay(session, student.id, 300_000, PaymentMethod.CLICK, NOW)
    credit = await client.send(STUDENT, "/balance")
    assert "<b>💰 Balance: 300,000 soʻm paid ahead</b>" in credit.text


async def test_pay_button_only_with_a_token_and_a_debt(paying_client, session):
    student = await student_with_ledger(session)
    reply = await paying_client.send(STUDENT, "/balance")
    assert reply.buttons() == ["💳 Pay"]
    assert reply.callback_data("💳 Pay") == f"py:{student.id}"

    await pay(session, student.id, 750_000, PaymentMethod.CASH, NOW)
    settled = await paying_client.send(STUDENT, "/balance")
    assert "<b>💰 Balance: 0 — nothing owed</b>" in settled.text
    assert settled.markup() is None  # nothing to pay: no button


async def test_balance_is_a_student_command(client, session):
    await make_user(session, STUDENT)  # no student role
    reply = await client.send(STUDENT, "/balance")
    assert reply.text.startswith("⚠️ You do not have access to this.")


async def test_parent_sees_each_childs_balance_and_a_forged_child_is_refused(
    paying_client, session
):
    parent = await make_user(session, PARENT, roles=[Role.PARENT])
    child = await student_with_ledger(session)
    other = await make_user(
        session, Person(id=6_100_003), roles=[Role.STUDENT], full_name="Not yours"
    )
    await charge(session, other.id, date(2026, 3, 1), 900_000, date(2026, 3, 10))
    session.add(ParentLink(parent_id=parent.id, student_id=child.id))
    await session.commit()

    card = await paying_client.send(PARENT, "/children")
    assert "💰 Balance" in card.buttons()
    view = await paying_client.press(PARENT, card.callback_data("💰 Balance"), card.message_id)
    assert view.of(EditMessageText) and not view.of(SendMessage)  # in place
    assert view.text.startswith(
        "💰 <b>Balance of Aziz &lt;A&gt; &amp; Co</b>\n\n<b>💰 Balance: debt of 750,000 soʻm</b>"
    )
    assert "• Mon, 2 Mar · 10:00 · 500,000 soʻm · 💵 Cash" in view.text
    assert view.buttons() == ["💳 Pay", "⬅ Back"]
    assert view.callback_data("💳 Pay") == f"py:{child.id}"
    back = await paying_client.press(PARENT, view.callback_data("⬅ Back"), card.message_id)
    assert back.text.startswith("👤 <b>Aziz &lt;A&gt; &amp; Co</b>")

    forged = ParentChildCb(action="balance", child=other.id).pack()
    refused = await paying_client.press(PARENT, forged, card.message_id)
    assert [answer.text for answer in refused.answers] == [STALE]
    assert not refused.of(EditMessageText) and not refused.of(SendMessage)
    [entry] = (
        await session.scalars(select(AuditEntry).where(AuditEntry.outcome == AuditOutcome.DENIED))
    ).all()
    assert entry.actor_id == parent.id and entry.action == "child.view"
    assert entry.details == {"child": other.id, "action": "balance"}


async def test_the_balance_read_writes_nothing(client, session):
    await student_with_ledger(session)
    before = await session.scalar(select(func.count()).select_from(AuditEntry))
    payments = await session.scalar(select(func.count()).select_from(Payment))
    await client.send(STUDENT, "/balance")
    session.expire_all()
    assert await session.scalar(select(func.count()).select_from(AuditEntry)) == before
    assert await session.scalar(select(func.count()).select_from(Payment)) == payments
