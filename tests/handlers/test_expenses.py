"""💸 /expenses through the real Dispatcher: recording an expense (with and without a photo of
the receipt), the month's list and a card, a reversal and entering it anew, categories
(add, rename, retire, delete), recurring expenses, and the refusals — what the admin sees,
what the database holds and what the audit log says."""

from datetime import date, timedelta

from aiogram.methods import SendPhoto
from aiogram.types import Document, PhotoSize
from sqlalchemy import func, select

from bot.formatting import format_money
from bot.i18n import use_language
from bot.services import expenses as expenses_service
from db.base import utcnow
from db.models import AuditEntry, AuditOutcome, Expense, ExpenseCategory, Permission, Role
from keyboards.expenses import ExpenseCb
from tests.chat import Person
from tests.factories import make_user
from tests.handlers.test_payments import REFUSED, STALE, centre_today

CASHIER = Person(id=5_100_001, first_name="Cashier", language_code="en")
CLERK = Person(id=5_100_002, first_name="Clerk", language_code="en")
RECEIPT = [PhotoSize(file_id="receipt-photo-1", file_unique_id="r1", width=90, height=90)]


def money(amount: int) -> str:
    with use_language("en"):
        return format_money(amount)


async def count(session, model, *where) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def denied(session) -> list[dict]:
    rows = await session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "expense.denied", AuditEntry.outcome == AuditOutcome.DENIED
        )
    )
    return [row.details for row in rows]


async def cashier(session):
    return await make_user(session, CASHIER, roles=[Role.ADMIN], permissions=[Permission.PAYROLL])


async def category_id(session, code: str) -> int:
    return await session.scalar(select(ExpenseCategory.id).where(ExpenseCategory.code == code))


async def open_form(client):
    listing = await client.send(CASHIER, "/expenses")
    return await client.press(CASHIER, listing.callback_data("➕ New expense"), listing.message_id)


async def fill(client, session, *, amount="1 200 000", day="today", photo=True):
    """The form up to its summary (rent, the amount, the day, a note, a receipt or none):
    the summary and the id of the message it is in."""
    step = await open_form(client)
    assert "Step 1/5 — the category of the expense." in step.text
    assert "🧑‍🏫 Salaries" not in step.buttons()  # salaries are the payroll's, never typed
    step = await client.press(CASHIER, step.callback_data("🏠 Rent"), step.message_id)
    assert "Step 2/5 — the amount in soʻm." in step.text
    step = await client.send(CASHIER, amount)
    if day == "today":
        step = await client.press(CASHIER, step.callback_data("📅 Today"), step.message_id)
    else:
        step = await client.send(CASHIER, day)
    step = await client.send(CASHIER, "March rent & <room 2>")
    assert "Step 5/5 — a photo of the receipt, or ⏭ No receipt." in step.text
    if photo:
        summary = await client.send(CASHIER, photo=RECEIPT)
        return summary, summary.message_id
    summary = await client.press(CASHIER, step.callback_data("⏭ No receipt"), step.message_id)
    return summary, step.message_id


async def test_recording_an_expense_with_a_receipt_photo(client, session):
    await cashier(session)
    summary, message_id = await fill(client, session)
    assert "💸 <b>Check the expense</b>" in summary.text
    assert "Category: 🏠 Rent" in summary.text
    assert f"Amount: {money(1_200_000)}" in summary.text
    assert "Note: March rent &amp; &lt;room 2&gt;" in summary.text
    assert "Receipt: 🧾 a photo" in summary.text
    assert await count(session, Expense) == 0  # nothing before ✅

    saved = await client.press(CASHIER, summary.callback_data("✅ Confirm"), message_id)
    assert f"✅ <b>Expense saved</b>: {money(1_200_000)}, 🏠 Rent" in saved.text
    assert saved.answers[-1].text == "✅ Saved."
    [expense] = (await session.scalars(select(Expense))).all()
    assert (expense.amount, expense.spent_on, expense.note) == (
        1_200_000,
        centre_today(),
        "March rent & <room 2>",
    )
    assert expense.receipt_file_id == "receipt-photo-1"
    assert expense.category_id == await category_id(session, "rent")
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "expense.recorded"))
    assert entry.object_id == str(expense.id) and entry.details["amount"] == 1_200_000

    # the card shows the receipt again: the photo by its Telegram file id
    card = await client.press(CASHIER, saved.callback_data("📄 Open the expense"), message_id)
    assert f"💸 <b>Expense #{expense.id}</b> · 🏠 Rent" in card.text
    assert "🧾 Receipt: a photo (tap to see it)" in card.text
    shown = await client.press(CASHIER, card.callback_data("🧾 Show the receipt"), message_id)
    [photo] = shown.of(SendPhoto)
    assert photo.photo == "receipt-photo-1" and photo.chat_id == CASHIER.id
    assert f"Receipt of expense #{expense.id}" in photo.caption

    # ✅ pressed again under the old summary: out of date, still one expense
    again = await client.press(CASHIER, summary.callback_data("✅ Confirm"), message_id)
    assert again.answers[-1].text == STALE
    assert await count(session, Expense) == 1


async def test_recording_without_a_receipt_on_a_typed_day(client, session):
    await cashier(session)
    day = centre_today() - timedelta(days=3)
    summary, message_id = await fill(
        client, session, amount="350000", day=f"{day:%d.%m.%Y}", photo=False
    )
    assert "Receipt: —" in summary.text
    await client.press(CASHIER, summary.callback_data("✅ Confirm"), message_id)
    [expense] = (await session.scalars(select(Expense))).all()
    assert (expense.amount, expense.spent_on, expense.receipt_file_id) == (350_000, day, None)


async def test_bad_answers_repeat_the_step_write_nothing_and_are_audited(client, session):
    await cashier(session)
    step = await open_form(client)
    step = await client.press(CASHIER, step.callback_data("🏠 Rent"), step.message_id)
    for typed, problem in (
        ("-5000", "⚠️ An amount cannot be negative."),
        ("0", "⚠️ The amount must be more than 0."),
        ("1000000000", f"⚠️ That is too large: the most is {money(100_000_000)}."),
        ("a lot", "is not an amount"),
    ):
        reply = await client.send(CASHIER, typed)
        assert problem in reply.text and "Step 2/5" in reply.text
    step = await client.send(CASHIER, "500 000")
    reply = await client.send(CASHIER, "31.02.2026")
    assert "⚠️ 31.02.2026 does not exist: that month has 28 days." in reply.text
    tomorrow = centre_today() + timedelta(days=1)
    reply = await client.send(CASHIER, f"{tomorrow:%d.%m.%Y}")
    assert "⚠️ That day has not come yet" in reply.text and "Step 3/5" in reply.text
    reply = await client.press(CASHIER, step.callback_data("📅 Today"), step.message_id)
    reply = await client.send(CASHIER, "x" * 501)
    assert "⚠️ That is too long: 501 characters, and the limit is 500." in reply.text
    reply = await client.send(CASHIER, "Printer paper")
    document = Document(file_id="doc-1", file_unique_id="d1", file_name="receipt.pdf")
    reply = await client.send(CASHIER, document=document)
    assert "⚠️ Send the receipt as a photo (not as a file)" in reply.text
    assert await count(session, Expense) == 0
    reasons = [details["reason"] for details in await denied(session)]
    assert reasons == [
        "amount.negative",
        "amount.too_small",
        "amount.too_large",
        "amount.not_a_number",
        "day.no_such_day",
        "day.date_future",
        "note.too_long",
        "receipt.not_photo",
    ]


async def test_without_the_permission_the_list_and_the_form_are_refused(client, session):
    await make_user(session, CLERK, roles=[Role.ADMIN], permissions=[Permission.PAYMENTS])
    reply = await client.send(CLERK, "/expenses")
    assert reply.text == REFUSED
    reply = await client.press(CLERK, ExpenseCb(action="new").pack())
    assert reply.answers[-1].text == REFUSED
    assert await count(session, AuditEntry, AuditEntry.outcome == AuditOutcome.DENIED) == 2


async def test_a_retired_category_is_not_offered_and_its_stale_button_refused(client, session):
    await cashier(session)
    step = await open_form(client)
    rent = await category_id(session, "rent")
    await expenses_service.set_retired(session, None, rent, True, utcnow())
    reply = await client.press(CASHIER, step.callback_data("🏠 Rent"), step.message_id)
    assert "⚠️ The category «🏠 Rent» is retired: choose another one." in reply.text
    assert "🏠 Rent" not in reply.buttons() and "💡 Utilities" in reply.buttons()
    assert [d["reason"] for d in await denied(session)] == ["retired"]


async def test_the_summary_refuses_a_category_retired_meanwhile(client, session):
    await cashier(session)
    summary, message_id = await fill(client, session, photo=False)
    await expenses_service.set_retired(
        session, None, await category_id(session, "rent"), True, utcnow()
    )
    reply = await client.press(CASHIER, summary.callback_data("✅ Confirm"), message_id)
    assert "⚠️ The category «🏠 Rent» is retired: choose another one." in reply.text
    assert "Step 1/5" in reply.text
    assert await count(session, Expense) == 0
    utilities = await client.press(CASHIER, reply.callback_data("💡 Utilities"), message_id)
    assert "Category: 💡 Utilities" in utilities.text  # back to the summary, one step only
    await client.press(CASHIER, utilities.callback_data("✅ Confirm"), message_id)
    expense = await session.scalar(select(Expense))
    assert expense.category_id == await category_id(session, "utilities")


async def record(session, code: str, amount: int, day: date, receipt: str | None = None):
    result = await expenses_service.record_expense(
        session,
        actor_id=None,
        category_id=await category_id(session, code),
        amount=amount,
        spent_on=day,
        note=f"{code} {amount}",
        receipt_file_id=receipt,
        today=centre_today(),
        now=utcnow(),
    )
    return result.expense


async def test_the_months_list_pages_and_months(client, session):
    await cashier(session)
    today = centre_today()
    this_month = today.replace(day=1)
    for number in range(12):
        await record(session, "supplies", 10_000 * (number + 1), this_month)
    last = this_month - timedelta(days=1)
    reversed_one = await record(session, "rent", 4_000_000, last)
    await record(session, "rent", 4_500_000, last)
    await expenses_service.reverse_expense(
        session, actor_id=None, expense_id=reversed_one.id, reason="wrong", now=utcnow()
    )

    page = await client.send(CASHIER, "/expenses")
    total = sum(10_000 * (n + 1) for n in range(12))
    assert f"Total: <b>{money(total)}</b> · entries: 12" in page.text
    buttons = page.buttons()
    assert sum("📦 Supplies" in text for text in buttons) == 10 and "1/2" in buttons
    assert "▶" in buttons and not any(text.endswith("▶") and text != "▶" for text in buttons)
    second = await client.press(CASHIER, page.callback_data("▶"), page.message_id)
    assert sum("📦 Supplies" in text for text in second.buttons()) == 2
    previous = next(text for text in second.buttons() if text.startswith("◀ ") and len(text) > 2)
    before = await client.press(CASHIER, second.callback_data(previous), page.message_id)
    assert f"Total: <b>{money(4_500_000)}</b> · entries: 2" in before.text  # reversed left out
    assert any(text.startswith("↩️ ") for text in before.buttons())
    forged = await client.press(CASHIER, ExpenseCb(action="card", id=999_999).pack())
    assert forged.answers[-1].text == STALE


async def test_a_reversal_then_entering_it_anew(client, session):
    await cashier(session)
    wrong = await record(session, "rent", 12_000_000, centre_today(), receipt="photo-7")
    listing = await client.send(CASHIER, "/expenses")
    card = await client.press(
        CASHIER,
        listing.callback_data(next(b for b in listing.buttons() if "Rent" in b)),
        listing.message_id,
    )
    assert f"💸 <b>Expense #{wrong.id}</b> · 🏠 Rent" in card.text
    form = await client.press(CASHIER, card.callback_data("↩️ Reverse"), listing.message_id)
    assert "↩️ <b>Reverse the expense</b>" in form.text
    reply = await client.send(CASHIER, "")
    assert "⚠️ This cannot be empty" in reply.text
    summary = await client.send(CASHIER, "an extra zero")
    assert (
        summary.buttons()[0] == "↩️ Reverse the expense" and "Keep the expense" in summary.buttons()
    )
    done = await client.press(
        CASHIER, summary.callback_data("↩️ Reverse the expense"), summary.message_id
    )
    assert done.answers[-1].text == "↩️ Reversed."
    assert "↩️ Reversed " in done.text and "an extra zero" in done.text
    row = await session.get(Expense, wrong.id)
    await session.refresh(row)
    assert row.reversed_at is not None and row.reversal_reason == "an extra zero"
    assert row.amount == 12_000_000  # never edited: it stays as it was, marked
    again = await client.press(
        CASHIER, summary.callback_data("↩️ Reverse the expense"), summary.message_id
    )
    assert again.answers[-1].text == STALE
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "expense.reversed"))
    assert entry.object_id == str(wrong.id)

    # the reversed card offers to enter it anew: the same answers, from the amount
    anew = await client.press(CASHIER, done.callback_data("➕ Enter it anew"), summary.message_id)
    assert "Step 2/5 — the amount in soʻm." in anew.text
    summary = await client.send(CASHIER, "1 200 000")
    assert "Category: 🏠 Rent" in summary.text and "Receipt: 🧾 a photo" in summary.text
    await client.press(CASHIER, summary.callback_data("✅ Confirm"), summary.message_id)
    fresh = await session.scalar(select(Expense).where(Expense.reversed_at.is_(None)))
    assert (fresh.amount, fresh.receipt_file_id) == (1_200_000, "photo-7")
    # a reversed expense cannot be reversed again, even by a forged button
    forged = await client.press(CASHIER, ExpenseCb(action="rv", id=wrong.id).pack())
    assert forged.answers[-1].text == "ℹ️ This expense is already reversed."


async def test_categories_add_rename_retire_delete(client, session):
    await cashier(session)
    listing = await client.send(CASHIER, "/expenses")
    mid = listing.message_id
    cats = await client.press(CASHIER, listing.callback_data("🗂 Categories"), mid)
    assert "🗂 <b>Expense categories: 5</b>" in cats.text
    assert "🧑‍🏫 Salaries — automatic" in cats.text
    await client.press(CASHIER, cats.callback_data("➕ New category"), mid)
    for taken in ("rent", "Maosh", "  АРЕНДА "):  # a built-in's name, salaries', in any language
        reply = await client.send(CASHIER, taken)
        assert "already exists. Choose another name." in reply.text
    reply = await client.send(CASHIER, "C")
    assert "⚠️ That is too short: at least 2 characters." in reply.text
    summary = await client.send(CASHIER, "Cleaning")
    card = await client.press(CASHIER, summary.callback_data("✅ Confirm"), summary.message_id)
    assert "🗂 <b>Cleaning</b>" in card.text and "🗑 Delete" in card.buttons()
    cleaning = await session.scalar(
        select(ExpenseCategory).where(ExpenseCategory.name == "Cleaning")
    )
    # a second one of the same name (case and spaces aside) is refused at ✅
    await client.press(CASHIER, ExpenseCb(action="cnew").pack())
    summary = await client.send(CASHIER, "cleaning ")
    reply = await client.press(CASHIER, summary.callback_data("✅ Confirm"), summary.message_id)
    assert "⚠️ A category named «cleaning» already exists." in reply.text
    await client.send(CASHIER, "/cancel")

    # a built-in is renamed, and the new name is shown everywhere
    rent = await category_id(session, "rent")
    card = await client.press(CASHIER, ExpenseCb(action="cat", id=rent).pack())
    assert "🗑 Delete" not in card.buttons()
    await client.press(CASHIER, card.callback_data("✏️ Rename"))
    summary = await client.send(CASHIER, "Office rent")
    await client.press(CASHIER, summary.callback_data("✅ Confirm"), summary.message_id)
    step = await open_form(client)
    assert "Office rent" in step.buttons() and "🏠 Rent" not in step.buttons()
    await client.send(CASHIER, "/cancel")

    # used: retired, not deleted; retired: not offered; brought back
    await expenses_service.record_expense(
        session, actor_id=None, category_id=cleaning.id, amount=5_000, spent_on=centre_today(),
        note="mop", receipt_file_id=None, today=centre_today(), now=utcnow(),
    )  # fmt: skip
    refused = await client.press(CASHIER, ExpenseCb(action="cdel", id=cleaning.id).pack())
    assert refused.answers[-1].text.startswith("⚠️ This category has expenses")
    forged = await client.press(CASHIER, ExpenseCb(action="cdely", id=cleaning.id).pack())
    assert forged.answers[-1].text.startswith("⚠️ This category has expenses")
    retired = await client.press(CASHIER, ExpenseCb(action="cret", id=cleaning.id).pack())
    assert retired.answers[-1].text == "🗄 The category is retired."
    step = await open_form(client)
    assert "Cleaning" not in step.buttons()
    await client.send(CASHIER, "/cancel")
    back = await client.press(CASHIER, ExpenseCb(action="cres", id=cleaning.id).pack())
    assert back.answers[-1].text == "♻️ The category is offered again."

    # never used: deleted after a confirmation
    await client.press(CASHIER, ExpenseCb(action="cnew").pack())
    summary = await client.send(CASHIER, "Typo category")
    card = await client.press(CASHIER, summary.callback_data("✅ Confirm"), summary.message_id)
    question = await client.press(CASHIER, card.callback_data("🗑 Delete"), summary.message_id)
    assert "🗑 <b>Delete «Typo category»?</b>" in question.text
    deleted = await client.press(
        CASHIER, question.callback_data("🗑 Delete the category"), summary.message_id
    )
    assert deleted.answers[-1].text == "🗑 Deleted."
    assert await count(session, ExpenseCategory, ExpenseCategory.name == "Typo category") == 0
    actions = set(await session.scalars(select(AuditEntry.action)))
    assert {
        "expense_category.created",
        "expense_category.renamed",
        "expense_category.retired",
        "expense_category.restored",
        "expense_category.deleted",
    } <= actions
    reasons = [d["reason"] for d in await denied(session)]
    assert reasons.count("name_taken") == 4 and "in_use" in reasons
