"""Corrections after approval, one kind of change at a time: the month before is approved,
something that counts for its pay changes, and the next month's draft carries exactly the
difference per group (and `payroll verify` agrees) — while a change that counts for nothing
(a refund, a scheme from a later day, the lesson of a group paid a fixed amount) and no change
at all carry none. The draft reads only the facts that can count (compute.counting): these
cases are where leaving something out would go wrong."""

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.services.payroll import payslips as payslip_service
from bot.services.payroll.compute import compute_month
from bot.services.payroll.facts import read_facts
from db.base import utcnow
from db.models import (
    Attendance,
    Charge,
    Enrolment,
    Group,
    Lesson,
    LessonStatus,
    Payment,
    PayScheme,
    Payslip,
    PayslipLine,
    Refund,
    Role,
)
from tests.factories import (
    make_charge,
    make_enrolment,
    make_group,
    make_lesson,
    make_payment,
    make_user,
)

TZ = ZoneInfo("Asia/Tashkent")
OCT, NOV = date(2026, 10, 1), date(2026, 11, 1)


def at(day: int, month: date = OCT) -> datetime:
    return datetime.combine(month.replace(day=day), time(10), tzinfo=TZ).astimezone(UTC)


async def world(session) -> dict:
    """Ann is paid 10 % of P1's money, Bob 100,000 a lesson and 10,000 a student present in L1,
    Cid 3,000,000 a month for F1. In October: S0 (in P1 and L1, charged 300,000 and 100,000)
    paid 800,000 — 600,000 of it P1's; S2 (in P1, no charge) paid 500,000; S1 (in L1 and F1,
    no charge) paid 400,000, money no one's percent counts; L1 held two lessons (3 present),
    P1 and F1 one each. Ann 110,000, Bob 230,000, Cid 3,000,000."""
    ann = await make_user(session, roles=[Role.TEACHER], full_name="Ann")
    bob = await make_user(session, roles=[Role.TEACHER], full_name="Bob")
    cid = await make_user(session, roles=[Role.TEACHER], full_name="Cid")
    p1 = await make_group(session, "P1", teacher_id=ann.id)
    l1 = await make_group(session, "L1", teacher_id=bob.id)
    f1 = await make_group(session, "F1", teacher_id=cid.id)
    since = date(2026, 9, 1)
    session.add_all(
        [
            PayScheme(teacher_id=ann.id, valid_from=since, percent=10),
            PayScheme(teacher_id=bob.id, valid_from=since, per_lesson=100_000, per_student=10_000),
            PayScheme(teacher_id=cid.id, valid_from=since, fixed_monthly=3_000_000),
        ]
    )
    s0, s1, s2 = [
        await make_user(session, roles=[Role.STUDENT], full_name=f"S{n}") for n in range(3)
    ]
    joined = date(2026, 1, 1)
    s0_p1 = await make_enrolment(session, s0, p1, joined_on=joined)
    s0_l1 = await make_enrolment(session, s0, l1, joined_on=joined)
    await make_enrolment(session, s1, l1, joined_on=joined)
    await make_enrolment(session, s1, f1, joined_on=joined)
    s2_p1 = await make_enrolment(session, s2, p1, joined_on=joined)
    await make_charge(session, s0, amount=300_000, period=OCT, enrolment_id=s0_p1.id)
    l1_charge = await make_charge(session, s0, amount=100_000, period=OCT, enrolment_id=s0_l1.id)
    await make_payment(session, s0, 800_000, paid_at=at(6))
    s2_paid = await make_payment(session, s2, 500_000, paid_at=at(8))
    await make_payment(session, s1, 400_000, paid_at=at(9))
    lessons = {}
    for name, group, day, marks in (
        ("l1_3", l1, 3, {s0: "present", s1: "late"}),
        ("l1_10", l1, 10, {s0: "absent", s1: "present"}),
        ("p1_4", p1, 4, {s0: "present", s2: "present"}),
        ("f1_5", f1, 5, {s1: "present"}),
    ):
        lesson = await make_lesson(session, group, at(day), status=LessonStatus.HELD)
        session.add_all(
            Attendance(lesson_id=lesson.id, student_id=s.id, status=m) for s, m in marks.items()
        )
        lessons[name] = lesson.id
    await session.commit()
    ids = {"ann": ann.id, "bob": bob.id, "cid": cid.id, "p1": p1.id, "l1": l1.id, "f1": f1.id}
    ids |= {"s0": s0.id, "s1": s1.id, "s2": s2.id, "s2_p1": s2_p1.id}
    return ids | lessons | {"l1_charge": l1_charge.id, "s2_paid": s2_paid.id}


async def october_approved(session) -> dict[int, int]:
    await payslip_service.make_drafts(session, None, OCT, tz=TZ, now=utcnow())
    slips = (await session.scalars(select(Payslip).where(Payslip.month == OCT))).all()
    for payslip in slips:
        result = await payslip_service.approve(session, 1, payslip.id, tz=TZ, now=utcnow())
        assert result.outcome == "done"
    session.expire_all()
    slips = (await session.scalars(select(Payslip).where(Payslip.month == OCT))).all()
    return {p.teacher_id: p.total for p in slips}


async def november_corrections(session) -> set[tuple[int, int | None, int]]:
    """(teacher, group, so'm) of the correction lines of November's drafts."""
    await payslip_service.make_drafts(session, None, NOV, tz=TZ, now=utcnow())
    session.expire_all()
    rows = await session.execute(
        select(Payslip.teacher_id, PayslipLine.group_id, PayslipLine.amount, PayslipLine.for_month)
        .join(PayslipLine, PayslipLine.payslip_id == Payslip.id)
        .where(Payslip.month == NOV, PayslipLine.kind == "correction")
    )
    found = set()
    for teacher, group, amount, for_month in rows.all():
        assert for_month == OCT
        found.add((teacher, group, amount))
    return found


Change = Callable[..., Awaitable[None]]


async def mark_a_lesson(session, w) -> None:
    lesson = await make_lesson(session, w["l1"], at(17), status=LessonStatus.HELD)
    session.add(Attendance(lesson_id=lesson.id, student_id=w["s0"], status="present"))
    await session.commit()


async def a_mark(session, lesson_id: int, student_id: int) -> Attendance:
    return (
        await session.scalars(
            select(Attendance).where(
                Attendance.lesson_id == lesson_id, Attendance.student_id == student_id
            )
        )
    ).one()


async def change_a_mark(session, w) -> None:
    (await a_mark(session, w["l1_10"], w["s0"])).status = "present"
    await session.commit()


async def remove_a_mark(session, w) -> None:
    await session.delete(await a_mark(session, w["l1_3"], w["s1"]))
    await session.commit()


async def cancel_a_lesson(session, w) -> None:
    (await session.get(Lesson, w["l1_3"])).status = LessonStatus.CANCELLED.value
    await session.commit()


async def reverse_a_payment(session, w) -> None:
    (await session.get(Payment, w["s2_paid"])).reversed_at = utcnow()
    await session.commit()


async def enter_a_late_payment(session, w) -> None:
    await make_payment(session, w["s2"], 200_000, paid_at=at(20))


async def cancel_a_charge(session, w) -> None:
    (await session.get(Charge, w["l1_charge"])).cancelled_at = utcnow()
    await session.commit()


async def end_a_seat_earlier(session, w) -> None:
    await session.execute(
        update(Enrolment).where(Enrolment.id == w["s2_p1"]).values(left_on=date(2026, 10, 7))
    )
    await session.commit()


async def erase_a_payer(session, w) -> None:
    for payment in await session.scalars(select(Payment).where(Payment.student_id == w["s2"])):
        payment.student_id, payment.anon_ref = None, "erased-s2"
    await session.commit()


async def give_the_group_to_another_teacher(session, w) -> None:
    await session.execute(update(Group).where(Group.id == w["l1"]).values(teacher_id=w["ann"]))
    await session.commit()


async def refund_a_credit(session, w) -> None:
    session.add(Refund(student_id=w["s0"], amount=50_000, method="cash", reason="credit"))
    await session.commit()


async def set_a_scheme_from_november(session, w) -> None:
    session.add(PayScheme(teacher_id=w["bob"], valid_from=NOV, per_lesson=1, percent=50))
    await session.commit()


async def hold_a_lesson_paid_by_the_month(session, w) -> None:
    lesson = await make_lesson(session, w["f1"], at(19), status=LessonStatus.HELD)
    session.add(Attendance(lesson_id=lesson.id, student_id=w["s1"], status="present"))
    await session.commit()


async def nothing(session, w) -> None:
    return None


CASES: list[tuple[Change, Callable[[dict], set]]] = [
    (mark_a_lesson, lambda w: {(w["bob"], w["l1"], 110_000)}),
    (change_a_mark, lambda w: {(w["bob"], w["l1"], 10_000)}),
    (remove_a_mark, lambda w: {(w["bob"], w["l1"], -10_000)}),
    (cancel_a_lesson, lambda w: {(w["bob"], w["l1"], -120_000)}),
    (reverse_a_payment, lambda w: {(w["ann"], w["p1"], -50_000)}),
    (enter_a_late_payment, lambda w: {(w["ann"], w["p1"], 20_000)}),
    # S0's 800,000 is all P1's once the L1 charge is cancelled: 10 % of 200,000 more
    (cancel_a_charge, lambda w: {(w["ann"], w["p1"], 20_000)}),
    (end_a_seat_earlier, lambda w: {(w["ann"], w["p1"], -50_000)}),
    (erase_a_payer, lambda w: {(w["ann"], w["p1"], -50_000)}),
    # L1 is Ann's now: Bob loses its lessons; Ann gets 10 % of its money (S0's 200,000
    # share and half of S1's 400,000, paid with no charge while in L1 and F1)
    (
        give_the_group_to_another_teacher,
        lambda w: {(w["bob"], w["l1"], -230_000), (w["ann"], w["l1"], 40_000)},
    ),
    (refund_a_credit, lambda w: set()),
    (set_a_scheme_from_november, lambda w: set()),
    (hold_a_lesson_paid_by_the_month, lambda w: set()),
    (nothing, lambda w: set()),
]


@pytest.mark.parametrize(("change", "expected"), CASES, ids=[c.__name__ for c, _ in CASES])
async def test_a_change_after_approval_is_corrected_to_the_som(session, change, expected):
    w = await world(session)
    assert await october_approved(session) == {
        w["ann"]: 110_000,
        w["bob"]: 230_000,
        w["cid"]: 3_000_000,
    }

    await change(session, w)

    corrections = await november_corrections(session)
    assert corrections == expected(w)
    report = await payslip_service.verify(session, TZ)
    assert {(d.teacher_id, d.group_id, d.outstanding) for d in report.outstanding} == corrections


async def test_the_facts_read_count_as_all_the_facts_would(session):
    """What the reader leaves out (S1's money, F1's lessons, the marks of P1's and F1's
    lessons) changes no line, and it is left out."""
    w = await world(session)
    await give_the_group_to_another_teacher(session, w)  # S1's money counts now…
    await session.execute(update(Group).where(Group.id == w["l1"]).values(teacher_id=w["bob"]))
    await session.commit()  # …and no longer

    read = await read_facts(session, [OCT, NOV], TZ)
    everything = await read_facts(session, [OCT, NOV], TZ, everything=True)

    for month in (OCT, NOV):
        assert compute_month(month, read) == compute_month(month, everything)
    assert {p.student_id for p in read.payments} == {w["s0"], w["s2"]}
    assert {p.student_id for p in everything.payments} == {w["s0"], w["s1"], w["s2"]}
    assert {x.group_id for x in read.lessons} == {w["l1"]}
    assert {x.group_id for x in everything.lessons} == {w["l1"], w["p1"], w["f1"]}
    assert {s.student_id for s in read.seats} == {w["s0"], w["s2"]}
    assert {c.student_id for c in read.charges} == {w["s0"]}
