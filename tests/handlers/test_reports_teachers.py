"""📊 The teachers report through the real Dispatcher: the summary, the PNG and the XLSX for
last month, a teacher chosen from the list, an empty period, and the summary in Uzbek."""

import io
from datetime import UTC, datetime, time, timedelta

import openpyxl
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    SendChatAction,
    SendDocument,
    SendPhoto,
)
from PIL import Image

from bot.formatting import format_money
from bot.i18n import use_language
from bot.services.reports.chart import HEIGHT_PX, WIDTH_PX
from bot.services.reports.period import Period
from db.models import Attendance, AttendanceStatus, LessonStatus, Role
from keyboards.reports import ReportCb
from tests.chat import Person
from tests.factories import make_charge, make_enrolment, make_group, make_lesson, make_user
from tests.handlers.test_payments import centre_today


def money(amount: int) -> str:
    with use_language("en"):
        return format_money(amount)


def last_month() -> Period:
    return Period.last_month(centre_today())


def at(day: int, hour: int) -> datetime:
    """A Tashkent time (UTC+5) on a day of last month, as UTC."""
    local = datetime.combine(last_month().start.replace(day=day), time(hour), tzinfo=UTC)
    return local - timedelta(hours=5)


async def centre(session) -> dict[str, int]:
    """Last month: Teacher Tom's A1 held two lessons (Sam present, then absent; a third was
    cancelled) and charged Sam 500 000; Teacher Ann's B2 held one (Lola late) and charged
    Lola 300 000."""
    month = last_month().start
    tom = await make_user(session, None, roles=[Role.TEACHER], full_name="Teacher Tom")
    ann = await make_user(session, None, roles=[Role.TEACHER], full_name="Teacher Ann")
    ids = {"tom": tom.id, "ann": ann.id}
    a1 = await make_group(session, "A1", course="English", teacher_id=tom.id)
    b2 = await make_group(session, "B2", course="Maths", teacher_id=ann.id)
    for name, group, amount, marks in (
        ("Sam", a1, 500_000, [AttendanceStatus.PRESENT, AttendanceStatus.ABSENT]),
        ("Lola", b2, 300_000, [AttendanceStatus.LATE]),
    ):
        student = await make_user(session, None, roles=[Role.STUDENT], full_name=name)
        enrolment = await make_enrolment(session, student, group)
        await make_charge(session, student, amount=amount, period=month, enrolment_id=enrolment.id)
        for day, mark in enumerate(marks, start=5):
            lesson = await make_lesson(session, group, at(day, 10), status=LessonStatus.HELD)
            session.add(Attendance(lesson_id=lesson.id, student_id=student.id, status=mark))
    await make_lesson(session, a1, at(20, 10), status=LessonStatus.CANCELLED)
    await session.commit()
    return ids


async def test_teachers_for_last_month_end_to_end(client, session, owner):
    await make_user(session, owner)
    await centre(session)
    panel = await client.send(owner, "/admin")
    menu = await client.press(owner, panel.callback_data("📊 Reports"), panel.message_id)
    assert "🧑‍🏫 Teachers" in menu.buttons()
    message_id = panel.message_id
    periods = await client.press(owner, menu.callback_data("🧑‍🏫 Teachers"), message_id)
    assert "🧑‍🏫 <b>Teachers</b>" in periods.text
    scopes = await client.press(owner, periods.callback_data("⏮ Last month"), message_id)
    reply = await client.press(owner, scopes.callback_data("🏫 The whole centre"), message_id)

    assert [type(call) for call in reply.calls] == [
        AnswerCallbackQuery,
        EditMessageText,
        SendChatAction,
        SendPhoto,
        SendChatAction,
        SendDocument,
    ]
    text = reply.text
    assert "🧑‍🏫 <b>Teachers</b> · " in text and "🎯 the whole centre" in text
    assert "Teachers: <b>2</b>" in text and "Lessons held: <b>3</b>" in text
    assert "Students taught: <b>2</b>" in text and "Attendance: <b>66.7%</b>" in text
    assert f"Revenue of their groups: <b>{money(800_000)}</b>" in text
    tom_line = "· Teacher Tom: lessons 2 · students 1 · attendance 50.0% · "
    assert tom_line + money(500_000) in text
    assert text.index("Teacher Tom:") < text.index("Teacher Ann:")  # most lessons first

    [photo] = reply.of(SendPhoto)
    image = Image.open(io.BytesIO(photo.photo.data))
    assert image.format == "PNG" and image.size == (WIDTH_PX, HEIGHT_PX)
    assert photo.photo.filename == f"teachers-{last_month().token}-c.png"

    [document] = reply.of(SendDocument)
    workbook = openpyxl.load_workbook(io.BytesIO(document.document.data))
    assert workbook.sheetnames == ["Summary", "Teachers", "Lessons"]
    summary = workbook["Summary"]
    assert summary["A1"].value == "Report" and summary["B1"].value == "Teachers"
    assert [c.value for c in summary[6]] == [2, 3, 2, 3, 2, 2 / 3, 800_000]
    assert summary["G6"].number_format == '#,##0 "soʻm"'
    sheet = workbook["Teachers"]
    assert sheet.freeze_panes == "A6"
    assert [c.value for c in sheet[5]] == [
        "Teacher",
        "Lessons held",
        "Students taught",
        "Attendance marks",
        "Present or late",
        "Attendance rate",
        "Revenue",
    ]
    assert [c.value for c in sheet[6]] == ["Teacher Tom", 2, 1, 2, 1, 0.5, 500_000]
    assert [c.value for c in sheet[7]] == ["Teacher Ann", 1, 1, 1, 1, 1.0, 300_000]
    assert [c.value for c in sheet[8]] == [
        "Total",
        "=SUM(B6:B7)",
        2,
        "=SUM(D6:D7)",
        "=SUM(E6:E7)",
        '=IF(D8=0,"",E8/D8)',
        "=SUM(G6:G7)",
    ]
    assert sheet["G6"].number_format == '#,##0 "soʻm"' and sheet["F6"].number_format == "0.0%"
    lessons = workbook["Lessons"]
    with use_language("en"):
        from handlers.admin.reports.common import month_label

        label = month_label(last_month().start, with_year=False)
    assert [c.value for c in lessons[6]][:3] == ["Teacher Tom", label, 2]
    assert [c.value for c in lessons[7]][:3] == ["Teacher Ann", label, 1]
    assert lessons["A8"].value == "Total" and lessons["C8"].value == "=SUM(C6:C7)"


async def test_a_teacher_from_the_list(client, session, owner):
    await make_user(session, owner)
    ids = await centre(session)
    period = last_month().token
    listing = await client.press(
        owner, ReportCb(action="scopes", report="tch", period=period, scope="t").pack()
    )
    assert listing.buttons() == ["Teacher Ann", "Teacher Tom", "⬅ Back"]
    reply = await client.press(owner, listing.callback_data("Teacher Ann"))
    assert "🎯 teacher Teacher Ann" in reply.text and "Teachers: <b>1</b>" in reply.text
    assert f"Revenue of their groups: <b>{money(300_000)}</b>" in reply.text
    assert "Teacher Tom:" not in reply.text
    [document] = reply.of(SendDocument)
    assert document.document.filename == f"teachers-{period}-t{ids['ann']}.xlsx"


async def test_an_empty_period_draws_no_data(client, session, owner):
    await make_user(session, owner)
    await centre(session)
    reply = await client.press(
        owner, ReportCb(action="run", report="tch", period="m202001", scope="c").pack()
    )
    assert "No lessons were held and nothing was charged in this period." in reply.text
    assert "Attendance: <b>—</b>" in reply.text and "Teacher Tom:" not in reply.text
    [photo] = reply.of(SendPhoto)
    assert Image.open(io.BytesIO(photo.photo.data)).size == (WIDTH_PX, HEIGHT_PX)
    [document] = reply.of(SendDocument)
    workbook = openpyxl.load_workbook(io.BytesIO(document.document.data))
    assert [c.value for c in workbook["Teachers"][6]][:2] == ["Teacher Ann", 0]


async def test_the_summary_in_uzbek(client, session):
    uz = Person(id=1_000_001, first_name="Owner", language_code="uz")
    await make_user(session, uz, language="uz")
    await centre(session)
    reply = await client.press(
        uz, ReportCb(action="run", report="tch", period=last_month().token, scope="c").pack()
    )
    assert "🧑‍🏫 <b>Oʻqituvchilar</b>" in reply.text and "soʻm" in reply.text
