"""📊 /reports through the real Dispatcher: the menu, the period and filter pickers, the
summary, the PNG and the XLSX; the typed range with its bad answers, a filter deleted
since its button was drawn, and a button pressed by an admin without `reports`."""

import io
import os

import openpyxl
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    SendChatAction,
    SendDocument,
    SendPhoto,
)
from PIL import Image
from sqlalchemy import select

from bot.formatting import format_money
from bot.i18n import use_language
from bot.services import worker
from bot.services.reports.chart import HEIGHT_PX, WIDTH_PX
from bot.services.reports.period import Period
from bot.services.reports.workbook import render_xlsx
from db.base import utcnow
from db.models import AuditEntry, PaymentMethod, Permission, Role
from db.repositories.payments import ledger as ledger_repo
from keyboards.reports import ReportCb
from tests.chat import Person
from tests.factories import make_charge, make_enrolment, make_group, make_payment, make_user
from tests.handlers.test_payments import centre_today

BOB = Person(id=7_000_001, first_name="Bob", language_code="en")


def money(amount: int) -> str:
    with use_language("en"):
        return format_money(amount)


async def centre(session) -> dict[str, int]:
    """One group of a course with a teacher; a student charged 500 000 this month who paid
    300 000 in cash and 50 000 by Click today (and their balance, as the ledger keeps it)."""
    teacher = await make_user(session, None, roles=[Role.TEACHER], full_name="Teacher Tom")
    group = await make_group(session, "A1", course="English", teacher_id=teacher.id)
    student = await make_user(session, None, roles=[Role.STUDENT], full_name="Sam")
    enrolment = await make_enrolment(session, student, group)
    month = centre_today().replace(day=1)
    now = utcnow()
    await make_charge(
        session, student, amount=500_000, period=month, enrolment_id=enrolment.id, balance_at=now
    )
    await make_payment(session, student, 300_000, method=PaymentMethod.CASH, paid_at=now)
    await make_payment(session, student, 50_000, method=PaymentMethod.CLICK, paid_at=now)
    await ledger_repo.add_to_balance(session, student.id, 350_000, now)
    await session.commit()
    return {"group": group.id, "course": group.course_id, "teacher": teacher.id}


async def test_finance_for_this_month_end_to_end(client, session, owner):
    await make_user(session, owner)
    await centre(session)
    panel = await client.send(owner, "/admin")
    menu = await client.press(owner, panel.callback_data("📊 Reports"), panel.message_id)
    assert "📊 <b>Reports</b>" in menu.text
    assert menu.buttons() == [
        "💰 Finance",
        "📋 Attendance",
        "🔁 Retention",
        "🧑‍🏫 Teachers",
        "🧲 Leads",
        "📈 Profit and loss",
    ]
    message_id = panel.message_id  # every step edits the panel's message
    periods = await client.press(owner, menu.callback_data("💰 Finance"), message_id)
    assert periods.buttons() == [
        "📅 This month",
        "⏮ Last month",
        "🗓 This year",
        "📆 Choose a month",
        "✍️ Dates of my own",
        "⬅ Back",
    ]
    scopes = await client.press(owner, periods.callback_data("📅 This month"), message_id)
    assert "For the whole centre" in scopes.text
    reply = await client.press(owner, scopes.callback_data("🏫 The whole centre"), message_id)

    assert [type(call) for call in reply.calls] == [
        AnswerCallbackQuery,
        EditMessageText,
        SendChatAction,
        SendPhoto,
        SendChatAction,
        SendDocument,
    ]
    assert [a.action for a in reply.of(SendChatAction)] == ["upload_photo", "upload_document"]
    assert reply.answers[0].text == "⏳ Preparing the report…"
    text = reply.text
    assert f"Charged: <b>{money(500_000)}</b>" in text
    assert f"Collected: <b>{money(350_000)}</b>" in text
    assert f"  · 💵 Cash: {money(300_000)}" in text and f"  · Click: {money(50_000)}" in text
    assert f"Net: <b>{money(350_000)}</b>" in text
    assert f": <b>{money(150_000)}</b>" in text.split("Debt on ")[1]
    assert "Collection rate: <b>70.0%</b>" in text
    assert "🎯 the whole centre" in text

    [photo] = reply.of(SendPhoto)
    image = Image.open(io.BytesIO(photo.photo.data))
    assert image.format == "PNG" and image.size == (WIDTH_PX, HEIGHT_PX)

    [document] = reply.of(SendDocument)
    assert document.document.filename.endswith(".xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(document.document.data))
    assert workbook.sheetnames == ["Summary", "By month", "By course", "By group", "By teacher"]
    summary = workbook["Summary"]
    assert [summary.cell(row=r, column=1).value for r in (1, 2, 3)] == [
        "Report",
        "Period",
        "Filter",
    ]
    assert summary["B3"].value == "the whole centre"
    figures = {row[0]: row[1] for row in summary.iter_rows(min_row=6, values_only=True)}
    assert figures["Charged"] == 500_000 and figures["Collected"] == 350_000
    assert figures["  💵 Cash"] == 300_000 and figures["  Click"] == 50_000
    assert summary["B7"].number_format == '#,##0 "soʻm"'
    by_group = workbook["By group"]
    assert by_group.freeze_panes == "A6"  # three rows of intro, a blank one, the header
    assert [c.value for c in by_group[5]][:5] == [
        "Group",
        "Charged",
        "Paid of it",
        "Unpaid of it",
        "Debt at the end",
    ]
    assert [c.value for c in by_group[6]][:5] == ["A1", 500_000, 350_000, 150_000, 150_000]
    assert by_group["A7"].value == "Total" and by_group["B7"].value == "=SUM(B6:B6)"
    assert by_group["F7"].value == '=IF(B7=0,"",C7/B7)'
    by_teacher = list(workbook["By teacher"].iter_rows(min_row=6, max_row=6, values_only=True))
    assert by_teacher[0][:2] == ("Teacher Tom", 500_000)


async def test_a_group_from_the_list_and_a_group_deleted_since(client, session, owner):
    await make_user(session, owner)
    ids = await centre(session)
    await make_group(session, "B2", course="Maths")
    period = Period.this_month(centre_today()).token
    listing = await client.press(
        owner, ReportCb(action="scopes", report="fin", period=period, scope="g").pack()
    )
    assert "Choose the group." in listing.text
    assert listing.buttons() == ["A1 · English", "B2 · Maths", "⬅ Back"]
    reply = await client.press(owner, listing.callback_data("A1 · English"))
    assert "🎯 group A1" in reply.text and f"Charged: <b>{money(500_000)}</b>" in reply.text
    assert len(reply.of(SendPhoto)) == 1

    gone = ReportCb(action="run", report="fin", period=period, scope="g999999").pack()
    refused = await client.press(owner, gone)
    assert [(a.text, a.show_alert) for a in refused.answers] == [
        ("⚠️ This group no longer exists: choose another filter.", True)
    ]
    assert not refused.of(SendPhoto) and not refused.of(SendDocument)
    teacher = ReportCb(action="run", report="fin", period=period, scope=f"t{ids['teacher']}")
    by_teacher = await client.press(owner, teacher.pack())
    assert "🎯 teacher Teacher Tom" in by_teacher.text


async def test_an_empty_period_draws_no_data(client, session, owner):
    await make_user(session, owner)
    await centre(session)
    button = ReportCb(action="run", report="fin", period="m202001", scope="c").pack()
    reply = await client.press(owner, button)
    assert "Nothing was charged, paid or refunded in this period." in reply.text
    assert "January 2020" in reply.text and "Collection rate: <b>—</b>" in reply.text
    [photo] = reply.of(SendPhoto)
    assert Image.open(io.BytesIO(photo.photo.data)).size == (WIDTH_PX, HEIGHT_PX)
    assert len(reply.of(SendDocument)) == 1


async def test_a_typed_range_with_bad_answers(client, session, owner):
    await make_user(session, owner)
    start = await client.press(owner, ReportCb(action="range", report="fin").pack())
    assert "Step 1/2 — the first day of the period" in start.text
    wrong = await client.send(owner, "2026-03-01")
    assert wrong.text.startswith("⚠️ Type the date as DD.MM.YYYY")
    assert "Step 1/2" in wrong.text
    second = await client.send(owner, "01.03.2026")
    assert "Step 2/2 — the last day, at most 3 years after the first." in second.text
    before = await client.send(owner, "01.02.2026")
    assert before.text.startswith("⚠️ The last day is before the first.")
    too_long = await client.send(owner, "01.03.2029")
    assert too_long.text.startswith("⚠️ A report covers at most 3 years.")
    no_day = await client.send(owner, "31.02.2026")
    assert no_day.text.startswith("⚠️ 31.02.2026 does not exist")
    done = await client.send(owner, "31.05.2026")
    assert "📅 1 March 2026 – 31 May 2026" in done.text
    assert "🏫 The whole centre" in done.buttons()
    reply = await client.press(owner, done.callback_data("🏫 The whole centre"))
    assert "💰 <b>Finance</b> · 1 March 2026 – 31 May 2026" in reply.text


async def test_choose_a_month_offers_the_last_twelve(client, session, owner):
    await make_user(session, owner)
    reply = await client.press(owner, ReportCb(action="months", report="fin").pack())
    buttons = reply.buttons()
    assert len(buttons) == 13 and buttons[-1] == "⬅ Back"
    with use_language("en"):
        from handlers.admin.reports.common import month_label

        assert buttons[0] == month_label(centre_today().replace(day=1))


async def test_without_the_permission_a_report_button_is_refused_and_audited(client, session):
    bob = await make_user(session, BOB, roles=[Role.ADMIN], permissions=[Permission.PAYMENTS])
    bob_id = bob.id
    button = ReportCb(action="run", report="fin", period="m202601", scope="c").pack()
    reply = await client.press(BOB, button)
    [answer] = reply.answers
    assert answer.show_alert and answer.text.startswith("⚠️ You do not have access to this.")
    assert not reply.of(SendPhoto) and not reply.of(EditMessageText)
    typed = await client.send(BOB, "/reports")
    assert typed.text.startswith("⚠️ You do not have access to this.")
    session.expire_all()
    entries = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [(e.actor_id, e.outcome, e.details["needs"]) for e in entries] == [
        (bob_id, "denied", "reports"),
        (bob_id, "denied", "reports"),
    ]
    assert entries[0].details["handler"].endswith("run_pressed")


async def test_forged_buttons_are_out_of_date(client, session, owner):
    await make_user(session, owner)
    for data in (
        ReportCb(action="run", report="xx", period="m202601", scope="c"),
        ReportCb(action="run", report="fin", period="m202613", scope="c"),
        ReportCb(action="run", report="fin", period="r20260301-20250301", scope="c"),
        ReportCb(action="run", report="fin", period="m202601", scope="g0"),
        ReportCb(action="run", report="fin", period="m202601", scope="g99999999999"),
        ReportCb(action="scopes", report="fin", period="m202601", scope="c"),
        ReportCb(action="report", report="zz"),
    ):
        reply = await client.press(owner, data.pack())
        assert [a.text for a in reply.answers] == [
            "⚠️ This button is out of date. Open the menu again."
        ]
        assert not reply.of(SendPhoto)


def test_callback_data_fits_in_64_bytes():
    longest = ReportCb(
        action="scopes",
        report="fin",
        period="r20260301-20290228",
        scope="t2147483647",
        page=9999,
    )
    assert len(longest.pack().encode()) <= 64


async def test_the_summary_in_uzbek(client, session):
    uz = Person(id=1_000_001, first_name="Owner", language_code="uz")
    await make_user(session, uz, language="uz")
    await centre(session)
    period = Period.this_month(centre_today()).token
    reply = await client.press(
        uz, ReportCb(action="run", report="fin", period=period, scope="c").pack()
    )
    assert "💰 <b>Moliya</b>" in reply.text and "Yigʻilgan: <b>" in reply.text
    assert "soʻm" in reply.text


async def test_the_course_list_is_paged(client, session, owner):
    await make_user(session, owner)
    for number in range(1, 13):
        await make_group(session, f"G{number:02d}", course=f"Course {number:02d}")
    period = Period.this_month(centre_today()).token
    first = await client.press(
        owner, ReportCb(action="scopes", report="fin", period=period, scope="k").pack()
    )
    assert first.buttons()[0] == "Course 01" and first.buttons()[-3:] == ["1/2", "▶", "⬅ Back"]
    second = await client.press(owner, first.callback_data("▶"))
    assert second.buttons() == ["Course 11", "Course 12", "◀", "2/2", "⬅ Back"]
    reply = await client.press(owner, second.callback_data("Course 12"))
    assert "🎯 course Course 12" in reply.text


async def test_a_filters_name_is_shown_literally_in_every_report(client, session, owner):
    """A group named like markup is escaped in each summary (HTML) and in the chart's caption."""
    await make_user(session, owner)
    group = await make_group(session, "<b>Eve</b> & Co", course="English")
    period = Period.this_month(centre_today()).token
    for report in ("fin", "att", "ret", "tch", "lea"):
        button = ReportCb(action="run", report=report, period=period, scope=f"g{group.id}")
        reply = await client.press(owner, button.pack())
        assert "🎯 group &lt;b&gt;Eve&lt;/b&gt; &amp; Co" in reply.text, report
        [photo] = reply.of(SendPhoto)
        assert "&lt;b&gt;Eve&lt;/b&gt; &amp; Co" in photo.caption, report


async def test_the_spreadsheet_is_written_in_the_worker_process(
    client, session, owner, monkeypatch
):
    """The XLSX is written in bot.services.worker's process (its sheets pickled there and
    the bytes back), not in a thread of the bot's, which would hold the interpreter's lock
    in turns with everybody else's updates."""
    await make_user(session, owner)
    await centre(session)
    sent_there, run = [], worker.run

    async def spied(function, *args, **kwargs):
        sent_there.append(function)
        return await run(function, *args, **kwargs)

    monkeypatch.setattr(worker, "run", spied)
    period = Period.this_month(centre_today()).token
    button = ReportCb(action="run", report="fin", period=period, scope="c").pack()
    reply = await client.press(owner, button)
    document = reply.of(SendDocument)[0].document
    assert sent_there == [render_xlsx]
    assert openpyxl.load_workbook(io.BytesIO(document.data)).sheetnames[0] == "Summary"
    assert await worker.run(os.getpid) != os.getpid()
