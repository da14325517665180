"""Concurrent ledger writes on PostgreSQL: separate engines and sessions hitting the same
students at once (payments, reversals, refunds, duplicate provider ids, two charge runs)
leave balances equal to the ledger. Skipped without TEST_DATABASE_URL."""

import asyncio
import os
import random
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from bot.services.payments import ledger
from bot.services.payments.ledger import LedgerOutcome
from db.engine import create_engine, create_session_factory
from db.models import Charge, Payment, PaymentMethod
from tests.conftest import make_settings
from tests.ledger_world import DEC, EXPECTED, build_centre

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="TEST_DATABASE_URL is not set"
)

NOW = datetime(2026, 12, 12, 10, 0, tzinfo=UTC)
WORKERS = 6
STEPS = 120


async def worker(url: str, seed: int, students: list[int], settings) -> dict[str, int]:
    rng = random.Random(seed)
    engine = create_engine(url)
    factory = create_session_factory(engine)
    outcomes: dict[str, int] = {}
    mine: list[int] = []
    try:
        for step in range(STEPS):
            async with factory() as session:
                sid = rng.choice(students)
                roll = rng.random()
                if step == STEPS // 2:
                    run = await ledger.charge_month(
                        session, period=DEC, today=date(2026, 12, 10), settings=settings
                    )
                    outcomes["charged"] = outcomes.get("charged", 0) + run.created
                    continue
                if roll < 0.45:
                    result = await ledger.record_payment(
                        session,
                        actor_id=None,
                        student_id=sid,
                        amount=rng.randint(1, 500_000),
                        method=PaymentMethod.CASH,
                        note=None,
                        now=NOW,
                        # shared ids: several workers race to record the same provider payment
                        external_id=rng.choice([None, None, f"tg-{rng.randint(1, 40)}"]),
                    )
                    if result.payment and result.outcome is LedgerOutcome.DONE:
                        mine.append(result.payment.id)
                elif roll < 0.7:
                    # reverse any recent payment, often one another worker reverses too
                    last = await session.scalar(select(func.max(Payment.id)))
                    if not last:
                        continue
                    target = rng.choice(mine) if mine and rng.random() < 0.5 else last
                    result = await ledger.reverse_payment(
                        session, actor_id=None, payment_id=target, reason="race", now=NOW
                    )
                else:
                    result = await ledger.record_refund(
                        session,
                        actor_id=None,
                        student_id=sid,
                        amount=rng.randint(1, 300_000),
                        method=PaymentMethod.CASH,
                        reason="race",
                        now=NOW,
                    )
                outcomes[result.outcome.value] = outcomes.get(result.outcome.value, 0) + 1
    finally:
        await engine.dispose()
    return outcomes


async def test_concurrent_writers_keep_balances_equal_to_the_ledger(
    session, database_url: str
) -> None:
    settings = make_settings(database_url, charge_day=10, sibling_discount_percent=10)
    world = await build_centre(session)
    students = [world.students[name] for name in ("Aziz", "Bek", "Dilnoza")]
    results = await asyncio.gather(
        *(worker(database_url, seed, students, settings) for seed in range(WORKERS))
    )
    assert sum(r.get("charged", 0) for r in results) == len(EXPECTED)  # charged once in all
    assert sum(r.get("done", 0) for r in results) > WORKERS * STEPS // 3
    # the races really happened: provider ids recorded once, payments reversed once
    assert sum(r.get("duplicate", 0) for r in results) > 0
    assert sum(r.get("already_reversed", 0) for r in results) > 0
    assert sum(r.get("exceeds_credit", 0) for r in results) > 0
    assert await session.scalar(
        select(func.count()).select_from(Charge).where(Charge.period == DEC)
    ) == len(EXPECTED)
    assert await ledger.recompute_balances(session) == []
