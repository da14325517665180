"""Staff rights from a person's card: administrator with chosen permissions (holding from
the next update), taking it back, teacher, the owner's protection, and the admin invite."""

from aiogram.methods import EditMessageText
from sqlalchemy import select

from db.models import AdminPermission, Permission, Role, RoleAssignment
from keyboards.people import StaffCb
from tests.chat import Person
from tests.factories import make_user
from tests.handlers.test_invites import code_in
from tests.handlers.test_people import audit_actions, open_card, sent_to

BOB = Person(id=2_000_002, first_name="Bob", language_code="en")
CAROL = Person(id=2_000_003, first_name="Carol", language_code="en")
REFUSED = "⚠️ You do not have access to this."


def edited(reply) -> str:
    """The card as the pressed message now shows it (a notice to another chat may follow)."""
    return reply.of(EditMessageText)[-1].text


async def roles_of(session, user_id: int) -> set[str]:
    rows = await session.scalars(
        select(RoleAssignment.role).where(RoleAssignment.user_id == user_id)
    )
    return set(rows)


async def permissions_of(session, user_id: int) -> set[str]:
    rows = await session.scalars(
        select(AdminPermission.permission).where(AdminPermission.user_id == user_id)
    )
    return set(rows)


async def test_granted_rights_hold_at_the_next_update_and_revoked_ones_stop(
    client, session, owner, alice
):
    await make_user(session, owner)
    person = await make_user(session, alice, full_name="Alice Admin")
    assert (await client.send(alice, "/audit")).text.startswith(REFUSED)

    await client.send(owner, "/people")
    found = await client.send(owner, "alice")
    card = await client.press(owner, found.callback_data("Alice Admin"), found.message_id)
    editor = await client.press(owner, card.callback_data("🛡 Make administrator"), found.message_id)
    assert editor.text.startswith("🛡 <b>Administrator rights of Alice Admin</b>")
    assert editor.buttons()[-2:] == ["✅ Save", "⬅ Back"]
    toggled = await client.press(owner, editor.callback_data("⬜ 🔍 Audit log"), found.message_id)
    assert "☑️ 🔍 Audit log" in toggled.buttons()
    assert await roles_of(session, person.id) == set()  # nothing before ✅ Save

    saved = await client.press(owner, toggled.callback_data("✅ Save"), found.message_id)

    assert saved.answers[0].text == "✅ Saved."
    assert "🛡 Permissions: 🔍 Audit log" in edited(saved)
    assert await roles_of(session, person.id) == {"admin"}
    assert await permissions_of(session, person.id) == {"audit"}
    [notice] = sent_to(saved, alice)
    assert notice.text.startswith("🛡 <b>Your rights at the centre have changed</b>")
    assert "Granted: 🔍 Audit log" in notice.text
    [entry] = await audit_actions(session, "staff.admin_granted")
    assert entry.details == {"granted": ["audit"], "revoked": []}
    assert (await client.send(alice, "/audit")).text.startswith("🗂 <b>Audit log</b>")
    assert (await client.send(alice, "/people")).text.startswith(REFUSED)  # not `users`

    card = await open_card(client, owner, person.id)
    editor = await client.press(owner, card.callback_data("🛡 Permissions"), card.message_id)
    off = await client.press(owner, editor.callback_data("☑️ 🔍 Audit log"), card.message_id)
    off = await client.press(owner, off.callback_data("⬜ 💳 Payments"), card.message_id)
    saved = await client.press(owner, off.callback_data("✅ Save"), card.message_id)
    assert "🛡 Permissions: 💳 Payments" in edited(saved)
    [entry] = await audit_actions(session, "staff.permissions")
    assert entry.details == {"granted": ["payments"], "revoked": ["audit"]}
    assert (await client.send(alice, "/audit")).text.startswith(REFUSED)

    confirm = await client.press(owner, saved.callback_data("➖ Administrator"), card.message_id)
    assert confirm.text.startswith("➖ <b>Take the administrator role from Alice Admin?</b>")
    assert confirm.buttons() == ["➖ Take the role away", "Keep the role"]
    removed = await client.press(
        owner, confirm.callback_data("➖ Take the role away"), card.message_id
    )
    assert removed.answers[0].text == "✅ Done."
    assert "🎭 Roles: none" in edited(removed)
    assert await roles_of(session, person.id) == set()
    assert await permissions_of(session, person.id) == set()
    [entry] = await audit_actions(session, "staff.role_removed")
    assert entry.details == {"role": "admin", "revoked": ["payments"]}
    assert (await client.send(alice, "/admin")).text.startswith(REFUSED)


async def test_nobody_can_change_an_owners_rights(client, session, owner, alice):
    owner_row = await make_user(session, owner)
    await make_user(session, alice, roles=[Role.ADMIN], permissions=[Permission.USERS])

    card = await open_card(client, alice, owner_row.id)
    assert "👑 Owner: holds every right" in card.text
    assert "➖ Administrator" not in card.buttons()
    assert "🛡 Make administrator" not in card.buttons()

    for action in ("rm", "rmy"):
        forged = StaffCb(action=action, id=owner_row.id, role="admin").pack()
        reply = await client.press(alice, forged)
        assert reply.answers[0].text.startswith("⚠️ This person is an owner of the bot"), action
        assert reply.answers[0].show_alert is True
    for action in ("adm", "save"):
        forged = StaffCb(action=action, id=owner_row.id, bits="00000000").pack()
        reply = await client.press(alice, forged)
        assert reply.answers[0].text.startswith("⚠️ This person is an owner of the bot"), action
    # Not even the owner themselves.
    reply = await client.press(owner, StaffCb(action="rmy", id=owner_row.id, role="admin").pack())
    assert reply.answers[0].text.startswith("⚠️ This person is an owner of the bot")
    assert await audit_actions(session, "staff.role_removed") == []
    assert (await client.send(owner, "/audit")).text.startswith("🗂 <b>Audit log</b>")


async def test_an_admin_grants_only_what_they_hold_and_not_to_themselves(client, session, alice):
    admin = await make_user(session, alice, roles=[Role.ADMIN], permissions=[Permission.USERS])
    other = await make_user(session, CAROL)

    card = await open_card(client, alice, other.id)
    editor = await client.press(alice, card.callback_data("🛡 Make administrator"), card.message_id)
    assert "⬜ 👥 People" in editor.buttons()
    assert "🔒 ⬜ 💾 Backups" in editor.buttons()
    locked = await client.press(alice, editor.callback_data("🔒 ⬜ 💾 Backups"), card.message_id)
    assert locked.answers[0].text == "⚠️ You can grant or take away only the permissions you hold."

    forged = StaffCb(action="save", id=other.id, bits="00000100").pack()  # backups
    refused = await client.press(alice, forged)
    assert refused.answers[0].text.startswith("⚠️ You can grant or take away only")
    assert await roles_of(session, other.id) == set()

    own = StaffCb(action="save", id=admin.id, bits="11111111").pack()
    refused = await client.press(alice, own)
    assert refused.answers[0].text.startswith("⚠️ You cannot change your own administrator")
    refused = await client.press(alice, StaffCb(action="rmy", id=admin.id, role="admin").pack())
    assert refused.answers[0].text.startswith("⚠️ You cannot change your own administrator")
    assert await permissions_of(session, admin.id) == {"users"}

    granted = await client.press(alice, StaffCb(action="save", id=other.id, bits="00010000").pack())
    assert granted.answers[0].text == "✅ Saved."
    assert await permissions_of(session, other.id) == {"users"}


async def test_making_and_unmaking_a_teacher(client, session, owner, alice):
    await make_user(session, owner)
    person = await make_user(session, alice, full_name="Malika")
    card = await open_card(client, owner, person.id)
    made = await client.press(owner, card.callback_data("🧑‍🏫 Make teacher"), card.message_id)
    assert made.answers[0].text == "✅ Saved."
    assert "🎭 Roles: teacher" in edited(made) and "➖ Teacher" in made.buttons()
    assert await roles_of(session, person.id) == {"teacher"}
    assert [e.object_id for e in await audit_actions(session, "staff.teacher_granted")] == [
        str(person.id)
    ]
    assert any(call.__api_method__ == "setMyCommands" for call in made.calls)

    confirm = await client.press(owner, made.callback_data("➖ Teacher"), card.message_id)
    assert confirm.text.startswith("➖ <b>Take the teacher role from Malika?</b>")
    done = await client.press(
        owner, confirm.callback_data("➖ Take the role away"), card.message_id
    )
    assert "🎭 Roles: none" in edited(done)
    assert await roles_of(session, person.id) == set()

    stale = await client.press(owner, StaffCb(action="rmy", id=person.id, role="student").pack())
    assert stale.answers[0].text.startswith("⚠️ This button is out of date")


async def test_the_staff_list(client, session, owner, alice):
    await make_user(session, owner)
    await make_user(session, alice, roles=[Role.TEACHER], full_name="Malika")
    await make_user(session, BOB, roles=[Role.ADMIN, Role.TEACHER], full_name="Bahodir")
    await make_user(session, CAROL, roles=[Role.STUDENT])
    home = await client.send(owner, "/people")
    staff = await client.press(owner, home.callback_data("👔 Staff"), home.message_id)
    assert staff.text.startswith("👔 <b>Staff: 2</b>")
    assert staff.buttons() == ["🛡🧑‍🏫 Bahodir", "🧑‍🏫 Malika", "⬅ Back"]
    card = await client.press(owner, staff.callback_data("🧑‍🏫 Malika"), home.message_id)
    back = await client.press(owner, card.callback_data("⬅ Back"), home.message_id)
    assert back.text.startswith("👔 <b>Staff: 2</b>")


async def test_an_administrator_invitation_with_chosen_permissions(client, session, owner, alice):
    await make_user(session, owner)
    newcomer = await make_user(session, alice, full_name="New Admin")
    home = await client.send(owner, "/people")
    editor = await client.press(
        owner, home.callback_data("🛡 Invite an administrator"), home.message_id
    )
    assert editor.text.startswith("🛡 <b>Invitation for a new administrator</b>")
    editor = await client.press(owner, editor.callback_data("⬜ 💳 Payments"), home.message_id)
    made = await client.press(owner, editor.callback_data("🔗 Create the link"), home.message_id)
    assert "Permissions: 💳 Payments" in made.text

    opened = await client.send(alice, f"/start {code_in(made.text)}")

    assert "✅ You are now an administrator" in sent_to(opened, alice)[-1].text
    assert await roles_of(session, newcomer.id) == {"admin"}
    assert await permissions_of(session, newcomer.id) == {"payments"}
    assert "🛠 Administration" in sent_to(opened, alice)[-1].reply_markup.keyboard[0][0].text
