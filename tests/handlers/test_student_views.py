"""The student's /schedule, /attendance, /grades and /homework, through the real Dispatcher;
the read costs one session and a few queries whatever the number of lessons."""

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    SendDocument,
    SendMessage,
    SendPhoto,
)
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

import handlers.student.views as student_views
from bot.services import student_views as service
from bot.services.consent import Choices
from bot.services.student_views import AttachmentKind, GroupAttendance, GroupRef
from db.models import (
    Attendance,
    AuditEntry,
    AuditOutcome,
    EnrolmentStatus,
    Grade,
    Group,
    Homework,
    Lesson,
    LessonStatus,
    Role,
)
from keyboards.student import StudentPageCb, StudentViewCb, homework_files
from tests.chat import Person
from tests.factories import make_enrolment, make_group, make_lessons, make_user

STALE = "⚠️ This button is out of date. Open the menu again."
TASHKENT = ZoneInfo("Asia/Tashkent")
# Wednesday 4 March 2026, 11:00 in Tashkent (UTC+5).
NOW = datetime(2026, 3, 4, 6, 0, tzinfo=UTC)
STUDENT = Person(id=3_000_001, first_name="Aziz", language_code="en")
WED, THU = 2, 3


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(student_views, "utcnow", lambda: NOW)
    yield


async def mark(
    session: AsyncSession, student_id: int, lessons: Sequence[Lesson], statuses: Sequence[str]
) -> None:
    session.add_all(
        Attendance(lesson_id=lesson.id, student_id=student_id, status=status, marked_at=NOW)
        for lesson, status in zip(lessons, statuses, strict=True)
    )
    await session.commit()


async def grade(
    session: AsyncSession,
    student_id: int,
    group: Group,
    at: datetime,
    score: int,
    max_score: int = 10,
    kind: str = "test",
    comment: str | None = None,
) -> None:
    session.add(
        Grade(
            student_id=student_id,
            group_id=group.id,
            kind=kind,
            score=score,
            max_score=max_score,
            comment=comment,
            created_at=at,
        )
    )
    await session.commit()


async def homework(
    session: AsyncSession,
    group: Group,
    text: str,
    *,
    due_at: datetime | None,
    posted_at: datetime = NOW - timedelta(days=1),
    attachments: Sequence[str] = (),
) -> Homework:
    item = Homework(
        group_id=group.id,
        text=text,
        due_at=due_at,
        posted_at=posted_at,
        attachments=list(attachments),
    )
    session.add(item)
    await session.commit()
    return item


async def audit_entries(session: AsyncSession) -> list[AuditEntry]:
    return list((await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all())


# --- the service: plain unit tests --------------------------------------------------------------


def test_the_window_runs_from_today_to_the_end_of_next_week_in_local_days():
    today, last, start, end = service.schedule_window(NOW, TASHKENT)
    assert (today, last) == (date(2026, 3, 4), date(2026, 3, 15))
    assert start == datetime(2026, 3, 3, 19, tzinfo=UTC)  # local midnight
    assert end == datetime(2026, 3, 15, 19, tzinfo=UTC)
    # 23:30 on Sunday in Tashkent is still Sunday there (18:30 UTC): next week is the next one.
    sunday_night = datetime(2026, 3, 8, 18, 30, tzinfo=UTC)
    assert service.schedule_window(sunday_night, TASHKENT)[:2] == (
        date(2026, 3, 8),
        date(2026, 3, 15),
    )
    monday_early = datetime(2026, 3, 8, 19, 30, tzinfo=UTC)  # 00:30 Monday local
    assert service.schedule_window(monday_early, TASHKENT)[:2] == (
        date(2026, 3, 9),
        date(2026, 3, 22),
    )


def test_attendance_percentage_counts_present_and_late_of_marked_lessons():
    entry = GroupAttendance(GroupRef(1, "A1", "English"))
    assert entry.percent is None
    entry.counts.update(present=3, late=2, absent=1, excused=1)
    assert (entry.marked, entry.percent) == (7, 71)


def test_attachments_name_their_kind_or_are_bare_file_ids():
    assert service.parse_attachment("photo:AgAD") == service.Attachment(
        AttachmentKind.PHOTO, "AgAD"
    )
    assert service.parse_attachment("document:BQAC:x") == service.Attachment(
        AttachmentKind.DOCUMENT, "BQAC:x"
    )
    assert service.parse_attachment("BQACAgIAAx") == service.Attachment(None, "BQACAgIAAx")


# --- /schedule ------------------------------------------------------------------------------


async def test_schedule_by_day_in_the_centre_zone_with_cancelled_and_moved_lessons(client, session):
    student = await make_user(session, STUDENT, roles=[Role.STUDENT])
    slots = [(WED, time(14, 0)), (THU, time(14, 0))]
    group = await make_group(session, "A1 <evening>", course="English & Co", slots=slots, room="12")
    await make_enrolment(session, student.id, group)
    await make_lessons(
        session,
        group,
        [
            utc(4, 9),  # today, 14:00 in Tashkent
            utc(5, 9),  # tomorrow
            utc(14, 7),  # Thursday's lesson moved to Saturday 12:00
            utc(26, 9) - timedelta(days=28),  # last week: not shown
            utc(18, 9),  # the week after next: not shown
        ],
    )
    await make_lessons(session, group, [utc(11, 9)], status=LessonStatus.CANCELLED)
    elsewhere = await make_group(session, "Not mine", slots=slots)
    await make_lessons(session, elsewhere, [utc(4, 10)])
    left = await make_group(session, "Left long ago")
    await make_enrolment(session, student.id, left, status=EnrolmentStatus.LEFT)
    await make_lessons(session, left, [utc(4, 11)])

    reply = await client.send(STUDENT, "/schedule")

    text = reply.text
    assert text.startswith("📅 <b>My schedule</b>")
    lesson = "14:00–15:30 · A1 &lt;evening&gt; (English &amp; Co) · room 12"
    assert f"<b>Today, Wed, 4 Mar</b>\n• {lesson}" in text
    assert f"<b>Tomorrow, Thu, 5 Mar</b>\n• {lesson}" in text
    assert "<b>— Next week —</b>" in text
    assert f"<b>Wed, 11 Mar</b>\n• ❌ <s>{lesson}</s> · cancelled" in text
    assert (
        "<b>Sat, 14 Mar</b>\n• 🔁 12:00–13:30 · A1 &lt;evening&gt; (English &amp; Co) · room 12"
        " · <i>moved to this time</i>" in text
    )
    assert "09:00" not in text  # UTC never shows
    assert "18 Mar" not in text and "26 Feb" not in text
    assert "Not mine" not in text and "Left long ago" not in text
    assert text.index("Today") < text.index("Tomorrow") < text.index("Next week")
    assert await audit_entries(session) == []


async def test_empty_views_say_so(client, session):
    await make_user(session, STUDENT, roles=[Role.STUDENT])

    assert (await client.send(STUDENT, "/schedule")).text == (
        "📅 <b>My schedule</b>\n\nNo lessons this week or next."
    )
    assert (await client.send(STUDENT, "/attendance")).text.endswith("No attendance marks.")
    assert (await client.send(STUDENT, "/grades")).text.endswith("No grades.")
    assert (await client.send(STUDENT, "/homework")).text.endswith("No homework for now.")


async def test_the_menu_buttons_open_the_views_and_other_roles_are_refused(client, session):
    await make_user(session, STUDENT, roles=[Role.STUDENT])
    menu = await client.send(STUDENT, "/start")
    assert {"📅 Schedule", "📋 Attendance", "📝 Grades", "📚 Homework"} <= set(menu.buttons())
    assert "👨‍👩‍👧 Children" not in menu.buttons()

    assert (await client.send(STUDENT, "📚 Homework")).text.startswith("📚 <b>My homework</b>")

    parent = Person(id=3_000_009, first_name="Parent", language_code="en")
    await make_user(session, parent, roles=[Role.PARENT])
    refused = await client.send(parent, "/grades")
    assert refused.text.startswith("⚠️ You do not have access to this.")


def page_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("• ")]


async def every_page(client, person: Person, first) -> list:
    """The replies of ▶ pressed until the last page, after the first page `first`."""
    replies = [first]
    message_id = first.message_id
    while "▶" in replies[-1].buttons():
        turned = await client.press(person, replies[-1].callback_data("▶"), message_id)
        assert not turned.of(SendMessage) and len(turned.of(EditMessageText)) == 1
        assert len(turned.answers) == 1
        turned_message_id = turned.of(EditMessageText)[0].message_id
        assert turned_message_id == message_id  # edited in place
        replies.append(turned)
    return replies


async def test_a_long_schedule_is_one_message_with_pages_never_cut(client, session):
    student = await make_user(session, STUDENT, roles=[Role.STUDENT])
    group = await make_group(session, "G" * 100, course="C" * 100)
    await make_enrolment(session, student.id, group)
    starts = [utc(4, 0) + timedelta(hours=4 * i) for i in range(60)]  # 60 lessons, 10 days
    await make_lessons(session, group, starts)

    reply = await client.send(STUDENT, "/schedule")

    assert len(reply.of(SendMessage)) == 1
    pages = await every_page(client, STUDENT, reply)
    assert len(pages) >= 2
    assert all(len(page.text) <= 4096 for page in pages)
    assert all(page.text.startswith("📅 <b>My schedule</b>") for page in pages)
    assert sum(len(page_lines(page.text)) for page in pages) == 60
    assert pages[-1].buttons() == ["◀", f"{len(pages)}/{len(pages)}"]


async def test_300_grades_are_one_message_of_pages_of_ten(client, session, bot):
    student = await make_user(session, STUDENT, roles=[Role.STUDENT])
    english = await make_group(session, "A1", course="English")
    maths = await make_group(session, "M1", course="Maths")
    for group in (english, maths):
        await make_enrolment(session, student.id, group)
    for i in range(300):
        group = english if i < 155 else maths
        at = utc(1, 0) - timedelta(hours=i)
        await grade(session, student.id, group, at, i % 11, comment=f"note {i}")

    reply = await client.send(STUDENT, "/grades")

    assert len(reply.of(SendMessage)) == 1  # one message, however many grades
    assert reply.buttons() == ["1/30", "▶"]
    assert reply.text.split("\n")[:2] == ["📝 <b>My grades</b>", ""]
    assert reply.text.split("\n")[2] == "<b>A1</b> (English)"
    assert len(page_lines(reply.text)) == 10
    pages = await every_page(client, STUDENT, reply)
    assert len(pages) == 30
    assert pages[1].buttons() == ["◀", "2/30", "▶"]
    seen = [line for page in pages for line in page_lines(page.text)]
    assert len(seen) == 300
    assert [int(line.rsplit("note ", 1)[1].split("<")[0]) for line in seen] == list(range(300))
    # the page where Maths begins names both groups; the next one repeats Maths' title
    assert "<b>A1</b> (English)" in pages[15].text and "<b>M1</b> (Maths)" in pages[15].text
    assert pages[16].text.split("\n\n")[1].startswith("<b>M1</b> (Maths)\n• ")
    # ◀ goes back; the middle button shows the page it is on (nothing is edited)
    back = await client.press(STUDENT, pages[1].callback_data("◀"), reply.message_id)
    assert back.text == reply.text and back.buttons() == ["1/30", "▶"]
    same = await client.press(STUDENT, back.callback_data("1/30"), reply.message_id)
    assert not same.of(EditMessageText) and len(same.answers) == 1


async def test_a_forged_page_is_refused_and_shows_nothing(client, session):
    student = await make_user(session, STUDENT, roles=[Role.STUDENT])
    group = await make_group(session, "A1", course="English")
    await make_enrolment(session, student.id, group)
    for i in range(25):
        await grade(session, student.id, group, utc(1, 0) - timedelta(hours=i), 5)
    reply = await client.send(STUDENT, "/grades")
    assert reply.buttons() == ["1/3", "▶"]

    for page in (0, -1, 4, 2**40):
        forged = f"sp:g:{page}"  # the bounded Number refuses to build what a forger can send
        refused = await client.press(STUDENT, forged, reply.message_id)
        assert [a.text for a in refused.answers] == [STALE], page
        assert not refused.of(EditMessageText) and not refused.of(SendMessage)
    unknown_view = await client.press(STUDENT, "sp:x:2", reply.message_id)
    assert [a.text for a in unknown_view.answers] == [STALE]
    assert not unknown_view.of(EditMessageText)
    # another role's pages are not for a student, nor a student's for anybody else
    outsider = Person(id=3_000_077, first_name="Teacher", language_code="en")
    await make_user(session, outsider, roles=[Role.TEACHER])
    denied = await client.press(outsider, StudentPageCb(view="g", page=2).pack())
    [answer] = denied.answers
    assert answer.text.startswith("⚠️ You do not have access to this.")
    assert not denied.of(EditMessageText) and not denied.of(SendMessage)
    [entry] = await audit_entries(session)
    assert entry.outcome == AuditOutcome.DENIED


async def test_a_429_on_the_view_is_waited_out_and_sent_whole(client, session, bot):
    student = await make_user(session, STUDENT, roles=[Role.STUDENT])
    group = await make_group(session, "A1", course="English")
    await make_enrolment(session, student.id, group)
    for i in range(25):
        await grade(session, student.id, group, utc(1, 0) - timedelta(hours=i), 5)
    bot.session.fail_next(SendMessage, 429, "Too Many Requests: retry after 1", retry_after=1)

    reply = await client.send(STUDENT, "/grades")

    first, second = reply.of(SendMessage)
    assert isinstance(reply.results[0], Exception)  # Telegram said 429: sent again after 1 s
    assert second.text == first.text and len(page_lines(second.text)) == 10
    assert reply.buttons() == ["1/3", "▶"]
    [stored] = [m for m in bot.session.telegram.messages.values() if m.chat_id == STUDENT.id]
    assert stored.text.startswith("📝 My grades") and stored.reply_markup is not None


async def test_homework_files_follow_their_page(client, session, bot):
    student = await make_user(session, STUDENT, roles=[Role.STUDENT])
    group = await make_group(session, "A1", course="English")
    await make_enrolment(session, student.id, group)
    for i in range(12):
        due = utc(6, 13) + timedelta(hours=i)
        await homework(session, group, f"Task {i}", due_at=due, attachments=[f"photo:p-{i}"])
    bot.session.telegram.photos.update(f"p-{i}" for i in range(12))

    reply = await client.send(STUDENT, "/homework")

    assert reply.buttons() == [*(f"📎 Files of #{n}" for n in range(1, 11)), "1/2", "▶"]
    second = await client.press(STUDENT, reply.callback_data("▶"), reply.message_id)
    assert second.buttons() == ["📎 Files of #11", "📎 Files of #12", "◀", "2/2"]
    assert second.text.split("\n\n")[:3] == [
        "📚 <b>My homework</b>",
        "<b>Current</b>",
        "11. <b>A1</b> (English) · due Sat, 7 Mar · 04:00\nTask 10\n📎 Files: 1",
    ]
    files = await client.press(STUDENT, second.callback_data("📎 Files of #12"), reply.message_id)
    assert [photo.photo for photo in files.of(SendPhoto)] == ["p-11"]


# --- /attendance ----------------------------------------------------------------------------


async def test_attendance_per_group_with_counts_percentage_and_last_five(client, session):
    student = await make_user(session, STUDENT, roles=[Role.STUDENT])
    group = await make_group(session, "A1", course="English")
    await make_enrolment(session, student.id, group)
    lessons = await make_lessons(session, group, [utc(1, 0) + timedelta(days=-i) for i in range(7)])
    # Newest first: present, late, absent, excused, present, late, present.
    await mark(
        session,
        student.id,
        lessons,
        ["present", "late", "absent", "excused", "present", "late", "present"],
    )
    quiet = await make_group(session, "B2", course="Maths")
    await make_enrolment(session, student.id, quiet, status=EnrolmentStatus.FROZEN)

    reply = await client.send(STUDENT, "/attendance")

    text = reply.text
    assert text.startswith("📋 <b>My attendance</b>")
    block = text.split("\n\n")[1]
    assert block.splitlines() == [
        "<b>A1</b> (English)",
        "✅ present: 3 · ❌ absent: 1 · ⏰ late: 2 · 📝 excused: 1",
        "Attended (present or late): 71%, marked lessons: 7",
        "Last lessons:",
        "• Sun, 1 Mar · 05:00 — ✅ present",
        "• Sat, 28 Feb · 05:00 — ⏰ late",
        "• Fri, 27 Feb · 05:00 — ❌ absent",
        "• Thu, 26 Feb · 05:00 — 📝 excused",
        "• Wed, 25 Feb · 05:00 — ✅ present",
    ]
    assert "<b>B2</b> (Maths)\nNo marks yet." in text


# --- /grades --------------------------------------------------------------------------------


async def test_grades_per_group_latest_first_with_escaped_comments(client, session):
    student = await make_user(session, STUDENT, roles=[Role.STUDENT])
    english = await make_group(session, "A1", course="English")
    maths = await make_group(session, "M1", course="Maths")
    await make_enrolment(session, student.id, english)
    await make_enrolment(session, student.id, maths)
    await grade(session, student.id, english, utc(2, 10), 7, kind="homework")
    await grade(session, student.id, english, utc(3, 10), 9, comment="<b>Well done</b> & more")
    await grade(session, student.id, maths, utc(1, 10), 45, 50, kind="exam")
    other = await make_user(session, Person(id=3_000_002, first_name="Other"), roles=[Role.STUDENT])
    await grade(session, other.id, english, utc(3, 11), 1)

    reply = await client.send(STUDENT, "/grades")

    assert reply.text.split("\n\n") == [
        "📝 <b>My grades</b>",
        "<b>A1</b> (English)\n"
        "• Tue, 3 Mar · <b>9/10</b> · test — <i>&lt;b&gt;Well done&lt;/b&gt; &amp; more</i>\n"
        "• Mon, 2 Mar · <b>7/10</b> · homework",
        "<b>M1</b> (Maths)\n• Sun, 1 Mar · <b>45/50</b> · exam",
    ]


async def test_views_in_russian(client, session):
    student = await make_user(session, STUDENT, roles=[Role.STUDENT], language="ru")
    group = await make_group(session, "A1", course="English")
    await make_enrolment(session, student.id, group)
    await grade(session, student.id, group, utc(3, 10), 45, 50, kind="exam")
    lessons = await make_lessons(session, group, [utc(4, 9)])
    await mark(session, student.id, lessons, ["absent"])

    grades = await client.send(STUDENT, "/grades")
    attendance = await client.send(STUDENT, "/attendance")
    schedule = await client.send(STUDENT, "/schedule")

    assert "• вт, 3 мар. · <b>45/50</b> · экзамен" in grades.text
    assert "• ср, 4 мар. · 14:00 — ❌ не был" in attendance.text
    assert "ср, 4 мар." in schedule.text and "14:00–15:30" in schedule.text


# --- /homework ------------------------------------------------------------------------------


async def test_homework_current_and_recent_with_files_sent_again(client, bot, session):
    student = await make_user(session, STUDENT, roles=[Role.STUDENT])
    group = await make_group(session, "A1", course="English")
    await make_enrolment(session, student.id, group)
    soon = await homework(
        session,
        group,
        "Read <chapter 3> & answer",
        due_at=utc(6, 13),
        attachments=["document:doc-1", "photo:photo-1"],
    )
    await homework(session, group, "Learn the words", due_at=None)
    await homework(session, group, "Essay", due_at=utc(2, 13), attachments=["photo-2"])
    await homework(session, group, "Long ago", due_at=utc(1, 13) - timedelta(days=10))
    elsewhere = await make_group(session, "Not mine")
    foreign = await homework(
        session, elsewhere, "Secret", due_at=utc(6, 13), attachments=["document:doc-9"]
    )
    bot.session.telegram.uploads["doc-1"] = ("task.pdf", b"%PDF")
    bot.session.telegram.photos.update({"photo-1", "photo-2"})

    reply = await client.send(STUDENT, "/homework")

    text = reply.text
    assert text.split("\n\n") == [
        "📚 <b>My homework</b>",
        "<b>Current</b>",
        "1. <b>A1</b> (English) · due Fri, 6 Mar · 18:00\n"
        "Read &lt;chapter 3&gt; &amp; answer\n📎 Files: 2",
        "2. <b>A1</b> (English) · no due date\nLearn the words",
        "<b>Recent</b>",
        "3. <b>A1</b> (English) · was due Mon, 2 Mar · 18:00\nEssay\n📎 Files: 1",
    ]
    assert reply.buttons() == ["📎 Files of #1", "📎 Files of #3"]

    files = await client.press(STUDENT, reply.callback_data("📎 Files of #1"), reply.message_id)
    assert files.answers[0].text == "📎 Sending the files…"
    [document] = files.of(SendDocument)
    [photo] = files.of(SendPhoto)
    assert (document.document, document.caption) == ("doc-1", "📚 Homework · A1")
    assert (photo.photo, photo.caption) == ("photo-1", None)

    # A bare file id that turns out to be a photo is sent as a photo.
    bare = await client.press(STUDENT, reply.callback_data("📎 Files of #3"), reply.message_id)
    assert [p.photo for p in bare.of(SendPhoto)] == ["photo-2"]
    assert not [r for r in bare.texts if r.startswith("⚠️")]

    forged = StudentViewCb(action="file", item=foreign.id).pack()
    refused = await client.press(STUDENT, forged, reply.message_id)
    assert [a.text for a in refused.of(AnswerCallbackQuery)] == [STALE]
    assert not refused.of(SendDocument) and not refused.of(SendPhoto)
    [entry] = await audit_entries(session)
    assert (entry.action, entry.outcome, entry.actor_id) == (
        "homework.files",
        AuditOutcome.DENIED,
        student.id,
    )
    assert entry.details == {"homework": foreign.id}
    assert soon.id != foreign.id


async def test_files_meeting_a_429_are_sent_after_the_wait(client, bot, session):
    student = await make_user(session, STUDENT, roles=[Role.STUDENT])
    group = await make_group(session, "A1", course="English")
    await make_enrolment(session, student.id, group)
    await homework(
        session, group, "Read", due_at=utc(6, 13), attachments=["document:doc-1", "photo:ph-1"]
    )
    bot.session.telegram.uploads["doc-1"] = ("task.pdf", b"%PDF")
    bot.session.telegram.photos.add("ph-1")
    reply = await client.send(STUDENT, "/homework")
    bot.session.fail_next(SendDocument, 429, "Too Many Requests: retry after 1", retry_after=1)

    files = await client.press(STUDENT, reply.callback_data("📎 Files of #1"), reply.message_id)

    assert [a.text for a in files.answers] == ["📎 Sending the files…"]
    first, again = files.of(SendDocument)
    assert isinstance(files.results[files.calls.index(first)], Exception)
    assert (again.document, again.caption) == ("doc-1", "📚 Homework · A1")
    assert [photo.photo for photo in files.of(SendPhoto)] == ["ph-1"]
    assert not files.of(SendMessage)  # nothing reported missing, no error notice


async def test_a_file_telegram_no_longer_has_is_reported(client, session):
    student = await make_user(session, STUDENT, roles=[Role.STUDENT])
    group = await make_group(session, "A1")
    await make_enrolment(session, student.id, group)
    await homework(session, group, "Read", due_at=utc(6, 13), attachments=["document:gone"])

    reply = await client.send(STUDENT, "/homework")
    files = await client.press(STUDENT, reply.callback_data("📎 Files of #1"), reply.message_id)

    assert files.text == "⚠️ Some files of this homework are no longer available. Ask the teacher."


# --- one session, a few queries, no writes --------------------------------------------------


class StatementCounter:
    def __init__(self, engine: AsyncEngine) -> None:
        self.statements: list[str] = []
        self.checkouts = 0
        self.engine = engine.sync_engine
        event.listen(self.engine, "before_cursor_execute", self.on_statement)
        event.listen(self.engine.pool, "checkout", self.on_checkout)

    def on_statement(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append(statement.lstrip().split(None, 1)[0].upper())

    def on_checkout(self, *args) -> None:
        self.checkouts += 1

    def reset(self) -> None:
        self.statements.clear()
        self.checkouts = 0

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self.on_statement)
        event.remove(self.engine.pool, "checkout", self.on_checkout)


async def test_schedule_is_one_session_a_few_selects_and_no_writes(client, session, engine):
    """The same number of SELECTs for 2 lessons as for 30 (no query per lesson)."""
    no_statistics = Choices(reminders=True, announcements=True, analytics=False)
    counts = {}
    for number, lessons in enumerate((2, 30)):
        person = Person(id=3_100_000 + number, first_name=f"S{number}", language_code="en")
        student = await make_user(session, person, roles=[Role.STUDENT], choices=no_statistics)
        groups = [
            await make_group(session, f"G{number}-{i}", slots=[(WED, time(14, 0))])
            for i in range(3)
        ]
        for group in groups:
            await make_enrolment(session, student.id, group)
        for i in range(lessons):
            await make_lessons(session, groups[i % 3], [utc(4, 0) + timedelta(hours=7 * i)])
        await client.send(person, "/schedule")  # the first update of the minute notes last seen

        counter = StatementCounter(engine)
        try:
            reply = await client.send(person, "/schedule")
        finally:
            counter.close()

        assert sum(line.startswith("• ") for line in reply.text.splitlines()) == lessons
        assert counter.checkouts == 1  # one session, one connection, one transaction
        writes = [s for s in counter.statements if s in {"INSERT", "UPDATE", "DELETE"}]
        assert writes == []
        counts[lessons] = counter.statements.count("SELECT")
        assert set(counter.statements) == {"SELECT"}

    assert counts[2] == counts[30]
    assert counts[30] <= 8  # the user loader's few, and two for the schedule
    assert await session.scalar(select(func.count()).select_from(AuditEntry)) == 0


async def test_attendance_grades_and_homework_reads_do_not_grow_with_rows(client, session, engine):
    no_statistics = Choices(reminders=True, announcements=True, analytics=False)
    selects: dict[str, list[int]] = {}
    for number, rows in enumerate((1, 25)):
        person = Person(id=3_200_000 + number, first_name=f"S{number}", language_code="en")
        student = await make_user(session, person, roles=[Role.STUDENT], choices=no_statistics)
        for g in range(2):
            group = await make_group(session, f"H{number}-{g}")
            await make_enrolment(session, student.id, group)
            lessons = await make_lessons(
                session, group, [utc(1, 0) - timedelta(days=i) for i in range(rows)]
            )
            await mark(session, student.id, lessons, ["present"] * rows)
            for i in range(rows):
                await grade(session, student.id, group, utc(1, 0) - timedelta(hours=i), 5)
                await homework(session, group, f"Task {i}", due_at=utc(6, 0) + timedelta(hours=i))
        await client.send(person, "/grades")
        for command in ("/attendance", "/grades", "/homework"):
            counter = StatementCounter(engine)
            try:
                await client.send(person, command)
            finally:
                counter.close()
            assert set(counter.statements) == {"SELECT"} and counter.checkouts == 1
            selects.setdefault(command, []).append(counter.statements.count("SELECT"))

    for command, (few, many) in selects.items():
        assert few == many, command


def test_the_views_keyboard_fits_callback_limits():
    markup = homework_files([(1, 2**31 - 1), (2, 5)])  # the largest id a button carries
    assert isinstance(markup, InlineKeyboardMarkup)
    for row in markup.inline_keyboard:
        for button in row:
            assert len(button.callback_data.encode()) <= 64
