"""Recurring expenses: the form through the Dispatcher (a month already due is made at once),
the daily job making each month's expense exactly once — run twice, run by a second process
after a restart, and after days the bot was down — and stopping one."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select

from bot.delivery import Sender
from bot.jobs.expenses import run_recurring_expenses
from bot.services import expenses as expenses_service
from bot.startup.scheduler import create_scheduler
from db.base import utcnow
from db.engine import create_engine, create_session_factory
from db.models import AuditEntry, Expense, ExpenseCategory, Permission, RecurringExpense, Role
from keyboards.expenses import ExpenseCb
from tests.chat import Person
from tests.factories import make_user
from tests.handlers.test_payments import centre_today

TZ = ZoneInfo("Asia/Tashkent")
CASHIER = Person(id=5_300_001, first_name="Cashier", language_code="en")


def local(day: date, hour: int = 1) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ).astimezone(UTC)


async def expenses_of(session) -> list[tuple[date, date, int]]:
    rows = await session.execute(
        select(Expense.period, Expense.spent_on, Expense.amount).order_by(Expense.spent_on)
    )
    return [tuple(row) for row in rows.all()]


async def rent_id(session) -> int:
    return await session.scalar(select(ExpenseCategory.id).where(ExpenseCategory.code == "rent"))


async def template(session, day: int, starts_on: date, today: date, ends_on=None):
    result = await expenses_service.add_recurring(
        session,
        actor_id=None,
        category_id=await rent_id(session),
        amount=8_000_000,
        day=day,
        starts_on=starts_on,
        ends_on=ends_on,
        note="rent",
        today=today,
        now=utcnow(),
    )
    assert result.recurring is not None, result.outcome
    return result.recurring


async def test_scheduled_daily_and_at_start_up(session_factory, bot, settings) -> None:
    scheduler = create_scheduler(session_factory, bot, settings, Sender(session_factory))
    job = scheduler.get_job("recurring_expenses")
    assert job.func is run_recurring_expenses
    assert job.kwargs == {"session_factory": session_factory, "settings": settings}
    assert isinstance(job.trigger, CronTrigger)
    assert str(job.trigger.fields[5]) == "0" and str(job.trigger.fields[6]) == "40"
    assert (job.coalesce, job.max_instances) == (True, 1)
    assert job.next_run_time is not None  # once at start-up


async def test_each_month_once_run_twice_and_after_a_restart(
    session_factory, session, settings, database_url
) -> None:
    await template(session, 31, date(2026, 1, 1), today=date(2026, 1, 10))
    assert await expenses_of(session) == []  # the 31st has not come

    run = await run_recurring_expenses(session_factory, settings, now=local(date(2026, 1, 31)))
    assert (run.created, run.total) == (1, 8_000_000)
    again = await run_recurring_expenses(session_factory, settings, now=local(date(2026, 1, 31), 9))
    assert (again.created, again.existing) == (0, 1)

    # a restart: a new process, a new engine on the same database
    engine = create_engine(database_url)
    restarted = create_session_factory(engine)
    try:
        after = await run_recurring_expenses(restarted, settings, now=local(date(2026, 2, 27)))
        assert after.created == 0  # February's day (its last, the 28th) has not come
        february = await run_recurring_expenses(restarted, settings, now=local(date(2026, 2, 28)))
        assert february.created == 1
        # the bot down from March to May: the months it missed are made, once
        late = await run_recurring_expenses(restarted, settings, now=local(date(2026, 5, 2)))
        assert late.created == 2  # March and April; May's 31st is still to come
        assert (
            await run_recurring_expenses(restarted, settings, now=local(date(2026, 5, 2)))
        ).created == 0
    finally:
        await engine.dispose()
    assert await expenses_of(session) == [
        (date(2026, 1, 1), date(2026, 1, 31), 8_000_000),
        (date(2026, 2, 1), date(2026, 2, 28), 8_000_000),
        (date(2026, 3, 1), date(2026, 3, 31), 8_000_000),
        (date(2026, 4, 1), date(2026, 4, 30), 8_000_000),
    ]
    audited = await session.scalar(
        select(func.count()).where(AuditEntry.action == "expenses.generated")
    )
    assert audited == 3  # one entry a run that made something


async def test_an_end_date_a_stop_and_a_reversed_month(session_factory, session, settings) -> None:
    ending = await template(
        session, 5, date(2026, 3, 1), today=date(2026, 3, 1), ends_on=date(2026, 4, 4)
    )
    running = await template(session, 1, date(2026, 3, 1), today=date(2026, 3, 1))
    assert len(await expenses_of(session)) == 1  # the 1st of March was due: made at once
    await run_recurring_expenses(session_factory, settings, now=local(date(2026, 4, 30)))
    # `ending`: March 5 only (April 5 is after its end); `running`: March 1, April 1
    periods = await session.execute(
        select(Expense.recurring_id, Expense.period).order_by(Expense.recurring_id, Expense.period)
    )
    assert [tuple(row) for row in periods] == [
        (ending.id, date(2026, 3, 1)),
        (running.id, date(2026, 3, 1)),
        (running.id, date(2026, 4, 1)),
    ]
    april = await session.scalar(
        select(Expense.id).where(
            Expense.recurring_id == running.id, Expense.period == date(2026, 4, 1)
        )
    )
    await expenses_service.reverse_expense(
        session, actor_id=None, expense_id=april, reason="paid in cash", now=utcnow()
    )
    await expenses_service.stop_recurring(session, None, running.id, utcnow())
    run = await run_recurring_expenses(session_factory, settings, now=local(date(2026, 6, 2)))
    assert run.created == 0  # stopped; and a reversed month is never made again
    assert await session.scalar(select(func.count()).select_from(Expense)) == 3


async def test_the_form_through_the_dispatcher(client, session) -> None:
    await make_user(session, CASHIER, roles=[Role.ADMIN], permissions=[Permission.PAYROLL])
    today = centre_today()
    listing = await client.send(CASHIER, "/expenses")
    mid = listing.message_id
    recurring = await client.press(CASHIER, listing.callback_data("🔁 Recurring"), mid)
    assert "None yet." in recurring.text
    step = await client.press(CASHIER, recurring.callback_data("➕ New recurring expense"), mid)
    assert "Step 1/6 — the category." in step.text
    step = await client.press(CASHIER, step.callback_data("🏠 Rent"), mid)
    await client.send(CASHIER, "8 000 000")
    reply = await client.send(CASHIER, "32")
    assert "⚠️ The number must be from 1 to 31." in reply.text
    await client.send(CASHIER, "1")
    before = today.replace(day=1) - timedelta(days=1)
    reply = await client.send(CASHIER, f"{before:%d.%m.%Y}")
    assert "⚠️ The start is this month or later" in reply.text
    step = await client.send(CASHIER, f"{today.replace(day=1):%d.%m.%Y}")
    reply = await client.send(CASHIER, f"{before:%d.%m.%Y}")
    assert "⚠️ The end cannot be before the start." in reply.text
    step = await client.press(CASHIER, reply.callback_data("⏭ No end"), reply.message_id)
    summary = await client.send(CASHIER, "Office rent")
    assert "When: each month on day 1, from " in summary.text
    card = await client.press(CASHIER, summary.callback_data("✅ Confirm"), summary.message_id)
    assert "🔁 <b>Recurring expense #1</b> · 🏠 Rent" in card.text
    # the 1st of this month has come: its expense is made at once, and only once
    assert await expenses_of(session) == [(today.replace(day=1), today.replace(day=1), 8_000_000)]
    stop = await client.press(CASHIER, card.callback_data("⏹ Stop it"), summary.message_id)
    assert "⚠️ <b>Stop it?</b>" in stop.text
    done = await client.press(
        CASHIER, stop.callback_data("⏹ Stop it from now on"), summary.message_id
    )
    assert done.answers[-1].text == "⏹ Stopped."
    row = await session.scalar(select(RecurringExpense))
    await session.refresh(row)
    assert row.stopped_at is not None
    twice = await client.press(CASHIER, ExpenseCb(action="rstopy", id=row.id).pack())
    assert twice.answers[-1].text == "ℹ️ It is stopped already."
    reasons = await session.scalars(
        select(AuditEntry.details).where(AuditEntry.action == "expense.denied")
    )
    assert [d["reason"] for d in reasons] == [
        "day_of_month.too_large",
        "start.date_past",
        "end.end_before_start",
        "already_stopped",
    ]
