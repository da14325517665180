"""/audit: permission, paging, filters, the centre's time zone, the owners' chain check."""

import json
from datetime import UTC, datetime, timedelta

from aiogram.methods import EditMessageText
from sqlalchemy import select, text

from bot.services import audit
from db.models import AuditEntry, Permission, Role
from keyboards.audit import AuditCb
from tests.factories import make_user


async def add_entries(session, actor_id: int, action: str, count: int, start: datetime) -> None:
    for i in range(count):
        await audit.record(
            session,
            at=start + timedelta(minutes=i),
            actor_id=actor_id,
            action=action,
            object_type="user",
            object_id=actor_id,
        )
    await session.commit()


async def test_audit_needs_the_audit_permission(client, session, alice):
    await make_user(session, alice, roles=[Role.ADMIN], permissions=[Permission.PAYMENTS])
    reply = await client.send(alice, "/audit")
    assert reply.text.startswith("⚠️ You do not have access to this.")
    denied = await session.scalar(select(AuditEntry).where(AuditEntry.action == "access.denied"))
    assert denied.details["needs"] == "audit"


async def test_latest_entries_first_in_the_centre_time_zone(client, session, owner, alice):
    await make_user(session, owner)
    student = await make_user(session, alice, full_name="<i>Alice</i>")
    await add_entries(
        session, student.id, "consent.accepted", 1, datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    )

    reply = await client.send(owner, "/audit")

    assert "🗂 <b>Audit log</b> · entries: 1" in reply.text
    assert "Mon, 2 Mar · 14:00 · ✅ <code>consent.accepted</code>" in reply.text
    assert f"👤 &lt;i&gt;Alice&lt;/i&gt; (#{student.id}) → user #{student.id}" in reply.text
    assert reply.buttons() == ["1/1", "🔎 Filter by action", "🔗 Verify the chain"]


async def test_paging_and_filtering(client, session, owner, alice):
    admin = await make_user(session, owner)
    student = await make_user(session, alice)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    await add_entries(session, student.id, "consent.changed", 15, start)
    await add_entries(session, admin.id, "user.language", 7, start + timedelta(days=1))

    first = await client.send(owner, "/audit")
    assert "entries: 22" in first.text and first.buttons()[:2] == ["1/3", "▶"]
    assert first.text.count("user.language") == 7  # newest first

    second = await client.press(owner, first.callback_data("▶"), first.message_id)
    assert second.of(EditMessageText)[0].text.count("consent.changed") == 10

    groups = await client.press(owner, first.callback_data("🔎 Filter by action"), first.message_id)
    assert groups.buttons() == ["consent", "user", "⬅ Back"]
    only_users = await client.press(owner, groups.callback_data("user"), first.message_id)
    assert "entries: 7" in only_users.text and "Action: user" in only_users.text
    assert "✖ Clear filters" in only_users.buttons()

    by_person = await client.send(owner, f"/audit user {alice.id}")
    assert "entries: 15" in by_person.text and f"User: #{student.id}" in by_person.text
    by_number = await client.send(owner, f"/audit action consent user #{student.id}")
    assert "entries: 15" in by_number.text


async def test_bad_filters_get_the_usage(client, session, owner):
    await make_user(session, owner)
    for args in ("nonsense", "user 424242", "action DROP;TABLE", "user"):
        reply = await client.send(owner, f"/audit {args}")
        assert reply.text.startswith("⚠️ Use /audit"), args


async def test_a_forged_filter_button_is_stale(client, session, owner):
    await make_user(session, owner)
    reply = await client.press(owner, "au:1:DROP TABLE:0:list")
    assert reply.answers[0].text == "⚠️ This button is out of date. Open the menu again."


async def test_the_owner_verifies_an_intact_chain_and_then_a_tampered_one(
    client, session, owner, alice
):
    await make_user(session, owner)
    student = await make_user(session, alice)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    await add_entries(session, student.id, "consent.changed", 3, start)
    await audit.record_denied(session, actor_id=student.id, action="access.denied")
    page = await client.send(owner, "/audit")

    intact = await client.press(owner, page.callback_data("🔗 Verify the chain"), page.message_id)

    assert intact.text.startswith("✅ The audit chain is intact: 4 entries.")
    assert intact.buttons() == ["⬅ Back"]
    assert [(a.text, a.show_alert) for a in intact.answers] == [("⏳ Checking the chain…", None)]
    second = (await session.scalars(select(AuditEntry.id).order_by(AuditEntry.id))).all()[1]
    await session.execute(
        text("UPDATE audit_log SET details = :details WHERE id = :id"),
        {"details": json.dumps({"forged": True}), "id": second},
    )
    await session.commit()

    broken = await client.press(owner, page.callback_data("🔗 Verify the chain"), page.message_id)

    assert broken.text.splitlines() == [
        f"⚠️ <b>The audit chain is broken at entry #{second}.</b>",
        "Its content no longer gives its hash: it was changed after it was written.",
        "The 1 entry before it is intact.",
    ]
    back = await client.press(owner, broken.callback_data("⬅ Back"), page.message_id)
    assert "🗂 <b>Audit log</b>" in back.text


async def test_the_chain_check_is_for_owners_only(client, session, alice):
    admin = await make_user(session, alice, roles=[Role.ADMIN], permissions=[Permission.AUDIT])
    page = await client.send(alice, "/audit")
    assert "🔗 Verify the chain" not in page.buttons()
    forged = AuditCb(page=1, view="verify").pack()

    pressed = await client.press(alice, forged, page.message_id)

    assert [(a.text, a.show_alert) for a in pressed.answers] == [
        ("⚠️ You do not have access to this. If you think you should, ask the administrator.", True)
    ]
    assert not pressed.texts
    denied = await session.scalar(select(AuditEntry).where(AuditEntry.action == "access.denied"))
    assert (denied.actor_id, denied.outcome, denied.details["needs"]) == (
        admin.id,
        "denied",
        "owner",
    )
    assert (await audit.verify(session)).intact  # the refusal is in the chain too


async def test_the_chain_check_speaks_the_owners_language(client, session, owner):
    await make_user(session, owner, language="uz")
    await audit.record(session, actor_id=None, action="test.entry")
    await session.commit()
    page = await client.send(owner, "/audit")

    checked = await client.press(
        owner, page.callback_data("🔗 Zanjirni tekshirish"), page.message_id
    )

    assert checked.text.startswith("✅ Audit zanjiri butun: 1 ta yozuv.")
