"""Invitation links: register → invite → a new Telegram user opens it (language, consent,
then bound); used / expired / revoked / mistyped codes; parent and teacher invites; the
merge of the opener's row into the registered one."""

import hashlib
import re
from datetime import timedelta

from aiogram.methods import EditMessageText, SendMessage
from sqlalchemy import select

from bot.services import audit
from bot.services import invites as invites_service
from bot.services.access import Actor
from db.base import utcnow
from db.models import (
    AuditEntry,
    Consent,
    Invite,
    InviteKind,
    ParentLink,
    Role,
    RoleAssignment,
    User,
)
from tests.chat import Person
from tests.factories import make_user
from tests.handlers.test_people import audit_actions, count, fresh, open_card, registered, sent_to

NEWCOMER = Person(id=3_000_001, first_name="Gulom", language_code="ru")
OTHER = Person(id=3_000_002, first_name="Other", language_code="en")
LINK = re.compile(r"https://t\.me/educrm_test_bot\?start=([A-Za-z0-9_-]+)")


def code_in(text: str) -> str:
    match = LINK.search(text)
    assert match, text
    return match.group(1)


async def invite_for(client, admin: Person, user_id: int, button: str = "🔗 Invitation link"):
    card = await open_card(client, admin, user_id)
    reply = await client.press(admin, card.callback_data(button), card.message_id)
    assert reply.answers[0].text == "🔗 Link created."
    return reply, code_in(reply.text)


async def accept_policy(client, person: Person, text: str, language: str = "🇬🇧 English"):
    """/start with a payload as a brand-new user: language, then consent, then the link."""
    picker = await client.send(person, text)
    assert language in picker.buttons()
    screen = await client.press(person, picker.callback_data(language), picker.message_id)
    return await client.press(person, screen.callback_data("✅ Accept"), picker.message_id)


async def the_user(session, person: Person) -> User | None:
    return await session.scalar(
        select(User).where(User.telegram_id == person.id).execution_options(populate_existing=True)
    )


async def test_a_registered_student_binds_their_account(client, session, owner):
    await make_user(session, owner)
    home = await client.send(owner, "/people")
    await client.press(owner, home.callback_data("➕ Register a student"))
    await client.send(owner, "Gʻulom Oʻktamov")
    await client.send(owner, "+998901234567")
    summary = await client.send(owner, "21.03.2012")
    card = await client.press(owner, summary.callback_data("✅ Save"), summary.message_id)
    student = await session.scalar(select(User).where(User.full_name == "Gʻulom Oʻktamov"))

    made = await client.press(owner, card.callback_data("🔗 Invitation link"), summary.message_id)
    assert made.answers[0].text == "🔗 Link created."
    link_message = made.of(SendMessage)[0]
    assert link_message.text.startswith("🔗 <b>Invitation for Gʻulom Oʻktamov</b> (student)")
    assert "It works once." in link_message.text
    code = code_in(link_message.text)
    assert len(code) <= 64
    invite = await session.scalar(select(Invite))
    assert invite.code_hash == hashlib.sha256(code.encode()).hexdigest()
    assert code not in str(invite.code_hash) and invite.kind == "student"
    assert (invite.expires_at - utcnow()) > timedelta(days=6, hours=23)

    done = await accept_policy(client, NEWCOMER, f"/start {code}")

    [mine] = sent_to(done, NEWCOMER)
    assert mine.text.startswith("👋 Hello, Gulom!")
    assert (
        "✅ Welcome, Gʻulom Oʻktamov! Your Telegram account is now linked to your record"
    ) in mine.text
    assert "🎓" not in mine.text  # the menu comes as the keyboard
    [to_owner] = sent_to(done, owner)
    assert to_owner.text == (
        "🔗 Gʻulom Oʻktamov opened your invitation and is now connected as a student."
    )

    bound = await the_user(session, NEWCOMER)
    assert bound.id == student.id  # the registered row, not a new one
    assert (bound.full_name, bound.phone, bound.language) == (
        "Gʻulom Oʻktamov",
        "+998901234567",
        "en",
    )
    consents = await session.scalars(select(Consent).where(Consent.user_id == student.id))
    assert len(consents.all()) == 1  # the opener's consent moved over
    assert await count(session, User) == 2  # owner + the student: the opener's row is gone
    [redeemed] = await audit_actions(session, "invite.redeem")
    assert redeemed.actor_id == student.id and redeemed.details["kind"] == "student"
    assert "merged_from" in redeemed.details
    consent_audit = await audit_actions(session, "consent.accepted")
    assert [entry.actor_id for entry in consent_audit] == [student.id]
    assert (await audit.verify(session)).intact  # the moved entries were re-linked
    invite = await session.scalar(select(Invite).execution_options(populate_existing=True))
    assert invite.used_by_id == student.id and invite.used_at is not None

    mydata = await client.send(NEWCOMER, "/mydata")
    assert "Name: Gʻulom Oʻktamov" in mydata.texts[0]
    assert "student" in mydata.texts[0]
    start = await client.send(NEWCOMER, "/start")
    assert "Your roles: student." in start.text

    # The link works once.
    again = await accept_policy(client, OTHER, f"/start {code}")
    assert "⚠️ This invitation has already been used" in again.texts[-1]
    assert await count(session, User) == 3
    card = await open_card(client, owner, student.id)
    assert "💬 Telegram: connected" in card.text
    assert "🔗 Invitation link" not in card.buttons()


async def test_expired_revoked_and_mistyped_codes_change_nothing(client, session, owner, alice):
    await make_user(session, owner)
    opener = await make_user(session, alice)
    student = await registered(session, "Aziza Karimova")

    _, expired_code = await invite_for(client, owner, student.id)
    invite = await session.scalar(select(Invite))
    invite.expires_at = utcnow() - timedelta(minutes=1)
    await session.commit()
    reply = await client.send(alice, f"/start {expired_code}")
    assert "⚠️ This invitation has expired. Ask the centre for a new link." in reply.texts[-1]

    made, revoked_code = await invite_for(client, owner, student.id)
    revoked = await client.press(owner, made.callback_data("🚫 Revoke the link"), made.message_id)
    assert revoked.text == "🚫 This invitation was revoked: the link no longer works."
    assert revoked.answers[0].text == "🚫 Revoked."
    reply = await client.send(alice, f"/start {revoked_code}")
    assert "⚠️ This invitation was cancelled by the centre." in reply.texts[-1]

    # one character off the revoked code (which itself may end in "x": 1 in 64)
    mistyped = revoked_code[:-1] + ("y" if revoked_code.endswith("x") else "x")
    for garbage in ("abc", mistyped, "a" * 64, "bad$code"):
        reply = await client.send(alice, f"/start {garbage}")
        assert (
            "⚠️ This link is not valid or has expired. Ask the centre for a new one."
        ) in reply.texts[-1], garbage

    assert (await fresh(session, student.id)).telegram_id is None
    assert (await fresh(session, opener.id)).telegram_id == alice.id
    assert await audit_actions(session, "invite.redeem") == []
    assert await count(session, RoleAssignment) == 1  # the student's only


async def test_a_new_link_replaces_the_old_one_and_a_used_one_cannot_be_revoked(
    client, session, owner, alice
):
    await make_user(session, owner)
    await make_user(session, alice)
    student = await registered(session, "Aziza Karimova")
    _, first_code = await invite_for(client, owner, student.id)
    second, second_code = await invite_for(client, owner, student.id)

    reply = await client.send(alice, f"/start {first_code}")
    assert "⚠️ This invitation was cancelled by the centre." in reply.texts[-1]
    reply = await client.send(alice, f"/start {second_code}")
    assert "✅ Welcome, Aziza Karimova!" in sent_to(reply, alice)[-1].text

    late = await client.press(owner, second.callback_data("🚫 Revoke the link"), second.message_id)
    assert late.answers[0].text.startswith("⚠️ This invitation has already been used")
    assert late.answers[0].show_alert is True


async def test_a_parent_invite_links_the_opener_to_the_child(client, session, owner, alice):
    await make_user(session, owner)
    parent = await make_user(session, alice, full_name="Dilnoza Aliyeva")
    child = await registered(session, "Zarina Aliyeva")
    made, code = await invite_for(client, owner, child.id, "👪 Invitation for a parent")
    assert made.text.startswith("👪 <b>Invitation for a parent of Zarina Aliyeva</b>")

    reply = await client.send(alice, f"/start {code}")

    assert "✅ You are now linked to Zarina Aliyeva as a parent" in sent_to(reply, alice)[-1].text
    assert "👨‍👩‍👧 Children" in reply.buttons()
    [to_owner] = sent_to(reply, owner)
    assert to_owner.text == (
        "🔗 Dilnoza Aliyeva opened your invitation and is now linked to Zarina Aliyeva as a parent."
    )
    link = await session.scalar(select(ParentLink))
    assert (link.parent_id, link.student_id) == (parent.id, child.id)
    assert (
        await session.scalar(select(RoleAssignment.role).where(RoleAssignment.user_id == parent.id))
        == Role.PARENT
    )
    mydata = await client.send(alice, "/mydata")
    assert "Children: Zarina Aliyeva" in mydata.texts[0]


async def test_a_registered_parent_is_bound_by_their_own_link(client, session, owner):
    await make_user(session, owner)
    child = await registered(session, "Zarina Aliyeva")
    card = await open_card(client, owner, child.id)
    await client.press(owner, card.callback_data("➕ Register a parent"), card.message_id)
    await client.send(owner, "Dilnoza Aliyeva")
    summary = await client.send(owner, "+998935550000")
    parent_card = await client.press(owner, summary.callback_data("✅ Save"), summary.message_id)
    made = await client.press(
        owner, parent_card.callback_data("🔗 Invitation link"), summary.message_id
    )
    assert made.text.startswith("🔗 <b>Invitation for Dilnoza Aliyeva</b> (parent)")

    done = await accept_policy(client, NEWCOMER, f"/start {code_in(made.text)}")

    assert "✅ You are now linked to Zarina Aliyeva as a parent" in sent_to(done, NEWCOMER)[-1].text
    bound = await the_user(session, NEWCOMER)
    assert bound.full_name == "Dilnoza Aliyeva" and bound.phone == "+998935550000"
    assert await count(session, ParentLink) == 1


async def test_a_child_cannot_open_the_invite_meant_for_a_parent(client, session, owner, alice):
    await make_user(session, owner)
    child = await make_user(session, alice, roles=[Role.STUDENT], full_name="Zarina")
    _, code = await invite_for(client, owner, child.id, "👪 Invitation for a parent")
    reply = await client.send(alice, f"/start {code}")
    assert "⚠️ This invitation is for your parent: please send the link to them." in reply.texts[-1]
    assert await count(session, ParentLink) == 0
    assert (await session.scalar(select(Invite))).used_at is None


async def test_someone_already_at_the_centre_cannot_take_over_a_registered_student(
    client, session, owner, alice
):
    await make_user(session, owner)
    teacher = await make_user(session, alice, roles=[Role.TEACHER])
    student = await registered(session, "Aziza Karimova")
    _, code = await invite_for(client, owner, student.id)

    reply = await client.send(alice, f"/start {code}")

    assert "⚠️ Your Telegram account already belongs to someone" in reply.texts[-1]
    assert (await fresh(session, student.id)).telegram_id is None
    assert (await fresh(session, teacher.id)).telegram_id == alice.id
    assert (await session.scalar(select(Invite))).used_at is None


async def test_a_person_bound_elsewhere_meanwhile_is_refused(session, settings, owner, alice):
    admin = await make_user(session, owner)
    opener = await make_user(session, alice)
    student = await registered(session, "Aziza Karimova")
    actor = Actor(admin.id, owner.id, "en", frozenset(), frozenset(), is_owner=True)
    created = await invites_service.create(
        session, actor, InviteKind.STUDENT, now=utcnow(), user_id=student.id
    )
    student.telegram_id = 9_999_999  # bound by another link meanwhile
    await session.commit()

    result = await invites_service.redeem(session, opener.id, created.code, utcnow())

    assert result.outcome is invites_service.Opened.TAKEN
    assert (await fresh(session, opener.id)).telegram_id == alice.id
    assert (
        await session.scalar(select(AuditEntry).where(AuditEntry.action == "invite.redeem")) is None
    )


async def test_a_teacher_invite_makes_the_opener_a_teacher(client, session, owner, alice):
    await make_user(session, owner)
    newcomer = await make_user(session, alice, full_name="Malika Teacher")
    home = await client.send(owner, "/people")
    made = await client.press(owner, home.callback_data("🧑‍🏫 Invite a teacher"), home.message_id)
    assert made.text.startswith("🧑‍🏫 <b>Invitation for a new teacher</b>")

    reply = await client.send(alice, f"/start {code_in(made.text)}")

    assert "✅ You are now a teacher at Bilim &lt;Academy&gt; &amp; Co." in (
        sent_to(reply, alice)[-1].text
    )
    assert [m.text for m in sent_to(reply, owner)] == [
        "🔗 Malika Teacher opened your invitation and is now connected as a teacher."
    ]
    assert (
        await session.scalar(
            select(RoleAssignment.role).where(RoleAssignment.user_id == newcomer.id)
        )
        == Role.TEACHER
    )
    assert any(call.__api_method__ == "setMyCommands" for call in reply.calls)


STUDENT_MENU = ["📅 Schedule", "📋 Attendance", "📝 Grades", "📚 Homework", "💰 Balance"]


async def test_an_invitation_opened_after_consent_greets_once_with_the_role_it_gave(
    client, session, owner, alice
):
    await make_user(session, owner)
    await make_user(session, alice)
    student = await registered(session, "Aziza Karimova")
    _, code = await invite_for(client, owner, student.id)

    reply = await client.send(alice, f"/start {code}")

    [greeting] = sent_to(reply, alice)  # one message: no "not linked yet" before the welcome
    assert greeting.text.startswith("👋 Hello, Alice!")
    assert "You are not linked to the centre yet" not in greeting.text
    assert "✅ Welcome, Aziza Karimova!" in greeting.text
    assert "you are a student" in greeting.text
    assert greeting.reply_markup.keyboard[0][0].text == STUDENT_MENU[0]
    assert [b.text for row in greeting.reply_markup.keyboard for b in row][:5] == STUDENT_MENU


async def test_an_invitation_opened_before_consent_greets_once_after_acceptance(
    client, session, owner
):
    await make_user(session, owner)
    student = await registered(session, "Aziza Karimova")
    _, code = await invite_for(client, owner, student.id)

    done = await accept_policy(client, NEWCOMER, f"/start {code}")

    [edited] = done.of(EditMessageText)
    assert edited.text.startswith("✅ Your consent is recorded")
    [sent] = sent_to(done, NEWCOMER)  # one greeting, the welcome in it
    greeting = sent.text
    assert greeting.startswith("👋 Hello, Gulom!")
    assert "You are not linked to the centre yet" not in greeting
    assert "✅ Welcome, Aziza Karimova!" in greeting
    assert done.buttons()[:5] == STUDENT_MENU


async def test_a_refused_invitation_is_said_in_the_one_greeting(client, session, alice):
    await make_user(session, alice)

    reply = await client.send(alice, "/start abc")

    [greeting] = sent_to(reply, alice)
    assert greeting.text.startswith("👋 Hello, Alice!")
    assert "⚠️ This link is not valid or has expired. Ask the centre for a new one." in (
        greeting.text
    )
    assert "you will get an invitation link" not in greeting.text
