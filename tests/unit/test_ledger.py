"""The ledger: a realistic month of charges with exact sums, payments, reversals, refunds,
open charges and debtors, and balances that always equal the ledger."""

import random
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import func, select, update

from bot.services import enrolment as enrolment_service
from bot.services.payments import ledger
from bot.services.payments.ledger import LedgerOutcome
from db.models import (
    AuditEntry,
    Balance,
    Charge,
    Enrolment,
    EnrolmentFreeze,
    Payment,
    PaymentMethod,
    Refund,
    Role,
)
from tests.conftest import make_settings
from tests.factories import make_user
from tests.ledger_world import DEC, EXPECTED, build_centre, local

NOW = datetime(2026, 12, 12, 10, 0, tzinfo=UTC)


@pytest.fixture
def billing(database_url: str):
    return make_settings(
        database_url, charge_day=10, payment_due_day=10, sibling_discount_percent=10
    )


async def charges_by_name(session, world) -> dict[str, int]:
    names = {sid: name for name, sid in world.students.items()}
    rows = await session.execute(
        select(Charge.student_id, func.sum(Charge.amount))
        .where(Charge.period == DEC)
        .group_by(Charge.student_id)
    )
    return {names[sid]: int(total) for sid, total in rows}


async def balances_by_name(session, world) -> dict[str, int]:
    names = {sid: name for name, sid in world.students.items()}
    rows = await session.execute(select(Balance.student_id, Balance.amount))
    return {names[sid]: int(amount) for sid, amount in rows if sid in names}


async def ledger_snapshot(session) -> tuple:
    charges = (await session.execute(select(Charge.id, Charge.amount).order_by(Charge.id))).all()
    balances = (
        await session.execute(select(Balance.student_id, Balance.amount).order_by(Balance.id))
    ).all()
    return tuple(charges), tuple(balances)


# --- pure arithmetic ----------------------------------------------------------------------


def test_rounding_is_half_up_on_whole_soum() -> None:
    assert ledger.charge_amount(100_000, 1, 3, 0, 0) == 33_333  # 33 333.33
    assert ledger.charge_amount(100_001, 1, 2, 0, 0) == 50_001  # 50 000.5 → up
    assert ledger.charge_amount(100_003, 1, 2, 0, 0) == 50_002  # 50 001.5 → up
    assert ledger.charge_amount(99_999, 2, 3, 0, 0) == 66_666
    assert ledger.charge_amount(300_000, 10, 10, 10, 10) == 243_000
    assert ledger.charge_amount(123_457, 7, 13, 7, 5) == round(123_457 * 7 / 13 * 0.93 * 0.95)
    assert ledger.charge_amount(600_000, 0, 12, 0, 0) == 0
    assert ledger.charge_amount(600_000, 5, 0, 0, 0) == 0
    assert isinstance(ledger.charge_amount(1, 1, 3, 0, 0), int)


def test_due_date_is_the_due_day_or_the_join_date() -> None:
    assert ledger.due_date(DEC, date(2026, 11, 1), 10) == date(2026, 12, 10)
    assert ledger.due_date(DEC, date(2026, 12, 16), 10) == date(2026, 12, 16)


# --- a realistic month --------------------------------------------------------------------


async def test_a_month_of_charges_for_a_small_centre(session, billing) -> None:
    world = await build_centre(session)
    run = await ledger.charge_month(session, period=DEC, today=date(2026, 12, 10), settings=billing)

    assert await charges_by_name(session, world) == EXPECTED
    assert run.created == len(EXPECTED) and run.total == 2_893_000 == sum(EXPECTED.values())
    assert await balances_by_name(session, world) == {k: -v for k, v in EXPECTED.items()}
    dues = set((await session.scalars(select(Charge.due_date))).all())
    assert dues == {date(2026, 12, 10)}
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "charges.created"))
    assert entry is not None and entry.actor_id is None
    assert entry.details["created"] == 8 and entry.details["total"] == 2_893_000
    assert await ledger.recompute_balances(session) == []


async def test_charging_twice_or_after_a_crash_changes_nothing_more(session, billing) -> None:
    world = await build_centre(session)
    # a run that dies before its commit leaves nothing behind
    crashed = await ledger.charge_month(
        session, period=DEC, today=date(2026, 12, 10), settings=billing, commit=False
    )
    assert crashed.created == 8
    await session.rollback()
    assert await session.scalar(select(func.count()).select_from(Charge)) == 0
    assert await session.scalar(select(func.count()).select_from(Balance)) == 0

    await ledger.charge_month(session, period=DEC, today=date(2026, 12, 10), settings=billing)
    before = await ledger_snapshot(session)
    again = await ledger.charge_month(
        session, period=DEC, today=date(2026, 12, 11), settings=billing
    )
    assert (again.created, again.existing, again.total) == (0, 8, 0)
    assert await ledger_snapshot(session) == before
    assert await charges_by_name(session, world) == EXPECTED


async def test_an_enrolment_after_the_run_is_charged_at_once(session, billing) -> None:
    world = await build_centre(session)
    await ledger.charge_month(session, period=DEC, today=date(2026, 12, 10), settings=billing)
    malika = await make_user(session, None, roles=[Role.STUDENT], full_name="Malika")
    change = await enrolment_service.enrol(
        session,
        world.admin_id,
        malika.id,
        world.groups["A"],
        today=date(2026, 12, 16),
        policy_version="1",
        settings=billing,
    )
    assert change.outcome is enrolment_service.Outcome.DONE
    charge = await session.scalar(select(Charge).where(Charge.student_id == malika.id))
    # Wed 16, Fri 18, Mon 21, Wed 23, Mon 28, Wed 30 (Fri 25 cancelled): 6 of 12
    assert charge is not None and charge.amount == 300_000
    assert charge.due_date == date(2026, 12, 16)
    assert await ledger.balance(session, malika.id) == -300_000
    # the daily run afterwards adds nothing
    run = await ledger.charge_month(session, period=DEC, today=date(2026, 12, 17), settings=billing)
    assert run.created == 0
    assert await ledger.recompute_balances(session) == []


async def test_an_enrolment_before_the_charge_day_waits_for_the_run(session, billing) -> None:
    world = await build_centre(session)
    malika = await make_user(session, None, roles=[Role.STUDENT], full_name="Malika")
    await enrolment_service.enrol(
        session,
        world.admin_id,
        malika.id,
        world.groups["A"],
        today=date(2026, 12, 7),
        policy_version="1",
        settings=billing,
    )
    assert await session.scalar(select(func.count()).select_from(Charge)) == 0


async def test_a_move_within_the_month_does_not_charge_it_twice(session, billing) -> None:
    world = await build_centre(session)
    await ledger.charge_month(session, period=DEC, today=date(2026, 12, 10), settings=billing)
    change = await enrolment_service.move(
        session,
        world.admin_id,
        world.enrolments["Aziz"],
        world.groups["B"],
        today=date(2026, 12, 17),
        policy_version="1",
        settings=billing,
    )
    assert change.outcome is enrolment_service.Outcome.DONE
    assert change.enrolment is not None
    rows = (
        await session.execute(
            select(Charge.enrolment_id, Charge.amount).where(
                Charge.student_id == world.students["Aziz"]
            )
        )
    ).all()
    assert sorted(rows) == sorted([(world.enrolments["Aziz"], 600_000), (change.enrolment.id, 0)])
    assert await ledger.balance(session, world.students["Aziz"]) == -600_000
    await ledger.charge_month(session, period=DEC, today=date(2026, 12, 18), settings=billing)
    assert await ledger.balance(session, world.students["Aziz"]) == -600_000
    # next month only the new group charges
    jan = await ledger.charge_month(
        session, period=date(2027, 1, 1), today=date(2027, 1, 10), settings=billing
    )
    aziz_jan = await session.scalar(
        select(Charge).where(
            Charge.student_id == world.students["Aziz"], Charge.period == date(2027, 1, 1)
        )
    )
    assert aziz_jan is not None and aziz_jan.enrolment_id == change.enrolment.id
    assert aziz_jan.amount == 300_000
    assert jan.created >= 1


async def test_a_move_before_the_charge_day_prorates_both_groups(session, billing) -> None:
    world = await build_centre(session)
    change = await enrolment_service.move(
        session,
        world.admin_id,
        world.enrolments["Aziz"],
        world.groups["B"],
        today=date(2026, 12, 7),
        policy_version="1",
        settings=billing,
    )
    assert change.enrolment is not None
    await ledger.charge_month(session, period=DEC, today=date(2026, 12, 10), settings=billing)
    rows = dict(
        (
            await session.execute(
                select(Charge.enrolment_id, Charge.amount).where(
                    Charge.student_id == world.students["Aziz"]
                )
            )
        ).all()
    )
    # A before Mon 7: Wed 2, Fri 4 → 2/12 of 600 000; B from Mon 7: 8 of 10 of 300 000
    assert rows == {world.enrolments["Aziz"]: 100_000, change.enrolment.id: 240_000}


async def test_freeze_and_unfreeze_record_periods(session, billing) -> None:
    world = await build_centre(session)
    enrolment_id = world.enrolments["Aziz"]
    await enrolment_service.freeze(
        session, world.admin_id, enrolment_id, policy_version="1", today=date(2026, 11, 25)
    )
    # fully frozen when December is charged: no charge is written
    run = await ledger.charge_month(session, period=DEC, today=date(2026, 12, 10), settings=billing)
    assert run.zero == 1
    assert await ledger.balance(session, world.students["Aziz"]) == 0
    await enrolment_service.unfreeze(
        session,
        world.admin_id,
        enrolment_id,
        policy_version="1",
        today=date(2026, 12, 21),
        settings=billing,
    )
    freeze = await session.scalar(
        select(EnrolmentFreeze).where(EnrolmentFreeze.enrolment_id == enrolment_id)
    )
    assert freeze is not None
    assert (freeze.starts_on, freeze.ends_on) == (date(2026, 11, 25), date(2026, 12, 21))
    # charged at once for Mon 21, Wed 23, Mon 28, Wed 30: 4 of 12
    assert await ledger.balance(session, world.students["Aziz"]) == -200_000


async def test_the_job_follows_the_local_date(session_factory, session, billing) -> None:
    from bot.jobs.charges import run_monthly_charges

    world = await build_centre(session)
    # 9 Dec 23:59 in Tashkent (18:59 UTC): not yet the charge day
    early = await run_monthly_charges(
        session_factory, billing, now=local(date(2026, 12, 9), 23, 59)
    )
    assert early.skipped
    assert await session.scalar(select(func.count()).select_from(Charge)) == 0
    # 00:30 on the 10th local is still the 9th in UTC
    now = local(date(2026, 12, 10), 0, 30)
    assert now.date() == date(2026, 12, 9)
    run = await run_monthly_charges(session_factory, billing, now=now)
    assert run.period == DEC and run.created == 8
    assert await charges_by_name(session, world) == EXPECTED
    assert (await run_monthly_charges(session_factory, billing, now=now)).created == 0


async def test_month_ends_in_tashkent(session, billing) -> None:
    """The night group's 1 Dec 00:30 lesson (30 Nov in UTC) belongs to December, and
    November's bounds end at local midnight."""
    world = await build_centre(session)
    from db.models import Group, ScheduleSlot

    group = await session.get(Group, world.groups["C"])
    slots = (
        await session.scalars(select(ScheduleSlot).where(ScheduleSlot.group_id == group.id))
    ).all()
    from db.repositories.payments import ledger as repo

    tz = billing.centre.tz
    start, end = ledger.local_month_bounds(DEC, tz)
    assert start == datetime(2026, 11, 30, 19, 0, tzinfo=UTC)
    assert end == datetime(2026, 12, 31, 19, 0, tzinfo=UTC)
    rows = await repo.lessons_between(session, [group.id], start, end)
    days = ledger.month_lesson_days(group, slots, rows, DEC, tz)
    assert days == [date(2026, 12, d) for d in (1, 8, 15, 22, 29)]
    nov = ledger.month_lesson_days(group, slots, [], date(2026, 11, 1), tz)
    assert date(2026, 12, 1) not in nov and len(nov) == 4


# --- payments, reversals, refunds ---------------------------------------------------------


async def student(session, name: str = "Student") -> int:
    return (await make_user(session, None, roles=[Role.STUDENT], full_name=name)).id


async def test_payments_part_and_over_payment(session) -> None:
    sid = await student(session)
    admin = await make_user(session, None, roles=[Role.ADMIN])
    session.add(Charge(student_id=sid, period=DEC, amount=600_000, due_date=date(2026, 12, 10)))
    await session.execute(
        Balance.__table__.insert().values(student_id=sid, amount=-600_000, updated_at=NOW)
    )
    await session.commit()

    part = await ledger.record_payment(
        session,
        actor_id=admin.id,
        student_id=sid,
        amount=250_000,
        method=PaymentMethod.CASH,
        note="first half",
        now=NOW,
    )
    assert part.outcome is LedgerOutcome.DONE and part.balance == -350_000
    assert part.payment is not None and part.payment.note == "first half"
    [open_] = await ledger.open_charges(session, student_ids=[sid])
    assert (open_.amount, open_.unpaid) == (600_000, 350_000)

    over = await ledger.record_payment(
        session,
        actor_id=admin.id,
        student_id=sid,
        amount=400_000,
        method=PaymentMethod.CARD,
        note=None,
        now=NOW,
    )
    assert over.balance == 50_000 == await ledger.balance(session, sid)
    assert await ledger.open_charges(session, student_ids=[sid]) == []
    entries = (
        await session.scalars(select(AuditEntry).where(AuditEntry.action == "payment.recorded"))
    ).all()
    assert len(entries) == 2 and {e.actor_id for e in entries} == {admin.id}


async def test_reversal_keeps_the_payment_and_takes_the_money_back(session) -> None:
    sid = await student(session)
    paid = await ledger.record_payment(
        session,
        actor_id=None,
        student_id=sid,
        amount=100_000,
        method=PaymentMethod.TRANSFER,
        note=None,
        now=NOW,
    )
    assert paid.payment is not None
    with pytest.raises(ValueError):
        await ledger.reverse_payment(
            session, actor_id=None, payment_id=paid.payment.id, reason="  ", now=NOW
        )
    done = await ledger.reverse_payment(
        session, actor_id=None, payment_id=paid.payment.id, reason="wrong student", now=NOW
    )
    assert done.outcome is LedgerOutcome.DONE and done.balance == 0
    assert done.payment is not None and done.payment.reversed
    assert done.payment.reversal_reason == "wrong student"
    again = await ledger.reverse_payment(
        session, actor_id=None, payment_id=paid.payment.id, reason="again", now=NOW
    )
    assert again.outcome is LedgerOutcome.ALREADY_REVERSED and again.balance == 0
    missing = await ledger.reverse_payment(
        session, actor_id=None, payment_id=999_999, reason="x", now=NOW
    )
    assert missing.outcome is LedgerOutcome.MISSING
    listed = await ledger.statement(session, sid, today=date(2026, 12, 12))
    assert [p.reversed for p in listed.payments] == [True]
    assert await session.scalar(select(func.count()).select_from(Payment)) == 1
    actions = set(await session.scalars(select(AuditEntry.action)))
    assert {"payment.recorded", "payment.reversed"} <= actions


async def test_refunds_pay_back_credit_only(session) -> None:
    sid = await student(session)
    await ledger.record_payment(
        session,
        actor_id=None,
        student_id=sid,
        amount=300_000,
        method=PaymentMethod.CASH,
        note=None,
        now=NOW,
    )
    too_much = await ledger.record_refund(
        session,
        actor_id=None,
        student_id=sid,
        amount=300_001,
        method=PaymentMethod.CASH,
        reason="leaving",
        now=NOW,
    )
    assert too_much.outcome is LedgerOutcome.EXCEEDS_CREDIT and too_much.balance == 300_000
    assert await session.scalar(select(func.count()).select_from(Refund)) == 0
    done = await ledger.record_refund(
        session,
        actor_id=None,
        student_id=sid,
        amount=120_000,
        method=PaymentMethod.CARD,
        reason="leaving",
        now=NOW,
    )
    assert done.outcome is LedgerOutcome.DONE and done.balance == 180_000
    assert done.refund is not None and done.refund.reason == "leaving"
    stated = await ledger.statement(session, sid, today=date(2026, 12, 12))
    assert stated.balance == 180_000 and [r.amount for r in stated.refunds] == [120_000]
    assert await session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "refund.recorded")
    )
    # no credit at all
    other = await student(session, "Other")
    refused = await ledger.record_refund(
        session,
        actor_id=None,
        student_id=other,
        amount=1,
        method=PaymentMethod.CASH,
        reason="x",
        now=NOW,
    )
    assert refused.outcome is LedgerOutcome.EXCEEDS_CREDIT


async def test_duplicate_external_id_changes_nothing(session) -> None:
    sid = await student(session)
    first = await ledger.record_payment(
        session,
        actor_id=None,
        student_id=sid,
        amount=500_000,
        method=PaymentMethod.TELEGRAM,
        note=None,
        now=NOW,
        external_id="tg-charge-1",
    )
    assert first.outcome is LedgerOutcome.DONE
    audits = await session.scalar(select(func.count()).select_from(AuditEntry))
    second = await ledger.record_payment(
        session,
        actor_id=None,
        student_id=sid,
        amount=500_000,
        method=PaymentMethod.TELEGRAM,
        note=None,
        now=NOW,
        external_id="tg-charge-1",
    )
    assert second.outcome is LedgerOutcome.DUPLICATE
    assert second.payment is not None and second.payment.id == first.payment.id
    assert second.balance == 500_000 == await ledger.balance(session, sid)
    assert await session.scalar(select(func.count()).select_from(Payment)) == 1
    assert await session.scalar(select(func.count()).select_from(AuditEntry)) == audits


async def test_bad_amounts_and_people_are_refused(session) -> None:
    sid = await student(session)
    parent = await make_user(session, None, roles=[Role.PARENT])
    for amount in (0, -5, 1_000_000_001):
        with pytest.raises(ValueError):
            await ledger.record_payment(
                session,
                actor_id=None,
                student_id=sid,
                amount=amount,
                method=PaymentMethod.CASH,
                note=None,
                now=NOW,
            )
    for amount in (1.5, True, "100"):
        with pytest.raises(TypeError):
            await ledger.record_payment(
                session,
                actor_id=None,
                student_id=sid,
                amount=amount,  # type: ignore[arg-type]
                method=PaymentMethod.CASH,
                note=None,
                now=NOW,
            )
    kwargs = {"amount": 1, "method": PaymentMethod.CASH, "note": None, "now": NOW}
    missing = await ledger.record_payment(session, actor_id=None, student_id=424242, **kwargs)
    not_student = await ledger.record_payment(
        session, actor_id=None, student_id=parent.id, **kwargs
    )
    assert missing.outcome is LedgerOutcome.MISSING
    assert not_student.outcome is LedgerOutcome.NOT_A_STUDENT
    assert await session.scalar(select(func.count()).select_from(Payment)) == 0


# --- reads --------------------------------------------------------------------------------


async def test_open_charges_fifo_statement_and_debtors(session, billing) -> None:
    world = await build_centre(session)
    nov = date(2026, 11, 1)
    aziz = world.students["Aziz"]
    session.add(Charge(student_id=aziz, period=nov, amount=600_000, due_date=date(2026, 11, 10)))
    await session.execute(
        Balance.__table__.insert().values(student_id=aziz, amount=-600_000, updated_at=NOW)
    )
    await session.commit()
    await ledger.charge_month(session, period=DEC, today=date(2026, 12, 10), settings=billing)
    await ledger.record_payment(
        session,
        actor_id=None,
        student_id=aziz,
        amount=700_000,
        method=PaymentMethod.CASH,
        note=None,
        now=NOW,
    )
    # FIFO: November paid in full, December's 600 000 has 500 000 left
    [open_] = await ledger.open_charges(session, student_ids=[aziz])
    assert (open_.period, open_.unpaid) == (DEC, 500_000)
    every = await ledger.open_charges(session)
    assert {c.student_id for c in every} == set(world.students[n] for n in EXPECTED)

    stated = await ledger.statement(session, aziz, today=date(2026, 12, 12), limit=5)
    assert stated.balance == -500_000 and stated.month_charge == 600_000
    assert [c.period for c in stated.charges] == [DEC, nov]
    assert stated.charges[0].group_name == "English A"

    page, total = await ledger.debtors(session, today=date(2026, 12, 20), offset=0, limit=3)
    assert total == 8
    assert [d.debt for d in page] == [510_000, 500_000, 500_000]
    assert all(d.days_overdue == 10 and d.oldest_due == date(2026, 12, 10) for d in page)
    rest, _ = await ledger.debtors(session, today=date(2026, 12, 20), offset=6, limit=10)
    assert [d.debt for d in rest] == [200_000, 90_000]
    before_due, _ = await ledger.debtors(session, today=date(2026, 12, 5), offset=0, limit=1)
    assert before_due[0].days_overdue == 0


# --- balances against the ledger ----------------------------------------------------------


async def test_random_operations_keep_balances_equal_to_the_ledger(session, billing) -> None:
    rng = random.Random(20261125)
    world = await build_centre(session)
    students = list(world.students.values())
    payments: list[int] = []
    periods = [date(2026, m, 1) for m in (9, 10, 11)]
    enrolments = (await session.scalars(select(Enrolment.id))).all()
    for _step in range(2000):
        sid = rng.choice(students)
        kind = rng.random()
        if kind < 0.45:
            result = await ledger.record_payment(
                session,
                actor_id=None,
                student_id=sid,
                amount=rng.randint(1, 900_000),
                method=rng.choice(list(PaymentMethod)),
                note=None,
                now=NOW,
                external_id=rng.choice([None, f"ext-{rng.randint(1, 300)}"]),
            )
            if result.outcome is LedgerOutcome.DONE and result.payment:
                payments.append(result.payment.id)
        elif kind < 0.65 and payments:
            await ledger.reverse_payment(
                session, actor_id=None, payment_id=rng.choice(payments), reason="r", now=NOW
            )
        elif kind < 0.85:
            await ledger.record_refund(
                session,
                actor_id=None,
                student_id=sid,
                amount=rng.randint(1, 400_000),
                method=PaymentMethod.CASH,
                reason="r",
                now=NOW,
            )
        elif kind < 0.95:
            await ledger.charge_month(
                session,
                period=rng.choice([*periods, DEC]),
                today=date(2026, 12, 10),
                settings=billing,
            )
        else:
            await ledger.charge_month(
                session,
                period=DEC,
                today=date(2026, 12, 10),
                settings=billing,
                enrolment_ids=[rng.choice(enrolments)],
            )
    assert await ledger.recompute_balances(session) == []
    assert await session.scalar(select(func.count()).select_from(Payment)) > 500

    # a corrupted balance is found, and fixed with an audit entry
    victim = students[3]
    stored = await ledger.balance(session, victim)
    await session.execute(
        update(Balance).where(Balance.student_id == victim).values(amount=Balance.amount + 777)
    )
    await session.commit()
    [difference] = await ledger.recompute_balances(session)
    assert (difference.student_id, difference.stored, difference.expected) == (
        victim,
        stored + 777,
        stored,
    )
    fixed = await ledger.recompute_balances(session, fix=True, actor_id=world.admin_id)
    assert len(fixed) == 1
    assert await ledger.recompute_balances(session) == []
    assert await ledger.balance(session, victim) == stored
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "balances.fixed"))
    assert entry is not None and entry.actor_id == world.admin_id


async def test_a_missing_balance_row_and_an_erased_persons_rows_are_checked(session) -> None:
    sid = await student(session)
    await ledger.record_payment(
        session,
        actor_id=None,
        student_id=sid,
        amount=10_000,
        method=PaymentMethod.CASH,
        note=None,
        now=NOW,
    )
    await session.execute(Balance.__table__.delete())
    # an erased person's ledger kept under an anon_ref, with its balance
    session.add(Payment(anon_ref="anon1", amount=5_000, method="cash", paid_at=NOW))
    session.add(Balance(anon_ref="anon1", amount=4_000, updated_at=NOW))
    await session.commit()
    differences = await ledger.recompute_balances(session)
    assert {(d.student_id, d.anon_ref, d.stored, d.expected) for d in differences} == {
        (sid, None, 0, 10_000),
        (None, "anon1", 4_000, 5_000),
    }
    await ledger.recompute_balances(session, fix=True)
    assert await ledger.recompute_balances(session) == []
    assert await ledger.balance(session, sid) == 10_000


def test_local_helpers() -> None:
    assert ledger.month_end(date(2027, 2, 10)) == date(2027, 2, 28)
    assert ledger.month_start(date(2027, 2, 10)) == date(2027, 2, 1)
    assert time(0, 30) < time(1)
