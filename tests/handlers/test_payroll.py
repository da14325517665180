"""Teacher pay through the real dispatcher: a pay scheme set in chat (and refused when out of
bounds), a month's drafts with every kind of scheme, adjustments, approval (once), payouts
(never more than owed) and their reversal, the pay notices, the teacher's own /salary and a
forged button to another teacher's payslip."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from aiogram.methods import SendMessage
from sqlalchemy import func, select

from bot.services.payroll import payslips as payslip_service
from bot.services.payroll.compute import add_months, month_days
from db.base import utcnow
from db.models import (
    Attendance,
    AuditEntry,
    LessonStatus,
    Payout,
    PayScheme,
    Payslip,
    PayslipLine,
    Permission,
    Role,
)
from keyboards.payroll import PayrollCb, SalaryCb, month_token
from tests.chat import Person
from tests.factories import (
    make_charge,
    make_enrolment,
    make_group,
    make_lesson,
    make_payment,
    make_user,
)

TZ = ZoneInfo("Asia/Tashkent")
ANN = Person(id=6_100_001, first_name="Ann", language_code="en")
BOB = Person(id=6_100_002, first_name="Bob", language_code="en")
CLERK = Person(id=6_100_003, first_name="Clerk", language_code="en")
STALE = "⚠️ This button is out of date. Open the menu again."


def today() -> date:
    return utcnow().astimezone(TZ).date()


def last_month() -> date:
    return add_months(today().replace(day=1), -1)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ).astimezone(UTC)


def confirm(reply) -> str:
    return reply.callback_data("✅ Confirm")


async def count(session, model, *where) -> int:
    session.expire_all()
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def denied(session, action: str) -> list[dict]:
    session.expire_all()
    rows = await session.scalars(
        select(AuditEntry.details).where(
            AuditEntry.action == action, AuditEntry.outcome == "denied"
        )
    )
    return list(rows)


async def centre(session, owner):
    """Ann teaches A1 and B1, Bob teaches C1; last month: lessons held with marks, money paid."""
    await make_user(session, owner)
    ann = await make_user(session, ANN, roles=[Role.TEACHER], full_name="Ann Teacher")
    bob = await make_user(session, BOB, roles=[Role.TEACHER], full_name="Bob Teacher")
    a1 = await make_group(session, "A1", teacher_id=ann.id)
    b1 = await make_group(session, "B1", teacher_id=ann.id)
    c1 = await make_group(session, "C1", teacher_id=bob.id)
    month = last_month()
    students = [await make_user(session, roles=[Role.STUDENT], full_name=f"S{n}") for n in range(3)]
    for student in students:
        for group in (a1, b1, c1):
            await make_enrolment(session, student, group, joined_on=date(2025, 1, 1))
    for group, days in ((a1, (3, 10)), (b1, (4,)), (c1, (5, 12, 19))):
        for day in days:
            lesson = await make_lesson(
                session, group, at(month.replace(day=day)), status=LessonStatus.HELD
            )
            marks = ("present", "late", "absent")
            session.add_all(
                Attendance(lesson_id=lesson.id, student_id=s.id, status=m)
                for s, m in zip(students, marks, strict=True)
            )
    await make_lesson(session, a1, at(month.replace(day=17)))  # scheduled, never marked
    await session.commit()
    # S0 paid 900,000 for a 300,000 charge in each group: 300,000 to each teacher's group
    s0 = students[0]
    for group in (a1, b1, c1):
        enrolment = await make_enrolment(session, s0, group, joined_on=date(2025, 1, 1))
        await make_charge(session, s0, amount=300_000, period=month, enrolment_id=enrolment.id)
    await make_payment(session, s0, 900_000, paid_at=at(month.replace(day=6)))
    ids = {"ann": ann.id, "bob": bob.id, "a1": a1.id, "b1": b1.id, "c1": c1.id}
    return ids | {"month": month}


async def schemes(session, world) -> None:
    start = add_months(world["month"], -2)
    session.add_all(
        [
            # Ann: 2,000,000 a month + 10 % in general, B1 overridden: 20,000 per student present
            PayScheme(
                teacher_id=world["ann"], valid_from=start, fixed_monthly=2_000_000, percent=10
            ),
            PayScheme(
                teacher_id=world["ann"],
                group_id=world["b1"],
                valid_from=start,
                per_student=20_000,
            ),
            # Bob: 100,000 per lesson held
            PayScheme(teacher_id=world["bob"], valid_from=start, per_lesson=100_000),
        ]
    )
    await session.commit()


async def test_a_scheme_set_in_chat_and_the_bad_figures_refused(client, session, owner):
    world = await centre(session, owner)
    reply = await client.send(owner, "/payroll")
    assert "Payroll for" in reply.text
    reply = await client.press(owner, reply.callback_data("👥 Pay schemes"))
    reply = await client.press(owner, reply.callback_data("Ann Teacher"))
    assert "No scheme yet" in reply.text
    reply = await client.press(owner, reply.callback_data("➕ New scheme"))
    assert "Step 1/6" in reply.text and "Only B1" in reply.buttons()
    reply = await client.press(owner, reply.callback_data("All the teacher's groups"))
    assert "Step 2/6" in reply.text
    start = world["month"]
    reply = await client.send(owner, start.strftime("%d.%m.%Y"))
    assert "Step 3/6" in reply.text
    reply = await client.send(owner, "-3,000,000")
    assert "Pay cannot be negative" in reply.text and "Step 3/6" in reply.text
    reply = await client.send(owner, "5,000,000,000")
    assert "too large" in reply.text
    reply = await client.send(owner, "3,000,000")
    reply = await client.send(owner, "50,000")
    assert "Step 5/6" in reply.text
    reply = await client.press(owner, reply.callback_data("0 — not paid this way"))
    assert "Step 6/6" in reply.text
    reply = await client.send(owner, "150")
    assert "A percentage is from 0 to 100." in reply.text and "Step 6/6" in reply.text
    assert await count(session, PayScheme) == 0  # nothing written before ✅
    reply = await client.send(owner, "40%")
    assert "3,000,000 soʻm a month + 50,000 soʻm a lesson + the money collected × 40%" in reply.text
    reply = await client.press(owner, confirm(reply))
    assert "The pay scheme is saved" in reply.text and "▶️" in reply.text

    session.expire_all()
    (scheme,) = (await session.scalars(select(PayScheme))).all()
    assert (scheme.teacher_id, scheme.group_id, scheme.valid_from) == (world["ann"], None, start)
    assert (scheme.fixed_monthly, scheme.per_lesson, scheme.per_student, scheme.percent) == (
        3_000_000,
        50_000,
        0,
        40,
    )
    reasons = [d["reason"] for d in await denied(session, "payroll.scheme_denied")]
    assert reasons == ["bad_fixed_monthly", "bad_fixed_monthly", "bad_percent"]
    assert await count(session, AuditEntry, AuditEntry.action == "payroll.scheme_set") == 1


async def test_a_scheme_cannot_start_inside_an_approved_month_nor_for_a_teacher_who_left(
    client, session, owner
):
    world = await centre(session, owner)
    await schemes(session, world)
    payslip = Payslip(
        teacher_id=world["ann"], month=world["month"], status="approved", approved_at=utcnow()
    )
    session.add(payslip)
    await session.commit()
    reply = await client.press(owner, PayrollCb(action="scheme", id=world["ann"]).pack())
    reply = await client.press(owner, reply.callback_data("Only B1"))
    reply = await client.send(owner, world["month"].replace(day=15).strftime("%d.%m.%Y"))
    assert "is already approved" in reply.text and "Step 2/6" in reply.text
    # Bob leaves: his old button to a new scheme is refused
    from db.models import RoleAssignment

    await session.execute(
        RoleAssignment.__table__.delete().where(RoleAssignment.user_id == world["bob"])
    )
    await session.commit()
    reply = await client.press(owner, PayrollCb(action="scheme", id=world["bob"]).pack())
    assert "not a teacher here" in reply.answers[-1].text and reply.answers[-1].show_alert
    reasons = [d["reason"] for d in await denied(session, "payroll.scheme_denied")]
    assert reasons == ["before_approved", "not_a_teacher"]
    assert await count(session, PayScheme) == 3


async def test_the_months_drafts_count_every_kind_of_scheme(client, session, owner):
    world = await centre(session, owner)
    await schemes(session, world)
    month = world["month"]
    reply = await client.send(owner, "/payroll")
    assert "No payslips for this month yet." in reply.text
    reply = await client.press(owner, reply.callback_data("🧮 Make the drafts"))
    assert reply.answers[-1].text == "✅ Drafts made: 2, counted again: 0."

    session.expire_all()
    slips = {p.teacher_id: p for p in (await session.scalars(select(Payslip))).all()}
    ann, bob = slips[world["ann"]], slips[world["bob"]]
    assert ann.month == bob.month == month and ann.status == "draft"
    lines = {
        (line.kind, line.group_id): (line.quantity, line.rate, line.amount)
        for line in (await session.scalars(select(PayslipLine))).all()
        if line.payslip_id == ann.id
    }
    assert lines == {
        ("fixed", None): (len(month_days(month)), 2_000_000, 2_000_000),
        ("percent", world["a1"]): (300_000, 10, 30_000),  # A1 follows the general scheme
        ("students", world["b1"]): (2, 20_000, 40_000),  # B1's override: present + late
    }
    assert ann.total == 2_070_000
    assert bob.total == 300_000  # 3 lessons held × 100,000 (his scheme has no percent)

    reply = await client.press(owner, PayrollCb(action="slip", id=ann.id).pack())
    assert "Lessons held" not in reply.text
    assert "Students present in B1: 2 × 20,000 soʻm = 40,000 soʻm" in reply.text
    assert "Money collected in A1: 300,000 soʻm × 10% = 30,000 soʻm" in reply.text
    assert "Total: 2,070,000 soʻm" in reply.text

    # a late mark, then count again: the draft follows
    lesson = await make_lesson(
        session, world["c1"], at(month.replace(day=26)), status=LessonStatus.HELD
    )
    assert lesson.id
    reply = await client.press(owner, PayrollCb(action="slip", id=bob.id).pack())
    reply = await client.press(owner, reply.callback_data("🔄 Count again"))
    assert "Lessons held in C1: 4 × 100,000 soʻm = 400,000 soʻm" in reply.text
    # the current month is not paid yet
    current = month_token(today().replace(day=1))
    reply = await client.press(owner, PayrollCb(action="draft", month=current).pack())
    assert reply.answers[-1].text == "⚠️ A month is paid once it is over."


async def drafts(session, world) -> dict[int, int]:
    """Teacher → the id of their draft for the month."""
    await schemes(session, world)
    await payslip_service.make_drafts(session, None, world["month"], tz=TZ, now=utcnow())
    session.expire_all()
    return {p.teacher_id: p.id for p in (await session.scalars(select(Payslip))).all()}


async def test_adjust_approve_once_and_pay_out_at_most_what_is_owed(client, session, owner):
    world = await centre(session, owner)
    ann = (await drafts(session, world))[world["ann"]]
    reply = await client.press(owner, PayrollCb(action="bonus", id=ann).pack())
    assert "Bonus" in reply.text and "Step 1/2" in reply.text
    reply = await client.send(owner, "0")
    assert "The amount must be more than 0." in reply.text
    reply = await client.send(owner, "150,000")
    reply = await client.send(owner, "Olympiad <prep>")
    reply = await client.press(owner, confirm(reply))
    assert "Bonus: 150,000 soʻm — Olympiad &lt;prep&gt;" in reply.text
    reply = await client.press(owner, PayrollCb(action="deduct", id=ann).pack())
    reply = await client.send(owner, "20,000")
    reply = await client.send(owner, "late twice")
    reply = await client.press(owner, confirm(reply))
    assert "Deduction: -20,000 soʻm — late twice" in reply.text
    assert "Total: 2,200,000 soʻm" in reply.text

    # a payout before approval is refused
    reply = await client.press(owner, PayrollCb(action="payout", id=ann).pack())
    assert reply.answers[-1].text == "⚠️ Approve the payslip before paying it out."

    reply = await client.press(owner, PayrollCb(action="approve", id=ann).pack())
    assert "locked for good" in reply.text
    reply = await client.press(owner, reply.callback_data("✅ Approve and lock"))
    told = [c.text for c in reply.of(SendMessage) if c.chat_id == ANN.id]
    assert len(told) == 1 and "Your pay for" in told[0] and "2,200,000 soʻm" in told[0]
    assert "✅ approved" in reply.text and "💸 Record a payout" in reply.buttons()
    # approving twice, a bonus on an approved payslip: refused, audited, nothing changes
    reply = await client.press(owner, PayrollCb(action="approve_yes", id=ann).pack())
    assert "already approved" in reply.answers[-1].text and reply.answers[-1].show_alert
    reply = await client.press(owner, PayrollCb(action="bonus", id=ann).pack())
    assert "already approved" in reply.answers[-1].text
    assert len(await denied(session, "payroll.approve_denied")) == 1
    assert await denied(session, "payroll.adjustment_denied") == [
        {"payslip_id": ann, "typed": "0"},
        {"payslip_id": ann, "outcome": "already_approved"},
    ]
    session.expire_all()
    assert (await session.get(Payslip, ann)).total == 2_200_000

    reply = await client.press(owner, PayrollCb(action="payout", id=ann).pack())
    assert "at most the 2,200,000 soʻm owed" in reply.text
    reply = await client.send(owner, "3,000,000")
    assert "That is more than is owed: at most 2,200,000 soʻm can be paid out." in reply.text
    reply = await client.send(owner, "1,000,000")
    reply = await client.press(owner, reply.callback_data("💵 Cash"))
    reply = await client.press(owner, reply.callback_data("⏭ Skip"))
    assert "Still owed after it: 1,200,000 soʻm" in reply.text
    reply = await client.press(owner, confirm(reply))
    assert "The payout is recorded" in reply.text and "still owed: 1,200,000 soʻm" in reply.text
    told = [c.text for c in reply.of(SendMessage) if c.chat_id == ANN.id]
    assert len(told) == 1 and "1,000,000 soʻm paid out" in told[0] and "1,200,000" in told[0]
    assert [d["outcome"] for d in await denied(session, "payroll.payout_denied")] == [
        "not_approved",
        "over_owed",
    ]

    # the rest by the "all that is owed" button, then nothing is owed
    reply = await client.press(owner, PayrollCb(action="payout", id=ann).pack())
    reply = await client.press(owner, reply.callback_data("All that is owed: 1,200,000 soʻm"))
    reply = await client.press(owner, reply.callback_data("🏦 Bank transfer"))
    reply = await client.send(owner, "to the card ending 1234")
    reply = await client.press(owner, confirm(reply))
    assert "still owed: 0 soʻm" in reply.text
    assert "💸 Record a payout" not in reply.buttons()
    reply = await client.press(owner, PayrollCb(action="payout", id=ann).pack())
    assert reply.answers[-1].text == "ℹ️ Nothing is owed on this payslip any more."

    # the second payout was a mistake: reversed with a reason, owed again
    second = (await session.scalars(select(Payout.id).order_by(Payout.id))).all()[1]
    reply = await client.press(owner, PayrollCb(action="unpay", id=second).pack())
    reply = await client.send(owner, "entered twice")
    reply = await client.press(owner, confirm(reply))
    assert "The payout is reversed" in reply.text and "still owed: 1,200,000 soʻm" in reply.text
    session.expire_all()
    assert await count(session, Payout) == 2  # never deleted
    assert (await session.get(Payout, second)).reversal_reason == "entered twice"
    reply = await client.press(owner, PayrollCb(action="unpay", id=second).pack())
    assert reply.answers[-1].text == "ℹ️ This payout is already reversed."
    actions = [
        a
        for a in await session.scalars(
            select(AuditEntry.action).where(AuditEntry.outcome == "ok").order_by(AuditEntry.id)
        )
        if a.startswith("payroll.")
    ]
    assert actions == [
        "payroll.drafted",
        "payroll.adjusted",
        "payroll.adjusted",
        "payroll.approved",
        "payroll.paid_out",
        "payroll.paid_out",
        "payroll.payout_reversed",
    ]


async def test_a_teacher_sees_only_their_own_pay(client, session, owner):
    world = await centre(session, owner)
    slips = await drafts(session, world)
    ann, bob = slips[world["ann"]], slips[world["bob"]]
    for payslip in (ann, bob):
        await payslip_service.approve(session, None, payslip, tz=TZ, now=utcnow())  # type: ignore[arg-type]

    reply = await client.send(ANN, "/salary")
    assert "My pay" in reply.text and "so far" in reply.text
    assert len(reply.buttons()) == 1 and "2,070,000 soʻm · owed" in reply.buttons()[0]
    reply = await client.press(ANN, reply.callback_data(reply.buttons()[0]))
    assert "Total: 2,070,000 soʻm" in reply.text and "Ann Teacher" not in reply.text
    assert "Paid out: 0 soʻm · still owed: 2,070,000 soʻm" in reply.text

    # Bob's payslip by a forged button: refused as out of date, audited
    reply = await client.press(ANN, SalaryCb(action="slip", id=bob).pack())
    assert reply.answers[-1].text == STALE and not reply.texts
    assert await denied(session, "payroll.payslip_denied") == [{"subject": bob}]
    # the staff's screens are not a teacher's
    reply = await client.press(ANN, PayrollCb(action="slip", id=ann).pack())
    assert not reply.texts


async def test_payroll_needs_its_permission(client, session, owner):
    world = await centre(session, owner)
    ann = (await drafts(session, world))[world["ann"]]
    await make_user(session, CLERK, roles=[Role.ADMIN], permissions=[Permission.PAYMENTS])
    reply = await client.send(CLERK, "/payroll")
    assert "You do not have access" in reply.text
    reply = await client.press(CLERK, PayrollCb(action="approve_yes", id=ann).pack())
    assert not reply.texts
    session.expire_all()
    assert (await session.get(Payslip, ann)).status == "draft"
    await make_user(
        session,
        Person(id=6_100_009, first_name="Payroll", language_code="en"),
        roles=[Role.ADMIN],
        permissions=[Permission.PAYROLL],
    )
    reply = await client.send(
        Person(id=6_100_009, first_name="Payroll", language_code="en"), "/payroll"
    )
    assert "Payroll for" in reply.text and "Ann Teacher" in " ".join(reply.buttons())


async def test_a_lesson_marked_after_approval_is_corrected_next_month(session, owner):
    """The approved payslip never changes; the next draft carries the difference; the check
    reports it, then reports it settled once the correction is approved."""
    world = await centre(session, owner)
    bob = world["bob"]
    earlier = add_months(world["month"], -1)
    session.add(PayScheme(teacher_id=bob, valid_from=add_months(earlier, -1), per_lesson=100_000))
    await make_lesson(session, world["c1"], at(earlier.replace(day=7)), status=LessonStatus.HELD)
    await session.commit()
    await payslip_service.make_drafts(session, None, earlier, tz=TZ, now=utcnow())
    first = (await session.scalars(select(Payslip.id).where(Payslip.month == earlier))).one()
    await payslip_service.approve(session, 1, first, tz=TZ, now=utcnow())
    assert (await payslip_service.verify(session, TZ)).differences == []

    # a lesson of that month marked only now
    await make_lesson(session, world["c1"], at(earlier.replace(day=14)), status=LessonStatus.HELD)
    report = await payslip_service.verify(session, TZ)
    (difference,) = report.differences
    assert (difference.approved, difference.today, difference.outstanding) == (
        100_000,
        200_000,
        100_000,
    )
    session.expire_all()
    assert (await session.get(Payslip, first)).total == 100_000  # never changed

    await payslip_service.make_drafts(session, None, world["month"], tz=TZ, now=utcnow())
    session.expire_all()
    second = (await session.scalars(select(Payslip).where(Payslip.month == world["month"]))).one()
    lines = (
        await session.scalars(select(PayslipLine).where(PayslipLine.payslip_id == second.id))
    ).all()
    correction = [line for line in lines if line.kind == "correction"]
    assert [(c.group_id, c.for_month, c.amount) for c in correction] == [
        (world["c1"], earlier, 100_000)
    ]
    assert second.total == 300_000 + 100_000
    await payslip_service.approve(session, 1, second.id, tz=TZ, now=utcnow())
    report = await payslip_service.verify(session, TZ)
    assert len(report.differences) == 1 and report.outstanding == []
    # a third month's draft finds nothing left to correct
    third = add_months(world["month"], 1)
    computed = await payslip_service.compute_drafts(session, third, TZ)
    assert all(line.kind != "correction" for line in computed.get(bob, []))
