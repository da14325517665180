"""/audit: permission, paging, filters, the centre's time zone."""

from datetime import UTC, datetime, timedelta

from aiogram.methods import EditMessageText
from sqlalchemy import select

from bot.services import audit
from db.models import AuditEntry, Permission, Role
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
    assert reply.buttons() == ["1/1", "🔎 Filter by action"]


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
