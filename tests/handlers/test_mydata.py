"""POLICY 5-7: /mydata (own and children's data), corrections, /export."""

import io
import json
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import openpyxl
from aiogram.enums import ChatAction
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    SendChatAction,
    SendDocument,
    SendMessage,
)
from aiogram.types import Contact, InlineKeyboardMarkup, ReplyKeyboardMarkup
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import (
    Attendance,
    AuditEntry,
    AuditOutcome,
    Balance,
    Grade,
    Role,
    SupportTicket,
    User,
)
from tests.chat import Person, Reply
from tests.factories import (
    link_parent,
    make_charge,
    make_enrolment,
    make_group,
    make_lessons,
    make_payment,
    make_user,
)

STALE = "⚠️ This button is out of date. Open the menu again."
BOB = Person(id=2_000_002, first_name="Bob", language_code="en")
PARENT = Person(id=2_000_003, first_name="Parent", language_code="en")


async def give_records(
    session: AsyncSession,
    student_id: int,
    *,
    tag: str,
    attendance: Sequence[str] = ("present", "present", "absent", "late"),
    grades: int = 2,
    payments: Sequence[tuple[int, bool]] = ((500_000, False), (300_000, True)),
    balance: int | None = -400_000,
    ticket: str | None = "When is the exam?",
) -> None:
    """A course, a group, an enrolment, lessons with attendance, grades, a charge,
    payments (the bool: reversed), a balance and an open ticket, for one student."""
    no_commit = dict(commit=False)
    group = await make_group(
        session,
        f"{tag} group",
        course=f"{tag} course",
        start_date=date(2025, 1, 6),
        capacity=12,
        **no_commit,
    )
    enrolment = await make_enrolment(
        session, student_id, group, joined_on=date(2025, 1, 6), **no_commit
    )
    start = datetime(2025, 1, 6, 9, tzinfo=UTC)
    days = range(len(attendance))
    lessons = await make_lessons(
        session, group, [start + timedelta(days=i) for i in days], **no_commit
    )
    session.add_all(
        Attendance(lesson_id=lesson.id, student_id=student_id, status=status, marked_at=utcnow())
        for lesson, status in zip(lessons, attendance, strict=True)
    )
    session.add_all(
        Grade(
            student_id=student_id,
            group_id=group.id,
            kind="exam",
            score=50 + i % 50,
            max_score=100,
            created_at=start + timedelta(days=i),
        )
        for i in range(grades)
    )
    await make_charge(
        session,
        student_id,
        enrolment_id=enrolment.id,
        period=date(2025, 1, 1),
        due_date=date(2025, 1, 5),
        **no_commit,
    )
    for i, (amount, reversed_) in enumerate(payments):
        await make_payment(
            session,
            student_id,
            amount,
            method="cash" if i % 2 == 0 else "card",
            paid_at=start + timedelta(days=i),
            reversed_at=start + timedelta(days=i, hours=1) if reversed_ else None,
            **no_commit,
        )
    if balance is not None:
        session.add(Balance(student_id=student_id, amount=balance))
    if ticket is not None:
        session.add(SupportTicket(user_id=student_id, topic="question", text=ticket))
    await session.commit()


async def fresh(session: AsyncSession, user: User) -> User:
    await session.refresh(user)
    return user


async def audit_count(session: AsyncSession, action: str) -> int:
    return await session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    )


def documents(reply: Reply) -> dict[str, bytes]:
    return {call.document.filename: call.document.data for call in reply.of(SendDocument)}


# --- /mydata --------------------------------------------------------------------------------


async def test_mydata_shows_everything_stored_about_a_student(client, session, alice):
    student = await make_user(session, alice, roles=[Role.STUDENT], full_name="Alice Karimova")
    student.phone, student.email, student.birth_date = "+998901234567", "a@x.uz", date(2010, 3, 3)
    await session.commit()
    await give_records(session, student.id, tag="English", ticket="Is <b> & co fine?")
    bob = await make_user(session, BOB, roles=[Role.STUDENT])
    await give_records(session, bob.id, tag="Maths", payments=((777_000, False),))

    reply = await client.send(alice, "/mydata")

    [message] = reply.of(SendMessage)
    text = message.text
    assert text.startswith("🗂 <b>My data</b>")
    assert "Name: Alice Karimova" in text
    assert "Phone: +998 90 123 45 67" in text
    assert "Email: a@x.uz" in text
    assert "Language: 🇬🇧 English" in text
    assert "Birth date: 3 March 2010" in text
    assert "🎭 <b>Roles</b>\nstudent" in text
    assert "• English course — English group: active, since 6 January 2025" in text
    assert "✅ present: 2 · ❌ absent: 1 · ⏰ late: 1 · 📝 excused: 0" in text
    assert "📝 <b>Grades</b> (2)" in text and "English group · exam: 51/100" in text
    assert "Balance: -400,000 soʻm (debt)" in text
    assert "500,000 soʻm · cash" in text
    assert "300,000 soʻm · card · ↩️ reversed" in text
    assert "No linked children or parents." in text
    assert "Privacy policy version 1, since" in text and "Changes recorded: 1." in text
    assert "Is &lt;b&gt; &amp; co fine?" in text
    assert "Maths" not in text and "777,000" not in text  # nobody else's rows
    assert reply.buttons() == [
        "✏️ Name",
        "📱 Phone",
        "✉️ Email",
        "🌐 Language",
        "📦 Download a copy",
    ]


async def test_mydata_says_briefly_that_a_section_is_empty(client, session, alice):
    await make_user(session, alice)
    text = (await client.send(alice, "/mydata")).text
    for empty in (
        "Phone: not given",
        "No roles yet.",
        "No groups.",
        "No attendance marks.",
        "No grades.",
        "Balance: 0 soʻm",
        "No payments.",
        "No linked children or parents.",
        "No open requests.",
    ):
        assert empty in text, empty


async def test_only_the_latest_grades_and_payments_are_listed_with_the_count(
    client, session, alice
):
    student = await make_user(session, alice, roles=[Role.STUDENT])
    await give_records(
        session,
        student.id,
        tag="Long",
        grades=7,
        payments=[(10_000 * (i + 1), False) for i in range(8)],
    )
    text = (await client.send(alice, "/mydata")).text
    assert "📝 <b>Grades</b> (7)" in text
    assert text.count("· exam:") == 5
    assert "The latest 5 of 7; /export has them all." in text
    assert "The latest 5 of 8; /export has them all." in text
    assert "80,000 soʻm" in text and "10,000 soʻm" not in text  # newest first


async def test_a_long_card_is_split_between_sections_never_cut(client, session, alice):
    student = await make_user(session, alice, roles=[Role.STUDENT])
    session.add_all(
        SupportTicket(user_id=student.id, topic="question", text=f"Question number {i} " * 10)
        for i in range(90)
    )
    await session.commit()

    reply = await client.send(alice, "/mydata")

    sent = reply.of(SendMessage)
    assert len(sent) >= 2
    assert all(len(message.text) <= 4096 for message in sent)
    assert sent[-1].reply_markup is not None
    assert all(message.reply_markup is None for message in sent[:-1])
    whole = "\n".join(message.text for message in sent)
    assert all(f"Question number {i} " in whole for i in range(90))


async def test_a_long_card_meeting_a_429_is_sent_whole_after_the_wait(client, session, alice, bot):
    student = await make_user(session, alice, roles=[Role.STUDENT])
    session.add_all(
        SupportTicket(user_id=student.id, topic="question", text=f"Question number {i} " * 10)
        for i in range(90)
    )
    await session.commit()
    bot.session.fail_next(SendMessage, 429, "Too Many Requests: retry after 1", retry_after=1)

    reply = await client.send(alice, "/mydata")

    calls = reply.of(SendMessage)
    refused = [
        call
        for call, result in zip(reply.calls, reply.results, strict=True)
        if isinstance(result, Exception)
    ]
    assert refused == [calls[0]] and calls[1].text == calls[0].text  # the same part again
    delivered = calls[1:]
    assert len(delivered) >= 2 and delivered[-1].reply_markup is not None
    whole = "\n".join(message.text for message in delivered)
    assert all(f"Question number {i} " in whole for i in range(90))
    assert not [text for text in reply.texts if "went wrong" in text]


async def test_a_parent_sees_each_linked_child(client, session, alice):
    parent = await make_user(session, alice, roles=[Role.PARENT], full_name="Mother")
    son = await make_user(session, roles=[Role.STUDENT], full_name="Son Karimov")
    daughter = await make_user(session, roles=[Role.STUDENT], full_name="Daughter Karimova")
    await give_records(session, son.id, tag="Chess", balance=100_000)
    await give_records(session, daughter.id, tag="Piano", balance=-50_000)
    await link_parent(session, parent, son, daughter)

    card = await client.send(alice, "/mydata")

    assert "Children: Daughter Karimova, Son Karimov" in card.text
    assert "👤 Daughter Karimova" in card.buttons() and "👤 Son Karimov" in card.buttons()
    opened = await client.press(alice, card.callback_data("👤 Son Karimov"), card.message_id)
    [edit] = opened.of(EditMessageText)
    assert edit.text.startswith("🗂 <b>Data of Son Karimov</b>")
    assert "Chess group" in edit.text and "Balance: 100,000 soʻm" in edit.text
    assert "Piano" not in edit.text and "Parents: Mother" in edit.text
    assert opened.buttons() == ["📦 Download a copy", "⬅ Back"]
    assert len(opened.answers) == 1

    other = await client.press(alice, card.callback_data("👤 Daughter Karimova"), card.message_id)
    assert "Piano group" in other.text and "Balance: -50,000 soʻm (debt)" in other.text

    back = await client.press(alice, other.callback_data("⬅ Back"), card.message_id)
    assert back.text.startswith("🗂 <b>My data</b>")


async def test_a_forged_child_id_shows_nothing(client, session, alice):
    parent = await make_user(session, alice, roles=[Role.PARENT])
    child = await make_user(session, roles=[Role.STUDENT], full_name="Own Child")
    await link_parent(session, parent, child)
    stranger = await make_user(session, BOB, roles=[Role.STUDENT], full_name="Stranger")
    await give_records(session, stranger.id, tag="Secret")
    card = await client.send(alice, "/mydata")

    for data in (f"md:child:{stranger.id}", f"md:export:{stranger.id}", "md:child:999999"):
        reply = await client.press(alice, data, card.message_id)
        assert [answer.text for answer in reply.answers] == [STALE], data
        assert not reply.of(SendMessage) and not reply.of(EditMessageText)
        assert not reply.of(SendDocument)
    denied = await session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.outcome == AuditOutcome.DENIED, AuditEntry.actor_id == parent.id)
    )
    assert denied == 3
    assert await audit_count(session, "data.export") == 1  # the denied one only
    assert "Stranger" not in bot_texts(client)


def bot_texts(client) -> str:
    return "\n".join(message.text for message in client.bot.session.telegram.messages.values())


# --- corrections ----------------------------------------------------------------------------


async def test_a_wrong_name_repeats_the_step_and_changes_nothing(client, session, alice):
    user = await make_user(session, alice, full_name="Alice")
    card = await client.send(alice, "/mydata")
    prompt = await client.press(alice, card.callback_data("✏️ Name"), card.message_id)
    assert prompt.text.startswith("✏️ Your name as the centre should write it")

    for typed, reason in (
        ("R2D2", "⚠️ A name has no digits."),
        ("<b>Alice</b>", "⚠️ Use only letters, spaces, hyphens, apostrophes and dots."),
        ("Alice & Co", "⚠️ Use only letters, spaces, hyphens, apostrophes and dots."),
        ("A", "⚠️ The name is too short: at least 2 letters."),
        ("A" * 129, "⚠️ The name is too long: at most 128 characters."),
    ):
        reply = await client.send(alice, typed)
        assert reply.text.startswith(reason), typed
        assert "✏️ Your name as the centre should write it" in reply.text
    assert (await fresh(session, user)).full_name == "Alice"
    assert await audit_count(session, "user.profile") == 0

    done = await client.send(alice, "  Gʻulom   Oʻktamov-Ismoilʼ  ")
    assert done.text == "✅ Name saved: Gʻulom Oʻktamov-Ismoilʼ."
    assert isinstance(done.markup(), ReplyKeyboardMarkup)
    assert done.buttons() == ["🗂 My data", "🆘 Support", "⚙️ Settings", "❓ Help", "🌐 Language"]
    assert (await fresh(session, user)).full_name == "Gʻulom Oʻktamov-Ismoilʼ"
    [entry] = (
        await session.scalars(select(AuditEntry).where(AuditEntry.action == "user.profile"))
    ).all()
    assert entry.details == {"field": "full_name"} and entry.object_id == str(user.id)

    # the form is over: the next text is not taken as a name
    after = await client.send(alice, "Вася Пупкин")
    assert after.text.startswith("ℹ️ I did not understand that.")


async def test_cyrillic_names_and_cancel(client, session, alice):
    user = await make_user(session, alice, full_name="Alice")
    card = await client.send(alice, "/mydata")
    await client.press(alice, card.callback_data("✏️ Name"), card.message_id)
    cancelled = await client.send(alice, "/cancel")
    assert cancelled.text == "❌ Cancelled. Nothing was saved."
    assert (await fresh(session, user)).full_name == "Alice"

    await client.press(alice, card.callback_data("✏️ Name"), card.message_id)
    done = await client.send(alice, "Анна-Мария д'Арк Jr.")
    assert done.text.startswith("✅ Name saved")
    assert (await fresh(session, user)).full_name == "Анна-Мария д'Арк Jr."


async def test_email_is_validated_and_stored_without_values_in_the_audit(client, session, alice):
    user = await make_user(session, alice)
    card = await client.send(alice, "/mydata")
    await client.press(alice, card.callback_data("✉️ Email"), card.message_id)

    for typed in ("not-an-email", "a@b", "a b@c.uz", "<a@b.uz>", "x" * 250 + "@b.uz"):
        reply = await client.send(alice, typed)
        assert reply.text.startswith("⚠️ This does not look like an email address."), typed
        assert "aziza@example.com" in reply.text
    assert (await fresh(session, user)).email is None

    done = await client.send(alice, " Aziza.K+bot@Example.COM ")
    assert done.text == "✅ Email saved: Aziza.K+bot@example.com."
    assert (await fresh(session, user)).email == "Aziza.K+bot@example.com"
    [entry] = (
        await session.scalars(select(AuditEntry).where(AuditEntry.action == "user.profile"))
    ).all()
    assert entry.details == {"field": "email"}
    assert "Aziza" not in json.dumps(entry.details)


async def test_the_phone_comes_only_from_the_users_own_contact(client, session, alice):
    user = await make_user(session, alice)
    card = await client.send(alice, "/mydata")
    prompt = await client.press(alice, card.callback_data("📱 Phone"), card.message_id)
    markup = prompt.markup()
    assert isinstance(markup, ReplyKeyboardMarkup)
    [[button]] = markup.keyboard
    assert button.request_contact is True and button.text == "📱 Share my phone number"

    typed = await client.send(alice, "+998901234567")
    assert typed.text.startswith("⚠️ Typed numbers are not accepted")
    assert isinstance(typed.markup(), ReplyKeyboardMarkup)

    someone = Contact(phone_number="+998935550000", first_name="Bob", user_id=BOB.id)
    refused = await client.send(alice, contact=someone)
    assert refused.text.startswith("⚠️ This is someone else's contact.")
    no_account = Contact(phone_number="+998935550000", first_name="Bob")
    assert (await client.send(alice, contact=no_account)).text.startswith("⚠️ This is someone")
    assert (await fresh(session, user)).phone is None
    assert await audit_count(session, "user.profile") == 0

    own = Contact(phone_number="998901234567", first_name="Alice", user_id=alice.id)
    done = await client.send(alice, contact=own)
    assert done.text == "✅ Phone saved: +998 90 123 45 67."
    assert isinstance(done.markup(), ReplyKeyboardMarkup)
    assert (await fresh(session, user)).phone == "+998901234567"
    [entry] = (
        await session.scalars(select(AuditEntry).where(AuditEntry.action == "user.profile"))
    ).all()
    assert entry.details == {"field": "phone"}


async def test_the_language_button_opens_the_language_picker(client, session, alice):
    await make_user(session, alice)
    card = await client.send(alice, "/mydata")
    picker = await client.press(alice, card.callback_data("🌐 Language"), card.message_id)
    assert picker.text == "🌐 Choose your language:"
    assert isinstance(picker.markup(), InlineKeyboardMarkup)
    done = await client.press(alice, picker.callback_data("🇷🇺 Русский"), picker.message_id)
    assert isinstance(done.markup(), ReplyKeyboardMarkup)  # the main menu
    assert (await session.scalar(select(User.language).where(User.telegram_id == alice.id))) == "ru"


# --- /export --------------------------------------------------------------------------------


async def test_export_sends_json_and_xlsx_with_the_users_rows_only(client, session, alice):
    student = await make_user(session, alice, roles=[Role.STUDENT], full_name="Alice Karimova")
    await give_records(session, student.id, tag="English")
    bob = await make_user(session, BOB, roles=[Role.STUDENT])
    await give_records(session, bob.id, tag="Maths", attendance=("absent",) * 6)

    reply = await client.send(alice, "/export")

    kinds = [type(call) for call in reply.calls]
    assert kinds == [SendChatAction, SendDocument, SendDocument]
    assert reply.of(SendChatAction)[0].action == ChatAction.UPLOAD_DOCUMENT
    files = documents(reply)
    today = utcnow().date().isoformat()
    doc = json.loads(files[f"educrm-data-{student.id}-{today}.json"])
    assert (doc["format"], doc["version"], doc["subject_id"]) == ("educrm-export", 1, student.id)
    assert doc["profile"]["full_name"] == "Alice Karimova"
    assert doc["balance"] == -400_000
    assert [row["status"] for row in doc["attendance"]] == ["present", "present", "absent", "late"]
    assert doc["attendance"][0]["lesson_starts_at"] == "2025-01-06T09:00:00+00:00"
    assert {row["group"] for row in doc["attendance"]} == {"English group"}
    assert [row["amount"] for row in doc["payments"]] == [300_000, 500_000]
    assert [row["reversed"] for row in doc["payments"]] == [True, False]
    assert doc["charges"][0]["period"] == "2025-01-01"
    assert [row["role"] for row in doc["roles"]] == ["student"]
    assert len(doc["grades"]) == 2 and len(doc["consents"]) == 1
    assert doc["support_tickets"][0]["text"] == "When is the exam?"
    assert "Maths" not in json.dumps(doc)

    workbook = openpyxl.load_workbook(io.BytesIO(files[f"educrm-data-{student.id}-{today}.xlsx"]))
    assert workbook.sheetnames[:3] == ["profile", "roles", "enrolments"]
    attendance = list(workbook["attendance"].iter_rows(values_only=True))
    assert attendance[0] == ("lesson_id", "group", "lesson_starts_at", "status", "marked_at")
    assert [row[3] for row in attendance[1:]] == ["present", "present", "absent", "late"]
    assert attendance[1][2] == datetime(2025, 1, 6, 9)
    payments = list(workbook["payments"].iter_rows(values_only=True))
    assert [row[1] for row in payments[1:]] == [300_000, 500_000]
    profile = dict(workbook["profile"].iter_rows(min_row=2, values_only=True))
    assert profile["full_name"] == "Alice Karimova" and profile["balance"] == -400_000
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows(values_only=True):
            assert "Maths group" not in row

    [entry] = (
        await session.scalars(select(AuditEntry).where(AuditEntry.action == "data.export"))
    ).all()
    assert (entry.actor_id, entry.object_id) == (student.id, str(student.id))


async def test_an_export_meeting_a_429_sends_both_files_after_the_wait(client, session, alice, bot):
    student = await make_user(session, alice, roles=[Role.STUDENT], full_name="Alice Karimova")
    await give_records(session, student.id, tag="English")
    bot.session.fail_next(SendDocument, 429, "Too Many Requests: retry after 1", retry_after=1)

    reply = await client.send(alice, "/export")

    kinds = [type(call) for call in reply.calls]
    assert kinds == [SendChatAction, SendDocument, SendDocument, SendDocument]
    assert isinstance(reply.results[1], Exception)  # the JSON file, refused once, then again
    today = utcnow().date().isoformat()
    delivered = [
        call.document.filename
        for call, result in zip(reply.calls, reply.results, strict=True)
        if isinstance(call, SendDocument) and not isinstance(result, Exception)
    ]
    assert delivered == [
        f"educrm-data-{student.id}-{today}.json",
        f"educrm-data-{student.id}-{today}.xlsx",
    ]
    assert not reply.of(SendMessage)  # no "something went wrong"


async def test_a_second_export_within_a_minute_is_refused(client, session, alice):
    await make_user(session, alice)
    first = await client.send(alice, "/export")
    assert len(first.of(SendDocument)) == 2

    again = await client.send(alice, "/export")
    assert not again.of(SendDocument) and not again.of(SendChatAction)
    seconds = int(
        re.fullmatch(r"⏳ One copy a minute, please\. Try again in (\d+) s\.", again.text)[1]
    )
    assert 1 <= seconds <= 60
    assert await audit_count(session, "data.export") == 1

    # the clock is the audit log, so it holds after a restart too
    await session.execute(
        update(AuditEntry)
        .where(AuditEntry.action == "data.export")
        .values(at=utcnow() - timedelta(seconds=45))
    )
    await session.commit()
    assert (await client.send(alice, "/export")).text.endswith("Try again in 15 s.")

    await session.execute(
        update(AuditEntry)
        .where(AuditEntry.action == "data.export")
        .values(at=utcnow() - timedelta(seconds=61))
    )
    await session.commit()
    assert len((await client.send(alice, "/export")).of(SendDocument)) == 2
    assert await audit_count(session, "data.export") == 2


async def test_a_parent_chooses_whose_data_to_export(client, session, alice):
    parent = await make_user(session, alice, roles=[Role.PARENT], full_name="Mother")
    child = await make_user(session, roles=[Role.STUDENT], full_name="Son")
    await give_records(session, child.id, tag="Chess")
    await link_parent(session, parent, child)
    stranger = await make_user(session, BOB, roles=[Role.STUDENT])
    await give_records(session, stranger.id, tag="Secret")

    choice = await client.send(alice, "/export")
    assert choice.text == "📦 Whose data should I send?"
    assert choice.buttons() == ["📦 My data", "📦 Son"]

    forged = await client.press(alice, f"md:export:{stranger.id}", choice.message_id)
    assert [answer.text for answer in forged.answers] == [STALE]
    assert not forged.of(SendDocument)

    sent = await client.press(alice, choice.callback_data("📦 Son"), choice.message_id)
    assert len(sent.of(AnswerCallbackQuery)) == 1
    [json_file] = [data for name, data in documents(sent).items() if name.endswith(".json")]
    doc = json.loads(json_file)
    assert doc["subject_id"] == child.id and len(doc["attendance"]) == 4
    assert doc["family"] == [{"relation": "parent", "user_id": parent.id, "full_name": "Mother"}]
    assert "Secret" not in json.dumps(doc)
    entry = await session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "data.export", AuditEntry.outcome == AuditOutcome.OK
        )
    )
    assert (entry.actor_id, entry.object_id) == (parent.id, str(child.id))

    soon = await client.press(alice, choice.callback_data("📦 My data"), choice.message_id)
    [answer] = soon.answers
    assert answer.show_alert is True and "Try again in" in answer.text
    assert not soon.of(SendDocument)
