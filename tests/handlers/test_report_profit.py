"""📈 The profit and loss report through the real Dispatcher: the period runs it (no filter),
the summary, the PNG (opened with Pillow) and the XLSX (read back with openpyxl) for last
month; the report cache recomputes after an expense is recorded or reversed and after a
payslip is approved, and reuses its figures otherwise."""

import dataclasses
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
from sqlalchemy import select, update

from bot.formatting import format_money
from bot.i18n import use_language
from bot.services import expenses as expenses_service
from bot.services.reports.chart import HEIGHT_PX, WIDTH_PX
from bot.services.reports.period import Period
from db.base import utcnow
from db.models import (
    ExpenseCategory,
    PayLineKind,
    PaymentMethod,
    Payslip,
    PayslipLine,
    PayslipStatus,
    Permission,
    Role,
)
from db.repositories.payments import ledger as ledger_repo
from handlers.admin.reports import menu
from keyboards.reports import PROFIT, ReportCb
from tests.chat import Person
from tests.factories import make_charge, make_enrolment, make_group, make_payment, make_user
from tests.handlers.test_payments import centre_today
from tests.handlers.test_report_cache import Counted

DIRECTOR = Person(id=5_200_001, first_name="Director", language_code="en")


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
    """Last month: English (group A1, Teacher Tom) charged Sam 900 000 and he paid 900 000
    in cash; Maths (B2, Teacher Ann) charged Lola 400 000 and she paid 250 000 by card;
    Tom's approved payslip is 300 000 for A1 plus a 50 000 bonus, Ann's is a draft. Rent
    2 000 000 and supplies 120 000 were spent; a 700 000 supplies entry was reversed."""
    month = last_month().start
    tom = await make_user(session, None, roles=[Role.TEACHER], full_name="Teacher Tom")
    ann = await make_user(session, None, roles=[Role.TEACHER], full_name="Teacher Ann")
    a1 = await make_group(session, "A1", course="English", teacher_id=tom.id)
    b2 = await make_group(session, "B2", course="Maths", teacher_id=ann.id)
    for name, group, charged, paid, method in (
        ("Sam", a1, 900_000, 900_000, PaymentMethod.CASH),
        ("Lola", b2, 400_000, 250_000, PaymentMethod.CARD),
    ):
        student = await make_user(session, None, roles=[Role.STUDENT], full_name=name)
        enrolment = await make_enrolment(session, student, group)
        await make_charge(
            session,
            student,
            amount=charged,
            period=month,
            enrolment_id=enrolment.id,
            balance_at=at(1, 9),
        )  # the balance moves with the ledger, as the ledger service writes them
        await make_payment(session, student, paid, method=method, paid_at=at(10, 12))
        await ledger_repo.add_to_balance(session, student.id, paid, at(10, 12))
    for teacher, status, lines in (
        (tom, PayslipStatus.APPROVED, [(a1.id, 300_000), (None, 50_000)]),
        (ann, PayslipStatus.DRAFT, [(b2.id, 200_000)]),
    ):
        approved_at = utcnow() if status == PayslipStatus.APPROVED else None
        slip = Payslip(
            teacher_id=teacher.id, month=month, status=status, total=0, approved_at=approved_at
        )
        session.add(slip)
        await session.flush()
        session.add_all(
            PayslipLine(payslip_id=slip.id, kind=PayLineKind.LESSONS, group_id=g, amount=amount)
            for g, amount in lines
        )
    await session.commit()
    ids = {}
    for code in ("rent", "supplies"):
        ids[code] = await session.scalar(
            select(ExpenseCategory.id).where(ExpenseCategory.code == code)
        )
    for code, amount in (("rent", 2_000_000), ("supplies", 120_000), ("supplies", 700_000)):
        result = await expenses_service.record_expense(
            session,
            actor_id=None,
            category_id=ids[code],
            amount=amount,
            spent_on=month.replace(day=3),
            note="test",
            receipt_file_id=None,
            today=centre_today(),
            now=utcnow(),
        )
        ids["last"] = result.expense.id
    await expenses_service.reverse_expense(
        session, actor_id=None, expense_id=ids["last"], reason="wrong", now=utcnow()
    )
    return {"ann": ann.id, "supplies": ids["supplies"]}


async def test_profit_for_last_month_end_to_end(client, session):
    await make_user(session, DIRECTOR, roles=[Role.ADMIN], permissions=[Permission.REPORTS])
    await centre(session)
    menu_reply = await client.send(DIRECTOR, "/reports")
    assert "📈 Profit and loss" in menu_reply.buttons()
    message_id = menu_reply.message_id
    periods = await client.press(
        DIRECTOR, menu_reply.callback_data("📈 Profit and loss"), message_id
    )
    assert "📈 <b>Profit and loss</b>" in periods.text
    reply = await client.press(DIRECTOR, periods.callback_data("⏮ Last month"), message_id)
    # the period runs it: expenses and pay are the centre's, there is no filter to choose
    assert [type(call) for call in reply.calls] == [
        AnswerCallbackQuery,
        EditMessageText,
        SendChatAction,
        SendPhoto,
        SendChatAction,
        SendDocument,
    ]
    text = reply.text
    assert "📈 <b>Profit and loss</b> · " in text and "🎯 the whole centre" in text
    assert f"Collected: <b>{money(1_150_000)}</b>" in text
    assert f"− Payroll (approved payslips): {money(350_000)}" in text
    assert f"− Expenses: {money(2_120_000)}" in text
    assert f"  · 🏠 Rent: {money(2_000_000)}" in text
    assert f"Loss: <b>−{money(1_320_000)}</b>" in text  # 1 150 000 − 350 000 − 2 120 000
    assert f"· English: {money(900_000)} − {money(300_000)} = {money(600_000)}" in text
    assert f"· Maths: {money(400_000)} − {money(0)} = {money(400_000)}" in text  # a draft
    assert f"· Pay tied to no group: {money(0)} − {money(50_000)} = −{money(50_000)}" in text
    assert reply.buttons() == ["📅 Another period"]  # no "Another filter"

    [photo] = reply.of(SendPhoto)
    image = Image.open(io.BytesIO(photo.photo.data))
    assert image.format == "PNG" and image.size == (WIDTH_PX, HEIGHT_PX)
    assert photo.photo.filename == f"profit-{last_month().token}-c.png"

    [document] = reply.of(SendDocument)
    workbook = openpyxl.load_workbook(io.BytesIO(document.document.data))
    assert workbook.sheetnames == [
        "Summary",
        "By month",
        "Money out by category",
        "Margin by course",
    ]
    summary = workbook["Summary"]
    assert summary["A1"].value == "Report" and summary["B1"].value == "Profit and loss"
    figures = {row[0].value: row[1].value for row in summary.iter_rows(min_row=7) if row[0].value}
    assert figures == {
        "Collected": 1_150_000,
        "Reversed": 0,
        "Refunded": 0,
        "Income": 1_150_000,
        "Payroll (approved payslips)": 350_000,
        "Expenses": 2_120_000,
        "Profit": -1_320_000,
    }
    by_month = workbook["By month"]
    assert [c.value for c in by_month[6]][1:] == [
        1_150_000,
        0,
        0,
        1_150_000,
        350_000,
        2_120_000,
        -1_320_000,
    ]
    assert by_month["H6"].number_format == '#,##0 "soʻm"'
    out = workbook["Money out by category"]
    assert [[c.value for c in row] for row in out.iter_rows(min_row=6, max_row=9)] == [
        ["🧑‍🏫 Salaries", 350_000],
        ["🏠 Rent", 2_000_000],
        ["📦 Supplies", 120_000],
        ["Total", "=SUM(B6:B8)"],
    ]
    courses = workbook["Margin by course"]
    assert [c.value for c in courses[6]] == ["English", 900_000, 900_000, 300_000, 600_000]
    assert [c.value for c in courses[7]] == ["Maths", 400_000, 250_000, 0, 400_000]
    assert [c.value for c in courses[8]] == ["Pay tied to no group", 0, 0, 50_000, -50_000]


async def test_a_forged_filter_for_profit_is_out_of_date(client, session):
    await make_user(session, DIRECTOR, roles=[Role.ADMIN], permissions=[Permission.REPORTS])
    token = last_month().token
    for data in (
        ReportCb(action="run", report=PROFIT, period=token, scope="k1"),
        ReportCb(action="scopes", report=PROFIT, period=token, scope="k"),
    ):
        reply = await client.press(DIRECTOR, data.pack())
        assert reply.answers[-1].text == "⚠️ This button is out of date. Open the menu again."


async def test_expenses_and_an_approval_make_the_cache_recompute(client, session, monkeypatch):
    await make_user(session, DIRECTOR, roles=[Role.ADMIN], permissions=[Permission.REPORTS])
    ids = await centre(session)
    kind = menu.KINDS[PROFIT]
    build = Counted(kind.build)
    monkeypatch.setitem(menu.KINDS, PROFIT, dataclasses.replace(kind, build=build))
    run = ReportCb(action="run", report=PROFIT, period=last_month().token, scope="c").pack()

    await client.press(DIRECTOR, run)
    await client.press(DIRECTOR, run)
    assert build.calls == 1  # nothing changed: the figures are reused

    spent = await expenses_service.record_expense(
        session,
        actor_id=None,
        category_id=ids["supplies"],
        amount=80_000,
        spent_on=last_month().start.replace(day=20),
        note="markers",
        receipt_file_id=None,
        today=centre_today(),
        now=utcnow(),
    )
    reply = await client.press(DIRECTOR, run)
    assert build.calls == 2 and f"− Expenses: {money(2_200_000)}" in reply.text

    await expenses_service.reverse_expense(
        session, actor_id=None, expense_id=spent.expense.id, reason="wrong", now=utcnow()
    )
    reply = await client.press(DIRECTOR, run)
    assert build.calls == 3 and f"− Expenses: {money(2_120_000)}" in reply.text

    await session.execute(
        update(Payslip)
        .where(Payslip.teacher_id == ids["ann"])
        .values(status=PayslipStatus.APPROVED, approved_at=utcnow())
    )
    await session.commit()
    reply = await client.press(DIRECTOR, run)
    assert build.calls == 4 and f"− Payroll (approved payslips): {money(550_000)}" in reply.text
    await client.press(DIRECTOR, run)
    assert build.calls == 4
