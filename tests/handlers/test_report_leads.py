"""🧲 The leads report through the real Dispatcher: the summary, the funnel PNG and the XLSX
read back, for the whole centre, a course and a group; an empty period."""

import io
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import openpyxl
from aiogram.methods import SendDocument, SendPhoto
from PIL import Image

from bot.services.reports.chart import HEIGHT_PX, WIDTH_PX
from db.models import Lead, LeadStatus, Role
from keyboards.reports import ReportCb
from tests.factories import make_enrolment, make_group, make_user

TZ = ZoneInfo("Asia/Tashkent")


def at(day: int, month: int = 3, hour: int = 10) -> datetime:
    return datetime.combine(date(2026, month, day), time(hour), tzinfo=TZ).astimezone(UTC)


async def leads_of_march(session) -> dict[str, int]:
    """Four leads of March 2026 and one of February enrolled on 2 March:

    Aziza (English, bot) contacted, trial, enrolled after 7 days into A1;
    Bek (English, bot) contacted then lost; a walk-in (no course, phone) still new;
    Dilya (Maths, bot) enrolled straight away after 3 days into B1;
    Old (Maths, bot) from 20 February, enrolled on 2 March after 10 days into B1."""
    teacher = await make_user(session, None, roles=[Role.TEACHER], full_name="Teacher Tom")
    english = await make_group(session, "A1", course="English", teacher_id=teacher.id)
    maths = await make_group(session, "B1", course="Maths")
    students = {}
    for name, group in (("Aziza", english), ("Dilya", maths), ("Old", maths)):
        student = await make_user(session, None, roles=[Role.STUDENT], full_name=name)
        await make_enrolment(session, student, group, joined_on=date(2026, 3, 2))
        students[name] = student.id
    rows = [
        Lead(
            name="Aziza",
            course_id=english.course_id,
            user_id=students["Aziza"],
            status=LeadStatus.ENROLLED,
            created_at=at(2),
            contacted_at=at(3),
            trial_at=at(5),
            enrolled_at=at(9),
        ),
        Lead(
            name="Bek",
            course_id=english.course_id,
            status=LeadStatus.LOST,
            created_at=at(4),
            contacted_at=at(4, hour=12),
            lost_at=at(6),
        ),
        Lead(name="Walk In", source="phone", created_at=at(10)),
        Lead(
            name="Dilya",
            course_id=maths.course_id,
            user_id=students["Dilya"],
            status=LeadStatus.ENROLLED,
            created_at=at(12),
            enrolled_at=at(15),
        ),
        Lead(
            name="Old",
            course_id=maths.course_id,
            user_id=students["Old"],
            status=LeadStatus.ENROLLED,
            created_at=at(20, month=2),
            enrolled_at=at(2),
        ),
        Lead(name="April", created_at=at(1, month=4)),
    ]
    for row in rows:
        row.phone = "+998901112233"
        session.add(row)
    await session.commit()
    return {"english": english.course_id, "A1": english.id, "teacher": teacher.id}


def run(scope: str, period: str = "m202603") -> str:
    return ReportCb(action="run", report="lea", period=period, scope=scope).pack()


async def test_the_leads_report_for_the_whole_centre(client, session, owner):
    await make_user(session, owner)
    await leads_of_march(session)
    menu = await client.send(owner, "/reports")
    assert "🧲 Leads" in menu.buttons()
    periods = await client.press(owner, menu.callback_data("🧲 Leads"), menu.message_id)
    assert periods.text.startswith("🧲 <b>Leads</b>")
    reply = await client.press(owner, run("c"), menu.message_id)

    text = reply.text
    assert text.startswith("🧲 <b>Leads</b> · March 2026\n🎯 the whole centre")
    assert "New leads: <b>4</b>" in text
    assert "By source:\n  · Telegram bot (/apply): 3 → 🎓 2\n  · phone: 1 → 🎓 0" in text
    assert "  · English: 2 → 🎓 1" in text and "  · Maths: 1 → 🎓 1" in text
    assert "  · not sure yet: 1 → 🎓 0" in text
    assert "📞 Contacted: 3 (75.0%)" in text  # Dilya went straight on: contacted too
    assert "🧪 Trial lesson: 2 (66.7%)" in text
    assert "🎓 Enrolled: 2 (100.0%)" in text
    assert "❌ Lost: 1 (25.0%)" in text
    assert "⏳ Still open: 1" in text and "Conversion (enrolled ÷ new): <b>50.0%</b>" in text
    assert "⏱ Enrolled in the period: <b>3</b>" in text  # Old, from February, too
    assert "median <b>7.0</b>, average 6.7" in text

    [photo] = reply.of(SendPhoto)
    image = Image.open(io.BytesIO(photo.photo.data))
    assert image.format == "PNG" and image.size == (WIDTH_PX, HEIGHT_PX)
    assert len(image.convert("RGB").getcolors(maxcolors=1 << 20)) > 10

    [document] = reply.of(SendDocument)
    assert document.document.filename == "leads-m202603-c.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(document.document.data))
    assert workbook.sheetnames == ["Summary", "By source", "By course", "Funnel", "Leads"]
    summary = workbook["Summary"]
    intro = {row[0]: row[1] for row in summary.iter_rows(max_row=6, values_only=True)}
    assert intro["Report"] == "Leads" and intro["Filter"] == "the whole centre"
    assert intro["Conversion (enrolled ÷ new)"] == "50.0%"
    assert intro["Median days to enrol"] == "7.0"
    figures = {row[0]: row[1] for row in summary.iter_rows(min_row=9, values_only=True)}
    assert figures == {
        "New leads": 4,
        "Contacted": 3,
        "Trial lesson": 2,
        "Enrolled": 2,
        "Lost": 1,
        "Still open": 1,
        "Enrolled in the period": 3,
    }
    by_course = workbook["By course"]
    assert by_course.freeze_panes == "A6"
    assert [c.value for c in by_course[5]] == [
        "Course",
        "New leads",
        "Contacted",
        "Trial lesson",
        "Enrolled",
        "Lost",
        "Conversion",
    ]
    assert [c.value for c in by_course[6]] == ["English", 2, 2, 1, 1, 1, 0.5]
    assert by_course["A9"].value == "Total" and by_course["B9"].value == "=SUM(B6:B8)"
    assert by_course["G9"].value == '=IF(B9=0,"",E9/B9)'
    funnel = list(workbook["Funnel"].iter_rows(min_row=6, max_row=10, values_only=True))
    assert [row[:2] for row in funnel] == [
        ("New leads", 4),
        ("Contacted", 3),
        ("Trial lesson", 2),
        ("Enrolled", 2),
        ("Lost", 1),
    ]
    assert funnel[2][2] == 2 / 3 and funnel[4][3] == 0.25
    leads = workbook["Leads"]
    header = [c.value for c in leads[5]]
    assert header[:6] == ["#", "Name", "Course", "Source", "Status", "Request sent"]
    first = [c.value for c in leads[6]]
    assert first[1:5] == ["Aziza", "English", "Telegram bot (/apply)", "🎓 enrolled"]
    assert first[5].date() == date(2026, 3, 2) and first[8].date() == date(2026, 3, 9)
    assert first[10] == 7.0 and leads.cell(row=6, column=11).number_format == "#,##0.0"
    assert leads.cell(row=6, column=6).number_format == "DD.MM.YYYY"
    assert [leads.cell(row=r, column=2).value for r in range(6, 10)] == [
        "Aziza",
        "Bek",
        "Walk In",
        "Dilya",
    ]


async def test_a_course_and_a_group(client, session, owner):
    await make_user(session, owner)
    ids = await leads_of_march(session)
    course = await client.press(owner, run(f"k{ids['english']}"))
    assert "🎯 course English" in course.text and "New leads: <b>2</b>" in course.text
    assert "📞 Contacted: 2 (100.0%)" in course.text and "❌ Lost: 1 (50.0%)" in course.text
    assert "⏱ Enrolled in the period: <b>1</b>" in course.text
    group = await client.press(owner, run(f"g{ids['A1']}"))
    assert "🎯 group A1" in group.text and "New leads: <b>1</b>" in group.text
    assert "🎓 Enrolled: 1 (100.0%)" in group.text and "median <b>7.0</b>" in group.text
    teacher = await client.press(owner, run(f"t{ids['teacher']}"))
    assert "🎯 teacher Teacher Tom" in teacher.text and "New leads: <b>1</b>" in teacher.text


async def test_an_empty_period_says_so_and_draws_no_data(client, session, owner):
    await make_user(session, owner)
    await leads_of_march(session)
    reply = await client.press(owner, run("c", "m202001"))
    assert "ℹ️ No new leads in this period." in reply.text
    assert "⏱ Enrolled in the period: <b>0</b>" in reply.text and "median" not in reply.text
    [photo] = reply.of(SendPhoto)
    image = Image.open(io.BytesIO(photo.photo.data))
    assert image.size == (WIDTH_PX, HEIGHT_PX)
    [document] = reply.of(SendDocument)
    workbook = openpyxl.load_workbook(io.BytesIO(document.document.data))
    assert workbook["By source"]["A6"].value == "Total"


async def test_the_summary_in_russian(client, session):
    from tests.chat import Person

    ru = Person(id=1_000_001, first_name="Owner", language_code="ru")
    await make_user(session, ru, language="ru")
    await leads_of_march(session)
    reply = await client.press(ru, run("c"))
    assert reply.text.startswith("🧲 <b>Заявки</b> · март 2026")
    assert "Конверсия (зачислены ÷ новые): <b>50,0" in reply.text
    assert "Дней от заявки до зачисления: медиана <b>7,0</b>" in reply.text
