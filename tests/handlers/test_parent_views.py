"""/children: a parent sees each linked child's schedule, attendance, grades and homework,
edited in place; a child who is not linked is refused and the attempt audited."""

from datetime import timedelta

from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendDocument, SendMessage
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEntry, AuditOutcome, ParentLink, Role
from keyboards.student import ChildPageCb, ParentChildCb
from tests.chat import Person
from tests.factories import link_parent, make_enrolment, make_group, make_lessons, make_user
from tests.handlers.test_student_views import (
    NOW,
    STALE,
    fixed_clock,  # noqa: F401  (the autouse clock of the student views)
    grade,
    homework,
    mark,
    utc,
)

PARENT = Person(id=3_500_001, first_name="Dilnoza", language_code="en")
VIEWS = ["📅 Schedule", "📋 Attendance", "📝 Grades", "📚 Homework"]


async def child_with_records(session: AsyncSession, name: str, telegram_id: int, tag: str):
    child = await make_user(
        session, Person(id=telegram_id, first_name=name), roles=[Role.STUDENT], full_name=name
    )
    group = await make_group(session, f"{tag} group", course=f"{tag} course")
    await make_enrolment(session, child.id, group)
    lessons = await make_lessons(session, group, [utc(4, 9), utc(2, 9)])
    await mark(session, child.id, lessons[1:], ["late"])
    await grade(session, child.id, group, utc(3, 10), 8, kind="exam", comment=f"{tag} comment")
    return child, group


async def denials(session: AsyncSession) -> list[AuditEntry]:
    rows = await session.scalars(
        select(AuditEntry).where(AuditEntry.outcome == AuditOutcome.DENIED)
    )
    return list(rows.all())


async def test_a_parent_with_two_children_sees_each_childs_views_in_place(client, session):
    parent = await make_user(session, PARENT, roles=[Role.PARENT])
    aziz, _ = await child_with_records(session, "Aziz <A>", 3_500_010, "English")
    malika, _ = await child_with_records(session, "Malika", 3_500_011, "Maths")
    await link_parent(session, parent.id, aziz.id)
    await link_parent(session, parent.id, malika.id)

    menu = await client.send(PARENT, "/start")
    assert "👨‍👩‍👧 Children" in menu.buttons()
    assert "📅 Schedule" not in menu.buttons()  # the student's menu, not the parent's

    listing = await client.send(PARENT, "👨‍👩‍👧 Children")
    assert listing.text == "👨‍👩‍👧 <b>Your children</b>\n\nChoose a child:"
    assert listing.buttons() == ["👤 Aziz <A>", "👤 Malika"]
    message_id = listing.message_id

    card = await client.press(PARENT, listing.callback_data("👤 Aziz <A>"), message_id)
    assert card.text == "👤 <b>Aziz &lt;A&gt;</b>\n\nWhat would you like to see?"
    assert card.buttons() == [*VIEWS, "💰 Balance", "⬅ Back"]
    assert card.of(EditMessageText) and not card.of(SendMessage)  # edited in place

    schedule = await client.press(PARENT, card.callback_data("📅 Schedule"), message_id)
    assert schedule.of(EditMessageText) and not schedule.of(SendMessage)
    assert schedule.text.startswith("📅 <b>Schedule of Aziz &lt;A&gt;</b>")
    assert "<b>Today, Wed, 4 Mar</b>\n• 14:00–15:30 · English group (English course)" in (
        schedule.text
    )
    assert "Maths" not in schedule.text
    assert schedule.buttons() == ["⬅ Back"]

    back = await client.press(PARENT, schedule.callback_data("⬅ Back"), message_id)
    assert back.text == card.text
    attendance = await client.press(PARENT, back.callback_data("📋 Attendance"), message_id)
    assert "⏰ late: 1" in attendance.text and "100%, marked lessons: 1" in attendance.text
    back = await client.press(PARENT, attendance.callback_data("⬅ Back"), message_id)
    home = await client.press(PARENT, back.callback_data("⬅ Back"), message_id)
    assert home.text == listing.text

    card = await client.press(PARENT, home.callback_data("👤 Malika"), message_id)
    grades = await client.press(PARENT, card.callback_data("📝 Grades"), message_id)
    assert grades.text.startswith("📝 <b>Grades of Malika</b>")
    assert "• Tue, 3 Mar · <b>8/10</b> · exam — <i>Maths comment</i>" in grades.text
    assert "English" not in grades.text

    # Every press was answered exactly once; nothing was refused or written.
    assert await denials(session) == []


async def test_a_parent_with_one_child_goes_straight_to_the_card(client, bot, session):
    parent = await make_user(session, PARENT, roles=[Role.PARENT])
    child, group = await child_with_records(session, "Aziz", 3_500_010, "English")
    await link_parent(session, parent.id, child.id)
    await homework(
        session,
        group,
        "Read chapter 3",
        due_at=NOW + timedelta(days=2),
        attachments=["document:doc-1"],
    )
    bot.session.telegram.uploads["doc-1"] = ("task.pdf", b"%PDF")

    card = await client.send(PARENT, "/children")

    assert card.text == "👤 <b>Aziz</b>\n\nWhat would you like to see?"
    assert card.buttons() == [*VIEWS, "💰 Balance"]  # no list to go back to
    tasks = await client.press(PARENT, card.callback_data("📚 Homework"), card.message_id)
    assert tasks.text.startswith("📚 <b>Homework of Aziz</b>")
    assert "1. <b>English group</b> (English course) · due Fri, 6 Mar · 11:00" in tasks.text
    assert tasks.buttons() == ["📎 Files of #1", "⬅ Back"]

    files = await client.press(PARENT, tasks.callback_data("📎 Files of #1"), card.message_id)
    [document] = files.of(SendDocument)
    assert (document.chat_id, document.document) == (PARENT.id, "doc-1")
    assert len(files.of(AnswerCallbackQuery)) == 1


async def test_a_forged_child_id_is_refused_and_audited(client, session):
    parent = await make_user(session, PARENT, roles=[Role.PARENT])
    mine, _ = await child_with_records(session, "Aziz", 3_500_010, "English")
    stranger, strangers_group = await child_with_records(session, "Stranger", 3_500_012, "Secret")
    await link_parent(session, parent.id, mine.id)
    foreign_task = await homework(
        session, strangers_group, "Secret task", due_at=NOW, attachments=["document:doc-9"]
    )
    card = await client.send(PARENT, "/children")

    for data in (
        ParentChildCb(action="view", child=stranger.id, view="g").pack(),
        ParentChildCb(action="card", child=stranger.id).pack(),
        ParentChildCb(action="file", child=stranger.id, item=foreign_task.id).pack(),
        # A linked child, but someone else's homework.
        ParentChildCb(action="file", child=mine.id, item=foreign_task.id).pack(),
        # Not a child at all: the parent's own id.
        ParentChildCb(action="view", child=parent.id, view="s").pack(),
    ):
        reply = await client.press(PARENT, data, card.message_id)
        assert [a.text for a in reply.of(AnswerCallbackQuery)] == [STALE]
        assert not reply.of(EditMessageText) and not reply.of(SendMessage)
        assert not reply.of(SendDocument)

    entries = await denials(session)
    assert [(e.actor_id, e.action) for e in entries] == [
        (parent.id, "child.view"),
        (parent.id, "child.view"),
        (parent.id, "child.view"),
        (parent.id, "homework.files"),
        (parent.id, "child.view"),
    ]
    assert entries[0].details == {"child": stranger.id, "action": "view", "view": "g"}
    assert entries[3].details == {"child": mine.id, "homework": foreign_task.id}


async def test_an_unlinked_child_disappears_from_the_parent(client, session):
    parent = await make_user(session, PARENT, roles=[Role.PARENT])
    child, _ = await child_with_records(session, "Aziz", 3_500_010, "English")
    await link_parent(session, parent.id, child.id)
    card = await client.send(PARENT, "/children")
    data = card.callback_data("📝 Grades")

    link_row = await session.scalar(select(ParentLink))
    await session.delete(link_row)
    await session.commit()

    stale = await client.press(PARENT, data, card.message_id)
    assert [a.text for a in stale.answers] == [STALE]
    assert (await client.send(PARENT, "/children")).text.startswith(
        "ℹ️ No children are linked to you yet."
    )


async def test_children_is_for_parents_only(client, session):
    student = Person(id=3_500_020, first_name="Student", language_code="en")
    await make_user(session, student, roles=[Role.STUDENT])

    reply = await client.send(student, "/children")

    assert reply.text.startswith("⚠️ You do not have access to this.")


async def test_a_childs_long_view_is_one_message_of_pages_re_checked_on_every_tap(client, session):
    parent = await make_user(session, PARENT, roles=[Role.PARENT])
    child, group = await child_with_records(session, "Aziz", 3_500_010, "English")
    stranger, _ = await child_with_records(session, "Stranger", 3_500_012, "Secret")
    await link_parent(session, parent.id, child.id)
    for i in range(299):  # with the one of child_with_records: 300 grades
        await grade(session, child.id, group, utc(1, 0) - timedelta(hours=i), 5, comment=f"n{i}")
    card = await client.send(PARENT, "/children")

    grades = await client.press(PARENT, card.callback_data("📝 Grades"), card.message_id)

    assert grades.of(EditMessageText) and not grades.of(SendMessage)  # in place, one message
    assert grades.text.startswith("📝 <b>Grades of Aziz</b>")
    assert grades.buttons() == ["1/30", "▶", "⬅ Back"]
    assert grades.text.count("\n• ") == 10
    second = await client.press(PARENT, grades.callback_data("▶"), card.message_id)
    assert second.of(EditMessageText) and not second.of(SendMessage)
    assert second.buttons() == ["◀", "2/30", "▶", "⬅ Back"]
    assert second.text.count("\n• ") == 10 and "n9</i>" in second.text
    assert "n9</i>" not in grades.text
    assert all(len(second.callback_data(text).encode()) <= 64 for text in second.buttons())

    # the same page of a child who is not the parent's, or a page there is not
    for data in (
        ChildPageCb(child=stranger.id, view="g", page=2).pack(),
        ChildPageCb(child=parent.id, view="g", page=1).pack(),
        ChildPageCb(child=child.id, view="g", page=31).pack(),
        ChildPageCb(child=child.id, view="g", page=0).pack(),
    ):
        refused = await client.press(PARENT, data, card.message_id)
        assert [a.text for a in refused.answers] == [STALE], data
        assert not refused.of(EditMessageText) and not refused.of(SendMessage)
    entries = await denials(session)
    assert [(e.actor_id, e.action) for e in entries] == [(parent.id, "child.view")] * 2
    assert entries[0].details == {"child": stranger.id, "action": "page", "view": "g", "page": 2}

    # unlinked meanwhile: the next tap is refused as well
    await session.delete(await session.scalar(select(ParentLink)))
    await session.commit()
    late = await client.press(PARENT, second.callback_data("▶"), card.message_id)
    assert [a.text for a in late.answers] == [STALE] and not late.of(EditMessageText)
