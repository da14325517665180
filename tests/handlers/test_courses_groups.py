"""Courses, groups with weekly slots, generated lessons, cancelling and moving a lesson —
through the real Dispatcher, as the admin (an owner) types and taps."""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.methods import AnswerCallbackQuery, SendMessage
from sqlalchemy import func, select

from bot.formatting import format_datetime
from bot.jobs.lessons import generate_lessons
from bot.services import academic as academic_service
from bot.services.academic import GroupDraft, SlotSpec
from bot.startup.app import create_dispatcher
from db.base import utcnow
from db.models import (
    Attendance,
    AuditEntry,
    AuditOutcome,
    Course,
    Enrolment,
    Group,
    Lesson,
    LessonStatus,
    ParentLink,
    Permission,
    Role,
    ScheduleSlot,
)
from keyboards.academic import GroupCb, LessonCb
from tests.chat import ChatClient, Person
from tests.factories import make_user

TZ_NAME = "Asia/Tashkent"
STALE = "⚠️ This button is out of date. Open the menu again."
REFUSED = "⚠️ You do not have access to this. If you think you should, ask the administrator."

TEACHER = Person(id=3_000_001, first_name="Aziz", language_code="en")
STUDENT = Person(id=3_000_002, first_name="Ali", language_code="ru")
PARENT = Person(id=3_000_003, first_name="Vali", language_code="uz")


async def count(session, model) -> int:
    session.expire_all()
    return await session.scalar(select(func.count()).select_from(model))


async def make_course(session, name="General English", price=1_250_000) -> Course:
    course = Course(name=name, monthly_price=price, description=None)
    session.add(course)
    await session.commit()
    return course


def expected_starts(weekdays, start: time, now: datetime, settings, weeks=4) -> set[datetime]:
    tz = settings.centre.tz
    today = now.astimezone(tz).date()
    found = set()
    for offset in range(weeks * 7):
        day = today + timedelta(days=offset)
        if day.weekday() in weekdays:
            moment = datetime.combine(day, start, tzinfo=tz).astimezone(UTC)
            if moment > now:
                found.add(moment)
    return found


async def lesson_starts(session, group_id: int) -> set[datetime]:
    session.expire_all()
    rows = await session.scalars(select(Lesson.starts_at).where(Lesson.group_id == group_id))
    return set(rows)


# --- courses ------------------------------------------------------------------------------


async def test_create_a_course_step_by_step_with_bad_prices_refused(client, session, owner):
    await make_user(session, owner)
    listing = await client.send(owner, "/courses")
    assert "No courses yet" in listing.text
    assert listing.buttons() == ["➕ New course", "👥 All groups"]

    step1 = await client.press(owner, listing.callback_data("➕ New course"), listing.message_id)
    assert "Step 1/3 — the course name" in step1.text and "/cancel" in step1.text
    assert "Step 1/3" in (await client.send(owner, "   ")).text  # empty: the step repeats
    step2 = await client.send(owner, "General  English")
    assert "Step 2/3 — a short description" in step2.text
    step3 = await client.press(owner, step2.callback_data("⏭ Skip"), step2.message_id)
    assert "Step 3/3 — the monthly price in soʻm" in step3.text

    for typed, reason in (
        ("abc", "“abc” is not an amount"),
        ("-5", "A price cannot be negative"),
        ("100 000 001", "That is too large: the most is 100,000,000 soʻm"),
        ("12.5", "is not an amount"),
    ):
        reply = await client.send(owner, typed)
        assert reason in reply.text, typed
        assert "Step 3/3" in reply.text
    assert await count(session, Course) == 0

    summary = await client.send(owner, "1.250.000")
    assert "<b>Name:</b> General English" in summary.text
    assert "<b>Monthly price:</b> 1,250,000 soʻm" in summary.text
    assert summary.buttons() == ["✅ Confirm", "✏️ Edit", "❌ Cancel"]
    assert await count(session, Course) == 0  # nothing before ✅

    card = await client.press(owner, summary.callback_data("✅ Confirm"), summary.message_id)
    assert card.answers[0].text == "✅ Saved."
    assert card.text.startswith("📚 <b>General English</b>")
    course = await session.scalar(select(Course))
    assert (course.name, course.monthly_price, course.description) == (
        "General English",
        1_250_000,
        None,
    )
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "course.created"))
    assert entry.object_id == str(course.id) and entry.details["price"] == 1_250_000


async def test_a_course_is_edited_in_place_and_archived(client, session, owner):
    await make_user(session, owner)
    course = await make_course(session)
    await make_course(session, "Mathematics", 900_000)
    listing = await client.send(owner, "/courses")
    assert listing.buttons()[:2] == [
        "General English · 1,250,000 soʻm",
        "Mathematics · 900,000 soʻm",
    ]
    card = await client.press(
        owner, listing.callback_data("General English · 1,250,000 soʻm"), listing.message_id
    )
    step = await client.press(owner, card.callback_data("✏️ Price"), listing.message_id)
    assert "Step 3/3" in step.text
    summary = await client.send(owner, "1 100 000")
    assert "<b>Monthly price:</b> 1,100,000 soʻm" in summary.text
    # a taken name is refused at the step
    edit = await client.press(owner, summary.callback_data("✏️ Edit"), summary.message_id)
    fields = await client.press(owner, edit.callback_data("✏️ Name"), summary.message_id)
    assert "Step 1/3" in fields.text
    taken = await client.send(owner, "mathematics")
    assert "already exists" in taken.text
    summary = await client.send(owner, "English for adults")
    done = await client.press(owner, summary.callback_data("✅ Confirm"), summary.message_id)
    assert done.answers[0].text == "✅ Saved."
    await session.refresh(course)
    assert (course.name, course.monthly_price) == ("English for adults", 1_100_000)
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "course.updated"))
    assert entry.details["changes"]["price"] == [1_250_000, 1_100_000]

    archived = await client.press(owner, done.callback_data("🗄 Archive"), summary.message_id)
    assert archived.answers[0].text == "🗄 The course is archived."
    await session.refresh(course)
    assert course.is_active is False
    assert "♻️ Restore" in archived.buttons()


async def test_lists_are_paged_ten_at_a_time(client, session, owner):
    await make_user(session, owner)
    for number in range(12):
        await make_course(session, f"Course {number:02d}", 100_000)
    first = await client.send(owner, "/courses")
    assert "📚 <b>Courses: 12</b>" in first.text
    assert first.buttons()[9] == "Course 09 · 100,000 soʻm"
    assert first.buttons()[10:12] == ["1/2", "▶"]
    second = await client.press(owner, first.callback_data("▶"), first.message_id)
    assert second.buttons()[:2] == ["Course 10 · 100,000 soʻm", "Course 11 · 100,000 soʻm"]
    assert second.buttons()[2:4] == ["◀", "2/2"]
    same = await client.press(owner, second.callback_data("2/2"), first.message_id)
    assert len(same.answers) == 1  # an unchanged page is no error


async def test_a_course_with_an_active_group_is_not_archived(client, session, owner, settings):
    admin = await make_user(session, owner)
    course = await make_course(session)
    await academic_service.save_group(
        session, admin.id, None, draft(course.id), now=utcnow(), tz=settings.centre.tz
    )
    reply = await client.press(owner, f"co:archive:{course.id}:1:")
    assert "has 1 active groups" in reply.answers[0].text and reply.answers[0].show_alert
    await session.refresh(course)
    assert course.is_active is True


# --- groups -------------------------------------------------------------------------------


def draft(course_id: int, **values) -> GroupDraft:
    base = dict(
        course_id=course_id,
        name="A1 Morning",
        teacher_id=None,
        room="12",
        capacity=12,
        start_date=date(2025, 1, 1),
        end_date=None,
        price_override=None,
        slots=(SlotSpec(0, time(14, 0), 90), SlotSpec(2, time(14, 0), 90)),
    )
    return GroupDraft(**(base | values))


def last_id(reply, previous: int) -> int:
    """The message a reply's buttons live on: a new one, or the one edited."""
    return reply.message_id if reply.of(SendMessage) else previous


async def fill_group_form(client, owner, *, name="A1 Morning", teacher="Aziz Karimov"):
    """From /groups to the summary: course, name, teacher, room, capacity, dates, price,
    Monday and Wednesday 14:00 for 90 minutes. Returns the last reply and its message."""
    listing = await client.send(owner, "/groups")
    mid = listing.message_id
    step = await client.press(owner, listing.callback_data("➕ New group"), mid)
    assert "Step 1/9 — choose the course:" in step.text
    step = await client.press(owner, step.callback_data("General English"), mid)
    assert "Step 2/9 — the group name" in step.text
    step = await client.send(owner, name)
    assert "Step 3/9 — choose the teacher:" in step.text
    mid = step.message_id
    step = await client.press(owner, step.callback_data(teacher), mid)
    assert "Step 4/9 — the room" in step.text
    step = await client.send(owner, "Room 12")
    assert "Step 5/9" in step.text
    step = await client.send(owner, "12")
    assert "Step 6/9 — the start date" in step.text
    step = await client.send(owner, "01.01.2025")
    assert "Step 7/9 — the end date" in step.text
    mid = step.message_id
    step = await client.press(owner, step.callback_data("⏭ Skip"), mid)
    assert "Step 8/9 — the monthly price" in step.text and "1,250,000 soʻm" in step.text
    step = await client.press(owner, step.callback_data("⏭ Use the course price"), mid)
    assert "Step 9/9 — the weekly timetable" in step.text and TZ_NAME in step.text
    for day in ("Mon", "Wed"):
        step = await client.press(owner, step.callback_data(day), mid)
        assert "send the start time and the length" in step.text
        step = await client.send(owner, "14:00 90")
        assert step.text.startswith("✅ Added.")
        mid = step.message_id
    summary = await client.press(owner, step.callback_data("✅ Done"), mid)
    summary.mid = mid
    return summary


async def test_create_a_group_with_two_slots_and_lessons_are_generated(
    client, session, session_factory, owner, settings
):
    await make_user(session, owner)
    await make_user(session, TEACHER, roles=[Role.TEACHER], full_name="Aziz Karimov")
    await make_course(session)

    summary = await fill_group_form(client, owner)
    assert "<b>Teacher:</b> Aziz Karimov" in summary.text
    assert "<b>Monthly price:</b> 1,250,000 soʻm (the course price)" in summary.text
    assert "Mon 14:00–15:30" in summary.text and "Wed 14:00–15:30" in summary.text
    assert await count(session, Group) == 0  # nothing before ✅

    saved = await client.press(owner, summary.callback_data("✅ Confirm"), summary.mid)
    assert saved.answers[0].text == "✅ Saved."
    group = await session.scalar(select(Group))
    group_id = group.id
    assert (group.name, group.room, group.capacity, group.price_override) == (
        "A1 Morning",
        "Room 12",
        12,
        None,
    )
    slots = (await session.scalars(select(ScheduleSlot).order_by(ScheduleSlot.weekday))).all()
    assert [(s.weekday, s.start_time, s.duration_minutes) for s in slots] == [
        (0, time(14, 0), 90),
        (2, time(14, 0), 90),
    ]
    # the lessons of the next four weeks, at 14:00 Tashkent (09:00 UTC)
    now = utcnow()
    starts = await lesson_starts(session, group_id)
    assert starts == expected_starts({0, 2}, time(14, 0), now, settings)
    assert all(moment.astimezone(UTC).hour == 9 for moment in starts)
    assert f"Lessons added: {len(starts)}, removed: 0" in saved.text
    assert "👩‍🏫 Teacher: Aziz Karimov" in saved.text

    # the daily job, twice: the same rows
    assert await generate_lessons(session_factory, settings, now=now) == 0
    assert await generate_lessons(session_factory, settings, now=now) == 0
    assert await lesson_starts(session, group_id) == starts
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "group.created"))
    assert entry.details["lessons_added"] == len(starts)


class JsonStorage(MemoryStorage):
    """Stores the form data as Redis would: through JSON and back."""

    async def set_data(self, key, data) -> None:
        await super().set_data(key, json.loads(json.dumps(dict(data))))


async def test_the_group_form_survives_json_like_redis(
    bot, session, session_factory, owner, settings
):
    client = ChatClient(bot, create_dispatcher(settings, session_factory, storage=JsonStorage()))
    await make_user(session, owner)
    await make_user(session, TEACHER, roles=[Role.TEACHER], full_name="Aziz Karimov")
    await make_course(session)
    menu = await client.send(owner, "/start")
    assert "📚 Courses" in menu.buttons()
    assert "📚 <b>Courses: 1</b>" in (await client.send(owner, "📚 Courses")).text
    summary = await fill_group_form(client, owner)
    saved = await client.press(owner, summary.callback_data("✅ Confirm"), summary.mid)
    assert saved.answers[0].text == "✅ Saved."
    assert await count(session, ScheduleSlot) == 2


async def test_bad_group_answers_repeat_the_step_and_write_nothing(client, session, owner):
    await make_user(session, owner)
    await make_course(session)
    listing = await client.send(owner, "/groups")
    step = await client.press(owner, listing.callback_data("➕ New group"), listing.message_id)
    step = await client.press(owner, step.callback_data("General English"), listing.message_id)
    assert "This cannot be empty" in (await client.send(owner, "  ")).text  # an empty name
    step = await client.send(owner, "A1")
    assert "Nobody has the teacher role yet" in step.text
    assert "Please choose with the buttons" in (await client.send(owner, "Aziz")).text
    step = await client.press(owner, step.callback_data("🚫 No teacher yet"), step.message_id)
    step = await client.send(owner, "-")  # no room
    assert "Step 5/9" in step.text
    for typed in ("0", "abc", "500"):
        assert "Step 5/9" in (await client.send(owner, typed)).text
    await client.send(owner, "10")
    reply = await client.send(owner, "31.02.2026")
    assert "31.02.2026 does not exist: that month has 28 days" in reply.text
    assert "Step 6/9" in reply.text
    assert "DD.MM.YYYY" in (await client.send(owner, "2026-02-01")).text
    await client.send(owner, "01.02.2026")
    reply = await client.send(owner, "01.01.2026")
    assert "The end date cannot be before the start date" in reply.text
    await client.send(owner, "30.06.2026")
    reply = await client.send(owner, "-5")
    assert "A price cannot be negative" in reply.text and "Step 8/9" in reply.text
    step = await client.send(owner, "1 000 000")
    assert "Step 9/9" in step.text
    reply = await client.send(owner, "14:00 90")
    assert "Tap a weekday first" in reply.text
    assert "✅ Done" not in reply.buttons()  # offered once a lesson is in the list
    done = await client.press(owner, GroupCb(action="slotsdone").pack())
    assert "Add at least one weekly lesson" in done.answers[0].text
    step = await client.press(owner, reply.callback_data("Tue"), reply.message_id)
    reply = await client.send(owner, "25:00 90")
    assert "25:00 is not a time of day" in reply.text
    reply = await client.send(owner, "14:00")
    assert "the length in minutes" in reply.text
    reply = await client.send(owner, "10:00 90")
    step = await client.press(owner, reply.callback_data("Tue"), reply.message_id)
    reply = await client.send(owner, "11:00 60")
    assert "That overlaps Tue 10:00–11:30 of this group" in reply.text
    summary = await client.press(owner, reply.callback_data("✅ Done"), reply.message_id)
    assert (
        "<b>Monthly price:</b> 1,000,000 soʻm (the course price is 1,250,000 soʻm)"
    ) in summary.text
    assert await count(session, Group) == 0
    cancelled = await client.send(owner, "/cancel")
    assert cancelled.text == "❌ Cancelled. Nothing was saved."
    assert await count(session, Group) == 0 and await count(session, ScheduleSlot) == 0
    stale = await client.press(owner, summary.callback_data("✅ Confirm"))
    assert stale.answers[0].text == STALE
    assert await count(session, Group) == 0


async def test_overlapping_slots_of_one_teacher_warn_and_can_be_confirmed(
    client, session, owner, settings
):
    admin = await make_user(session, owner)
    teacher = await make_user(session, TEACHER, roles=[Role.TEACHER], full_name="Aziz Karimov")
    course = await make_course(session)
    await academic_service.save_group(
        session,
        admin.id,
        None,
        draft(
            course.id,
            name="B1 Evening",
            teacher_id=teacher.id,
            room="7",
            slots=(SlotSpec(0, time(15, 0), 60),),
        ),
        now=utcnow(),
        tz=settings.centre.tz,
    )
    summary = await fill_group_form(client, owner)
    warned = await client.press(owner, summary.callback_data("✅ Confirm"), summary.mid)
    assert "⚠️ <b>The timetable overlaps other groups</b>" in warned.text
    assert "Mon 14:00–15:30 overlaps Mon 15:00–16:00 of group B1 Evening (same teacher)" in (
        warned.text
    )
    assert warned.buttons() == ["⚠️ Save anyway", "✏️ Edit", "❌ Cancel"]
    assert await count(session, Group) == 1
    saved = await client.press(owner, warned.callback_data("⚠️ Save anyway"), summary.mid)
    assert saved.answers[0].text == "✅ Saved."
    assert await count(session, Group) == 2
    entry = await session.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == "group.created")
        .order_by(AuditEntry.id.desc())
    )
    assert entry.details["overlaps_confirmed"] is True


async def test_a_group_is_edited_from_its_card_and_its_lessons_follow(
    client, session, owner, settings
):
    admin = await make_user(session, owner)
    course = await make_course(session)
    result = await academic_service.save_group(
        session, admin.id, None, draft(course.id), now=utcnow(), tz=settings.centre.tz
    )
    group_id = result.group.id
    card = await client.press(owner, GroupCb(action="card", id=group_id).pack())
    assert card.text.startswith("👥 <b>A1 Morning</b> · General English")
    assert "👤 Students: 0/12" in card.text
    message_id = card.message_id
    step = await client.press(owner, card.callback_data("✏️ Timetable"), message_id)
    assert "Mon 14:00–15:30" in step.text
    step = await client.press(owner, step.callback_data("🗑 Wed 14:00–15:30"), message_id)
    step = await client.press(owner, step.callback_data("Thu"), message_id)
    reply = await client.send(owner, "16:00 60")
    summary = await client.press(owner, reply.callback_data("✅ Done"), reply.message_id)
    assert "<b>Status:</b> 🟢 active" in summary.text
    saved = await client.press(owner, summary.callback_data("✅ Confirm"), reply.message_id)
    assert saved.answers[0].text == "✅ Saved."
    now = utcnow()
    starts = await lesson_starts(session, group_id)
    assert starts == expected_starts({0}, time(14, 0), now, settings) | expected_starts(
        {3}, time(16, 0), now, settings
    )
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "group.updated"))
    assert entry.details["changes"]["slots"] == [
        ["0 14:00 90", "2 14:00 90"],
        ["0 14:00 90", "3 16:00 60"],
    ]


async def test_teacher_student_and_admin_without_academic_are_refused(client, session, owner):
    await make_user(session, owner)
    course = await make_course(session)
    await make_user(session, TEACHER, roles=[Role.TEACHER])
    await make_user(session, STUDENT, roles=[Role.STUDENT])
    clerk = Person(id=3_000_009, first_name="Clerk", language_code="en")
    await make_user(session, clerk, roles=[Role.ADMIN], permissions=[Permission.PAYMENTS])
    for person in (TEACHER, STUDENT, clerk):
        for data in (
            f"gr:card:{course.id}:1:",
            "gr:new:0:1:",
            f"co:archive:{course.id}:1:",
            "ls:cancel_yes:1:1",
            "en:yes:0:1:1:1:over",
        ):
            reply = await client.press(person, data)
            assert reply.answers[0].text == REFUSED, (person.first_name, data)
            assert reply.answers[0].show_alert is True
        assert (await client.send(person, "/courses")).text == REFUSED
    denied = (
        await session.scalars(select(AuditEntry).where(AuditEntry.outcome == AuditOutcome.DENIED))
    ).all()
    assert len(denied) == 3 * 6
    assert {entry.details["needs"] for entry in denied} == {"academic"}
    await session.refresh(course)
    assert course.is_active is True


# --- one lesson: cancel and move ----------------------------------------------------------


async def a_group_with_people(session, settings, owner):
    """A group with Ali (ru, a student), Vali (uz, his parent) and Aziz (en, the teacher)."""
    admin = await make_user(session, owner)
    teacher = await make_user(session, TEACHER, roles=[Role.TEACHER], full_name="Aziz")
    student = await make_user(
        session, STUDENT, roles=[Role.STUDENT], language="ru", full_name="Ali"
    )
    parent = await make_user(session, PARENT, roles=[Role.PARENT], language="uz", full_name="Vali")
    session.add(ParentLink(parent_id=parent.id, student_id=student.id))
    course = await make_course(session)
    result = await academic_service.save_group(
        session,
        admin.id,
        None,
        draft(course.id, teacher_id=teacher.id),
        now=utcnow(),
        tz=settings.centre.tz,
    )
    session.add(
        Enrolment(student_id=student.id, group_id=result.group.id, joined_on=date(2025, 1, 1))
    )
    await session.commit()
    lesson = await session.scalar(
        select(Lesson).where(Lesson.group_id == result.group.id).order_by(Lesson.starts_at)
    )
    return result.group, LessonRef(lesson.id, lesson.starts_at)


@dataclass(frozen=True)
class LessonRef:
    id: int
    starts_at: datetime


async def lesson_row(session, lesson_id: int) -> tuple[datetime, str]:
    row = await session.execute(
        select(Lesson.starts_at, Lesson.status).where(Lesson.id == lesson_id)
    )
    return tuple(row.one())


def sent_to(reply, person: Person) -> list[str]:
    return [call.text for call in reply.of(SendMessage) if call.chat_id == person.id]


async def test_cancel_a_lesson_tells_student_parent_and_teacher_once(
    client, session, owner, settings
):
    group, lesson = await a_group_with_people(session, settings, owner)
    listing = await client.press(owner, LessonCb(action="list", id=group.id).pack())
    assert listing.text.startswith("📅 <b>Lessons of A1 Morning</b>")
    first_label = format_datetime(lesson.starts_at, settings.centre.tz, "en")
    card = await client.press(owner, listing.callback_data(first_label), listing.message_id)
    ask = await client.press(owner, card.callback_data("❌ Cancel lesson"), listing.message_id)
    assert "Its students, their parents and the teacher will be told" in ask.text
    assert ask.buttons() == ["❌ Cancel the lesson", "Keep the lesson"]
    assert (await lesson_row(session, lesson.id))[1] == LessonStatus.SCHEDULED

    done = await client.press(owner, ask.callback_data("❌ Cancel the lesson"), listing.message_id)
    assert done.answers[0].text == "✅ Cancelled."
    assert "📨 Notices sent: 3." in done.text
    assert (await lesson_row(session, lesson.id))[1] == LessonStatus.CANCELLED
    tz = settings.centre.tz
    [to_student] = sent_to(done, STUDENT)
    [to_parent] = sent_to(done, PARENT)
    [to_teacher] = sent_to(done, TEACHER)
    assert "Урок отменён" in to_student  # the student reads Russian
    assert format_datetime(lesson.starts_at, tz, "ru") in to_student  # in Russian
    assert format_datetime(lesson.starts_at, tz, "uz") in to_parent  # in Uzbek
    assert "Ali" in to_parent and "For:" not in to_student
    assert format_datetime(lesson.starts_at, tz, "en") in to_teacher
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "lesson.cancelled"))
    assert entry.object_id == str(lesson.id)

    again = await client.press(owner, ask.callback_data("❌ Cancel the lesson"), listing.message_id)
    assert "not scheduled any more" in again.answers[0].text
    assert not again.of(SendMessage)  # told once
    cancelled = select(func.count()).where(AuditEntry.action == "lesson.cancelled")
    assert await session.scalar(cancelled) == 1


async def test_move_a_lesson_and_bad_times_are_refused(client, session, owner, settings):
    group, lesson = await a_group_with_people(session, settings, owner)
    tz = settings.centre.tz
    card = await client.press(owner, LessonCb(action="card", id=lesson.id).pack())
    step = await client.press(owner, card.callback_data("🕘 Move"), card.message_id)
    assert "Step 1/2 — the new date" in step.text
    assert "does not exist" in (await client.send(owner, "31.02.2030")).text
    yesterday = (utcnow().astimezone(tz).date() - timedelta(days=1)).strftime("%d.%m.%Y")
    assert "That time has already passed" in (await client.send(owner, yesterday)).text
    new_day = lesson.starts_at.astimezone(tz).date() + timedelta(days=1)
    step = await client.send(owner, new_day.strftime("%d.%m.%Y"))
    assert "Step 2/2 — the new start time" in step.text
    reply = await client.send(owner, "25:00")
    assert "25:00 is not a time of day" in reply.text and "Step 2/2" in reply.text
    summary = await client.send(owner, "16:30")
    new_start = datetime.combine(new_day, time(16, 30), tzinfo=tz).astimezone(UTC)
    assert f"Now: {format_datetime(new_start, tz, 'en')}" in summary.text
    assert (await lesson_row(session, lesson.id))[0] == lesson.starts_at  # not before ✅

    done = await client.press(owner, summary.callback_data("✅ Confirm"), summary.message_id)
    assert done.answers[0].text == "✅ Saved."
    assert await lesson_row(session, lesson.id) == (new_start, LessonStatus.SCHEDULED)
    # a cancelled lesson holds the old slot time, so the generator does not bring it back
    old = await session.scalar(
        select(Lesson).where(Lesson.group_id == group.id, Lesson.starts_at == lesson.starts_at)
    )
    assert old.status == LessonStatus.CANCELLED
    [to_student] = sent_to(done, STUDENT)
    assert format_datetime(lesson.starts_at, tz, "ru") in to_student
    assert format_datetime(new_start, tz, "ru") in to_student
    assert len(sent_to(done, PARENT)) == 1 and len(sent_to(done, TEACHER)) == 1


async def test_a_lesson_with_attendance_or_in_the_past_is_not_changed(
    client, session, owner, settings
):
    group, lesson = await a_group_with_people(session, settings, owner)
    student_id = await session.scalar(select(Enrolment.student_id))
    session.add(Attendance(lesson_id=lesson.id, student_id=student_id, status="present"))
    past = Lesson(
        group_id=group.id,
        starts_at=utcnow() - timedelta(days=2),
        duration_minutes=90,
        status=LessonStatus.SCHEDULED,
    )
    session.add(past)
    await session.commit()
    marked = await client.press(owner, LessonCb(action="cancel_yes", id=lesson.id).pack())
    assert "Attendance was already taken" in marked.answers[0].text
    over = await client.press(owner, LessonCb(action="cancel_yes", id=past.id).pack())
    assert "already begun or is over" in over.answers[0].text
    moved = await client.press(owner, LessonCb(action="move", id=past.id).pack())
    assert "already begun or is over" in moved.answers[0].text
    missing = await client.press(owner, LessonCb(action="card", id=999_999).pack())
    assert missing.answers[0].text == STALE
    session.expire_all()
    statuses = set(await session.scalars(select(Lesson.status)))
    assert statuses == {LessonStatus.SCHEDULED}
    assert not marked.of(SendMessage) and not over.of(SendMessage)
    assert all(isinstance(call, AnswerCallbackQuery) for call in marked.calls)


async def test_the_lesson_card_opens_the_attendance_sheet_for_an_admin(
    client, session, owner, settings
):
    group, lesson = await a_group_with_people(session, settings, owner)
    listing = await client.press(owner, LessonCb(action="list", id=group.id).pack())
    first_label = format_datetime(lesson.starts_at, settings.centre.tz, "en")
    card = await client.press(owner, listing.callback_data(first_label), listing.message_id)
    assert "📋 Attendance" in card.buttons()

    sheet = await client.press(owner, card.callback_data("📋 Attendance"), listing.message_id)

    assert "out of date" not in (sheet.answers[0].text or "")
    assert "📋 <b>Attendance</b> · A1 Morning" in sheet.text
