"""The monthly charge job: from the charge day on (local date), daily and at start-up,
idempotent across runs, month ends and Tashkent midnight."""

from datetime import date

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select

from bot.delivery import Sender
from bot.jobs.charges import ChargeDays, run_monthly_charges
from bot.startup.scheduler import create_scheduler
from db.models import AuditEntry, Charge
from tests.conftest import make_settings
from tests.ledger_world import DEC, EXPECTED, build_centre, local


@pytest.fixture
def billing(database_url: str):
    return make_settings(database_url, charge_day=1, payment_due_day=10)


async def count(session, model) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_scheduled_daily_at_half_past_midnight_and_at_start_up(
    session_factory, bot, settings
) -> None:
    scheduler = create_scheduler(session_factory, bot, settings, Sender(session_factory))
    job = scheduler.get_job("monthly_charges")
    assert job.func is run_monthly_charges
    assert job.kwargs == {
        "session_factory": session_factory,
        "settings": settings,
        "charge_days": scheduler.get_job("payment_reminders").kwargs["charge_days"],
    }
    assert isinstance(job.kwargs["charge_days"], ChargeDays)  # shared with the reminders
    assert isinstance(job.trigger, CronTrigger)
    assert str(job.trigger.fields[5]) == "0" and str(job.trigger.fields[6]) == "30"
    assert (job.coalesce, job.max_instances) == (True, 1)
    assert job.next_run_time is not None


async def test_new_month_starts_at_local_midnight(session_factory, session, billing) -> None:
    await build_centre(session)
    # 30 Nov 23:59 local: November (already past its charge day) — December not yet
    late_nov = await run_monthly_charges(
        session_factory, billing, now=local(date(2026, 11, 30), 23, 59)
    )
    assert late_nov.period == date(2026, 11, 1)
    assert await count_period(session, DEC) == 0
    # 1 Dec 00:30 local is still 30 Nov in UTC: December is charged
    now = local(date(2026, 12, 1), 0, 30)
    assert now.date() == date(2026, 11, 30)
    run = await run_monthly_charges(session_factory, billing, now=now)
    assert (run.period, run.skipped) == (DEC, False)
    # the same enrolments as in the expected table, due on the 10th
    assert await count_period(session, DEC) == len(EXPECTED)
    dues = set(await session.scalars(select(Charge.due_date).where(Charge.period == DEC)))
    assert dues == {date(2026, 12, 10)}


async def count_period(session, period: date) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(Charge).where(Charge.period == period)
        )
        or 0
    )


async def test_run_every_day_changes_nothing_more(session_factory, session, billing) -> None:
    await build_centre(session)
    first = await run_monthly_charges(session_factory, billing, now=local(date(2026, 12, 1), 0, 30))
    totals = [first.total]
    for day in range(2, 8):
        run = await run_monthly_charges(
            session_factory, billing, now=local(date(2026, 12, day), 0, 30)
        )
        assert run.created == 0 and run.existing == first.created
        totals.append(run.total)
    assert totals[1:] == [0] * 6
    assert await count_period(session, DEC) == first.created
    runs = await session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "charges.created")
    )
    assert runs == 7  # one audit entry per run, with its counts


async def test_before_the_charge_day_nothing_happens(
    session_factory, session, database_url
) -> None:
    await build_centre(session)
    settings = make_settings(database_url, charge_day=5, payment_due_day=10)
    run = await run_monthly_charges(session_factory, settings, now=local(date(2026, 12, 4), 23, 0))
    assert run.skipped and run.period == DEC
    assert await count(session, Charge) == 0
    run = await run_monthly_charges(session_factory, settings, now=local(date(2026, 12, 5), 0, 0))
    assert not run.skipped and run.created == len(EXPECTED)
