"""/pay, a student's payments, reversals and refunds, driven through the real dispatcher:
what the admin sees, what the ledger holds, the audit, and the receipts each recipient gets
in their own language."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram.methods import EditMessageText, SendMessage
from sqlalchemy import func, select

from bot.formatting import format_money
from bot.i18n import _, use_language
from db.base import utcnow
from db.models import (
    AuditEntry,
    Balance,
    Charge,
    ParentLink,
    Payment,
    Permission,
    Refund,
    Role,
    User,
)
from db.repositories.payments import ledger as ledger_repo
from keyboards.payments.desk import DebtorsCb, DeskCb, RemindDebtorCb
from keyboards.people import PeopleCb
from tests.chat import Person
from tests.factories import make_user

STALE = "⚠️ This button is out of date. Open the menu again."
REFUSED = "⚠️ You do not have access to this. If you think you should, ask the administrator."

ALI = Person(id=5_000_001, first_name="Ali", language_code="ru")
VALI = Person(id=5_000_002, first_name="Vali", language_code="uz")
SHER = Person(id=5_000_003, first_name="Sher", language_code="en")
NOCONSENT = Person(id=5_000_004, first_name="Nodir", language_code="en")
CASHIER = Person(id=5_000_005, first_name="Cashier", language_code="en")
CLERK = Person(id=5_000_006, first_name="Clerk", language_code="en")


def money(amount: int, language: str = "en") -> str:
    with use_language(language):
        return format_money(amount)


def sent_to(reply, person: Person) -> list[str]:
    return [call.text for call in reply.of(SendMessage) if call.chat_id == person.id]


def confirmation(reply) -> str:
    """The desk's message edited to "Payment saved" (the receipts go out after it)."""
    return reply.of(EditMessageText)[-1].text


def centre_today():
    return utcnow().astimezone(ZoneInfo("Asia/Tashkent")).date()


async def owe(session, student_id: int, amount: int, days_ago: int = 5) -> None:
    """A charge (debt) written the way the ledger writes one: the row and the balance."""
    due = centre_today() - timedelta(days=days_ago)
    session.add(
        Charge(student_id=student_id, period=due.replace(day=1), amount=amount, due_date=due)
    )
    await ledger_repo.add_to_balance(session, student_id, -amount, utcnow())
    await session.commit()


async def setup(session, owner):
    await make_user(session, owner)
    ali = await make_user(
        session, ALI, roles=[Role.STUDENT], language="ru", full_name="Ali <Valiyev>"
    )
    vali = await make_user(
        session, VALI, roles=[Role.PARENT], language="uz", full_name="Vali Valiyev"
    )
    silent = await make_user(
        session, NOCONSENT, roles=[Role.PARENT], full_name="Nodir Valiyev", consent=None
    )
    sher = await make_user(session, SHER, roles=[Role.STUDENT], full_name="Sher Valiyev")
    session.add_all(
        [
            ParentLink(parent_id=vali.id, student_id=ali.id),
            ParentLink(parent_id=silent.id, student_id=ali.id),
        ]
    )
    await session.commit()
    return {"ali": ali.id, "vali": vali.id, "sher": sher.id, "silent": silent.id}


async def balance_of(session, student_id: int) -> int:
    session.expire_all()
    return await ledger_repo.balance_of(session, student_id)


async def count(session, model) -> int:
    session.expire_all()
    return await session.scalar(select(func.count()).select_from(model))


async def audit_actions(session) -> list[str]:
    session.expire_all()
    return list(
        await session.scalars(
            select(AuditEntry.action).where(AuditEntry.outcome == "ok").order_by(AuditEntry.id)
        )
    )


async def test_pay_from_search_to_receipts_then_a_stale_confirm(client, session, owner):
    ids = await setup(session, owner)
    await owe(session, ids["ali"], 1_000_000)

    start = await client.send(owner, "/pay")
    assert "Step 1/4" in start.text and start.buttons() == ["❌ Cancel"]
    assert "⚠️ Type at least 2 letters" in (await client.send(owner, "v")).text

    # "valiyev" finds the two students; the parents of the same name are not offered
    found = await client.send(owner, "valiyev")
    assert "Students found: 2" in found.text
    assert found.buttons() == ["🎓 Ali <Valiyev>", "🎓 Sher Valiyev", "❌ Cancel"]
    amount = await client.press(owner, found.callback_data("🎓 Ali <Valiyev>"), found.message_id)
    assert "from Ali &lt;Valiyev&gt;" in amount.text and "Step 2/4" in amount.text

    # bad amounts: the step repeats with the reason, nothing is written
    for typed, reason in [
        ("abc", "is not an amount"),
        ("0", "must be more than 0"),
        ("-5000", "cannot be negative"),
        ("2 000 000 000", "too large"),
        ("1,5", "is not an amount"),
        ("12 34", "is not an amount"),
    ]:
        bad = await client.send(owner, typed)
        assert reason in bad.text and "Step 2/4" in bad.text, typed
    photo = await client.send(owner, None, caption="100000")
    assert "is not an amount" in photo.text

    method = await client.send(owner, "1.250.000")
    assert "Step 3/4" in method.text
    assert method.buttons() == [
        "💵 Cash", "💳 Card", "🏦 Bank transfer", "Click", "Payme", "Other", "❌ Cancel"
    ]  # fmt: skip
    assert "Choose the method" in (await client.send(owner, "cash")).text
    forged = await client.press(owner, DeskCb(action="m", m="telegram").pack())
    assert forged.answers[0].text == STALE
    note = await client.press(owner, method.callback_data("💵 Cash"), method.message_id)
    assert "Step 4/4" in note.text and note.buttons() == ["⏭ Skip", "❌ Cancel"]
    too_long = await client.send(owner, "x" * 501)
    assert "at most 500 characters" in too_long.text

    summary = await client.send(owner, "October <fee>")
    assert "Student: Ali &lt;Valiyev&gt;" in summary.text
    assert f"Amount: {money(1_250_000)}" in summary.text
    assert "Method: 💵 Cash" in summary.text
    assert "Note: October &lt;fee&gt;" in summary.text
    assert f"Balance: debt {money(1_000_000)} → credit {money(250_000)}" in summary.text
    assert summary.buttons() == ["✅ Confirm", "✏️ Edit", "❌ Cancel"]
    assert await count(session, Payment) == 0  # nothing before ✅

    done = await client.press(owner, summary.callback_data("✅ Confirm"), summary.message_id)
    assert done.answers[0].text == "✅ Saved."
    saved = confirmation(done)
    assert "✅ <b>Payment saved</b>" in saved
    assert f"💰 Balance: {money(250_000)} paid ahead" in saved
    assert "🧾 Receipts being sent: 2." in saved
    assert done.buttons() == ["📜 Payments", "💵 Another payment"]

    payment = (await session.scalars(select(Payment))).one()
    assert (payment.student_id, payment.amount, payment.method, payment.note) == (
        ids["ali"],
        1_250_000,
        "cash",
        "October <fee>",
    )
    assert await balance_of(session, ids["ali"]) == 250_000
    assert "payment.recorded" in await audit_actions(session)

    # the student reads Russian, the parent Uzbek (with the child's name); the parent who
    # never accepted the policy gets nothing
    [to_ali] = sent_to(done, ALI)
    [to_vali] = sent_to(done, VALI)
    assert not sent_to(done, NOCONSENT)
    with use_language("ru"):
        assert (
            _("🧾 <b>Receipt</b>: payment of {amount} received").format(
                amount=format_money(1_250_000)
            )
            in to_ali
        )
        assert _("💰 Balance: {amount} paid ahead").format(amount=format_money(250_000)) in to_ali
    with use_language("uz"):
        assert _("👪 For {child}:").format(child="Ali &lt;Valiyev&gt;") in to_vali
        assert format_money(1_250_000) in to_vali
    assert "October" not in to_ali  # the note is the centre's, not the receipt's

    # the same ✅ again (a double tap, or an old message): out of date, no second payment
    again = await client.press(owner, summary.callback_data("✅ Confirm"), summary.message_id)
    assert again.answers[0].text == STALE
    assert not again.of(SendMessage)
    assert await count(session, Payment) == 1
    assert await balance_of(session, ids["ali"]) == 250_000


async def test_part_payment_one_match_skip_note_and_edit(client, session, owner):
    ids = await setup(session, owner)
    await owe(session, ids["sher"], 1_000_000)
    await client.send(owner, "/pay")
    amount = await client.send(owner, "sher")  # one student: straight to the amount
    assert "from Sher Valiyev" in amount.text and "Step 2/4" in amount.text
    method = await client.send(owner, "500000")
    note = await client.press(owner, method.callback_data("💳 Card"), method.message_id)
    summary = await client.press(owner, note.callback_data("⏭ Skip"), method.message_id)
    assert "Note: —" in summary.text
    assert f"Balance: debt {money(1_000_000)} → debt {money(600_000)}" not in summary.text
    # ✏️ Edit goes back to the amount, keeping the student
    edit = await client.press(owner, summary.callback_data("✏️ Edit"), method.message_id)
    assert "Step 2/4" in edit.text and "Sher Valiyev" in edit.text
    method = await client.send(owner, "400 000")
    note = await client.press(owner, method.callback_data("💳 Card"), method.message_id)
    summary = await client.press(owner, note.callback_data("⏭ Skip"), method.message_id)
    assert f"Balance: debt {money(1_000_000)} → debt {money(600_000)}" in summary.text
    done = await client.press(owner, summary.callback_data("✅ Confirm"), method.message_id)
    assert f"💰 Balance: debt of {money(600_000)}" in confirmation(done)
    assert "🧾 Receipts being sent: 1." in confirmation(done)
    [receipt] = sent_to(done, SHER)
    assert f"💰 Balance: debt of {money(600_000)}" in receipt
    assert "Method: 💳 Card" in receipt
    assert await balance_of(session, ids["sher"]) == -600_000


async def test_cancel_and_the_person_card_button(client, session, owner):
    ids = await setup(session, owner)
    await client.send(owner, "/pay")
    await client.send(owner, "sher")
    cancelled = await client.send(owner, "/cancel")
    assert "Cancelled" in cancelled.text
    assert "ℹ️ I did not understand" in (await client.send(owner, "100000")).text

    # the person card of a student carries 💵 Payment and 📜 Payments
    card = await client.press(owner, PeopleCb(action="card", id=ids["ali"]).pack())
    assert "💵 Payment" in card.buttons() and "📜 Payments" in card.buttons()
    parent_card = await client.press(owner, PeopleCb(action="card", id=ids["vali"]).pack())
    assert "💵 Payment" not in parent_card.buttons()
    amount = await client.press(owner, card.callback_data("💵 Payment"))
    assert "from Ali &lt;Valiyev&gt;" in amount.text and "Step 2/4" in amount.text
    method = await client.send(owner, "100000")
    dropped = await client.press(owner, method.callback_data("❌ Cancel"), method.message_id)
    assert "Nothing was saved" in dropped.text
    assert await count(session, Payment) == 0

    # a payment for a parent (not a student), by a forged button: refused, nothing changes
    forged = await client.press(owner, DeskCb(action="new", id=ids["vali"]).pack())
    assert forged.answers[0].text == STALE
    forged = await client.press(owner, DeskCb(action="pick", id=ids["ali"]).pack())
    assert forged.answers[0].text == STALE  # no search under way


async def pay(client, owner, query: str, amount: str, name: str | None = None) -> None:
    await client.send(owner, "/pay")
    found = await client.send(owner, query)
    if name is not None:  # several students matched: pick one
        await client.press(owner, found.callback_data(f"🎓 {name}"), found.message_id)
    method = await client.send(owner, amount)
    note = await client.press(owner, method.callback_data("💵 Cash"), method.message_id)
    summary = await client.press(owner, note.callback_data("⏭ Skip"), method.message_id)
    done = await client.press(owner, summary.callback_data("✅ Confirm"), method.message_id)
    assert done.answers[0].text == "✅ Saved."


async def test_reversal_is_listed_and_told_and_happens_once(client, session, owner):
    ids = await setup(session, owner)
    await owe(session, ids["ali"], 1_000_000)
    await pay(client, owner, "ali", "1 000 000", "Ali <Valiyev>")
    await pay(client, owner, "ali", "300 000", "Ali <Valiyev>")
    assert await balance_of(session, ids["ali"]) == 300_000
    first_id, second_id = (await session.scalars(select(Payment.id).order_by(Payment.id))).all()

    listing = await client.press(owner, DeskCb(action="list", id=ids["ali"]).pack())
    assert "📜 <b>Payments of Ali &lt;Valiyev&gt;</b>" in listing.text
    assert f"💰 Balance: {money(300_000)} paid ahead" in listing.text
    reverse_buttons = [b for b in listing.buttons() if b.startswith("↩️ Reverse")]
    assert len(reverse_buttons) == 2
    assert listing.buttons()[-3:] == ["💵 New payment", "💸 Refund", "👤 Card"]

    button = next(b for b in reverse_buttons if money(1_000_000) in b)
    reason = await client.press(owner, listing.callback_data(button))
    assert "Type the reason" in reason.text
    assert "cannot be empty" in (await client.send(owner, "   ")).text
    assert "at most 500 characters" in (await client.send(owner, "y" * 501)).text
    confirm = await client.send(owner, "entered <twice>")
    assert f"Balance: credit {money(300_000)} → debt {money(700_000)}" in confirm.text
    assert confirm.buttons() == ["↩️ Reverse the payment", "✏️ Edit", "Keep the payment"]
    assert await balance_of(session, ids["ali"]) == 300_000  # nothing before ✅

    done = await client.press(
        owner, confirm.callback_data("↩️ Reverse the payment"), confirm.message_id
    )
    assert done.answers[0].text == "↩️ Reversed."
    assert await balance_of(session, ids["ali"]) == -700_000
    session.expire_all()
    reversed_row = await session.get(Payment, first_id)
    assert reversed_row.reversed_at is not None
    assert reversed_row.reversal_reason == "entered <twice>"
    assert "payment.reversed" in await audit_actions(session)
    # the list shows it struck through with the reason, and no reverse button for it
    assert "↩️ reversed: entered &lt;twice&gt;" in done.text and "<s>" in done.text
    assert len([b for b in done.buttons() if b.startswith("↩️ Reverse")]) == 1
    assert "💸 Refund" not in done.buttons()  # in debt now: nothing to pay back
    [to_ali] = sent_to(done, ALI)
    [to_vali] = sent_to(done, VALI)
    with use_language("ru"):
        assert _("Reason: {reason}").format(reason="entered &lt;twice&gt;") in to_ali
        assert _("💰 Balance: debt of {amount}").format(amount=format_money(700_000)) in to_ali
    assert "Ali &lt;Valiyev&gt;" in to_vali

    # a second reversal: from an old button or the same ✅ again — refused, nothing changes
    again = await client.press(owner, DeskCb(action="rv", id=first_id).pack())
    assert again.answers[0].text == "ℹ️ This payment is already reversed."
    assert again.answers[0].show_alert
    stale = await client.press(
        owner, confirm.callback_data("↩️ Reverse the payment"), confirm.message_id
    )
    assert stale.answers[0].text == STALE
    assert await balance_of(session, ids["ali"]) == -700_000
    assert (await audit_actions(session)).count("payment.reversed") == 1
    # a forged payment id
    missing = await client.press(owner, DeskCb(action="rv", id=second_id + 100).pack())
    assert missing.answers[0].text == STALE


async def test_refund_within_and_over_the_credit(client, session, owner):
    ids = await setup(session, owner)
    await pay(client, owner, "sher", "250 000")
    assert await balance_of(session, ids["sher"]) == 250_000
    listing = await client.press(owner, DeskCb(action="list", id=ids["sher"]).pack())
    amount = await client.press(owner, listing.callback_data("💸 Refund"))
    assert f"at most the credit of {money(250_000)}" in amount.text
    over = await client.send(owner, "300 000")
    assert f"at most {money(250_000)} can be paid back" in over.text
    assert "must be more than 0" in (await client.send(owner, "0")).text
    method = await client.send(owner, "100 000")
    assert "Step 2/3" in method.text
    reason = await client.press(owner, method.callback_data("🏦 Bank transfer"), method.message_id)
    assert "Step 3/3" in reason.text
    confirm = await client.send(owner, "left the course")
    assert f"Balance: credit {money(250_000)} → credit {money(150_000)}" in confirm.text
    assert await count(session, Refund) == 0
    done = await client.press(
        owner, confirm.callback_data("💸 Pay back the money"), confirm.message_id
    )
    assert done.answers[0].text == "💸 Refund saved."
    assert await balance_of(session, ids["sher"]) == 150_000
    refund = (await session.scalars(select(Refund))).one()
    assert (refund.amount, refund.method, refund.reason) == (100_000, "transfer", "left the course")
    assert "refund.recorded" in await audit_actions(session)
    assert "💸 refund" in done.text
    [notice] = sent_to(done, SHER)
    assert f"💸 <b>Refund</b>: {money(100_000)} paid back" in notice

    # the credit shrank after the form was filled: the ledger refuses, nothing changes
    amount = await client.press(owner, DeskCb(action="rf", id=ids["sher"]).pack())
    method = await client.send(owner, "150 000")
    reason = await client.press(owner, method.callback_data("💵 Cash"), method.message_id)
    confirm = await client.send(owner, "all of it")
    await owe(session, ids["sher"], 100_000)
    refused = await client.press(
        owner, confirm.callback_data("💸 Pay back the money"), confirm.message_id
    )
    assert f"at most {money(50_000)} can be paid back" in refused.answers[0].text
    assert await count(session, Refund) == 1
    assert await balance_of(session, ids["sher"]) == 50_000

    # no credit at all: no button, and a forged one is answered with the reason
    no_credit = await client.press(owner, DeskCb(action="rf", id=ids["ali"]).pack())
    assert "no credit to pay back" in no_credit.answers[0].text


async def test_without_the_permission_everything_is_refused(client, session, owner):
    ids = await setup(session, owner)
    await owe(session, ids["ali"], 500_000)
    await make_user(session, CLERK, roles=[Role.ADMIN], permissions=[Permission.USERS])
    await make_user(session, CASHIER, roles=[Role.STUDENT])
    await pay(client, owner, "ali", "100000", "Ali <Valiyev>")
    payment_id = (await session.scalars(select(Payment.id))).one()
    balances = await count(session, Balance)

    for person in (CLERK, CASHIER):
        for command in ("/pay", "/debtors"):
            assert (await client.send(person, command)).text == REFUSED, command
        for data in [
            DeskCb(action="new", id=ids["ali"]),
            DeskCb(action="list", id=ids["ali"]),
            DeskCb(action="rv", id=payment_id),
            DeskCb(action="rvok"),
            DeskCb(action="rf", id=ids["ali"]),
            DeskCb(action="ok"),
            DebtorsCb(action="xlsx"),
            DebtorsCb(action="page", page=2),
            RemindDebtorCb(student_id=ids["ali"]),
        ]:
            reply = await client.press(person, data.pack())
            assert [a.text for a in reply.answers] == [REFUSED], data
            assert not reply.of(SendMessage)
    # an admin without `payments` does not see the buttons on a person card either
    await make_user(
        session,
        Person(id=5_000_010, first_name="Peopler", language_code="en"),
        roles=[Role.ADMIN],
        permissions=[Permission.USERS],
    )
    card = await client.press(
        Person(id=5_000_010, first_name="Peopler", language_code="en"),
        PeopleCb(action="card", id=ids["ali"]).pack(),
    )
    assert "💵 Payment" not in card.buttons()

    assert await count(session, Payment) == 1
    assert await count(session, Balance) == balances
    assert await balance_of(session, ids["ali"]) == -400_000
    session.expire_all()
    denied = await session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.outcome == "denied")
    )
    assert denied >= 2 * 11


REVERSAL_BUTTONS = {
    "en": ["↩️ Reverse the payment", "✏️ Edit", "Keep the payment"],
    "uz": ["↩️ Toʻlovni bekor qilish", "✏️ Tahrirlash", "Toʻlov qolsin"],
    "ru": ["↩️ Отменить оплату", "✏️ Изменить", "Оставить оплату"],
}
REFUND_BUTTONS = {
    "en": ["💸 Pay back the money", "✏️ Edit", "Do not pay back"],
    "uz": ["💸 Pulni qaytarish", "✏️ Tahrirlash", "Qaytarmaslik"],
    "ru": ["💸 Вернуть деньги", "✏️ Изменить", "Не возвращать"],
}


@pytest.mark.parametrize("language", ["en", "uz", "ru"])
async def test_the_reversal_and_refund_confirmations_name_the_action(
    client, session, owner, language
):
    """ "Yes, cancel" next to "Cancel" (uz "Ha, bekor qilish" / "Bekor qilish") invites a
    reversal by mistake: the buttons say what they do, and the safe one keeps things."""
    ids = await setup(session, owner)
    await pay(client, owner, "sher", "250 000")
    payment_id = await session.scalar(select(Payment.id))
    me = await session.scalar(select(User).where(User.telegram_id == owner.id))
    me.language = language
    await session.commit()

    await client.press(owner, DeskCb(action="rv", id=payment_id).pack())
    confirm = await client.send(owner, "typo")
    assert confirm.buttons() == REVERSAL_BUTTONS[language]
    kept = await client.press(
        owner, confirm.callback_data(REVERSAL_BUTTONS[language][2]), confirm.message_id
    )
    assert kept.answers
    assert await balance_of(session, ids["sher"]) == 250_000

    await client.press(owner, DeskCb(action="rf", id=ids["sher"]).pack())
    method = await client.send(owner, "100 000")
    cash = next(b for b in method.buttons() if b.startswith("💵"))
    await client.press(owner, method.callback_data(cash), method.message_id)
    confirm = await client.send(owner, "left")
    assert confirm.buttons() == REFUND_BUTTONS[language]
    assert await count(session, Refund) == 0
