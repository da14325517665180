"""POLICY 9: /delete erases the person, keeps the books, is done once, after two confirmations."""

import json
from dataclasses import dataclass
from datetime import date, timedelta

from aiogram.fsm.storage.base import StorageKey
from aiogram.methods import DeleteMyCommands, EditMessageText, SendMessage
from aiogram.types import Message, ReplyKeyboardRemove
from sqlalchemy import JSON, BigInteger, Integer, String, func, select

from bot.i18n import translate_to
from bot.services import audit
from db.base import Base, utcnow
from db.models import (
    Attendance,
    AuditEntry,
    Balance,
    Broadcast,
    Charge,
    Consent,
    Course,
    Delivery,
    Enrolment,
    Grade,
    Group,
    Invite,
    Lead,
    Lesson,
    NotificationLog,
    ParentLink,
    Payment,
    Permission,
    Role,
    RoleAssignment,
    SupportTicket,
    User,
)
from tests.chat import ChatClient, Person
from tests.conftest import make_settings
from tests.factories import make_user
from tests.mocked_bot import BOT_ID, TelegramError

NAME = "Dilnoza Karimova"
PHONE = "+998901234567"
EMAIL = "dilnoza.karimova@example.com"
USERNAME = "dilnoza_k"
EXPLANATION = "⚠️ <b>Delete your personal data?</b>"
PROMPT = "⚠️ <b>Last step.</b>"
WRONG_WORD = "⚠️ That is not the word. Type <code>DELETE</code> to erase your data"
DONE = "✅ Your personal data is deleted."


@dataclass
class Seeded:
    student_id: int
    parent_id: int
    admin: Person
    ticket_id: int


def dilnoza() -> Person:
    return Person(
        id=2_000_001,
        first_name="Dilnoza",
        last_name="Karimova",
        username=USERNAME,
        language_code="en",
    )


async def seed_student(session, person: Person) -> Seeded:
    """A student with every kind of record the bot keeps about a person."""
    student = await make_user(session, person, roles=[Role.STUDENT], full_name=NAME)
    student.phone, student.email, student.username = PHONE, EMAIL, USERNAME
    student.birth_date, student.last_seen_at = date(2008, 5, 17), utcnow()
    admin = Person(id=4_000_001, first_name="Admin", language_code="ru")
    admin_user = await make_user(
        session, admin, roles=[Role.ADMIN], permissions=[Permission.USERS], language="ru"
    )
    parent = await make_user(
        session, Person(id=3_000_001), roles=[Role.PARENT], full_name="Rustam Aliyev"
    )
    teacher = await make_user(session, None, roles=[Role.TEACHER], full_name="Tohir Usmonov")
    now = utcnow()

    course = Course(name="English B1", monthly_price=500_000, created_at=now)
    session.add(course)
    await session.flush()
    group = Group(
        course_id=course.id,
        teacher_id=teacher.id,
        name="B1 morning",
        start_date=date(2026, 9, 1),
        capacity=12,
        created_at=now,
    )
    session.add(group)
    await session.flush()
    lesson = Lesson(group_id=group.id, starts_at=now, duration_minutes=90, created_at=now)
    enrolment = Enrolment(
        student_id=student.id, group_id=group.id, joined_on=date(2026, 9, 1), created_at=now
    )
    session.add_all([lesson, enrolment])
    await session.flush()
    session.add_all(
        [
            ParentLink(parent_id=parent.id, student_id=student.id, created_at=now),
            Attendance(
                lesson_id=lesson.id,
                student_id=student.id,
                status="present",
                marked_by_id=teacher.id,
            ),
            Grade(
                student_id=student.id,
                group_id=group.id,
                lesson_id=lesson.id,
                kind="exam",
                score=87,
                max_score=100,
                comment=f"{NAME} — excellent",
                given_by_id=teacher.id,
                created_at=now,
            ),
            Charge(
                student_id=student.id,
                enrolment_id=enrolment.id,
                period=date(2026, 11, 1),
                amount=500_000,
                due_date=date(2026, 11, 5),
                created_at=now,
            ),
            Payment(
                student_id=student.id,
                amount=300_000,
                method="cash",
                note=f"brought by {NAME}'s mother",
                received_by_id=admin_user.id,
                created_at=now,
            ),
            Payment(student_id=student.id, amount=150_000, method="card", created_at=now),
            Balance(student_id=student.id, amount=-50_000),
            Invite(
                code_hash="a" * 64,
                kind="student",
                user_id=student.id,
                used_by_id=student.id,
                used_at=now,
                expires_at=now + timedelta(days=7),
                created_at=now,
            ),
            Invite(
                code_hash="b" * 64,
                kind="parent",
                student_id=student.id,
                expires_at=now + timedelta(days=7),
                created_at=now,
            ),
            Lead(user_id=student.id, name=NAME, phone=PHONE, created_at=now),
            NotificationLog(user_id=student.id, kind="payment_due", key="charge:1:due"),
        ]
    )
    ticket = SupportTicket(
        user_id=student.id,
        topic="question",
        text=f"I am {NAME}, please call {PHONE} or write to {EMAIL}",
        status="answered",
        answer=f"Dear {NAME}, we called you.",
        answered_by_id=admin_user.id,
        answered_at=now,
        created_at=now,
    )
    broadcast = Broadcast(
        author_id=admin_user.id,
        audience={"type": "all"},
        source_chat_id=admin.id,
        source_message_id=1,
        preview_text="Classes start on Monday",
        status="done",
        created_at=now,
    )
    session.add_all([ticket, broadcast])
    await audit.record(
        session,
        at=now,
        actor_id=admin_user.id,
        action="user.phone",
        object_type="user",
        object_id=student.id,
        details={"from": PHONE, "chat": person.id, "note": f"asked by {EMAIL}"},
    )
    await session.flush()
    session.add(Delivery(broadcast_id=broadcast.id, user_id=student.id, status="sent"))
    await session.commit()
    return Seeded(student.id, parent.id, admin, ticket.id)


async def traces_of_the_person(session, needles: list[str], telegram_id: int) -> list[str]:
    """Every text, varchar and JSON value of every row of every table that holds a needle,
    and every integer column equal to the Telegram id."""
    found = []
    for table in Base.metadata.sorted_tables:
        texts = [c for c in table.columns if isinstance(c.type, String | JSON)]
        numbers = [c for c in table.columns if isinstance(c.type, Integer | BigInteger)]
        rows = (await session.execute(select(*texts, *numbers))).all()
        for row in rows:
            for column, value in zip(texts, row[: len(texts)], strict=True):
                if value is None:
                    continue
                shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                found += [
                    f"{table.name}.{column.name}: {needle}"
                    for needle in needles
                    if needle.casefold() in shown.casefold()
                ]
            for column, value in zip(numbers, row[len(texts) :], strict=True):
                if value == telegram_id:
                    found.append(f"{table.name}.{column.name}: the Telegram id")
    return found


async def ledger_totals(session) -> tuple[int, int, int, int]:
    payments = await session.scalar(select(func.sum(Payment.amount)))
    charges = await session.scalar(select(func.sum(Charge.amount)))
    balance = await session.scalar(select(func.sum(Balance.amount)))
    rows = sum(
        [
            await session.scalar(select(func.count()).select_from(model))
            for model in (Payment, Charge, Balance)
        ]
    )
    return payments, charges, balance, rows


async def count(session, model, *conditions) -> int:
    return await session.scalar(select(func.count()).select_from(model).where(*conditions))


async def delete_through_the_bot(client, person: Person, word: str = "DELETE"):
    screen = await client.send(person, "/delete")
    prompt = await client.press(
        person, screen.callback_data("🗑 Yes, delete my data"), screen.message_id
    )
    return screen, prompt, await client.send(person, word)


async def test_delete_erases_every_trace_and_keeps_the_books(client, session):
    person = dilnoza()
    seeded = await seed_student(session, person)
    needles = [NAME, PHONE, EMAIL, USERNAME, str(person.id)]
    # the scan sees the person everywhere before (so it can fail)
    before = await traces_of_the_person(session, needles, person.id)
    for needle in needles:
        assert any(needle in trace for trace in before), needle
    totals = await ledger_totals(session)

    _, _, done = await delete_through_the_bot(client, person)

    assert done.texts[0].startswith(DONE)
    session.expire_all()
    assert await traces_of_the_person(session, needles, person.id) == []
    assert await ledger_totals(session) == totals == (450_000, 500_000, -50_000, 4)

    user = await session.get(User, seeded.student_id)
    assert user.deleted_at is not None and user.is_active is False
    assert (
        user.telegram_id,
        user.full_name,
        user.phone,
        user.email,
        user.username,
        user.birth_date,
        user.last_seen_at,
    ) == (None,) * 7
    # the ledger: detached from the person, held together by one anonymous reference
    refs = set()
    for model in (Charge, Payment, Balance):
        for row in (await session.scalars(select(model))).all():
            assert row.student_id is None
            refs.add(row.anon_ref)
    assert len(refs) == 1 and refs.pop().startswith("anon-")
    # academic statistics stay, pointing at the anonymous row
    for model in (Enrolment, Attendance, Grade):
        assert await count(session, model, model.student_id == seeded.student_id) == 1
    # personal rows are gone
    for model, condition in (
        (RoleAssignment, RoleAssignment.user_id == seeded.student_id),
        (Consent, Consent.user_id == seeded.student_id),
        (ParentLink, ParentLink.student_id == seeded.student_id),
        (Invite, None),
        (NotificationLog, None),
        (Delivery, None),
    ):
        assert await count(session, model, *([condition] if condition is not None else [])) == 0
    ticket = await session.get(SupportTicket, seeded.ticket_id)
    assert (ticket.user_id, ticket.text, ticket.answer) == (None, "[deleted]", "[deleted]")
    assert ticket.status == "answered"  # the row stays for the centre's statistics
    # the parent keeps their account, only the link is gone
    assert (await session.get(User, seeded.parent_id)).full_name == "Rustam Aliyev"
    [entry] = (
        await session.scalars(select(AuditEntry).where(AuditEntry.action == "user.deleted"))
    ).all()
    assert (entry.actor_id, entry.object_type, entry.object_id) == (
        seeded.student_id,
        "user",
        str(seeded.student_id),
    )
    # the scrubbed entry and all after it were re-linked: the chain holds
    assert entry.details["audit_scrubbed"] == 1
    assert (await audit.verify(session)).intact


async def test_the_screens_explain_and_ask_twice(client, session):
    person = dilnoza()
    await seed_student(session, person)

    screen = await client.send(person, "/delete")

    assert screen.text.startswith(EXPLANATION)
    for fact in (
        "name, phone, email, Telegram username and id, birth date",
        "support requests",
        "consents, your roles and the links to your parents or children",
        "charges, payments, refunds and balance",
        "anonymous number",
        "This cannot be undone.",
    ):
        assert fact in screen.text, fact
    assert screen.buttons() == ["🗑 Yes, delete my data", "❌ No, keep my data"]

    prompt = await client.press(
        person, screen.callback_data("🗑 Yes, delete my data"), screen.message_id
    )
    [edit] = prompt.of(EditMessageText)
    assert edit.text.startswith(PROMPT) and "<code>DELETE</code>" in edit.text
    assert "/cancel" in edit.text and edit.reply_markup is None
    assert len(prompt.answers) == 1
    assert await count(session, User, User.deleted_at.is_not(None)) == 0


async def test_a_wrong_word_repeats_the_step_and_changes_nothing(client, session):
    person = dilnoza()
    await seed_student(session, person)
    screen = await client.send(person, "/delete")
    await client.press(person, screen.callback_data("🗑 Yes, delete my data"), screen.message_id)

    for wrong in ("yes", "DELETE!", "delete my data", "/delete"):
        reply = await client.send(person, wrong)
        if wrong == "/delete":
            assert reply.text.startswith(EXPLANATION)  # the command shows the screen again
            continue
        assert reply.text.startswith(WRONG_WORD), wrong
    no_text = await client.send(person, None)  # e.g. a sticker
    assert no_text.text.startswith(WRONG_WORD)
    assert await count(session, User, User.deleted_at.is_not(None)) == 0
    assert await count(session, AuditEntry, AuditEntry.action == "user.deleted") == 0

    done = await client.send(person, "  delete ")  # trimmed, any case
    assert done.texts[0].startswith(DONE)
    assert isinstance(done.of(SendMessage)[0].reply_markup, ReplyKeyboardRemove)
    assert await count(session, User, User.deleted_at.is_not(None)) == 1


async def test_cancel_and_no_leave_everything_as_it_was(client, session):
    person = dilnoza()
    seeded = await seed_student(session, person)
    screen = await client.send(person, "/delete")
    no = await client.press(person, screen.callback_data("❌ No, keep my data"), screen.message_id)
    assert no.of(EditMessageText)[0].text == "❌ Cancelled. Your data stays as it is."
    assert (await client.send(person, "DELETE")).text.startswith("ℹ️ I did not understand")

    screen = await client.send(person, "/delete")
    await client.press(person, screen.callback_data("🗑 Yes, delete my data"), screen.message_id)
    cancelled = await client.send(person, "/cancel")
    assert cancelled.text == "❌ Cancelled. Nothing was saved."
    after_cancel = await client.send(person, "DELETE")
    assert after_cancel.text.startswith("ℹ️ I did not understand")

    # "No" on a screen whose "Yes" was already pressed also leaves the last step
    screen = await client.send(person, "/delete")
    yes = screen.callback_data("🗑 Yes, delete my data")
    await client.press(person, yes, screen.message_id)
    await client.press(person, screen.callback_data("❌ No, keep my data"))
    assert (await client.send(person, "DELETE")).text.startswith("ℹ️ I did not understand")

    assert await count(session, User, User.deleted_at.is_not(None)) == 0
    assert await count(session, Consent, Consent.user_id == seeded.student_id) == 1


async def test_double_presses_and_two_flows_delete_once(client, session):
    person = dilnoza()
    seeded = await seed_student(session, person)
    first = await client.send(person, "/delete")
    second = await client.send(person, "/delete")
    yes = first.callback_data("🗑 Yes, delete my data")
    await client.press(person, yes, first.message_id)
    again = await client.press(person, yes, first.message_id)  # the prompt is already shown
    assert len(again.answers) == 1 and not again.of(SendMessage)
    await client.press(person, yes, second.message_id)

    done = await client.send(person, "DELETE")
    assert done.texts[0].startswith(DONE)

    # the other flow's word and button now come from a stranger without consent
    late_word = await client.send(person, "DELETE")
    assert "🔐 <b>Your consent</b>" in late_word.text
    late_press = await client.press(person, yes, second.message_id)
    assert late_press.answers[0].text == "🔐 Please accept the privacy policy first."
    assert await count(session, AuditEntry, AuditEntry.action == "user.deleted") == 1
    assert await count(session, User, User.deleted_at.is_not(None)) == 1
    session.expire_all()
    assert (await session.get(User, seeded.student_id)).deleted_at is not None


async def test_a_deleted_user_who_comes_back_is_new(client, session):
    person = dilnoza()
    seeded = await seed_student(session, person)
    await delete_through_the_bot(client, person)

    picker = await client.send(person, "/start")

    assert picker.text == "🌐 Choose your language:"
    assert picker.buttons() == ["🇺🇿 Oʻzbekcha", "🇷🇺 Русский", "🇬🇧 English"]
    fresh = await session.scalar(select(User).where(User.telegram_id == person.id))
    assert fresh.id != seeded.student_id
    assert (fresh.full_name, fresh.phone, fresh.deleted_at) == (None, None, None)
    assert await count(session, RoleAssignment, RoleAssignment.user_id == fresh.id) == 0
    summary = await client.press(person, picker.callback_data("🇬🇧 English"), picker.message_id)
    assert "🔐 <b>Your consent</b>" in summary.text


async def test_admins_and_owners_are_told_after_the_commit(
    client, bot, session, session_factory, owner
):
    person = dilnoza()
    seeded = await seed_student(session, person)
    await make_user(session, owner, language="en")
    bystander = Person(id=4_000_002)
    await make_user(session, bystander, roles=[Role.ADMIN], permissions=[Permission.PAYMENTS])

    seen_from_outside = {}
    make_request = bot.session.make_request

    async def spying(bot_, method, timeout=None):
        if isinstance(method, SendMessage) and method.chat_id != person.id:
            # Another connection sees the erasure: it was committed before this call.
            async with session_factory() as other:
                row = await other.get(User, seeded.student_id)
                seen_from_outside[method.chat_id] = row.deleted_at is not None
        return await make_request(bot_, method, timeout)

    bot.session.make_request = spying
    _, _, done = await delete_through_the_bot(client, person)

    notices = {call.chat_id: call.text for call in done.of(SendMessage)[1:]}
    notice = "🗑 A user deleted their personal data (id {id})."
    expected = notice.format(id=seeded.student_id)
    # each in their own language: the admin reads Russian, the owner English
    assert notices == {
        seeded.admin.id: translate_to("ru", notice).format(id=seeded.student_id),
        owner.id: expected,
    }
    assert seen_from_outside == {seeded.admin.id: True, owner.id: True}
    assert bystander.id not in notices
    assert str(person.id) not in expected and NAME not in expected


async def test_a_blocked_admin_does_not_stop_the_rest(client, bot, session, owner):
    await make_user(session, owner)  # an owner who has opened the bot and accepted the policy
    person = dilnoza()
    seeded = await seed_student(session, person)
    screen = await client.send(person, "/delete")
    await client.press(person, screen.callback_data("🗑 Yes, delete my data"), screen.message_id)
    answer = bot.session._answer

    def blocked_admin(bot_, method):
        if isinstance(method, SendMessage) and method.chat_id == seeded.admin.id:
            raise TelegramError(403, "Forbidden: bot was blocked by the user")
        return answer(bot_, method)

    bot.session._answer = blocked_admin
    done = await client.send(person, "DELETE")

    assert done.texts[0].startswith(DONE)
    sent_to = [call.chat_id for call in done.of(SendMessage)]
    assert sent_to[0] == person.id and sorted(sent_to[1:]) == sorted([seeded.admin.id, owner.id])
    owner_call = next(
        i for i, c in enumerate(done.calls) if isinstance(c, SendMessage) and c.chat_id == owner.id
    )
    assert isinstance(done.results[owner_call], Message)  # the owner got theirs all the same
    assert await count(session, User, User.deleted_at.is_not(None)) == 1


async def test_a_staff_member_loses_their_command_menu(client, session):
    teacher = Person(id=5_000_001, first_name="Tohir", language_code="en")
    await make_user(session, teacher, roles=[Role.TEACHER])
    _, _, done = await delete_through_the_bot(client, teacher)
    [reset] = done.of(DeleteMyCommands)
    assert reset.scope.chat_id == teacher.id


async def test_delete_needs_consent(client, session, alice):
    await client.send(alice, "/start")
    reply = await client.send(alice, "/delete")
    assert "🔐 <b>Your consent</b>" in reply.text
    assert await count(session, User, User.deleted_at.is_not(None)) == 0


async def test_no_request_to_renew_the_policy_after_deleting(
    database_url, session_factory, bot, session
):
    from bot.startup.app import create_dispatcher

    person = dilnoza()
    await seed_student(session, person)  # accepted version 1
    dispatcher = create_dispatcher(make_settings(database_url, policy_version="2"), session_factory)
    client = ChatClient(bot, dispatcher)
    screen = await client.send(person, "/delete")
    explanation, renewal = screen.of(SendMessage)
    assert explanation.text.startswith(EXPLANATION)  # essential: works on an old version
    assert renewal.text.startswith("📄 The privacy policy has changed (version 2).")
    yes = explanation.reply_markup.inline_keyboard[0][0]
    assert yes.text == "🗑 Yes, delete my data"
    await client.press(person, yes.callback_data, screen.results[0].message_id)
    # a day later the reminder would be due again
    consent_slot = StorageKey(BOT_ID, person.id, person.id, destiny="consent")
    await dispatcher.storage.set_data(consent_slot, {"renewal_asked": 0})

    done = await client.send(person, "DELETE")

    mine = [call.text for call in done.of(SendMessage) if call.chat_id == person.id]
    assert len(mine) == 1 and mine[0].startswith(DONE)


async def test_forged_deletion_buttons_change_nothing(client, session):
    person = dilnoza()
    await seed_student(session, person)
    for data in ("del:now", "del", "del:yes:extra"):
        reply = await client.press(person, data)
        assert [a.text for a in reply.answers] == [
            "⚠️ This button is out of date. Open the menu again."
        ], data
    assert (await client.send(person, "DELETE")).text.startswith("ℹ️ I did not understand")
    assert await count(session, User, User.deleted_at.is_not(None)) == 0


async def test_delete_is_in_the_help(client, session, alice):
    await make_user(session, alice)
    assert "/delete — Delete my personal data" in (await client.send(alice, "/help")).text
