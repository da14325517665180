"""/recompute_balances: owners see the check and fix differences (audited); other admins
and everyone else are refused and nothing changes."""

from datetime import UTC, datetime

from sqlalchemy import select, update

from bot.services.payments import ledger
from db.models import AuditEntry, AuditOutcome, Balance, PaymentMethod, Permission, Role
from keyboards.payments.balances import RecomputeCb
from tests.chat import Person
from tests.factories import make_user

NOW = datetime(2026, 12, 12, 10, 0, tzinfo=UTC)
FIX_ONE = "🛠 Fix 1 balance from the ledger"


async def paid_students(session, *amounts: int) -> list[int]:
    ids = []
    for index, amount in enumerate(amounts):
        user = await make_user(
            session, None, roles=[Role.STUDENT], full_name=f"<b>Student {index}</b>"
        )
        await ledger.record_payment(
            session,
            actor_id=None,
            student_id=user.id,
            amount=amount,
            method=PaymentMethod.CASH,
            note=None,
            now=NOW,
        )
        ids.append(user.id)
    return ids


async def test_owner_sees_all_balances_match(client, session, owner) -> None:
    await make_user(session, owner)
    await paid_students(session, 100_000, 250_000, 5)

    reply = await client.send(owner, "/recompute_balances")

    assert reply.text == "✅ All 3 balances match the ledger."
    assert reply.buttons() == []


async def test_owner_fixes_a_difference(client, session, owner) -> None:
    await make_user(session, owner)
    first, second = await paid_students(session, 100_000, 250_000)
    await session.execute(
        update(Balance).where(Balance.student_id == second).values(amount=Balance.amount - 1)
    )
    await session.commit()

    reply = await client.send(owner, "/recompute_balances")

    assert "⚠️ <b>1 balance differs from the ledger</b>" in reply.text
    # names are escaped; money formatted
    assert "• &lt;b&gt;Student 1&lt;/b&gt;: stored 249,999 soʻm, ledger 250,000 soʻm" in reply.text
    assert reply.buttons() == [FIX_ONE]

    pressed = await client.press(owner, reply.callback_data(FIX_ONE), reply.message_id)
    assert pressed.text == "🛠 1 balance now matches the ledger."
    assert len(pressed.answers) == 1
    assert await ledger.recompute_balances(session) == []
    assert await ledger.balance(session, second) == 250_000
    assert await ledger.balance(session, first) == 100_000
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "balances.fixed"))
    assert entry is not None and entry.details["differences"] == 1

    # pressing again: nothing to fix, a fresh check instead
    again = await client.press(owner, reply.callback_data(FIX_ONE), reply.message_id)
    assert again.text == "✅ All 2 balances match the ledger."
    fixes = await session.scalars(select(AuditEntry).where(AuditEntry.action == "balances.fixed"))
    assert len(fixes.all()) == 1


async def test_a_stale_count_shows_a_fresh_check(client, session, owner) -> None:
    await make_user(session, owner)
    ids = await paid_students(session, 10, 20)
    await session.execute(update(Balance).values(amount=Balance.amount + 1))
    await session.commit()
    data = RecomputeCb(differences=1).pack()  # the owner saw one; there are two now

    pressed = await client.press(owner, data)

    assert "⚠️ <b>2 balances differ from the ledger</b>" in pressed.text
    assert pressed.buttons() == ["🛠 Fix 2 balances from the ledger"]
    assert [await ledger.balance(session, sid) for sid in ids] == [11, 21]  # not fixed


async def test_other_admins_and_students_are_refused(client, session) -> None:
    admin = Person(id=3_000_001, first_name="Admin", language_code="en")
    student = Person(id=3_000_002, first_name="Stu", language_code="en")
    await make_user(session, admin, roles=[Role.ADMIN], permissions=list(Permission))
    await make_user(session, student, roles=[Role.STUDENT])
    [sid] = await paid_students(session, 100)
    await session.execute(update(Balance).values(amount=5))
    await session.commit()
    refusal = "⚠️ You do not have access to this. If you think you should, ask the administrator."

    for person in (admin, student):
        reply = await client.send(person, "/recompute_balances")
        assert reply.text == refusal
        pressed = await client.press(person, RecomputeCb(differences=1).pack())
        assert len(pressed.answers) == 1 and not pressed.texts
        assert pressed.answers[0].text == refusal

    assert await ledger.balance(session, sid) == 5  # nothing fixed
    denied = await session.scalars(
        select(AuditEntry).where(AuditEntry.outcome == AuditOutcome.DENIED)
    )
    assert len(denied.all()) >= 4


async def test_forged_callback_data_changes_nothing(client, session, owner) -> None:
    await make_user(session, owner)
    [sid] = await paid_students(session, 100)
    await session.execute(update(Balance).values(amount=5))
    await session.commit()
    for data in ("rcb:x", "rcb:", "rcb:1:2", "rcb:" + "9" * 60):
        pressed = await client.press(owner, data)
        assert len(pressed.answers) == 1
    assert await ledger.balance(session, sid) == 5
