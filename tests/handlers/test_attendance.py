"""The teacher's /today and /groups, the one-message attendance sheet, the absence notice,
and who may mark what when — through the real Dispatcher, with FSM data kept as JSON."""

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.methods import EditMessageText, SendMessage
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import handlers.teacher.attendance as attendance_handlers
import handlers.teacher.grades as grades_handlers
import handlers.teacher.homework as homework_handlers
import handlers.teacher.lessons as lessons_handlers
from bot.middlewares.throttling import MemoryHitCounter
from bot.services import attendance as service
from bot.services.access import Actor
from bot.services.attendance import Verdict
from bot.startup.app import create_dispatcher
from db.models import (
    Attendance,
    AuditEntry,
    AuditOutcome,
    EnrolmentStatus,
    Group,
    Lesson,
    LessonStatus,
    NotificationLog,
    Permission,
    Role,
    User,
)
from tests.chat import ChatClient, Person
from tests.factories import (
    link_parent,
    make_enrolment,
    make_group,
    make_lesson,
    make_user,
)
from tests.mocked_bot import BOT_ID

STALE = "⚠️ This button is out of date. Open the menu again."
TASHKENT = ZoneInfo("Asia/Tashkent")
# Wednesday 4 March 2026, 14:05 in Tashkent (UTC+5); the lesson began at 14:00.
LESSON_AT = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
NOW = LESSON_AT + timedelta(minutes=5)
TEACHER = Person(id=5_000_001, first_name="Nodira", language_code="en")
OTHER_TEACHER = Person(id=5_000_002, first_name="Rustam", language_code="en")
ADMIN = Person(id=5_000_003, first_name="Kamola", language_code="en")


class JsonMemoryStorage(MemoryStorage):
    """FSM data goes through JSON, as RedisStorage does: a non-JSON value fails the test."""

    async def set_data(self, key: StorageKey, data: dict[str, Any]) -> None:
        await super().set_data(key, json.loads(json.dumps(data)))


@pytest.fixture
def dispatcher(settings, session_factory):
    return create_dispatcher(
        settings,
        session_factory,
        storage=JsonMemoryStorage(),
        hit_counter=MemoryHitCounter(settings.runtime.throttle_window),
    )


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    clock = Clock()
    for module in (attendance_handlers, lessons_handlers, grades_handlers, homework_handlers):
        monkeypatch.setattr(module, "utcnow", clock)
    yield clock


@dataclass
class Centre:
    teacher: User
    group: Group
    lesson: Lesson
    students: list[User] = field(default_factory=list)
    people: dict[str, Person] = field(default_factory=dict)
    parent: User | None = None


async def centre(session: AsyncSession, *, frozen: bool = False) -> Centre:
    """Nodira teaches group "A1 <morning>": Aziz, Bobur (whose mother Dilnoza reads
    Russian) and Malika; with `frozen`, also Sardor, frozen."""
    teacher = await make_user(session, TEACHER, roles=[Role.TEACHER], full_name="Nodira")
    group = await make_group(
        session, "A1 <morning>", course="English", price=400_000, teacher_id=teacher.id, room="12"
    )
    lesson = await make_lesson(session, group, LESSON_AT)
    result = Centre(teacher=teacher, group=group, lesson=lesson)
    names = [("Aziz", 5_100_001), ("Bobur", 5_100_002), ("Malika", 5_100_003)]
    for name, telegram_id in names:
        person = Person(id=telegram_id, first_name=name, language_code="en")
        student = await make_user(session, person, roles=[Role.STUDENT], full_name=name)
        await make_enrolment(session, student, group)
        result.students.append(student)
        result.people[name] = person
    if frozen:
        person = Person(id=5_100_004, first_name="Sardor", language_code="en")
        sardor = await make_user(session, person, roles=[Role.STUDENT], full_name="Sardor")
        await make_enrolment(session, sardor, group, status=EnrolmentStatus.FROZEN)
        result.students.append(sardor)
        result.people["Sardor"] = person
    mother = Person(id=5_200_002, first_name="Dilnoza", language_code="ru")
    result.people["Dilnoza"] = mother
    result.parent = await make_user(
        session, mother, roles=[Role.PARENT], full_name="Dilnoza", language="ru"
    )
    await link_parent(session, result.parent, result.students[1])
    return result


async def open_sheet(client: ChatClient, person: Person, lesson: Lesson):
    """/today, then the lesson's button: the sheet replaces the list in the same message."""
    today = await client.send(person, "/today")
    message_id = today.message_id
    sheet = await client.press(person, today.callback_data("🕘 14:00 · A1 <morning>"), message_id)
    return message_id, sheet


async def rows(session: AsyncSession, lesson: Lesson) -> dict[int, str]:
    result = await session.execute(
        select(Attendance.student_id, Attendance.status).where(Attendance.lesson_id == lesson.id)
    )
    return dict(result.all())


async def entries(session: AsyncSession, action: str) -> list[AuditEntry]:
    found = await session.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    )
    return list(found.all())


def sent_to(reply, person: Person) -> list[str]:
    return [call.text for call in reply.of(SendMessage) if call.chat_id == person.id]


# --- the service: plain unit tests --------------------------------------------------------------


def actor(user_id: int, *roles: Role, permissions=()) -> Actor:
    return Actor(user_id, user_id, "en", frozenset(roles), frozenset(permissions))


def test_marking_opens_15_minutes_before_and_closes_at_the_end_of_the_local_day():
    group = Group(id=1, teacher_id=7)
    lesson = Lesson(id=1, group_id=1, starts_at=LESSON_AT, status=LessonStatus.SCHEDULED)
    teacher = actor(7, Role.TEACHER)

    def verdict(who: Actor, at: datetime) -> Verdict:
        return service.may_mark(who, group, lesson, at, TASHKENT)

    assert verdict(teacher, LESSON_AT - timedelta(minutes=16)) is Verdict.TOO_EARLY
    assert verdict(teacher, LESSON_AT - timedelta(minutes=15)) is Verdict.ALLOWED
    # the lesson's local day ends at midnight Tashkent = 19:00 UTC
    assert verdict(teacher, datetime(2026, 3, 4, 18, 59, tzinfo=UTC)) is Verdict.ALLOWED
    assert verdict(teacher, datetime(2026, 3, 4, 19, 0, tzinfo=UTC)) is Verdict.TOO_LATE
    academic = actor(9, Role.ADMIN, permissions=[Permission.ACADEMIC])
    assert verdict(academic, datetime(2026, 3, 9, tzinfo=UTC)) is Verdict.ALLOWED
    assert verdict(actor(9, Role.ADMIN, permissions=[Permission.USERS]), NOW) is Verdict.FOREIGN
    assert verdict(actor(8, Role.TEACHER), NOW) is Verdict.FOREIGN  # another teacher
    assert verdict(actor(7, Role.STUDENT), NOW) is Verdict.FOREIGN  # no longer a teacher
    lesson.status = LessonStatus.CANCELLED
    assert verdict(teacher, NOW) is Verdict.CANCELLED


def test_a_tap_cycles_present_absent_late_excused():
    marks = ["present"]
    for _ in range(4):
        marks.append(service.next_status(marks[-1]).value)
    assert marks == ["present", "absent", "late", "excused", "present"]


# --- through the Dispatcher ---------------------------------------------------------------------


async def test_today_lists_only_the_teachers_own_lessons_of_today(client, session, clock):
    data = await centre(session)
    other = await make_user(session, OTHER_TEACHER, roles=[Role.TEACHER])
    foreign = await make_group(session, "B2 evening", teacher_id=other.id)
    await make_lesson(session, foreign, LESSON_AT + timedelta(hours=2))
    await make_lesson(session, data.group, LESSON_AT + timedelta(days=1))  # tomorrow
    await make_lesson(
        session, data.group, LESSON_AT + timedelta(hours=4), status=LessonStatus.CANCELLED
    )

    reply = await client.send(TEACHER, "/today")

    assert reply.text.startswith("📅 <b>Today</b>, 4 March 2026")
    assert "B2 evening" not in reply.text
    assert "🕘 14:00–15:30 · <b>A1 &lt;morning&gt;</b> · room 12 · scheduled" in reply.text
    assert "<s>❌ 18:00–19:30 · <b>A1 &lt;morning&gt;</b> · room 12 · cancelled</s>" in reply.text
    assert reply.buttons() == ["🕘 14:00 · A1 <morning>", "👥 My groups"]
    # the menu button does the same
    assert (await client.send(TEACHER, "📅 Today")).text == reply.text

    groups = await client.send(TEACHER, "/groups")
    assert groups.buttons() == ["A1 <morning> · English", "📅 Today"]
    card = await client.press(
        TEACHER, groups.callback_data("A1 <morning> · English"), groups.message_id
    )
    assert "👥 <b>A1 &lt;morning&gt;</b> · English" in card.text
    assert "👤 Students: 3 of 20" in card.text
    assert "1. Aziz\n2. Bobur\n3. Malika" in card.text
    lessons = await client.press(
        TEACHER, card.callback_data("📋 Lessons and attendance"), groups.message_id
    )
    # up to the end of today, newest first; not tomorrow's
    assert lessons.buttons() == ["❌ Wed, 4 Mar · 18:00", "🕘 Wed, 4 Mar · 14:00", "⬅ Back"]


async def test_attendance_is_one_message_of_toggles_then_one_save(client, session, clock, bot):
    data = await centre(session)
    aziz, bobur, malika = data.students
    message_id, sheet = await open_sheet(client, TEACHER, data.lesson)

    [edit] = sheet.of(EditMessageText)
    assert edit.message_id == message_id
    assert "📋 <b>Attendance</b> · A1 &lt;morning&gt; (English)" in sheet.text
    assert "✅ 3 · ❌ 0 · ⏰ 0 · 📝 0" in sheet.text
    assert "⚠️ Not saved yet" in sheet.text
    assert sheet.buttons() == ["✅ 1. Aziz", "✅ 2. Bobur", "✅ 3. Malika", "💾 Save", "⬅ Back"]

    seen = []
    reply = sheet
    for _ in range(4):
        reply = await client.press(TEACHER, reply.callback_data(reply.buttons()[1]), message_id)
        assert not reply.of(SendMessage) and len(reply.answers) == 1
        [edit] = reply.of(EditMessageText)
        assert edit.message_id == message_id
        seen.append(reply.buttons()[1])
    assert seen == ["❌ 2. Bobur", "⏰ 2. Bobur", "📝 2. Bobur", "✅ 2. Bobur"]
    # the pending marks are FSM data under string keys (a slot apart from the forms'),
    # nothing in the database yet
    state = await client.dispatcher.storage.get_data(
        StorageKey(bot_id=BOT_ID, chat_id=TEACHER.id, user_id=TEACHER.id, destiny="attendance")
    )
    assert state["attendance"] == {
        str(data.lesson.id): {str(s.id): "present" for s in data.students}
    }
    assert await rows(session, data.lesson) == {}

    reply = await client.press(TEACHER, reply.callback_data("✅ 2. Bobur"), message_id)
    assert "✅ 2 · ❌ 1 · ⏰ 0 · 📝 0" in reply.text
    saved = await client.press(TEACHER, reply.callback_data("💾 Save"), message_id)

    assert saved.answers[0].text == "✅ Saved: 2 present, 1 absent, 0 late, 0 excused."
    [edit] = saved.of(EditMessageText)
    assert edit.message_id == message_id and "✅ Saved." in edit.text
    assert await rows(session, data.lesson) == {
        aziz.id: "present",
        bobur.id: "absent",
        malika.id: "present",
    }
    lesson = await session.get(Lesson, data.lesson.id, populate_existing=True)
    assert lesson.status == LessonStatus.HELD
    [entry] = await entries(session, "attendance.saved")
    assert entry.actor_id == data.teacher.id and entry.object_id == str(data.lesson.id)
    assert entry.details["counts"] == {"present": 2, "absent": 1, "late": 0, "excused": 0}
    # Bobur and his mother are told at once, each in their own language; nobody else is
    [to_bobur] = sent_to(saved, data.people["Bobur"])
    assert to_bobur.startswith(
        "❌ You were marked absent at the <b>A1 &lt;morning&gt;</b> lesson on Wed, 4 Mar · 14:00."
    )
    [to_mother] = sent_to(saved, data.people["Dilnoza"])
    assert "<b>Bobur</b>" in to_mother and "ср, 4 мар. · 14:00" in to_mother
    assert len(saved.of(SendMessage)) == 2
    assert await client.dispatcher.storage.get_data(
        StorageKey(bot_id=BOT_ID, chat_id=TEACHER.id, user_id=TEACHER.id, destiny="attendance")
    ) == {"attendance": {}}


async def test_the_absence_notice_is_sent_once_however_often_the_sheet_is_saved(
    client, session, clock
):
    data = await centre(session)
    aziz, bobur, _malika = data.students
    message_id, sheet = await open_sheet(client, TEACHER, data.lesson)
    reply = await client.press(TEACHER, sheet.callback_data("✅ 2. Bobur"), message_id)
    first = await client.press(TEACHER, reply.callback_data("💾 Save"), message_id)
    assert len(first.of(SendMessage)) == 2

    again = await client.press(TEACHER, first.callback_data("💾 Save"), message_id)
    assert not again.of(SendMessage)  # nothing changed, nobody is told twice
    assert again.answers[0].text == "✅ Saved: 2 present, 1 absent, 0 late, 0 excused."

    # a later save that makes Aziz absent tells Aziz only, not Bobur's family again
    reply = await client.press(TEACHER, first.callback_data("✅ 1. Aziz"), message_id)
    third = await client.press(TEACHER, reply.callback_data("💾 Save"), message_id)
    assert [call.chat_id for call in third.of(SendMessage)] == [data.people["Aziz"].id]

    claims = (await session.scalars(select(NotificationLog).order_by(NotificationLog.id))).all()
    assert [(c.user_id, c.kind, c.key, c.status) for c in claims] == [
        (bobur.id, "absence", f"lesson:{data.lesson.id}:student:{bobur.id}", "sent"),
        (data.parent.id, "absence", f"lesson:{data.lesson.id}:student:{bobur.id}", "sent"),
        (aziz.id, "absence", f"lesson:{data.lesson.id}:student:{aziz.id}", "sent"),
    ]
    assert all(claim.sent_at is not None for claim in claims)
    [change] = await entries(session, "attendance.changed")
    assert change.details["changes"] == [{"student_id": aziz.id, "old": "present", "new": "absent"}]


async def test_saving_an_unchanged_sheet_again_edits_nothing_and_answers_the_button(
    client, session, clock, bot
):
    data = await centre(session)
    message_id, sheet = await open_sheet(client, TEACHER, data.lesson)
    reply = await client.press(TEACHER, sheet.callback_data("✅ 2. Bobur"), message_id)
    first = await client.press(TEACHER, reply.callback_data("💾 Save"), message_id)
    assert len(first.of(EditMessageText)) == 1
    shown = bot.session.telegram.messages[(TEACHER.id, message_id)]
    assert "✅ Saved." in shown.text

    again = await client.press(TEACHER, first.callback_data("💾 Save"), message_id)

    # Telegram refuses an edit to the same text and keyboard: none is sent at all
    assert not again.of(EditMessageText) and not again.of(SendMessage)
    assert [answer.text for answer in again.answers] == [
        "✅ Saved: 2 present, 1 absent, 0 late, 0 excused."
    ]
    assert not [r for r in again.results if isinstance(r, Exception)]
    assert bot.session.telegram.messages[(TEACHER.id, message_id)] == shown


async def test_a_parent_who_turned_reminders_off_still_gets_the_absence_notice(
    client, session, clock
):
    from bot.services.consent import Choices

    data = await centre(session)
    mother = Person(id=5_200_009, first_name="Zarina", language_code="en")
    quiet = await make_user(session, mother, roles=[Role.PARENT], choices=Choices(reminders=False))
    await link_parent(session, quiet, data.students[0])
    message_id, sheet = await open_sheet(client, TEACHER, data.lesson)
    reply = await client.press(TEACHER, sheet.callback_data("✅ 1. Aziz"), message_id)
    saved = await client.press(TEACHER, reply.callback_data("💾 Save"), message_id)
    assert sent_to(saved, mother)  # essential: about the child's whereabouts


async def test_a_forged_button_for_another_teachers_lesson_is_refused_and_audited(
    client, session, clock
):
    data = await centre(session)
    other = await make_user(session, OTHER_TEACHER, roles=[Role.TEACHER])
    foreign_group = await make_group(session, "B2 evening", teacher_id=other.id)
    foreign = await make_lesson(session, foreign_group, LESSON_AT)
    stranger = await make_user(session, Person(id=5_100_099), roles=[Role.STUDENT])
    await make_enrolment(session, stranger, foreign_group)
    await client.send(TEACHER, "/today")

    for data_string in (
        f"at:open:{foreign.id}:0",
        f"at:tap:{foreign.id}:{stranger.id}",
        f"at:save:{foreign.id}:0",
        f"at:open:{foreign.id + 100}:0",
        f"tl:group:{foreign_group.id}:1",
        f"tl:lessons:{foreign_group.id}:1",
    ):
        reply = await client.press(TEACHER, data_string)
        assert [a.text for a in reply.answers] == [STALE], data_string
        assert not reply.of(EditMessageText) and not reply.of(SendMessage)

    assert await rows(session, foreign) == {}
    denied = await entries(session, "attendance.denied")
    assert [(e.actor_id, e.outcome, e.details["lesson_id"], e.details["step"]) for e in denied] == [
        (data.teacher.id, AuditOutcome.DENIED, foreign.id, "open"),
        (data.teacher.id, AuditOutcome.DENIED, foreign.id, "tap"),
        (data.teacher.id, AuditOutcome.DENIED, foreign.id, "save"),
        (data.teacher.id, AuditOutcome.DENIED, foreign.id + 100, "open"),
    ]
    assert len(await entries(session, "teaching.denied")) == 2
    lesson = await session.get(Lesson, foreign.id, populate_existing=True)
    assert lesson.status == LessonStatus.SCHEDULED


async def test_a_teacher_removed_from_the_group_while_marking_cannot_save(client, session, clock):
    data = await centre(session)
    other = await make_user(session, OTHER_TEACHER, roles=[Role.TEACHER])
    message_id, sheet = await open_sheet(client, TEACHER, data.lesson)
    reply = await client.press(TEACHER, sheet.callback_data("✅ 1. Aziz"), message_id)
    group = await session.get(Group, data.group.id)
    group.teacher_id = other.id
    await session.commit()

    refused = await client.press(TEACHER, reply.callback_data("💾 Save"), message_id)

    assert [a.text for a in refused.answers] == [STALE]
    assert await rows(session, data.lesson) == {}
    assert len(await entries(session, "attendance.denied")) == 1


async def test_late_changes_are_refused_to_the_teacher_and_left_to_an_academic_admin(
    client, session, clock
):
    data = await centre(session)
    _aziz, bobur, _malika = data.students
    academic = await make_user(
        session, ADMIN, roles=[Role.ADMIN], permissions=[Permission.ACADEMIC]
    )
    message_id, sheet = await open_sheet(client, TEACHER, data.lesson)
    reply = await client.press(TEACHER, sheet.callback_data("✅ 2. Bobur"), message_id)
    await client.press(TEACHER, reply.callback_data("💾 Save"), message_id)
    reply = await client.press(TEACHER, reply.callback_data("❌ 2. Bobur"), message_id)
    assert "⏰ 2. Bobur" in reply.buttons()

    clock.now = datetime(2026, 3, 4, 19, 30, tzinfo=UTC)  # 00:30 the next day in Tashkent
    late = await client.press(TEACHER, reply.callback_data("💾 Save"), message_id)

    [answer] = late.answers
    assert answer.show_alert is True and answer.text.startswith("🔒 The day of this lesson is over")
    assert "💾 Save" not in late.buttons()  # the sheet is read-only now
    assert "2. Bobur · ❌ absent" in late.text
    assert await rows(session, data.lesson) == {
        s.id: "absent" if s.id == bobur.id else "present" for s in data.students
    }
    [denied] = await entries(session, "attendance.denied")
    assert denied.details == {"lesson_id": data.lesson.id, "reason": "too_late", "step": "save"}
    # the teacher's own sheet, opened again, is read-only
    again = await client.press(TEACHER, f"at:open:{data.lesson.id}:0", message_id)
    assert not again.of(EditMessageText) and len(again.answers) == 1  # shown already
    shown = client.bot.session.telegram.messages[(TEACHER.id, message_id)].reply_markup
    assert [button.text for row in shown.inline_keyboard for button in row] == ["⬅ Back"]

    # an admin with `academic` (not the group's teacher) opens the same sheet and changes it
    admin_sheet = await client.press(ADMIN, f"at:open:{data.lesson.id}:0")
    assert "you are changing its marks as an administrator" in admin_sheet.text
    assert admin_sheet.buttons()[:3] == ["✅ 1. Aziz", "❌ 2. Bobur", "✅ 3. Malika"]
    admin_message = admin_sheet.message_id
    reply = await client.press(ADMIN, admin_sheet.callback_data("❌ 2. Bobur"), admin_message)
    reply = await client.press(ADMIN, reply.callback_data("⏰ 2. Bobur"), admin_message)
    assert "📝 2. Bobur" in reply.buttons()
    saved = await client.press(ADMIN, reply.callback_data("💾 Save"), admin_message)

    assert saved.answers[0].text == "✅ Saved: 2 present, 0 absent, 0 late, 1 excused."
    assert (await rows(session, data.lesson))[bobur.id] == "excused"
    marked_by = await session.scalar(
        select(Attendance.marked_by_id).where(Attendance.student_id == bobur.id)
    )
    assert marked_by == academic.id
    [change] = await entries(session, "attendance.changed")
    assert change.actor_id == academic.id
    assert change.details["changes"] == [
        {"student_id": bobur.id, "old": "absent", "new": "excused"}
    ]
    assert change.details["after_day"] is True
    assert not saved.of(SendMessage)  # nobody is absent any more; the notice went once already


async def test_an_admin_without_academic_cannot_open_a_sheet(client, session, clock):
    data = await centre(session)
    await make_user(session, ADMIN, roles=[Role.ADMIN], permissions=[Permission.USERS])
    reply = await client.press(ADMIN, f"at:open:{data.lesson.id}:0")
    assert reply.answers[0].show_alert is True
    assert reply.answers[0].text.startswith("⚠️ You do not have access to this.")
    assert not reply.of(EditMessageText) and not reply.of(SendMessage)


async def test_marking_before_the_window_or_a_cancelled_lesson_is_refused(client, session, clock):
    data = await centre(session)
    cancelled = await make_lesson(
        session, data.group, LESSON_AT + timedelta(hours=3), status=LessonStatus.CANCELLED
    )
    later = await make_lesson(session, data.group, LESSON_AT + timedelta(hours=5))

    early = await client.press(TEACHER, f"at:open:{later.id}:0")
    assert "⏳ Marking opens at 18:45, 15 minutes before the lesson." in early.text
    assert early.buttons() == ["⬅ Back"]
    save = await client.press(TEACHER, f"at:save:{later.id}:0")
    assert save.answers[0].text.startswith("⏳ Marking opens at 18:45")
    refused = await client.press(TEACHER, f"at:save:{cancelled.id}:0")
    assert refused.answers[0].text == "❌ This lesson was cancelled; there is nothing to mark."
    assert await session.scalar(select(func.count()).select_from(Attendance)) == 0


async def test_a_frozen_student_is_shown_but_not_markable(client, session, clock):
    data = await centre(session, frozen=True)
    sardor = data.students[3]
    message_id, sheet = await open_sheet(client, TEACHER, data.lesson)
    assert sheet.buttons()[:4] == ["✅ 1. Aziz", "✅ 2. Bobur", "✅ 3. Malika", "❄️ 4. Sardor"]
    assert "❄️ Frozen students are shown but not marked." in sheet.text
    assert "✅ 3 · ❌ 0" in sheet.text

    tapped = await client.press(TEACHER, sheet.callback_data("❄️ 4. Sardor"), message_id)
    assert tapped.answers[0].text == "❄️ Sardor is frozen and is not marked."
    assert not tapped.of(EditMessageText)
    stranger = await client.press(TEACHER, f"at:tap:{data.lesson.id}:999999", message_id)
    assert stranger.answers[0].text == STALE

    saved = await client.press(TEACHER, sheet.callback_data("💾 Save"), message_id)
    assert sardor.id not in await rows(session, data.lesson)
    assert len(await rows(session, data.lesson)) == 3
    assert "❄️ 4. Sardor" in saved.buttons()


async def test_two_saves_at_once_leave_one_row_per_student(client, session, clock):
    data = await centre(session)
    _aziz, bobur, _malika = data.students
    await make_user(session, ADMIN, roles=[Role.ADMIN], permissions=[Permission.ACADEMIC])
    teacher_message, teacher_sheet = await open_sheet(client, TEACHER, data.lesson)
    await client.press(TEACHER, teacher_sheet.callback_data("✅ 2. Bobur"), teacher_message)
    admin_sheet = await client.press(ADMIN, f"at:open:{data.lesson.id}:0")
    admin_message = admin_sheet.message_id
    reply = await client.press(ADMIN, admin_sheet.callback_data("✅ 2. Bobur"), admin_message)
    await client.press(ADMIN, reply.callback_data("❌ 2. Bobur"), admin_message)  # late

    await asyncio.gather(
        client.press(TEACHER, f"at:save:{data.lesson.id}:0", teacher_message),
        client.press(ADMIN, f"at:save:{data.lesson.id}:0", admin_message),
    )

    assert await session.scalar(select(func.count()).select_from(Attendance)) == 3
    saved = await entries(session, "attendance.saved")
    changed = await entries(session, "attendance.changed")
    assert len(saved) == 1 and len(changed) == 1  # the later save is a change
    [change] = changed[0].details["changes"]
    assert change["student_id"] == bobur.id
    assert {change["old"], change["new"]} == {"absent", "late"}
    assert (await rows(session, data.lesson))[bobur.id] == change["new"]
    # Bobur's absence was claimed once whichever save came first
    claims = await session.scalar(select(func.count()).select_from(NotificationLog))
    assert claims == 2


async def test_an_absence_saved_meanwhile_is_still_told(session, monkeypatch):
    """The save reads the roster, the marks and who to tell before taking the lesson's lock
    (to hold it briefly); a mark that another save stored in between is read again under the
    lock, and its notices are claimed too."""
    data = await centre(session)
    _aziz, bobur, _malika = data.students
    session.add(Attendance(lesson_id=data.lesson.id, student_id=bobur.id, status="absent"))
    await session.commit()
    real_marks_of = service.repo.marks_of
    calls = []

    async def marks_before_the_other_save(session_, lesson_id):
        calls.append(lesson_id)
        return {} if len(calls) == 1 else await real_marks_of(session_, lesson_id)

    monkeypatch.setattr(service.repo, "marks_of", marks_before_the_other_save)
    result = await service.save(
        session,
        actor(data.teacher.id, Role.TEACHER),
        data.lesson.id,
        {},
        now=NOW,
        tz=TASHKENT,
        policy_version="1",
    )

    assert result.verdict is Verdict.ALLOWED and len(calls) == 2
    told = {notice.recipient.user_id for notice in result.notices}
    assert told == {bobur.id, data.parent.id}
