"""/people: search (Uzbek apostrophes, phones, paging), registering a student or a parent
with its bad inputs, the person card, linking an existing parent."""

from datetime import date

from aiogram.methods import SendMessage
from sqlalchemy import func, select

from db.models import (
    AuditEntry,
    ParentLink,
    Permission,
    Role,
    RoleAssignment,
    User,
)
from keyboards.people import FROM_ELSEWHERE, PeopleCb
from tests.chat import Person, Reply
from tests.factories import link_parent, make_enrolment, make_group, make_user

BOB = Person(id=2_000_002, first_name="Bob", language_code="en")


# --- helpers shared by the people, invite, staff and lead tests --------------------------------


def sent_to(reply: Reply, person: Person) -> list[SendMessage]:
    return [
        call
        for call in reply.of(SendMessage)
        if int(call.chat_id) == person.id  # type: ignore[arg-type]
    ]


async def registered(session, full_name: str, *, roles=(Role.STUDENT,), phone=None) -> User:
    user = await make_user(session, None, roles=roles, full_name=full_name, consent=None)
    if phone:
        user.phone = phone
        await session.commit()
    return user


async def open_card(client, admin: Person, user_id: int) -> Reply:
    """Press a card button (as from a relative's button): the card comes as a new message."""
    return await client.press(
        admin, PeopleCb(action="card", id=user_id, other=FROM_ELSEWHERE).pack()
    )


async def audit_actions(session, action: str) -> list[AuditEntry]:
    rows = await session.scalars(select(AuditEntry).where(AuditEntry.action == action))
    return list(rows)


async def count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


async def fresh(session, user_id: int) -> User | None:
    """The row as the database holds it now (the bot wrote it through its own session)."""
    return await session.get(User, user_id, populate_existing=True)


# --- search -----------------------------------------------------------------------------------


async def test_people_needs_the_users_permission(client, session, alice):
    await make_user(session, alice, roles=[Role.ADMIN], permissions=[Permission.AUDIT])
    reply = await client.send(alice, "/people")
    assert reply.text.startswith("⚠️ You do not have access to this.")
    [denied] = await audit_actions(session, "access.denied")
    assert denied.details["needs"] == "users"
    pressed = await client.press(alice, PeopleCb(action="card", id=1).pack())
    assert pressed.answers[0].text.startswith("⚠️ You do not have access to this.")


async def test_the_menu_button_opens_people(client, session, owner):
    await make_user(session, owner)
    start = await client.send(owner, "/start")
    assert "🔎 People" in start.buttons()
    home = await client.send(owner, "🔎 People")
    assert home.text.startswith("🔎 <b>People</b>")
    assert home.buttons() == [
        "➕ Register a student",
        "👔 Staff",
        "🧑‍🏫 Invite a teacher",
        "🛡 Invite an administrator",
        "📋 Requests to study",
    ]


async def test_search_finds_uzbek_names_however_the_apostrophe_is_typed(client, session, owner):
    await make_user(session, owner)
    await registered(session, "Gʻulom Oʻktamov", phone="+998901234567")
    await registered(session, "Gulnora Karimova")
    await registered(session, "Иван Петров", roles=(Role.PARENT,))
    await client.send(owner, "/people")

    for query in ("g'ulom", "gʻulom", "g‘ulom", "g`ulom", "gʼulom", "GULOM", "gulom", "oktamov g'"):
        reply = await client.send(owner, query)
        assert reply.text.startswith("🔎 <b>Found: 1</b>"), query
        assert reply.buttons() == ["🎓 Gʻulom Oʻktamov · +998901234567", "⬅ Back"], query

    by_phone = await client.send(owner, "90 123 45")
    assert by_phone.buttons()[0] == "🎓 Gʻulom Oʻktamov · +998901234567"
    assert (await client.send(owner, "иван")).buttons()[0] == "👪 Иван Петров"
    both = await client.send(owner, "gul")
    assert both.text.startswith("🔎 <b>Found: 2</b>")

    card = await client.press(owner, both.callback_data("🎓 Gʻulom Oʻktamov · +998901234567"))
    assert card.text.startswith("👤 <b>Gʻulom Oʻktamov</b>")
    back = await client.press(owner, card.callback_data("⬅ Back"))
    assert back.text.startswith("🔎 <b>Found: 2</b>")

    nobody = await client.send(owner, "Zebo")
    assert nobody.text.startswith("🔎 Nobody found for «Zebo».")
    short = await client.send(owner, "g'")
    assert short.text.startswith("⚠️ Type at least 2 letters")


async def test_results_are_paged_and_a_query_is_html_escaped(client, session, owner):
    await make_user(session, owner)
    for number in range(12):
        await registered(session, f"Test Student {chr(65 + number)}")
    await client.send(owner, "/people")
    first = await client.send(owner, "test student")
    assert first.text.startswith("🔎 <b>Found: 12</b>")
    assert first.buttons()[-4:] == ["🎓 Test Student J", "1/2", "▶", "⬅ Back"]
    second = await client.press(owner, first.callback_data("▶"), first.message_id)
    assert second.buttons() == ["🎓 Test Student K", "🎓 Test Student L", "◀", "2/2", "⬅ Back"]

    odd = await client.send(owner, "<b>x</b>")
    assert "«&lt;b&gt;x&lt;/b&gt;»" in odd.text


# --- registering ------------------------------------------------------------------------------


async def test_registering_a_student_with_bad_input_at_every_step(client, session, owner):
    await make_user(session, owner)
    home = await client.send(owner, "/people")
    step1 = await client.press(owner, home.callback_data("➕ Register a student"))
    assert "Step 1/3 — full name" in step1.text
    users_before = await count(session, User)

    digits = await client.send(owner, "Gulom 2")
    assert digits.text.startswith("⚠️ A name has no digits.") and "Step 1/3" in digits.text
    step2 = await client.send(owner, "Gʻulom  Oʻktamov")
    assert "Step 2/3 — phone number" in step2.text

    for bad in ("abc", "+7 999 123 45 67", "12345", "+998 90 123 45 6"):
        refused = await client.send(owner, bad)
        assert refused.text.startswith("⚠️ This is not an Uzbek phone number"), bad
        assert "Step 2/3" in refused.text
    step3 = await client.send(owner, "90 123-45-67")
    assert "Step 3/3 — birth date" in step3.text

    answers = {
        "31.02.2012": "⚠️ There is no such day in the calendar.",
        "2012-03-21": "⚠️ Write the date as DD.MM.YYYY",
        "01.01.2999": "⚠️ A birth date cannot be in the future.",
        "01.01.1850": "⚠️ A birth date before 1900?",
    }
    for text, answer in answers.items():
        refused = await client.send(owner, text)
        assert refused.text.startswith(answer), text
        assert "Step 3/3" in refused.text
    summary = await client.send(owner, "21.03.2012")
    assert summary.text.splitlines()[:5] == [
        "Check the new student:",
        "",
        "Name: Gʻulom Oʻktamov",
        "Phone: +998 90 123 45 67",
        "Birth date: 21 March 2012",
    ]
    assert summary.buttons() == ["✅ Save", "✏️ Edit", "❌ Cancel"]
    assert await count(session, User) == users_before  # nothing before ✅

    typed = await client.send(owner, "hello")
    assert typed.text.startswith("ℹ️ Use the buttons under the summary")
    saved = await client.press(owner, summary.callback_data("✅ Save"), summary.message_id)
    assert saved.answers[0].text == "✅ Saved."
    assert saved.text.startswith("👤 <b>Gʻulom Oʻktamov</b>")
    assert "💬 Telegram: not connected yet" in saved.text
    assert "🎭 Roles: student" in saved.text
    assert "🔗 Invitation link" in saved.buttons()

    student = await session.scalar(select(User).where(User.full_name == "Gʻulom Oʻktamov"))
    assert (student.telegram_id, student.phone, student.birth_date) == (
        None,
        "+998901234567",
        date(2012, 3, 21),
    )
    assert (
        await session.scalar(
            select(RoleAssignment.role).where(RoleAssignment.user_id == student.id)
        )
        == "student"
    )
    [entry] = await audit_actions(session, "person.register")
    assert entry.object_id == str(student.id) and entry.details == {"role": "student"}

    again = await client.press(owner, summary.callback_data("✅ Save"), summary.message_id)
    assert again.answers[0].text.startswith("⚠️ This button is out of date")
    assert await count(session, User) == users_before + 1


async def test_cancel_and_skipping_the_birth_date(client, session, owner):
    await make_user(session, owner)
    home = await client.send(owner, "/people")
    await client.press(owner, home.callback_data("➕ Register a student"))
    await client.send(owner, "Aziza Karimova")
    cancelled = await client.send(owner, "/cancel")
    assert cancelled.text == "❌ Cancelled. Nothing was saved."
    assert await count(session, RoleAssignment) == 0

    await client.press(owner, home.callback_data("➕ Register a student"))
    await client.send(owner, "Aziza Karimova")
    await client.send(owner, "+998911112233")
    summary = await client.send(owner, "-")
    assert "Birth date: not given" in summary.text
    dropped = await client.press(owner, summary.callback_data("❌ Cancel"), summary.message_id)
    assert dropped.text == "❌ Cancelled. Nothing was saved."
    assert await count(session, RoleAssignment) == 0


async def test_registering_a_parent_of_a_student_warns_about_a_known_phone(client, session, owner):
    await make_user(session, owner)
    child = await registered(session, "Zarina Aliyeva")
    await registered(session, "Old Record", roles=(Role.PARENT,), phone="+998935550000")
    card = await open_card(client, owner, child.id)
    step1 = await client.press(owner, card.callback_data("➕ Register a parent"), card.message_id)
    assert step1.text.startswith("👪 <b>New parent of Zarina Aliyeva</b>")
    assert "Step 1/2" in step1.text
    await client.send(owner, "Dilnoza Aliyeva")
    summary = await client.send(owner, "+998 93 555 00 00")
    assert "Parent of: Zarina Aliyeva" in summary.text
    assert "⚠️ This phone is already registered for: Old Record. Save anyway?" in summary.text

    saved = await client.press(owner, summary.callback_data("✅ Save"), summary.message_id)
    assert saved.text.startswith("👤 <b>Dilnoza Aliyeva</b>")
    assert "🧒 Children: Zarina Aliyeva" in saved.text
    parent = await session.scalar(select(User).where(User.full_name == "Dilnoza Aliyeva"))
    link = await session.scalar(select(ParentLink).where(ParentLink.parent_id == parent.id))
    assert link.student_id == child.id
    assert "🔗 Invitation link" in saved.buttons()  # binds the registered parent


# --- the card ---------------------------------------------------------------------------------


async def test_the_card_shows_roles_groups_family_and_attendance(client, session, owner):
    await make_user(session, owner)
    child = await registered(session, "Zarina <Aliyeva>", phone="+998901112233")
    parent = await registered(session, "Dilnoza Aliyeva", roles=(Role.PARENT,))
    await link_parent(session, parent, child, commit=False)
    group = await make_group(session, "B1-morning", course="English B1", capacity=12, commit=False)
    await make_enrolment(session, child, group)

    card = await open_card(client, owner, child.id)

    assert card.text.startswith("👤 <b>Zarina &lt;Aliyeva&gt;</b>")
    assert "📱 Phone: +998 90 111 22 33" in card.text
    assert "🎭 Roles: student" in card.text
    assert "• English B1 — B1-morning: active" in card.text
    assert "📋 No attendance marks yet." in card.text
    assert "👪 Parents: Dilnoza Aliyeva" in card.text
    assert card.buttons() == [
        "🔗 Invitation link",
        "➕ Add to a group",
        "💵 Payment",
        "📜 Payments",
        "👪 Invitation for a parent",
        "➕ Register a parent",
        "🔗 Link a parent",
        "🛡 Make administrator",
        "🧑‍🏫 Make teacher",
        "👤 Dilnoza Aliyeva",
        "⬅ Back",
    ]
    parent_card = await client.press(
        owner, card.callback_data("👤 Dilnoza Aliyeva"), card.message_id
    )
    assert parent_card.text.startswith("👤 <b>Dilnoza Aliyeva</b>")
    assert "🧒 Children: Zarina &lt;Aliyeva&gt;" in parent_card.text

    picker = await client.press(owner, card.callback_data("➕ Add to a group"), card.message_id)
    assert picker.text.startswith("➕ <b>Add Zarina &lt;Aliyeva&gt; to a group</b>")

    gone = await client.press(owner, PeopleCb(action="card", id=99_999).pack())
    assert gone.answers[0].text.startswith("⚠️ This button is out of date")


async def test_linking_an_existing_person_as_a_parent(client, session, owner):
    await make_user(session, owner)
    child = await registered(session, "Zarina Aliyeva")
    dad = await make_user(session, BOB, full_name="Bahodir Aliyev")
    card = await open_card(client, owner, child.id)
    prompt = await client.press(owner, card.callback_data("🔗 Link a parent"), card.message_id)
    assert prompt.text.startswith("👪 <b>A parent for Zarina Aliyeva</b>")

    found = await client.send(owner, "bahodir")
    assert found.text.startswith("👪 <b>A parent for Zarina Aliyeva</b>")
    confirm = await client.press(owner, found.callback_data("Bahodir Aliyev"), found.message_id)
    assert confirm.text == "👪 Link <b>Bahodir Aliyev</b> as a parent of <b>Zarina Aliyeva</b>?"
    assert await count(session, ParentLink) == 0

    linked = await client.press(owner, confirm.callback_data("✅ Link"), found.message_id)
    assert linked.answers[0].text == "✅ Linked."
    assert "👪 Parents: Bahodir Aliyev" in linked.text
    assert (
        await session.scalar(select(RoleAssignment.role).where(RoleAssignment.user_id == dad.id))
        == "parent"
    )
    [entry] = await audit_actions(session, "person.link_parent")
    assert entry.details == {"parent": dad.id}

    twice = await client.press(
        owner, PeopleCb(action="lky", id=dad.id, other=child.id).pack(), found.message_id
    )
    assert twice.answers[0].text == "ℹ️ They were linked already."
    itself = await client.press(owner, PeopleCb(action="lky", id=child.id, other=child.id).pack())
    assert itself.answers[0].text == "⚠️ A person cannot be their own parent."
    assert await count(session, ParentLink) == 1


async def test_the_registration_summary_edits_one_step_and_the_menu_still_works(
    client, session, owner
):
    await make_user(session, owner)
    home = await client.send(owner, "/people")
    step1 = await client.press(owner, home.callback_data("➕ Register a student"), home.message_id)
    assert step1.of(SendMessage) and home.text.startswith("🔎 <b>People</b>")  # a new message
    courses = await client.send(owner, "📚 Courses")  # a menu button is no name
    assert courses.text.startswith("📚 <b>Courses</b>")
    await client.send(owner, "Aziza Karimova")
    await client.send(owner, "+998911112233")
    summary = await client.send(owner, "-")
    typed = await client.send(owner, "hello")
    assert typed.text == (
        "ℹ️ Use the buttons under the summary above: ✅ Save, ✏️ Edit or ❌ Cancel."
    )
    fields = await client.press(owner, summary.callback_data("✏️ Edit"), summary.message_id)
    assert fields.buttons() == ["✏️ Name", "✏️ Phone", "✏️ Birth date", "⬅ Back"]
    phone = await client.press(owner, fields.callback_data("✏️ Phone"), summary.message_id)
    assert "Step 2/3 — phone number" in phone.text
    again = await client.send(owner, "+998 93 555 00 00")
    assert "Phone: +998 93 555 00 00" in again.text and "Birth date: not given" in again.text
    saved = await client.press(owner, again.callback_data("✅ Save"), again.message_id)
    assert saved.answers[0].text == "✅ Saved."
    student = await session.scalar(select(User).where(User.full_name == "Aziza Karimova"))
    assert student.phone == "+998935550000"


async def test_the_search_stays_open_beside_the_menu_and_its_pages_end_with_it(
    client, session, owner
):
    await make_user(session, owner)
    for number in range(12):
        await registered(session, f"Test Student {chr(65 + number)}")
    await client.send(owner, "/people")
    first = await client.send(owner, "test student")
    courses = await client.send(owner, "📚 Courses")  # a menu button is no query
    assert courses.text.startswith("📚 <b>Courses</b>")
    second = await client.press(owner, first.callback_data("▶"), first.message_id)
    assert second.buttons()[0] == "🎓 Test Student K"
    assert (await client.send(owner, "/cancel")).text == "❌ Cancelled. Nothing was saved."
    ended = await client.press(owner, first.callback_data("▶"), first.message_id)
    assert ended.answers[0].text.startswith("⚠️ This button is out of date")
    assert not ended.texts
