"""Grades in one message of "name score" lines, and homework with a photo, through the real
Dispatcher (FSM data kept as JSON); the line parser and the due-date rules as unit tests."""

from datetime import UTC, datetime, timedelta

import pytest
from aiogram.methods import EditMessageText, SendMessage, SendPhoto
from aiogram.types import Document, Location, PhotoSize
from sqlalchemy import func, select, update

from bot.services import homework as homework_service
from bot.services import parsing
from bot.services.attendance import Student
from bot.services.homework import InvalidHomework
from bot.services.parsing import Invalid, LineError
from bot.services.parsing import LineProblem as Problem
from db.models import AuditEntry, Enrolment, Grade, Homework, Role
from tests.chat import Person
from tests.factories import make_group, make_lesson, make_user
from tests.handlers.test_attendance import (  # noqa: F401  (fixtures)
    LESSON_AT,
    NOW,
    STALE,
    TASHKENT,
    TEACHER,
    centre,
    clock,
    dispatcher,
    entries,
    open_sheet,
    sent_to,
)

pytestmark = pytest.mark.usefixtures("clock")
OTHER_TEACHER = Person(id=5_000_002, first_name="Rustam", language_code="en")
ROSTER = [
    Student(1, "Aziz Karimov", False),
    Student(2, "Gʻulom Oʻrinov", False),
    Student(3, "Ali Valiyev", False),
    Student(4, "Ali Tursunov", False),
]


# --- unit tests -------------------------------------------------------------------------------


def test_score_lines_take_names_or_numbers_and_any_apostrophe():
    text = "Aziz Karimov 18\n\n2 20\nali valiyev: 0\nG'ulom O`rinov"
    with pytest.raises(Invalid) as invalid:
        parsing.parse_scores(text, ROSTER, 20)
    assert invalid.value.facts["errors"] == [LineError(5, Problem.FORMAT, "G'ulom O`rinov")]
    scores = parsing.parse_scores("Aziz 18\nG'ulom 19\nTursunov 7", ROSTER, 20)
    assert scores == {1: 18, 2: 19, 4: 7}
    assert parsing.parse_scores("3 5", ROSTER, 20) == {3: 5}


def test_every_bad_line_is_reported_with_its_number():
    text = "Aziz 21\nAli 5\nZafar 3\n2 7.5\n1 4\n9 1\nAziz 2"
    with pytest.raises(Invalid) as invalid:
        parsing.parse_scores(text, ROSTER, 20)
    assert [(e.line, e.problem) for e in invalid.value.facts["errors"]] == [
        (1, Problem.RANGE),
        (2, Problem.AMBIGUOUS),
        (3, Problem.UNKNOWN),
        (4, Problem.SCORE),
        (6, Problem.NUMBER),
        (7, Problem.DUPLICATE),  # line 5 gave Aziz (number 1) a score already
    ]
    with pytest.raises(Invalid) as empty:
        parsing.parse_scores("  \n", ROSTER, 20)
    assert empty.value.facts["errors"] == [LineError(1, Problem.EMPTY)]


@pytest.mark.parametrize("text", ["0", "1001", "abc", "-5", "12.5", "", None, "²"])
def test_the_maximum_is_a_whole_number_from_1_to_1000(text):
    with pytest.raises(Invalid):
        parsing.parse_max(text)


def test_due_dates_are_local_and_neither_past_nor_far():
    due = parsing.parse_due("6.3.2026", NOW, TASHKENT)
    assert due == datetime(2026, 3, 6, 18, 59, tzinfo=UTC)  # 23:59 in Tashkent
    assert parsing.parse_due("06.03 14:00", NOW, TASHKENT) == datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
    for text, problem in (
        ("31.02.2026", parsing.Problem.DATE_IMPOSSIBLE),
        ("25:00", parsing.Problem.DATE_FORMAT),
        ("06.03.2026 25:00", parsing.Problem.DATE_IMPOSSIBLE),
        ("03.03.2026", parsing.Problem.DATE_PAST),
        ("04.03.2026 13:00", parsing.Problem.DATE_PAST),
        ("05.03.2027", parsing.Problem.DATE_TOO_FAR),
    ):
        with pytest.raises(Invalid) as invalid:
            parsing.parse_due(text, NOW, TASHKENT)
        assert invalid.value.problem is problem, text


def test_only_common_document_types_up_to_20_mb_are_attached():
    assert homework_service.document_attachment("F1", "Tasks.PDF", 1000) == "document:F1"
    for name, size, problem in (
        ("setup.exe", 10, homework_service.Problem.FILE_TYPE),
        (None, 10, homework_service.Problem.FILE_TYPE),
        ("book.pdf", 21 * 1024 * 1024, homework_service.Problem.FILE_SIZE),
    ):
        with pytest.raises(InvalidHomework) as invalid:
            homework_service.document_attachment("F2", name, size)
        assert invalid.value.problem is problem


# --- grades through the Dispatcher --------------------------------------------------------------


async def open_group(client, person: Person):
    groups = await client.send(person, "/groups")
    card = await client.press(
        person, groups.callback_data("A1 <morning> · English"), groups.message_id
    )
    return groups.message_id, card


async def test_scores_for_a_named_test_are_checked_line_by_line_then_saved(client, session):
    data = await centre(session)
    aziz, bobur, _malika = data.students
    message_id, card = await open_group(client, TEACHER)
    step1 = await client.press(TEACHER, card.callback_data("📝 Grades"), message_id)
    assert step1.buttons() == [
        "🗓 Lesson Wed, 4 Mar · 14:00",
        "🏠 Homework",
        "🧪 Test",
        "🎓 Exam",
        "✏️ Classwork",
        "⬅ Back",
    ]
    step2 = await client.press(TEACHER, step1.callback_data("🧪 Test"), message_id)
    assert "Step 2/5 — name it" in step2.text

    step3 = await client.send(TEACHER, "Unit 3 <test>")
    assert "Step 3/5 — the maximum score" in step3.text
    for bad in ("abc", "0", "1001", "-5"):
        reply = await client.send(TEACHER, bad)
        assert reply.text.startswith("⚠️ The maximum must be a whole number from 1 to 1000.")
        assert "Step 3/5" in reply.text
    step4 = await client.send(TEACHER, "20")
    assert "Step 4/5" in step4.text and "1. Aziz\n2. Bobur\n3. Malika" in step4.text

    bad = await client.send(TEACHER, "Aziz 18\nBobur 25\nZafar 10\n3 7,5\nAziz 17\n7 5\nMalika")
    assert bad.text.splitlines() == [
        "⚠️ Nothing was saved. Correct these lines and send all the scores again:",
        "Line 2: 25 is more than the maximum.",
        "Line 3: no student in this group is called «Zafar».",
        "Line 4: «7,5» is not a whole number.",
        "Line 5: «Aziz» already has a score on an earlier line.",
        "Line 6: there is no student number 7 in the list.",
        "Line 7: write a name or a number, a space, then the score.",
    ]
    assert await session.scalar(select(func.count()).select_from(Grade)) == 0

    first = await client.send(TEACHER, "aziz 18")
    edit = await client.press(TEACHER, first.callback_data("✏️ Edit"), first.message_id)
    assert "Step 4/5" in edit.text  # back to the scores; still nothing stored
    assert await session.scalar(select(func.count()).select_from(Grade)) == 0
    summary = await client.send(TEACHER, "aziz 18\n2 15")
    assert "1. Aziz — <b>18/20</b>\n2. Bobur — <b>15/20</b>" in summary.text
    assert "No grade: Malika" in summary.text
    assert summary.buttons() == ["✅ Confirm", "✏️ Edit", "❌ Cancel"]
    done = await client.press(TEACHER, summary.callback_data("✅ Confirm"), summary.message_id)

    assert done.answers[0].text == "✅ Saved."
    grades = (await session.scalars(select(Grade).order_by(Grade.student_id))).all()
    assert [
        (g.student_id, g.score, g.max_score, g.kind, g.comment, g.lesson_id) for g in grades
    ] == [
        (aziz.id, 18, 20, "test", "Unit 3 <test>", None),
        (bobur.id, 15, 20, "test", "Unit 3 <test>", None),
    ]
    [entry] = await entries(session, "grades.entered")
    assert entry.details["count"] == 2 and entry.details["max_score"] == 20
    # Aziz, Bobur and Bobur's mother are told; Malika got no grade, so no notice
    assert "🧪 Test «Unit 3 &lt;test&gt;»: <b>18/20</b>" in sent_to(done, data.people["Aziz"])[0]
    [to_mother] = sent_to(done, data.people["Dilnoza"])
    assert to_mother.startswith("📝 <b>Новая оценка: Bobur</b> · A1 &lt;morning&gt;\n")  # ru
    assert "<b>15/20</b>" in to_mother
    assert not sent_to(done, data.people["Malika"])
    # a second tap on the old summary changes nothing
    again = await client.press(TEACHER, summary.callback_data("✅ Confirm"), summary.message_id)
    assert again.answers[0].text == STALE
    assert await session.scalar(select(func.count()).select_from(Grade)) == 2


async def test_grades_for_a_lesson_are_one_per_student_and_a_change_is_audited(client, session):
    data = await centre(session)
    aziz = data.students[0]

    async def grade_lesson(lines: str):
        message_id, card = await open_group(client, TEACHER)
        step1 = await client.press(TEACHER, card.callback_data("📝 Grades"), message_id)
        step2 = await client.press(
            TEACHER, step1.callback_data("🗓 Lesson Wed, 4 Mar · 14:00"), message_id
        )
        assert "Step 2/4 — the maximum score" in step2.text
        await client.send(TEACHER, "10")
        summary = await client.send(TEACHER, lines)
        return await client.press(TEACHER, summary.callback_data("✅ Confirm"), summary.message_id)

    await grade_lesson("1 7")
    await grade_lesson("1 9")

    [grade] = (await session.scalars(select(Grade))).all()
    assert (grade.student_id, grade.score, grade.kind, grade.lesson_id) == (
        aziz.id,
        9,
        "classwork",
        data.lesson.id,
    )
    second = (await entries(session, "grades.entered"))[-1]
    assert second.details["changes"] == [{"student_id": aziz.id, "old": "7/10", "new": "9/10"}]


async def test_a_lesson_id_beyond_an_integer_column_is_a_stale_button(client, session):
    """The lesson rides in the button's free text field: an id no INTEGER column holds is
    refused before the query (PostgreSQL raised DBAPIError on it)."""
    data = await centre(session)
    message_id, card = await open_group(client, TEACHER)
    step1 = await client.press(TEACHER, card.callback_data("📝 Grades"), message_id)
    real = step1.callback_data("🗓 Lesson Wed, 4 Mar · 14:00")
    assert real.startswith(f"fm:gr:pick:target:{data.lesson.id}:")  # then the form's run
    forged = await client.press(TEACHER, f"fm:gr:pick:target:{2**31}", message_id)
    assert [answer.text for answer in forged.answers] == [STALE]
    step2 = await client.press(TEACHER, real, message_id)  # the form is where it was
    assert "Step 2/4 — the maximum score" in step2.text


async def test_another_teachers_group_cannot_be_graded_or_given_homework(client, session):
    data = await centre(session)
    other = await make_user(session, OTHER_TEACHER, roles=[Role.TEACHER])
    foreign = await make_group(session, "B2 evening", teacher_id=other.id)
    foreign_lesson = await make_lesson(session, foreign, LESSON_AT)
    for data_string in (f"tg:start:{foreign.id}:", f"hw:start:{foreign.id}"):
        reply = await client.press(TEACHER, data_string)
        assert [a.text for a in reply.answers] == [STALE], data_string
        assert not reply.of(EditMessageText) and not reply.of(SendMessage)
    # a lesson of the other teacher's group, forged into one's own grade form
    message_id, card = await open_group(client, TEACHER)
    step1 = await client.press(TEACHER, card.callback_data("📝 Grades"), message_id)
    forged = await client.press(TEACHER, f"fm:gr:pick:target:{foreign_lesson.id}", message_id)
    assert [a.text for a in forged.answers] == [STALE]
    assert not forged.of(EditMessageText) and not forged.of(SendMessage)
    # the group handed to the other teacher while the forms are open: refused at the next
    # answer, the form ends, nothing is written
    step2 = await client.press(TEACHER, step1.callback_data("🧪 Test"), message_id)
    assert "Step 2/5 — name it" in step2.text
    data.group.teacher_id = other.id
    await session.commit()
    refused = await client.send(TEACHER, "Unit 3 test")
    assert refused.text.startswith("⚠️ You do not have access to this.")
    assert (await client.send(TEACHER, "20")).text != refused.text  # the form has ended
    data.group.teacher_id = data.teacher.id
    await session.commit()
    await client.press(TEACHER, card.callback_data("📚 Homework"), message_id)
    step2 = await client.send(TEACHER, "Read chapter 2.")
    data.group.teacher_id = other.id
    await session.commit()
    no_file = await client.press(TEACHER, step2.callback_data("⏭ No file"), step2.message_id)
    assert [a.text for a in no_file.answers] == [STALE]
    assert await session.scalar(select(func.count()).select_from(Grade)) == 0
    assert await session.scalar(select(func.count()).select_from(Homework)) == 0
    assert len(await entries(session, "grades.denied")) == 2
    assert len(await entries(session, "homework.denied")) == 2


# --- homework through the Dispatcher ------------------------------------------------------------


@pytest.mark.slow  # waits out Telegram's retry_after: about 5 s
async def test_homework_with_a_photo_reaches_the_students_and_their_parents(client, session, bot):
    data = await centre(session)
    next_lesson = await make_lesson(session, data.group, LESSON_AT + timedelta(days=2))
    bot.session.telegram.photos.add("photo-file-1")  # Telegram knows the teacher's upload
    message_id, card = await open_group(client, TEACHER)
    step1 = await client.press(TEACHER, card.callback_data("📚 Homework"), message_id)
    assert "Step 1/4" in step1.text

    where = await client.send(TEACHER, location=Location(latitude=41.3, longitude=69.2))
    assert where.text.startswith("⚠️ Send the task as text, or a photo or a document")
    long = await client.send(TEACHER, "x" * 3001)
    assert long.text.startswith("⚠️ That is too long: the limit is 3000 characters.")
    no_caption = await client.send(
        TEACHER, photo=[PhotoSize(file_id="photo-file-1", file_unique_id="u1", width=9, height=9)]
    )
    assert no_caption.text.startswith("⚠️ Add the task as the caption of the file")

    step3 = await client.send(
        TEACHER,
        photo=[PhotoSize(file_id="photo-file-1", file_unique_id="u1", width=9, height=9)],
        caption="Exercises 3–5 & <new words>",
    )
    assert "Step 3/4 — when is it due?" in step3.text
    assert step3.buttons() == ["🗓 Next lesson: Fri, 6 Mar · 14:00", "⏭ No due date"]
    for text, reason in (
        ("31.02.2026", "⚠️ That is not a date."),
        ("01.03.2026", "⚠️ That moment has passed already."),
    ):
        assert (await client.send(TEACHER, text)).text.startswith(reason)
    summary = await client.press(
        TEACHER, step3.callback_data("🗓 Next lesson: Fri, 6 Mar · 14:00"), step3.message_id
    )
    assert "<b>Due:</b> due Fri, 6 Mar · 14:00" in summary.text
    assert "<b>File:</b> 📷 a photo" in summary.text
    assert "Exercises 3–5 &amp; &lt;new words&gt;" in summary.text
    assert await session.scalar(select(func.count()).select_from(Homework)) == 0

    # Telegram asks to slow down on the first file: it is sent again after the wait
    client.bot.session.fail_next(SendPhoto, 429, "Too Many Requests: retry after 1", retry_after=1)
    posted = await client.press(TEACHER, summary.callback_data("✅ Confirm"), step3.message_id)

    assert posted.answers[0].text == "✅ Posted."
    [item] = (await session.scalars(select(Homework))).all()
    assert item.attachments == ["photo:photo-file-1"]
    assert (item.lesson_id, item.due_at, item.posted_by_id) == (
        next_lesson.id,
        next_lesson.starts_at,
        data.teacher.id,
    )
    assert item.text == "Exercises 3–5 & <new words>"
    [entry] = await session.scalars(
        select(AuditEntry).where(AuditEntry.action == "homework.posted")
    )
    assert entry.object_id == str(item.id) and entry.details["attachments"] == 1
    students_and_parent = [
        *(data.people[n] for n in ("Aziz", "Bobur", "Malika")),
        data.people["Dilnoza"],
    ]
    for person in students_and_parent:
        [notice] = sent_to(posted, person)
        assert "Exercises 3–5 &amp; &lt;new words&gt;" in notice
    assert (
        "📚 <b>Новое домашнее задание: Bobur</b> · A1 &lt;morning&gt;"  # the mother reads ru
        in sent_to(posted, data.people["Dilnoza"])[0]
    )
    photos = [
        call
        for call, result in zip(posted.calls, posted.results, strict=True)
        if isinstance(call, SendPhoto) and not isinstance(result, Exception)
    ]
    assert sorted(call.chat_id for call in photos) == sorted(p.id for p in students_and_parent)
    assert {call.photo for call in photos} == {"photo-file-1"}
    assert len(posted.of(SendPhoto)) == len(photos) + 1  # the one refused with 429, again


async def test_homework_refuses_other_files_and_can_be_posted_without_one(client, session):
    data = await centre(session)
    message_id, card = await open_group(client, TEACHER)
    await client.press(TEACHER, card.callback_data("📚 Homework"), message_id)
    step2 = await client.send(TEACHER, "Read chapter 2.")
    assert "Step 2/4" in step2.text and step2.buttons() == ["⏭ No file"]
    exe = Document(file_id="doc-1", file_unique_id="d1", file_name="game.exe", file_size=100)
    assert (await client.send(TEACHER, document=exe)).text.startswith(
        "⚠️ This kind of file is not taken."
    )
    assert (await client.send(TEACHER, "and also this")).text.startswith(
        "⚠️ Only a photo or a document can be attached here"
    )
    step3 = await client.press(TEACHER, step2.callback_data("⏭ No file"), step2.message_id)
    assert "Step 3/4" in step3.text
    assert step3.buttons() == ["⏭ No due date"]  # no lesson ahead
    summary = await client.send(TEACHER, "10.03.2026")
    assert "<b>Due:</b> due Tue, 10 Mar · 23:59" in summary.text
    posted = await client.press(TEACHER, summary.callback_data("✅ Confirm"), summary.message_id)
    [item] = (await session.scalars(select(Homework))).all()
    assert item.attachments == [] and item.lesson_id is None
    assert item.due_at == datetime(2026, 3, 10, 18, 59, tzinfo=UTC)
    assert len(posted.of(SendMessage)) == 4 and not posted.of(SendPhoto)
    assert data.group.id == item.group_id

    # ❌ Cancel on a new summary posts nothing
    await client.press(TEACHER, card.callback_data("📚 Homework"), message_id)
    step2 = await client.send(TEACHER, "Another task")
    step3 = await client.press(TEACHER, step2.callback_data("⏭ No file"))
    summary = await client.press(TEACHER, step3.callback_data("⏭ No due date"), step3.message_id)
    assert "<b>Due:</b> no due date" in summary.text
    cancelled = await client.press(TEACHER, summary.callback_data("❌ Cancel"), step3.message_id)
    assert cancelled.text == "❌ Cancelled. Nothing was posted."
    assert await session.scalar(select(func.count()).select_from(Homework)) == 1


async def test_unsaved_attendance_taps_outlive_a_grade_or_homework_form(client, session):
    """The taps live in a slot of their own: a form opened, finished or cancelled keeps them."""
    data = await centre(session)
    message_id, sheet = await open_sheet(client, TEACHER, data.lesson)
    tapped = await client.press(TEACHER, sheet.callback_data("✅ 2. Bobur"), message_id)
    assert "❌ 2. Bobur" in tapped.buttons()
    groups_id, card = await open_group(client, TEACHER)
    await client.press(TEACHER, card.callback_data("📚 Homework"), groups_id)
    step2 = await client.send(TEACHER, "Read chapter 2.")
    await client.press(TEACHER, card.callback_data("📝 Grades"), groups_id)  # closes homework
    await client.send(TEACHER, "/cancel")
    assert step2.buttons() == ["⏭ No file"]
    _, again = await open_sheet(client, TEACHER, data.lesson)
    assert "❌ 2. Bobur" in again.buttons()


async def test_edit_asks_the_homework_again_from_the_task_and_grades_repeat_a_step(client, session):
    data = await centre(session)
    message_id, card = await open_group(client, TEACHER)
    await client.press(TEACHER, card.callback_data("📚 Homework"), message_id)
    step2 = await client.send(TEACHER, "Read chapter 2.")
    step3 = await client.press(TEACHER, step2.callback_data("⏭ No file"), step2.message_id)
    summary = await client.press(TEACHER, step3.callback_data("⏭ No due date"), step2.message_id)
    typed = await client.send(TEACHER, "hello")
    assert typed.text.startswith("ℹ️ Use the buttons under the message above: ✅ Confirm")
    edit = await client.press(TEACHER, summary.callback_data("✏️ Edit"), step2.message_id)
    assert "Step 1/4" in edit.text and "/cancel — leave without posting." in edit.text
    again = await client.send(TEACHER, "Read chapter 3.")
    assert "Step 2/4" in again.text  # the file and the due date are asked again
    due = await client.press(TEACHER, again.callback_data("⏭ No file"), again.message_id)
    summary = await client.send(TEACHER, "10.03.2026")
    assert "Read chapter 3." in summary.text and "10 Mar" in summary.text
    assert "Step 3/4" in due.text

    step1 = await client.press(TEACHER, card.callback_data("📝 Grades"), message_id)
    hint = await client.send(TEACHER, "a test")
    assert hint.text == "ℹ️ Use the buttons under the message above, or /cancel."
    await client.press(TEACHER, step1.callback_data("🎓 Exam"), message_id)
    sticker = await client.send(TEACHER, location=Location(latitude=41.3, longitude=69.2))
    assert sticker.text == "⚠️ Please send it as a text message."
    await client.send(TEACHER, "Final")
    await session.execute(
        update(Enrolment).where(Enrolment.group_id == data.group.id).values(status="left")
    )
    await session.commit()
    nobody = await client.send(TEACHER, "50")
    assert nobody.text.startswith("ℹ️ Nobody is actively enrolled in this group")
    assert (await client.send(TEACHER, "1 5")).text != nobody.text  # the form has ended
