"""Leads: /apply (name, own contact, course), the staff are told, /leads moves the request
on, and "enrolled" makes the applicant a student without retyping."""

from aiogram.methods import EditMessageText, SetMyCommands
from aiogram.types import Contact, ReplyKeyboardMarkup
from sqlalchemy import select

from db.models import Course, Lead, LeadStatus, Permission, Role, RoleAssignment
from keyboards.people import LeadCb
from tests.chat import Person
from tests.factories import make_course, make_user
from tests.handlers.test_people import audit_actions, count, fresh, sent_to

BOB = Person(id=2_000_002, first_name="Bob", language_code="en")
CAROL = Person(id=2_000_003, first_name="Carol", language_code="en")


async def add_courses(session) -> tuple[Course, Course]:
    english = await make_course(session, "English B1", monthly_price=500_000)
    closed = await make_course(session, "Old course", monthly_price=1, is_active=False)
    return english, closed


async def apply(client, person: Person, name: str = "Aziza Karimova", course: str = "English B1"):
    await client.send(person, "/apply")
    await client.send(person, name)
    own = Contact(phone_number="998901234567", first_name=person.first_name, user_id=person.id)
    step3 = await client.send(person, contact=own)
    summary = await client.press(person, step3.callback_data(course), step3.message_id)
    return await client.press(person, summary.callback_data("✅ Send"), step3.message_id)


async def test_applying_with_bad_input_then_the_staff_are_told(client, session, alice):
    await add_courses(session)
    await make_user(session, alice)
    admin = Person(id=1_000_001, first_name="Owner", language_code="ru")
    await make_user(session, admin, language="ru")  # the owner, with no role rows
    await make_user(session, BOB, roles=[Role.ADMIN], permissions=[Permission.USERS])
    await make_user(session, CAROL, roles=[Role.ADMIN], permissions=[Permission.AUDIT])

    step1 = await client.send(alice, "/apply")
    assert step1.text.startswith("📝 <b>Request to study</b>")
    digits = await client.send(alice, "Aziza 2")
    assert digits.text.startswith("⚠️ A name has no digits.") and "Step 1/3" in digits.text
    step2 = await client.send(alice, "Aziza Karimova")
    assert step2.text.startswith("Step 2/3")
    assert isinstance(step2.markup(), ReplyKeyboardMarkup)
    typed = await client.send(alice, "+998901234567")
    assert typed.text.startswith("⚠️ Typed numbers are not accepted")
    someone = Contact(phone_number="+998935550000", first_name="Bob", user_id=BOB.id)
    refused = await client.send(alice, contact=someone)
    assert refused.text.startswith("⚠️ This is someone else's contact.")

    own = Contact(phone_number="998901234567", first_name="Alice", user_id=alice.id)
    step3 = await client.send(alice, contact=own)
    assert step3.texts == ["✅ Phone received.", "Step 3/3 — which course are you interested in?"]
    assert step3.buttons() == ["English B1", "🤷 Not sure yet"]  # active courses only
    assert await count(session, Lead) == 0

    summary = await client.press(alice, step3.callback_data("English B1"), step3.message_id)
    assert summary.text.splitlines()[2:5] == [
        "Name: Aziza Karimova",
        "Phone: +998 90 123 45 67",
        "Course: English B1",
    ]
    assert await count(session, Lead) == 0  # nothing before ✅
    sent = await client.press(alice, summary.callback_data("✅ Send"), step3.message_id)

    assert sent.of(EditMessageText)[0].text == (
        "✅ Your request #1 is sent. The centre will contact you soon."
    )
    lead = await session.scalar(select(Lead))
    assert (lead.name, lead.phone, lead.status, lead.source) == (
        "Aziza Karimova",
        "+998901234567",
        "new",
        "bot",
    )
    [to_bob] = sent_to(sent, BOB)
    assert to_bob.text.startswith("📋 <b>New request to study #1</b>")
    assert "📚 Course: English B1" in to_bob.text
    assert to_bob.reply_markup.inline_keyboard[0][0].text == "📋 Open"
    assert sent_to(sent, CAROL) == []  # no `users` permission
    [to_owner] = sent_to(sent, admin)
    assert to_owner.text.startswith("📋 <b>")
    [entry] = await audit_actions(session, "lead.create")
    assert entry.actor_id is not None

    again = await client.send(alice, "/apply")
    assert again.text == (
        "ℹ️ Your request #1 is with the centre already: they will contact you soon."
    )


async def test_a_person_with_a_role_does_not_apply(client, session, alice):
    await make_user(session, alice, roles=[Role.STUDENT])
    reply = await client.send(alice, "/apply")
    assert reply.text == (
        "ℹ️ /apply is for people who want to study at the centre and are not registered "
        "yet. You are registered already: student.\n"
        "To ask about another course, write to /support."
    )


async def test_not_sure_and_cancel(client, session, alice):
    await add_courses(session)
    await make_user(session, alice)
    await client.send(alice, "/apply")
    await client.send(alice, "Aziza Karimova")
    cancelled = await client.send(alice, "/cancel")
    assert cancelled.text == "❌ Cancelled. Nothing was saved."
    assert await count(session, Lead) == 0

    sent = await apply(client, alice, course="🤷 Not sure yet")
    assert sent.of(EditMessageText)[0].text.startswith("✅ Your request #1 is sent.")
    assert (await session.scalar(select(Lead))).course_id is None


async def test_the_staff_move_a_request_on_and_enrol_it(client, session, owner, alice):
    await add_courses(session)
    await make_user(session, owner)
    applicant = await make_user(session, alice, full_name="Alice")
    await apply(client, alice)
    lead = await session.scalar(select(Lead))

    listed = await client.send(owner, "/leads")
    assert listed.text.startswith("📋 <b>Open requests to study: 1</b>")
    assert listed.buttons() == ["#1 · Aziza Karimova · 🆕 new", "🗂 Enrolled and lost"]
    card = await client.press(
        owner, listed.callback_data("#1 · Aziza Karimova · 🆕 new"), listed.message_id
    )
    assert card.text.splitlines()[:4] == [
        "📋 <b>Request #1</b> · 🆕 new",
        "👤 Aziza Karimova",
        "📱 +998 90 123 45 67",
        "📚 Course: English B1",
    ]
    assert card.buttons() == [
        "📞 Contacted",
        "🧪 Trial lesson booked",
        "🎓 Enrolled",
        "❌ Lost",
        "⬅ Back",
    ]
    contacted = await client.press(owner, card.callback_data("📞 Contacted"), listed.message_id)
    assert contacted.text.startswith("📋 <b>Request #1</b> · 📞 contacted")
    [moved] = await audit_actions(session, "lead.status")
    assert moved.details == {"from": "new", "to": "contacted"}

    # An old button (made when the request was new) changes nothing.
    stale = await client.press(owner, card.callback_data("❌ Lost"), listed.message_id)
    assert stale.answers[0].text.startswith("⚠️ Someone changed this request meanwhile")
    assert (await session.get(Lead, lead.id, populate_existing=True)).status == "contacted"

    confirm = await client.press(owner, contacted.callback_data("🎓 Enrolled"), listed.message_id)
    assert "🎓 <b>Enrol Aziza Karimova?</b>" in confirm.text
    assert await count(session, RoleAssignment) == 0
    enrolled = await client.press(owner, confirm.callback_data("✅ Yes, enrol"), listed.message_id)

    assert enrolled.of(EditMessageText)[0].text.startswith("📋 <b>Request #1</b> · 🎓 enrolled")
    assert enrolled.buttons() == ["👤 The student's card", "⬅ Back"]
    student = await fresh(session, applicant.id)
    assert (student.full_name, student.phone) == ("Aziza Karimova", "+998901234567")
    assert (
        await session.scalar(
            select(RoleAssignment.role).where(RoleAssignment.user_id == applicant.id)
        )
        == Role.STUDENT
    )
    [menu] = enrolled.of(SetMyCommands)  # the new student's own `/` menu: no /apply now
    assert int(menu.scope.chat_id) == alice.id
    names = [command.command for command in menu.commands]
    assert "schedule" in names and "apply" not in names
    [notice] = sent_to(enrolled, alice)
    assert notice.text.startswith("🎓 Bilim &lt;Academy&gt; &amp; Co has registered you")
    entries = await audit_actions(session, "lead.status")
    assert entries[-1].details == {"from": "contacted", "to": "enrolled", "student": applicant.id}

    final = await client.press(
        owner,
        LeadCb(action="st", id=lead.id, status="lost", was="enrolled").pack(),
        listed.message_id,
    )
    assert final.answers[0].text.startswith("⚠️ This request is enrolled already")
    assert (await session.get(Lead, lead.id, populate_existing=True)).status == "enrolled"
    student_card = await client.press(
        owner, enrolled.callback_data("👤 The student's card"), listed.message_id
    )
    assert student_card.text.startswith("👤 <b>Aziza Karimova</b>")
    closed = await client.press(owner, LeadCb(action="list", closed=1).pack(), listed.message_id)
    assert closed.buttons()[0] == "#1 · Aziza Karimova · 🎓 enrolled"
    assert (await client.send(alice, "/start")).text.count("Your roles: student.") == 1


async def test_enrolling_a_lead_whose_user_is_gone_registers_a_new_student(client, session, owner):
    await make_user(session, owner)
    session.add(Lead(name="Walk In", phone="+998901112233", source="phone"))
    await session.commit()
    lead = await session.scalar(select(Lead))
    reply = await client.press(
        owner, LeadCb(action="st", id=lead.id, status="enrolled", was="new").pack()
    )
    assert reply.text.startswith("📋 <b>Request #1</b> · 🎓 enrolled")
    lead = await session.get(Lead, lead.id, populate_existing=True)
    assert lead.status == LeadStatus.ENROLLED and lead.user_id is not None
    student = await fresh(session, lead.user_id)
    assert (student.full_name, student.phone, student.telegram_id) == (
        "Walk In",
        "+998901112233",
        None,
    )


async def test_leads_need_the_users_permission(client, session, alice):
    await make_user(session, alice, roles=[Role.ADMIN], permissions=[Permission.PAYMENTS])
    assert (await client.send(alice, "/leads")).text.startswith("⚠️ You do not have access")
    pressed = await client.press(alice, LeadCb(action="card", id=1).pack())
    assert pressed.answers[0].text.startswith("⚠️ You do not have access")


async def test_a_lead_keeps_when_it_first_reached_each_status(client, session, owner):
    await make_user(session, owner)
    session.add(Lead(name="Walk In", phone="+998901112233", source="phone"))
    await session.commit()
    lead_id = (await session.scalar(select(Lead))).id

    async def move(status: str, was: str) -> Lead:
        await client.press(owner, LeadCb(action="st", id=lead_id, status=status, was=was).pack())
        return await session.get(Lead, lead_id, populate_existing=True)

    contacted = await move("contacted", "new")
    first_contact = contacted.contacted_at
    assert first_contact is not None and contacted.trial_at is None
    lost = await move("lost", "contacted")
    assert lost.lost_at is not None and lost.lost_at >= first_contact
    again = await move("contacted", "lost")  # won back: the first contact stays
    assert again.contacted_at == first_contact and again.lost_at == lost.lost_at
    enrolled = await move("enrolled", "contacted")  # straight on, no trial lesson
    assert enrolled.enrolled_at is not None and enrolled.trial_at is None
    assert enrolled.enrolled_at >= first_contact


async def test_a_card_of_a_lead_gone_or_forged_is_out_of_date(client, session, owner):
    """The card's record is loaded by the button's registration (`lead=leads.get`): a lead
    that is gone, an id 0 or beyond any row is answered as out of date, and nothing is shown."""
    await make_user(session, owner)
    session.add(Lead(name="Walk In", phone="+998901112233", source="phone"))
    await session.commit()
    lead = await session.scalar(select(Lead))
    card = await client.press(owner, LeadCb(action="card", id=lead.id).pack())
    assert card.text.startswith("📋 <b>Request #1</b>")
    for forged in (lead.id + 1, 0, 2**31 - 1):
        gone = await client.press(owner, LeadCb(action="card", id=forged).pack())
        assert [a.text for a in gone.answers] == [
            "⚠️ This button is out of date. Open the menu again."
        ]
        assert not gone.of(EditMessageText)
