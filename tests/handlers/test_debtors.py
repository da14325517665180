"""/debtors through the real dispatcher: order, paging, escaping, the XLSX download and the
🔔 remind-now button with each of its outcomes."""

import io
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from aiogram.methods import SendChatAction, SendDocument, SendMessage
from sqlalchemy import select

from bot.formatting import format_money
from bot.i18n import use_language
from bot.notices.payment_reminders import RemindNow, RemindNowReason
from db.models import AuditEntry, ParentLink, Role, User
from handlers.admin.debtors import remind_outcome_text
from keyboards.payments.desk import DebtorsCb, RemindDebtorCb
from tests.chat import Person
from tests.conftest import make_settings
from tests.factories import make_user
from tests.handlers.test_payments import centre_today, owe

STALE = "⚠️ This button is out of date. Open the menu again."
ZARINA = Person(id=6_000_001, first_name="Zarina", language_code="ru")
MOTHER = Person(id=6_000_002, first_name="Mother", language_code="uz")


@pytest.fixture
def settings(database_url):
    """No quiet hours: the remind button's outcome must not depend on the hour the test runs."""
    return make_settings(database_url, quiet_hours_start="00:00", quiet_hours_end="00:00")


def money(amount: int) -> str:
    with use_language("en"):
        return format_money(amount)


async def setup(session, owner) -> dict[str, int]:
    await make_user(session, owner)
    ids = {}
    # twelve debtors: student i owes i × 100 000, the oldest charge i days ago
    for i in range(1, 13):
        name = f"Student {i:02d}" if i != 7 else "<Bad> & Co"
        user = await make_user(session, roles=[Role.STUDENT], full_name=name, consent=None)
        ids[name] = user.id
        await owe(session, user.id, i * 100_000, days_ago=i)
    zarina = await make_user(
        session, ZARINA, roles=[Role.STUDENT], language="ru", full_name="Zarina Aliyeva"
    )
    mother = await make_user(
        session, MOTHER, roles=[Role.PARENT], language="uz", full_name="Dilnoza Aliyeva"
    )
    session.add(ParentLink(parent_id=mother.id, student_id=zarina.id))
    user = await session.get(User, zarina.id)
    user.phone = "+998901112233"
    mother_row = await session.get(User, mother.id)
    mother_row.phone = "+998907654321"
    await session.commit()
    await owe(session, zarina.id, 50_000, days_ago=40)  # the smallest debt, the oldest
    ids["zarina"] = zarina.id
    ids["mother"] = mother.id
    paid = await make_user(session, roles=[Role.STUDENT], full_name="Paid Up", consent=None)
    ids["paid"] = paid.id
    return ids


async def test_list_order_paging_and_escaping(client, session, owner):
    await setup(session, owner)
    first = await client.send(owner, "/debtors")
    lines = first.text.splitlines()
    assert lines[0] == "📋 <b>Debtors</b>: 13"
    assert lines[2] == f"1. Student 12 — {money(1_200_000)} · 12 days overdue"
    assert lines[3] == f"2. Student 11 — {money(1_100_000)} · 11 days overdue"
    assert f"6. &lt;Bad&gt; &amp; Co — {money(700_000)} · 7 days overdue" in first.text
    assert "Student 02" not in first.text
    buttons = first.buttons()
    assert len([b for b in buttons if b.startswith("🔔 Remind: ")]) == 10
    assert buttons[0] == "🔔 Remind: Student 12"
    assert buttons[-3:] == ["1/2", "▶", "📥 XLSX"]

    second = await client.press(owner, first.callback_data("▶"), first.message_id)
    assert f"11. Student 01 — {money(100_000)} · 1 day overdue" not in second.text
    assert f"11. Student 02 — {money(200_000)} · 2 days overdue" in second.text
    assert f"12. Student 01 — {money(100_000)} · 1 day overdue" in second.text
    assert f"13. Zarina Aliyeva — {money(50_000)} · 40 days overdue" in second.text
    assert second.buttons()[-3:] == ["◀", "2/2", "📥 XLSX"]
    assert "Paid Up" not in second.text

    # a page that no longer exists shows the last one
    far = await client.press(owner, DebtorsCb(action="page", page=99).pack())
    assert "13. Zarina Aliyeva" in far.text


async def test_empty_list(client, session, owner):
    await make_user(session, owner)
    empty = await client.send(owner, "/debtors")
    assert "Nobody owes anything" in empty.text
    assert empty.buttons() == []


async def test_xlsx_holds_the_whole_list_and_is_audited(client, session, owner):
    await setup(session, owner)
    listing = await client.send(owner, "/debtors")
    reply = await client.press(owner, listing.callback_data("📥 XLSX"), listing.message_id)
    assert reply.answers[0].text == "⏳ Preparing the file…"
    assert [type(call) for call in reply.calls[1:]] == [SendChatAction, SendDocument]
    [document] = reply.of(SendDocument)
    assert document.caption == "📥 Debtors: 13"
    workbook = openpyxl.load_workbook(io.BytesIO(document.document.data))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0] == (
        "Name",
        "Phone",
        "Debt, soʻm",
        "Oldest due date",
        "Days overdue",
        "Parents",
    )
    assert len(rows) == 14
    assert [row[2] for row in rows[1:]] == sorted((row[2] for row in rows[1:]), reverse=True)
    today = centre_today()
    assert rows[1][:5] == (
        "Student 12",
        None,
        1_200_000,
        datetime.combine(today - timedelta(days=12), datetime.min.time()),
        12,
    )
    assert rows[13] == (
        "Zarina Aliyeva",
        "+998 90 111 22 33",
        50_000,
        datetime.combine(today - timedelta(days=40), datetime.min.time()),
        40,
        "Dilnoza Aliyeva, +998 90 765 43 21",
    )
    session.expire_all()
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "debtors.export"))
    assert entry is not None and entry.details == {"rows": 13}


async def test_remind_button_outcomes(client, session, owner):
    ids = await setup(session, owner)
    button = RemindDebtorCb(student_id=ids["zarina"]).pack()
    sent = await client.press(owner, button)
    assert [a.text for a in sent.answers] == ["🔔 Reminder sent to 2 people."]
    assert sent.answers[0].show_alert
    to = {call.chat_id for call in sent.of(SendMessage)}
    assert to == {ZARINA.id, MOTHER.id}

    again = await client.press(owner, button)
    assert again.answers[0].text.startswith("ℹ️ Already reminded today")
    assert not again.of(SendMessage)

    nobody = await client.press(owner, RemindDebtorCb(student_id=ids["Student 03"]).pack())
    assert nobody.answers[0].text.startswith("ℹ️ Nobody to tell")
    no_debt = await client.press(owner, RemindDebtorCb(student_id=ids["paid"]).pack())
    assert no_debt.answers[0].text == "ℹ️ This student owes nothing now: no reminder sent."
    # a parent's id, or one that does not exist: out of date, nothing sent
    for forged in (ids["mother"], 999_999):
        reply = await client.press(owner, RemindDebtorCb(student_id=forged).pack())
        assert reply.answers[0].text == STALE and not reply.of(SendMessage)


def test_quiet_hours_wording():
    with use_language("en"):
        text = remind_outcome_text(
            RemindNow(
                RemindNowReason.QUIET_HOURS, quiet_until=datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
            )
        )
    assert text == "🌙 Quiet hours now: nothing is sent. Press again after 09:00."
