"""📋 The attendance report through the real Dispatcher: the summary, the PNG and the XLSX
for last month (a bar a group) and for a year (a bar a month), a filter, and the refusals."""

import io
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import openpyxl
from aiogram.methods import SendChatAction, SendDocument, SendPhoto
from PIL import Image
from sqlalchemy import select

from bot.services.reports.chart import HEIGHT_PX, WIDTH_PX
from bot.services.reports.period import Period
from db.models import Attendance, AuditEntry, LessonStatus, Permission, Role
from keyboards.reports import ReportCb
from tests.chat import Person
from tests.factories import make_group, make_lesson, make_user
from tests.handlers.test_payments import centre_today

TZ = ZoneInfo("Asia/Tashkent")


def local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ).astimezone(UTC)


async def centre(session) -> dict[str, int]:
    """Last month, group A1 of Teacher Tom: on the 3rd Sam present and Ann absent, on the
    10th Sam late and Ann absent, the 17th never marked, the 24th cancelled; group B2 (no
    teacher) on the 5th: Sam excused."""
    tom = await make_user(session, None, roles=[Role.TEACHER], full_name="Teacher Tom")
    a1 = await make_group(session, "A1", course="English", teacher_id=tom.id)
    b2 = await make_group(session, "B2", course="Maths")
    sam = await make_user(session, None, roles=[Role.STUDENT], full_name="Sam")
    ann = await make_user(session, None, roles=[Role.STUDENT], full_name="Ann")
    month = Period.last_month(centre_today()).start
    marks = {
        (a1, 3): {sam.id: "present", ann.id: "absent"},
        (a1, 10): {sam.id: "late", ann.id: "absent"},
        (a1, 17): {},
        (b2, 5): {sam.id: "excused"},
    }
    for (group, day), sheet in marks.items():
        status = LessonStatus.HELD if sheet else LessonStatus.SCHEDULED
        lesson = await make_lesson(session, group, local(month.replace(day=day), 10), status=status)
        session.add_all(
            Attendance(lesson_id=lesson.id, student_id=sid, status=mark)
            for sid, mark in sheet.items()
        )
    await make_lesson(session, a1, local(month.replace(day=24), 10), status=LessonStatus.CANCELLED)
    await session.commit()
    return {"a1": a1.id, "tom": tom.id, "month": month.month, "year": month.year}


async def test_attendance_for_last_month_end_to_end(client, session, owner):
    await make_user(session, owner)
    ids = await centre(session)
    panel = await client.send(owner, "/admin")
    message_id = panel.message_id
    menu = await client.press(owner, panel.callback_data("📊 Reports"), message_id)
    assert "📋 Attendance" in menu.buttons()
    periods = await client.press(owner, menu.callback_data("📋 Attendance"), message_id)
    assert "📋 <b>Attendance</b>" in periods.text
    scopes = await client.press(owner, periods.callback_data("⏮ Last month"), message_id)
    reply = await client.press(owner, scopes.callback_data("🏫 The whole centre"), message_id)

    assert [a.action for a in reply.of(SendChatAction)] == ["upload_photo", "upload_document"]
    text = reply.text
    assert "📋 <b>Attendance</b> · " in text and "🎯 the whole centre" in text
    assert "Marks: <b>5</b>" in text
    assert "✅ present: <b>20.0%</b> (1)" in text
    assert "⏰ late: <b>20.0%</b> (1)" in text
    assert "📝 excused: <b>20.0%</b> (1)" in text
    assert "❌ absent: <b>40.0%</b> (2)" in text
    assert "Lessons held: <b>4</b>, not marked: <b>1</b>" in text
    assert "Not marked, by teacher:\n  · Teacher Tom: 1 of 3" in text
    assert "Most absences:\n1. Ann: 2 of 2" in text and "Sam:" not in text

    [photo] = reply.of(SendPhoto)
    image = Image.open(io.BytesIO(photo.photo.data))
    assert image.format == "PNG" and image.size == (WIDTH_PX, HEIGHT_PX)
    assert len(image.convert("RGB").getcolors(maxcolors=1 << 20)) > 10

    [document] = reply.of(SendDocument)
    assert document.document.filename.startswith("attendance-m")
    workbook = openpyxl.load_workbook(io.BytesIO(document.document.data))
    assert workbook.sheetnames == [
        "Summary",
        "By group",
        "By teacher",
        "By student",
        "Most absences",
        "Not marked",
    ]
    summary = workbook["Summary"]
    assert summary["B1"].value == "Attendance" and summary["B3"].value == "the whole centre"
    assert (summary["A4"].value, summary["B4"].value) == ("Lessons held", "4")
    assert (summary["A5"].value, summary["B5"].value) == ("Not marked", "1")
    table = list(summary.iter_rows(min_row=8, max_row=11, values_only=True))
    assert table == [
        ("Present", 1, 0.2),
        ("Late", 1, 0.2),
        ("Excused", 1, 0.2),
        ("Absent", 2, 0.4),
    ]
    assert summary["B12"].value == "=SUM(B8:B11)" and summary.freeze_panes == "A8"

    by_group = workbook["By group"]
    assert [c.value for c in by_group[5]] == [
        "Group",
        "Course",
        "Marks",
        "Present",
        "Late",
        "Excused",
        "Absent",
        "Present, %",
        "Late, %",
        "Excused, %",
        "Absent, %",
    ]
    # the rates as the number of percent (the titles say "%"), not formatted cells
    assert [c.value for c in by_group[6]] == ["A1", "English", 4, 1, 1, 0, 2, 25, 25, 0, 50]
    assert by_group["H6"].number_format == "General"
    assert [c.value for c in by_group[7]][:3] == ["B2", "Maths", 1]
    assert by_group["C8"].value == "=SUM(C6:C7)"
    assert by_group["K8"].value == '=IF(C8=0,"",ROUND(100*G8/C8,1))'

    teachers = list(workbook["By teacher"].iter_rows(min_row=6, max_row=7, values_only=True))
    assert [row[:4] for row in teachers] == [("Teacher Tom", 3, 1, 4), ("—", 1, 0, 1)]
    students = list(workbook["By student"].iter_rows(min_row=6, max_row=7, values_only=True))
    assert [row[:6] for row in students] == [("Ann", 2, 0, 0, 0, 2), ("Sam", 3, 1, 1, 1, 0)]
    absences = list(workbook["Most absences"].iter_rows(min_row=6, values_only=True))
    assert absences == [(1, "Ann", 2, 0, 2, 100)]
    not_marked = workbook["Not marked"]
    [(when, group, course, teacher)] = not_marked.iter_rows(min_row=6, values_only=True)
    day = date(ids["year"], ids["month"], 17)
    assert when == datetime.combine(day, time(10)) and not_marked["A6"].number_format == (
        "dd.mm.yyyy hh:mm"
    )
    assert (group, course, teacher) == ("A1", "English", "Teacher Tom")


async def test_a_year_by_month_and_a_teacher_filter(client, session, owner):
    await make_user(session, owner)
    ids = await centre(session)
    year = Period.year(ids["year"]).token
    reply = await client.press(
        owner, ReportCb(action="run", report="att", period=year, scope=f"t{ids['tom']}").pack()
    )
    assert "🎯 teacher Teacher Tom" in reply.text and "Marks: <b>4</b>" in reply.text
    assert "❌ absent: <b>50.0%</b> (2)" in reply.text
    [photo] = reply.of(SendPhoto)
    assert Image.open(io.BytesIO(photo.photo.data)).size == (WIDTH_PX, HEIGHT_PX)
    [document] = reply.of(SendDocument)
    workbook = openpyxl.load_workbook(io.BytesIO(document.document.data))
    assert [row[0] for row in workbook["By group"].iter_rows(min_row=6, values_only=True)] == [
        "A1",
        "Total",
    ]


async def test_an_empty_period_draws_no_data(client, session, owner):
    await make_user(session, owner)
    await centre(session)
    reply = await client.press(
        owner, ReportCb(action="run", report="att", period="m202001", scope="c").pack()
    )
    assert "No lessons were held or marked in this period." in reply.text
    assert "❌ absent: <b>—</b> (0)" in reply.text and "Most absences" not in reply.text
    [photo] = reply.of(SendPhoto)
    assert Image.open(io.BytesIO(photo.photo.data)).size == (WIDTH_PX, HEIGHT_PX)
    [document] = reply.of(SendDocument)
    workbook = openpyxl.load_workbook(io.BytesIO(document.document.data))
    assert workbook["Not marked"].max_row == 5  # the intro and the header only


async def test_a_group_gone_and_a_reader_without_the_permission(client, session, owner):
    await make_user(session, owner)
    await centre(session)
    period = Period.last_month(centre_today()).token
    gone = ReportCb(action="run", report="att", period=period, scope="g999999").pack()
    refused = await client.press(owner, gone)
    assert [(a.text, a.show_alert) for a in refused.answers] == [
        ("⚠️ This group no longer exists: choose another filter.", True)
    ]
    assert not refused.of(SendPhoto) and not refused.of(SendDocument)

    bob = Person(id=7_000_002, first_name="Bob", language_code="en")
    bob_id = (
        await make_user(session, bob, roles=[Role.ADMIN], permissions=[Permission.ACADEMIC])
    ).id
    denied = await client.press(bob, ReportCb(action="run", report="att", period=period).pack())
    assert denied.answers[0].text.startswith("⚠️ You do not have access to this.")
    assert not denied.of(SendPhoto)
    session.expire_all()
    entries = (await session.scalars(select(AuditEntry))).all()
    assert [(e.actor_id, e.outcome) for e in entries] == [(bob_id, "denied")]


async def test_the_summary_in_uzbek_and_russian(client, session):
    await centre(session)
    period = Period.last_month(centre_today()).token
    uz = Person(id=1_000_001, first_name="Owner", language_code="uz")
    await make_user(session, uz, language="uz")
    ru = Person(id=7_000_003, first_name="Rita", language_code="ru")
    await make_user(
        session, ru, roles=[Role.ADMIN], permissions=[Permission.REPORTS], language="ru"
    )
    for person, heading, absent in (
        (uz, "📋 <b>Davomat</b>", "❌ kelmadi"),
        (ru, "📋 <b>Посещаемость</b>", "❌ не был"),
    ):
        reply = await client.press(
            person, ReportCb(action="run", report="att", period=period, scope="c").pack()
        )
        assert heading in reply.text and absent in reply.text
        [document] = reply.of(SendDocument)
        workbook = openpyxl.load_workbook(io.BytesIO(document.document.data))
        assert len(workbook.sheetnames) == 6 and "Summary" not in workbook.sheetnames
