"""🔁 The retention report through the real Dispatcher: two students leave through the
group's ✋ leave flow (one with a reason, one without), then the report for this month —
the summary, the PNG and the XLSX read back — for the centre and for a group, and a forged
or out-of-date button."""

import io
from datetime import datetime, timedelta

import openpyxl
from aiogram.methods import SendDocument, SendPhoto
from PIL import Image
from sqlalchemy import select

from bot.services.reports.chart import HEIGHT_PX, WIDTH_PX
from bot.services.reports.period import Period
from db.models import AuditEntry, EnrolmentFreeze, EnrolmentStatus, Role
from keyboards.academic import EnrolCb
from keyboards.reports import ReportCb
from tests.factories import make_course, make_enrolment, make_group, make_user
from tests.handlers.test_payments import centre_today


async def centre(session) -> dict[str, int]:
    """English (A1) and Maths (B1). This month: Kim and Sam were active in A1 before it
    began, Lia joined A1 on its first day, Max (B1) froze last month and still is."""
    today = centre_today()
    first = today.replace(day=1)
    teacher = await make_user(session, None, roles=[Role.TEACHER], full_name="Teacher Tom")
    english = await make_course(session, "English")
    maths = await make_course(session, "Maths")
    a1 = await make_group(session, "A1", course=english.id, teacher_id=teacher.id)
    b1 = await make_group(session, "B1", course=maths.id)
    ids = {"a1": a1.id, "b1": b1.id, "teacher": teacher.id}
    for name, group, joined in (
        ("Kim", a1, first - timedelta(days=90)),
        ("Sam", a1, first - timedelta(days=30)),
        ("Lia", a1, first),
        ("Max", b1, first - timedelta(days=60)),
    ):
        student = await make_user(session, None, roles=[Role.STUDENT], full_name=name)
        frozen = name == "Max"
        status = EnrolmentStatus.FROZEN if frozen else EnrolmentStatus.ACTIVE
        place = await make_enrolment(session, student, group, joined_on=joined, status=status)
        ids[name] = place.id
        if frozen:
            session.add(
                EnrolmentFreeze(enrolment_id=place.id, starts_on=first - timedelta(days=10))
            )
            await session.commit()
    return ids


async def leave(client, owner, place: int, button: str) -> None:
    card = await client.press(owner, EnrolCb(action="card", id=place).pack())
    ask = await client.press(owner, card.callback_data("🚪 Leave the group"), card.message_id)
    left = await client.press(owner, ask.callback_data(button), card.message_id)
    assert left.answers[0].text == "🚪 Left the group."


async def test_leavers_with_their_reasons_in_this_months_retention(client, session, owner):
    await make_user(session, owner)
    ids = await centre(session)
    await leave(client, owner, ids["Kim"], "💸 Price")
    await leave(client, owner, ids["Sam"], "🚪 Remove without a reason")
    reasons = await session.scalars(
        select(AuditEntry.details["reason"].as_string())
        .where(AuditEntry.action == "enrolment.left")
        .order_by(AuditEntry.id)
    )
    assert list(reasons) == ["price", None]

    panel = await client.send(owner, "/reports")
    assert "🔁 Retention" in panel.buttons()
    periods = await client.press(owner, panel.callback_data("🔁 Retention"), panel.message_id)
    assert "🔁 <b>Retention</b>" in periods.text
    scopes = await client.press(owner, periods.callback_data("📅 This month"), panel.message_id)
    reply = await client.press(owner, scopes.callback_data("🏫 The whole centre"))

    text = reply.text
    assert "🔁 <b>Retention</b> · " in text and "🎯 the whole centre" in text
    assert "Active at the start: <b>2</b> (frozen: 1)" in text  # Kim, Sam; Max is frozen
    assert "Joined: <b>1</b>" in text  # Lia
    assert "Left: <b>2</b>\n  · 💸 Price: 1\n  · not recorded: 1\n" in text
    assert "Froze: 0" in text
    assert "Active at the end: <b>1</b> (frozen: 1)" in text
    assert "Churn rate: <b>100.0%</b>" in text

    [photo] = reply.of(SendPhoto)
    image = Image.open(io.BytesIO(photo.photo.data))
    assert image.format == "PNG" and image.size == (WIDTH_PX, HEIGHT_PX)
    assert photo.photo.filename.startswith("retention-m")

    [document] = reply.of(SendDocument)
    workbook = openpyxl.load_workbook(io.BytesIO(document.document.data))
    assert workbook.sheetnames == ["Summary", "By month", "By course", "Leavers"]
    summary = workbook["Summary"]
    assert summary["B1"].value == "Retention" and summary["B3"].value == "the whole centre"
    assert (summary["A4"].value, summary["B4"].value) == ("Churn rate", "100.0%")
    figures = {row[0]: row[1] for row in summary.iter_rows(min_row=7, values_only=True)}
    assert figures == {
        "Active at the start": 2,
        "Frozen at the start": 1,
        "Joined": 1,
        "Left": 2,
        "  💸 Price": 1,
        "  not recorded": 1,
        "Froze": 0,
        "Active at the end": 1,
        "Frozen at the end": 1,
    }
    by_month = workbook["By month"]
    assert by_month.freeze_panes == "A6"
    assert [c.value for c in by_month[5]] == [
        "Month",
        "Active at the start",
        "Joined",
        "Left",
        "Froze",
        "Active at the end",
        "Churn rate",
    ]
    assert [c.value for c in by_month[6]][1:] == [2, 1, 2, 0, 1, 1.0]
    assert by_month["G6"].number_format == "0.0%"
    totals = [c.value for c in by_month[7]]
    assert totals[0] == "Total" and totals[2:5] == ["=SUM(C6:C6)", "=SUM(D6:D6)", "=SUM(E6:E6)"]
    assert totals[1] is None and totals[5] is None  # counts at a moment are not summed
    by_course = [row for row in workbook["By course"].iter_rows(min_row=6, values_only=True)]
    assert by_course == [
        ("English", 2, 1, 2, 0, 1, 1.0),
        ("Maths", 0, 0, 0, 0, 0, None),  # Max, frozen throughout
    ]
    leavers = workbook["Leavers"]
    assert [c.value for c in leavers[5]] == ["Student", "Group", "Course", "Left on", "Reason"]
    rows = list(leavers.iter_rows(min_row=6, values_only=True))
    today = datetime.combine(centre_today(), datetime.min.time())
    assert rows == [
        ("Kim", "A1", "English", today, "💸 Price"),
        ("Sam", "A1", "English", today, "not recorded"),
    ]
    assert leavers["D6"].number_format == "DD.MM.YYYY"


async def test_a_group_and_buttons_out_of_date(client, session, owner):
    await make_user(session, owner)
    ids = await centre(session)
    await leave(client, owner, ids["Kim"], "🎓 Finished the course")
    period = Period.this_month(centre_today()).token
    listing = await client.press(
        owner, ReportCb(action="scopes", report="ret", period=period, scope="g").pack()
    )
    assert listing.buttons() == ["A1 · English", "B1 · Maths", "⬅ Back"]
    reply = await client.press(owner, listing.callback_data("B1 · Maths"))
    assert "🎯 group B1" in reply.text
    assert "Active at the start: <b>0</b> (frozen: 1)" in reply.text
    assert "Churn rate: <b>—</b>" in reply.text
    teacher = ReportCb(action="run", report="ret", period=period, scope=f"t{ids['teacher']}")
    by_teacher = await client.press(owner, teacher.pack())
    assert "Left: <b>1</b>\n  · 🎓 Finished the course: 1\n" in by_teacher.text

    gone = ReportCb(action="run", report="ret", period=period, scope="g999999").pack()
    refused = await client.press(owner, gone)
    assert [(a.text, a.show_alert) for a in refused.answers] == [
        ("⚠️ This group no longer exists: choose another filter.", True)
    ]
    assert not refused.of(SendPhoto) and not refused.of(SendDocument)

    empty = await client.press(
        owner, ReportCb(action="run", report="ret", period="m202001", scope="c").pack()
    )
    assert "No student was studying, joined or left in this period." in empty.text
    [photo] = empty.of(SendPhoto)
    assert Image.open(io.BytesIO(photo.photo.data)).size == (WIDTH_PX, HEIGHT_PX)
    assert len(empty.of(SendDocument)) == 1
