"""Class reminders: an hour before a scheduled lesson to its active students (and parents
when the setting says so), once; a moved lesson is reminded of at its new time, a
cancelled one never; quiet hours; never after the lesson began."""

import asyncio
from datetime import date, datetime, timedelta

from sqlalchemy import select

from bot.jobs.class_reminders import send_class_reminders
from bot.services.consent import Choices
from bot.services.reminders import lesson_key
from db.models import (
    Course,
    EnrolmentStatus,
    Group,
    Lesson,
    LessonStatus,
    NotificationLog,
)
from tests.chat import Person
from tests.conftest import make_settings
from tests.factories import make_course, make_enrolment, make_group, make_lesson
from tests.jobs.test_payment_reminders import (
    ALI,
    MOTHER,
    chats,
    local,
    make_parent,
    make_student,
    messages,
    sender_for,
)

DAY = date(2026, 3, 3)  # a Tuesday
BOB = Person(id=3_200_002, first_name="Bob", language_code="en")
CARL = Person(id=3_200_003, first_name="Carl", language_code="en")


async def make_class(session, starts_at: datetime, *, name: str = "A1 <evening>") -> int:
    """A lesson of group `name` (made on first use, of the course "English & more")."""
    course = await session.scalar(select(Course).where(Course.name == "English & more"))
    course = course or await make_course(
        session, "English & more", monthly_price=500_000, commit=False
    )
    group = await session.scalar(select(Group).where(Group.name == name))
    group = group or await make_group(
        session, name, course=course, room="12", start_date=date(2026, 1, 1), capacity=10
    )
    return (await make_lesson(session, group, starts_at)).id


async def enrol(session, lesson_id: int, student_id: int, status=EnrolmentStatus.ACTIVE) -> None:
    group_id = await session.scalar(select(Lesson.group_id).where(Lesson.id == lesson_id))
    await make_enrolment(session, student_id, group_id, joined_on=date(2026, 1, 1), status=status)


async def class_of_three(session, starts_at: datetime):
    """Ali (active, with a mother), Bob (frozen) and Carl (left) in one lesson."""
    ali = await make_student(session)
    mother = await make_parent(session, ali.id)
    bob = await make_student(session, BOB, name="Bob")
    carl = await make_student(session, CARL, name="Carl")
    lesson_id = await make_class(session, starts_at)
    await enrol(session, lesson_id, ali.id)
    await enrol(session, lesson_id, bob.id, EnrolmentStatus.FROZEN)
    await enrol(session, lesson_id, carl.id, EnrolmentStatus.LEFT)
    return ali, mother, lesson_id


async def test_an_hour_before_once_to_active_students(session_factory, session, bot, settings):
    ali, _mother, lesson_id = await class_of_three(session, local(DAY, 14))
    sender = sender_for(session_factory)

    async def run(hour: int, minute: int = 0) -> int:
        moment = local(DAY, hour, minute)
        return (await send_class_reminders(session_factory, bot, sender, settings, moment)).sent

    assert await run(12, 59) == 0
    assert await run(13) == 1
    assert await run(13, 1) == 0
    assert await run(13, 30) == 0
    assert await run(14) == 0
    assert chats(bot) == [ALI.id]  # not the frozen, not the one who left, not the parent
    [call] = messages(bot)
    assert call.text.splitlines() == [
        "🔔 <b>Lesson in 60 minutes</b> · Tue, 3 Mar · 14:00",
        "📚 English &amp; more · A1 &lt;evening&gt;",
        "🚪 Room: 12",
        "",
        "To stop these reminders: /settings",
    ]
    [row] = (await session.scalars(select(NotificationLog))).all()
    assert (row.user_id, row.kind, row.status) == (ali.id, "lesson_soon", "sent")
    assert row.key == lesson_key(lesson_id, local(DAY, 14), ali.id)


async def test_parents_when_the_setting_says_so(database_url, session_factory, session, bot):
    settings = make_settings(database_url, class_reminder_parents=True)
    await class_of_three(session, local(DAY, 14))
    sender = sender_for(session_factory)

    moment = local(DAY, 13, 20)  # the job was down at 13:00: still before the lesson
    counts = await send_class_reminders(session_factory, bot, sender, settings, moment)
    assert counts.sent == 2
    assert chats(bot) == [ALI.id, MOTHER.id]
    to_mother = next(call for call in messages(bot) if call.chat_id == MOTHER.id)
    title, student = to_mother.text.splitlines()[:2]
    assert title.endswith(" · вт, 3 мар. · 14:00")  # her language's date
    assert student.endswith(" Ali &lt;Valiyev&gt;")
    to_ali = next(call for call in messages(bot) if call.chat_id == ALI.id)
    assert to_ali.text.startswith("🔔 <b>Lesson in 40 minutes</b> · Tue, 3 Mar · 14:00\n📚")


async def test_a_moved_lesson_is_reminded_of_at_its_new_time(
    session_factory, session, bot, settings
):
    _ali, _mother, lesson_id = await class_of_three(session, local(DAY, 14))
    other = await make_class(session, local(DAY, 15), name="B2")
    sender = sender_for(session_factory)

    async def run(hour: int, minute: int = 0) -> int:
        moment = local(DAY, hour, minute)
        return (await send_class_reminders(session_factory, bot, sender, settings, moment)).sent

    async def move(lesson: int, hour: int) -> None:
        (await session.get(Lesson, lesson)).starts_at = local(DAY, hour)
        await session.commit()

    # Moved before its reminder went out: nothing at the old time, one at the new.
    await move(lesson_id, 17)
    assert await run(13) == 0
    assert await run(16) == 1
    assert "· Tue, 3 Mar · 17:00" in messages(bot)[-1].text

    # Reminded, then moved to later the same day: a fresh reminder for the new time.
    await enrol(session, other, _ali.id)
    assert await run(14) == 1
    await move(other, 18)
    assert await run(14, 30) == 0
    assert await run(17) == 1
    assert "· Tue, 3 Mar · 18:00" in messages(bot)[-1].text
    assert len(messages(bot)) == 3


async def test_a_cancelled_lesson_gets_no_reminder(session_factory, session, bot, settings):
    _ali, _mother, lesson_id = await class_of_three(session, local(DAY, 14))
    (await session.get(Lesson, lesson_id)).status = LessonStatus.CANCELLED
    await session.commit()
    counts = await send_class_reminders(
        session_factory, bot, sender_for(session_factory), settings, local(DAY, 13)
    )
    assert (counts.due, counts.sent) == (0, 0)
    assert messages(bot) == []


async def test_quiet_hours_release_a_reminder_only_for_a_lesson_still_ahead(
    session_factory, session, bot, settings
):
    ali = await make_student(session)
    early = await make_class(session, local(DAY, 8, 30), name="Early")
    later = await make_class(session, local(DAY, 9, 30), name="Later")
    await enrol(session, early, ali.id)
    await enrol(session, later, ali.id)
    sender = sender_for(session_factory)

    async def run(hour: int, minute: int = 0) -> int:
        moment = local(DAY, hour, minute)
        return (await send_class_reminders(session_factory, bot, sender, settings, moment)).sent

    assert await run(7, 30) == 0  # the 08:30 lesson's moment: quiet hours
    assert await run(8, 30) == 0  # the 09:30 lesson's moment: quiet hours
    assert await run(8, 59) == 0
    assert await run(9) == 1  # quiet hours end: the 09:30 lesson only (08:30 has begun)
    assert await run(9, 1) == 0
    [call] = messages(bot)
    assert call.text.startswith("🔔 <b>Lesson in 30 minutes</b> · Tue, 3 Mar · 09:30")


async def test_consent_off_or_no_telegram_gets_nothing(session_factory, session, bot, settings):
    lesson_id = await make_class(session, local(DAY, 14))
    ali = await make_student(session, choices=Choices(reminders=False))
    registered = await make_student(session, None, name="Not on Telegram")
    bob = await make_student(session, BOB, name="Bob")
    for student in (ali, registered, bob):
        await enrol(session, lesson_id, student.id)
    await send_class_reminders(
        session_factory, bot, sender_for(session_factory), settings, local(DAY, 13)
    )
    assert chats(bot) == [BOB.id]


async def test_two_runs_at_once_remind_once(session_factory, session, bot, settings):
    lesson_id = await make_class(session, local(DAY, 14))
    for number in range(6):
        person = Person(id=3_300_000 + number, first_name=f"S{number}", language_code="en")
        student = await make_student(session, person, name=f"S{number}")
        await enrol(session, lesson_id, student.id)
    moment = local(DAY, 13, 5)
    counts = await asyncio.gather(
        *(
            send_class_reminders(
                session_factory, bot, sender_for(session_factory), settings, moment
            )
            for _ in range(2)
        )
    )
    assert sum(c.sent for c in counts) == 6
    assert len(messages(bot)) == 6
    assert len(set(chats(bot))) == 6
    again = await send_class_reminders(
        session_factory, bot, sender_for(session_factory), settings, moment + timedelta(minutes=1)
    )
    assert again.due == 0
