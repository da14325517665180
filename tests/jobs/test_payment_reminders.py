"""Payment reminders: each stage once (before, due, overdue ×3), to the student and the
parents who allow reminders, in their language; quiet hours; Tashkent's midnight and month
ends; restarts, two runs at once, a 403 and a crash's leftover claim; "remind now"."""

import asyncio
from datetime import UTC, date, datetime, time, timedelta

from aiogram.methods import SendMessage
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, select

from bot.delivery import Sender
from bot.formatting import format_money
from bot.i18n import use_language
from bot.jobs.class_reminders import send_class_reminders
from bot.jobs.payment_reminders import send_payment_reminders
from bot.notices.payment_reminders import RemindNowReason, remind_now
from bot.services.consent import Choices
from bot.services.payments import ledger
from bot.services.reminders import payment_key
from bot.startup.scheduler import create_scheduler
from db.models import (
    AuditEntry,
    Charge,
    Course,
    Enrolment,
    EnrolmentStatus,
    Group,
    NotificationLog,
    ParentLink,
    PaymentMethod,
    Role,
    ScheduleSlot,
    User,
)
from db.repositories import reminders as reminders_repo
from db.repositories.payments import ledger as ledger_repo
from tests.chat import Person
from tests.conftest import make_settings
from tests.factories import make_user

ALI = Person(id=3_000_001, first_name="Ali", language_code="en")
MOTHER = Person(id=3_000_002, first_name="Malika", language_code="ru")
DUE = date(2026, 3, 10)
MARCH = date(2026, 3, 1)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment in Tashkent (UTC+5 all year), as UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=UTC) - timedelta(hours=5)


def messages(bot) -> list[SendMessage]:
    return [
        call
        for call, result in zip(bot.session.requests, bot.session.results, strict=True)
        if isinstance(call, SendMessage) and not isinstance(result, Exception)
    ]


def chats(bot) -> list[int]:
    return sorted(int(call.chat_id) for call in messages(bot))


def money(amount: int, language: str = "en") -> str:
    with use_language(language):
        return format_money(amount)


async def make_student(session, person=ALI, *, name="Ali <Valiyev>", **values) -> User:
    return await make_user(session, person, roles=[Role.STUDENT], full_name=name, **values)


async def make_parent(session, student_id: int, person=MOTHER, **values) -> User:
    parent = await make_user(session, person, roles=[Role.PARENT], language="ru", **values)
    session.add(ParentLink(parent_id=parent.id, student_id=student_id))
    await session.commit()
    return parent


async def add_charge(
    session, student_id: int, amount: int = 500_000, period: date = MARCH, due: date = DUE
) -> int:
    """A charge and its effect on the running balance, as the ledger writes them."""
    charge = Charge(student_id=student_id, period=period, amount=amount, due_date=due)
    session.add(charge)
    await session.flush()
    await ledger_repo.add_to_balance(session, student_id, -amount, local(period, 1))
    await session.commit()
    return charge.id


async def pay(session, student_id: int, amount: int, at: datetime) -> None:
    result = await ledger.record_payment(
        session,
        actor_id=None,
        student_id=student_id,
        amount=amount,
        method=PaymentMethod.CASH,
        note=None,
        now=at,
    )
    assert result.outcome == ledger.LedgerOutcome.DONE


async def log_rows(session) -> list[NotificationLog]:
    query = select(NotificationLog).order_by(NotificationLog.id)
    return list(await session.scalars(query.execution_options(populate_existing=True)))


def sender_for(session_factory) -> Sender:
    return Sender(session_factory, per_chat_interval=0)


async def test_each_stage_once_to_student_and_parent(session_factory, session, bot, settings):
    ali = await make_student(session)
    await make_parent(session, ali.id)
    await add_charge(session, ali.id)
    sender = sender_for(session_factory)

    async def run(moment: datetime):
        return await send_payment_reminders(session_factory, bot, sender, settings, now=moment)

    moments = [local(date(2026, 3, 6), 12), local(date(2026, 3, 7), 9, 59)]
    for moment in moments:
        assert (await run(moment)).due == 0
    assert messages(bot) == []

    counts = await run(local(date(2026, 3, 7), 10))  # 3 days before, at 10:00
    assert (counts.due, counts.sent) == (2, 2)
    assert chats(bot) == [ALI.id, MOTHER.id]
    to_ali = next(call for call in messages(bot) if call.chat_id == ALI.id)
    assert to_ali.text.splitlines() == [
        "⏰ <b>Payment due in 3 days</b> · 10 March 2026",
        "📅 For: March 2026",
        f"💰 Unpaid: {money(500_000)}",
        f"📊 Balance: {money(-500_000)}",
        "",
        "/balance — payments and charges",
        "To stop these reminders: /settings",
    ]
    assert to_ali.reply_markup is None  # no payment provider: no Pay button
    to_mother = next(call for call in messages(bot) if call.chat_id == MOTHER.id)
    assert "Ali &lt;Valiyev&gt;" in to_mother.text
    assert money(500_000, "ru") in to_mother.text  # her language's number format

    again = [local(date(2026, 3, 7), 10, 15), local(date(2026, 3, 8), 10), local(DUE, 9, 59)]
    for moment in again:
        assert (await run(moment)).sent == 0
    assert len(messages(bot)) == 2

    stage_moments = [local(DUE, 10)] + [local(DUE + timedelta(days=7 * n), 10) for n in (1, 2, 3)]
    for moment in stage_moments:
        assert (await run(moment)).sent == 2
        assert (await run(moment + timedelta(minutes=15))).sent == 0
    assert (await run(local(date(2026, 4, 7), 10))).sent == 0  # at most 3 overdue reminders
    assert (await run(local(date(2026, 5, 1), 10))).sent == 0
    assert len(messages(bot)) == 2 * 5

    titles = [call.text.splitlines()[0] for call in messages(bot) if call.chat_id == ALI.id]
    assert titles == [
        "⏰ <b>Payment due in 3 days</b> · 10 March 2026",
        "⏰ <b>Payment due today</b> · 10 March 2026",
        "⚠️ <b>Payment overdue by 7 days</b> · due 10 March 2026",
        "⚠️ <b>Payment overdue by 14 days</b> · due 10 March 2026",
        "⚠️ <b>Payment overdue by 21 days</b> · due 10 March 2026",
    ]
    rows = await log_rows(session)
    assert {row.status for row in rows} == {"sent"}
    assert sorted(row.key for row in rows if row.user_id == ali.id) == sorted(
        payment_key(ali.id, DUE, stage)
        for stage in ("before", "due", "overdue:1", "overdue:2", "overdue:3")
    )


async def test_a_paid_charge_stops_and_a_part_payment_shows_the_rest(
    session_factory, session, bot, settings
):
    ali = await make_student(session)
    await add_charge(session, ali.id)
    sender = sender_for(session_factory)
    await pay(session, ali.id, 200_000, local(date(2026, 3, 5), 12))

    await send_payment_reminders(session_factory, bot, sender, settings, local(DUE, 10))
    [call] = messages(bot)
    assert f"💰 Unpaid: {money(300_000)}" in call.text
    assert f"📊 Balance: {money(-300_000)}" in call.text

    await pay(session, ali.id, 300_000, local(DUE, 12))
    for week in (1, 2, 3):
        moment = local(DUE + timedelta(days=7 * week), 10)
        assert (
            await send_payment_reminders(session_factory, bot, sender, settings, moment)
        ).due == 0
    assert len(messages(bot)) == 1


async def test_fifo_an_old_debt_and_a_new_month(session_factory, session, bot, settings):
    """Credit pays the oldest charge first; the scan agrees with ledger.open_charges."""
    ali = await make_student(session)
    await add_charge(session, ali.id, 400_000, date(2026, 2, 1), date(2026, 2, 10))
    await add_charge(session, ali.id, 500_000)
    await add_charge(session, ali.id, 100_000)  # a second group, same month
    await pay(session, ali.id, 300_000, local(date(2026, 3, 1), 12))

    debts = await reminders_repo.debts_due_on(session, [date(2026, 2, 10), DUE])
    assert [(d.due_date, d.unpaid, d.balance) for d in debts] == [
        (date(2026, 2, 10), 100_000, -700_000),
        (DUE, 600_000, -700_000),
    ]
    per_due: dict[date, int] = {}
    for charge in await ledger.open_charges(session, student_ids=[ali.id]):
        per_due[charge.due_date] = per_due.get(charge.due_date, 0) + charge.unpaid
    assert per_due == {d.due_date: d.unpaid for d in debts}

    # 7 March: February's third overdue reminder (from 3 March) has not gone yet and
    # March's "3 days before" is due: one message per due date, each with its month.
    sender = sender_for(session_factory)
    moment = local(date(2026, 3, 7), 10)
    await send_payment_reminders(session_factory, bot, sender, settings, moment)
    texts = sorted(call.text.splitlines()[:3] for call in messages(bot))
    assert texts == [
        [
            "⏰ <b>Payment due in 3 days</b> · 10 March 2026",
            "📅 For: March 2026",
            f"💰 Unpaid: {money(600_000)}",
        ],
        [
            "⚠️ <b>Payment overdue by 25 days</b> · due 10 February 2026",
            "📅 For: February 2026",
            f"💰 Unpaid: {money(100_000)}",
        ],
    ]


async def test_restart_and_two_runs_at_once_send_each_stage_once(
    session_factory, session, bot, settings
):
    students = []
    for number in range(5):
        person = Person(id=3_100_000 + number, first_name=f"S{number}", language_code="en")
        student = await make_student(session, person, name=f"S{number}")
        await add_charge(session, student.id)
        students.append(student)
    moment = local(DUE, 11)

    counts = await asyncio.gather(
        send_payment_reminders(session_factory, bot, sender_for(session_factory), settings, moment),
        send_payment_reminders(session_factory, bot, sender_for(session_factory), settings, moment),
    )
    assert sum(c.sent for c in counts) == 5
    assert len(messages(bot)) == 5

    restarted = sender_for(session_factory)  # a new process: nothing in memory
    later = await send_payment_reminders(session_factory, bot, restarted, settings, moment)
    assert (later.due, later.sent) == (0, 0)
    assert len(messages(bot)) == 5


async def test_quiet_hours_hold_a_reminder_until_they_end(
    database_url, session_factory, session, bot
):
    settings = make_settings(database_url, payment_reminder_time="07:00")
    ali = await make_student(session)
    await add_charge(session, ali.id)
    sender = sender_for(session_factory)

    for moment in (local(DUE, 7), local(DUE, 8, 59), local(date(2026, 3, 9), 23)):
        assert (
            await send_payment_reminders(session_factory, bot, sender, settings, moment)
        ).due == 0
    assert messages(bot) == []

    counts = await send_payment_reminders(session_factory, bot, sender, settings, local(DUE, 9))
    assert counts.sent == 1
    assert (
        await send_payment_reminders(session_factory, bot, sender, settings, local(DUE, 9, 15))
    ).sent == 0
    assert len(messages(bot)) == 1


async def test_a_stage_missed_while_the_bot_was_down_goes_out_later_not_in_the_night(
    session_factory, session, bot, settings
):
    ali = await make_student(session)
    await add_charge(session, ali.id)
    sender = sender_for(session_factory)

    # The bot was down all day on 10 March and is back at 22:00: quiet hours.
    assert (
        await send_payment_reminders(session_factory, bot, sender, settings, local(DUE, 22))
    ).due == 0
    # The next morning the "due" stage still goes out (its window lasts until the next
    # stage's day), once, saying how late it is.
    counts = await send_payment_reminders(
        session_factory, bot, sender, settings, local(date(2026, 3, 11), 9)
    )
    assert counts.sent == 1
    [call] = messages(bot)
    assert call.text.startswith("⚠️ <b>Payment overdue by 1 day</b> · due 10 March 2026")

    # Down again from before the first overdue stage until the second one's day: the first
    # is never sent late, the second goes out on its day.
    day15 = DUE + timedelta(days=14)
    early = local(day15, 9, 30)  # overdue:1 is due no longer, overdue:2 not yet
    assert (await send_payment_reminders(session_factory, bot, sender, settings, early)).due == 0
    week2 = local(day15, 10)
    assert (await send_payment_reminders(session_factory, bot, sender, settings, week2)).sent == 1
    rows = await log_rows(session)
    assert [row.key for row in rows] == [
        payment_key(ali.id, DUE, "due"),
        payment_key(ali.id, DUE, "overdue:2"),
    ]


async def test_tashkent_midnight_and_the_month_end(database_url, session_factory, session, bot):
    """At 00:10 on 1 April in Tashkent it is still 31 March in UTC."""
    settings = make_settings(
        database_url,
        payment_reminder_time="00:10",
        quiet_hours_start="00:00",
        quiet_hours_end="00:00",  # no quiet hours
    )
    april = date(2026, 4, 1)
    ali = await make_student(session)
    await add_charge(session, ali.id, period=april, due=april)
    sender = sender_for(session_factory)

    async def run(moment: datetime) -> int:
        return (await send_payment_reminders(session_factory, bot, sender, settings, moment)).sent

    before = datetime(2026, 3, 28, 19, 10, tzinfo=UTC)  # 29 March 00:10 in Tashkent
    assert await run(before - timedelta(minutes=1)) == 0
    assert await run(before) == 1
    due_moment = datetime(2026, 3, 31, 19, 10, tzinfo=UTC)  # 1 April 00:10 in Tashkent
    assert due_moment.date() == date(2026, 3, 31)
    assert await run(due_moment - timedelta(minutes=5)) == 0
    assert await run(due_moment) == 1
    assert await run(due_moment + timedelta(hours=23)) == 0
    titles = [call.text.splitlines()[0] for call in messages(bot)]
    assert titles == [
        "⏰ <b>Payment due in 3 days</b> · 1 April 2026",
        "⏰ <b>Payment due today</b> · 1 April 2026",
    ]
    assert "📅 For: April 2026" in messages(bot)[1].text


async def test_only_people_who_allow_reminders(session_factory, session, bot, settings):
    ali = await make_student(session, choices=Choices(reminders=False))
    await make_parent(session, ali.id)
    father = Person(id=3_000_003, first_name="Father", language_code="en")
    await make_parent(session, ali.id, father, consent=None)  # never accepted the policy
    aunt = Person(id=3_000_004, first_name="Aunt", language_code="en")
    await make_parent(session, ali.id, aunt, consent="0")  # an old policy version
    await add_charge(session, ali.id)
    sender = sender_for(session_factory)

    counts = await send_payment_reminders(session_factory, bot, sender, settings, local(DUE, 10))
    assert counts.sent == 1
    assert chats(bot) == [MOTHER.id]


async def test_a_blocked_user_is_recorded_and_left_alone(session_factory, session, bot, settings):
    ali = await make_student(session)
    await add_charge(session, ali.id)
    sender = sender_for(session_factory)
    bot.session.fail_next(SendMessage, 403, "Forbidden: bot was blocked by the user")

    counts = await send_payment_reminders(session_factory, bot, sender, settings, local(DUE, 10))
    assert (counts.sent, counts.blocked) == (0, 1)
    [row] = await log_rows(session)
    assert (row.status, row.error) == ("blocked", "403")
    user = await session.get(User, ali.id, populate_existing=True)
    assert user.is_active is False

    week = local(DUE + timedelta(days=7), 10)
    assert (await send_payment_reminders(session_factory, bot, sender, settings, week)).due == 0
    assert messages(bot) == []


async def test_a_crashed_claim_becomes_unknown_and_is_not_resent(
    session_factory, session, bot, settings
):
    ali = await make_student(session)
    mother = await make_parent(session, ali.id)
    await add_charge(session, ali.id)
    moment = local(DUE, 10, 30)
    # A run at 10:00 claimed Ali's reminder and died before sending it.
    session.add(
        NotificationLog(
            user_id=ali.id,
            kind="payment_due",
            key=payment_key(ali.id, DUE, "due"),
            claimed_at=local(DUE, 10),
        )
    )
    await session.commit()

    counts = await send_payment_reminders(
        session_factory, bot, sender_for(session_factory), settings, moment
    )
    assert (counts.stale, counts.sent) == (1, 1)
    assert chats(bot) == [MOTHER.id]
    statuses = {row.user_id: row.status for row in await log_rows(session)}
    assert statuses[ali.id] == "unknown"
    assert statuses[mother.id] == "sent"


async def test_the_pay_button_only_with_a_payment_provider(
    database_url, session_factory, session, bot
):
    settings = make_settings(database_url, payment_provider_token="284685063:TEST:abc")
    ali = await make_student(session)
    await add_charge(session, ali.id)
    await send_payment_reminders(
        session_factory, bot, sender_for(session_factory), settings, local(DUE, 10)
    )
    [call] = messages(bot)
    [[button]] = call.reply_markup.inline_keyboard
    assert button.text == "💳 Pay" and button.callback_data == f"py:{ali.id}"


# --- remind now ------------------------------------------------------------------------------


async def test_remind_now_once_a_day(session_factory, session, bot, settings):
    ali = await make_student(session)
    await make_parent(session, ali.id)
    await add_charge(session, ali.id, 400_000, date(2026, 2, 1), date(2026, 2, 10))
    await add_charge(session, ali.id)
    sender = sender_for(session_factory)
    admin = await make_user(session, None, roles=[Role.ADMIN])
    noon = local(DUE, 12)

    result = await remind_now(
        session_factory, bot, sender, settings, ali.id, noon, actor_id=admin.id
    )
    assert (result.reason, result.sent) == (RemindNowReason.SENT, 2)
    to_ali = next(call for call in messages(bot) if call.chat_id == ALI.id)
    assert to_ali.text.splitlines()[:3] == [
        "⚠️ <b>Payment overdue by 28 days</b> · due 10 February 2026",
        "📅 For: February 2026, March 2026",
        f"💰 Unpaid: {money(900_000)}",
    ]
    [entry] = (
        await session.scalars(select(AuditEntry).where(AuditEntry.action == "payment.reminded"))
    ).all()
    assert (entry.actor_id, entry.object_id) == (admin.id, str(ali.id))

    again = await remind_now(session_factory, bot, sender, settings, ali.id, local(DUE, 20))
    assert again.reason == RemindNowReason.ALREADY_TODAY
    # 23:30 UTC on 10 March is already 11 March in Tashkent, but inside the quiet hours.
    night = await remind_now(
        session_factory, bot, sender, settings, ali.id, datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
    )
    assert night.reason == RemindNowReason.QUIET_HOURS
    assert night.quiet_until == datetime(2026, 3, 11, 9, 0, tzinfo=settings.centre.tz)
    tomorrow = await remind_now(
        session_factory, bot, sender, settings, ali.id, local(date(2026, 3, 11), 9)
    )
    assert (tomorrow.reason, tomorrow.sent) == (RemindNowReason.SENT, 2)
    assert len(messages(bot)) == 4


async def test_remind_now_without_debt_or_anybody_to_tell(session_factory, session, bot, settings):
    sender = sender_for(session_factory)
    ali = await make_student(session)
    noon = local(DUE, 12)
    assert (await remind_now(session_factory, bot, sender, settings, ali.id, noon)).reason == (
        RemindNowReason.NO_DEBT
    )
    await add_charge(session, ali.id)
    await pay(session, ali.id, 600_000, noon)  # a credit
    assert (await remind_now(session_factory, bot, sender, settings, ali.id, noon)).reason == (
        RemindNowReason.NO_DEBT
    )

    bob = await make_student(
        session,
        Person(id=3_000_009, first_name="Bob", language_code="en"),
        choices=Choices(reminders=False),
    )
    await add_charge(session, bob.id)
    result = await remind_now(session_factory, bot, sender, settings, bob.id, noon)
    assert result.reason == RemindNowReason.NOBODY
    assert messages(bot) == []
    assert await log_rows(session) == []


async def test_two_presses_at_once_send_once(session_factory, session, bot, settings):
    ali = await make_student(session)
    await add_charge(session, ali.id)
    noon = local(DUE, 12)
    results = await asyncio.gather(
        remind_now(session_factory, bot, sender_for(session_factory), settings, ali.id, noon),
        remind_now(session_factory, bot, sender_for(session_factory), settings, ali.id, noon),
    )
    assert sorted(r.reason for r in results) == ["already_today", "sent"]
    assert len(messages(bot)) == 1


async def test_the_scheduler_runs_both_reminder_jobs(session_factory, bot, settings):
    sender = sender_for(session_factory)
    scheduler = create_scheduler(session_factory, bot, settings, sender)
    payment = scheduler.get_job("payment_reminders")
    classes = scheduler.get_job("class_reminders")
    assert payment.func is send_payment_reminders and classes.func is send_class_reminders
    common = {
        "session_factory": session_factory,
        "bot": bot,
        "sender": sender,
        "settings": settings,
    }
    assert classes.kwargs == common
    # the charge job's: the day's charges are made before the first scan of the day
    charge_days = scheduler.get_job("monthly_charges").kwargs["charge_days"]
    assert payment.kwargs == common | {"charge_days": charge_days}
    for job in (payment, classes):
        assert isinstance(job.trigger, IntervalTrigger)
        assert (job.coalesce, job.max_instances) == (True, 1)
    assert payment.trigger.interval == timedelta(minutes=15)
    assert classes.trigger.interval == timedelta(minutes=1)


def due_on_the_charge_day(database_url: str):
    """Charged on the 1st, due the same day, reminded from 00:00, no quiet hours."""
    return make_settings(
        database_url,
        charge_day=1,
        payment_due_day=1,
        payment_reminder_time="00:00",
        quiet_hours_start="00:00",
        quiet_hours_end="00:00",
    )


async def enrolled_student(session) -> User:
    """Ali, in a 400 000 group since January: a full month's charge each month."""
    ali = await make_student(session)
    course = Course(name="English", monthly_price=400_000)
    session.add(course)
    await session.flush()
    group = Group(course_id=course.id, name="A1", start_date=date(2026, 1, 5), capacity=20)
    session.add(group)
    await session.flush()
    session.add(
        ScheduleSlot(group_id=group.id, weekday=0, start_time=time(14), duration_minutes=90)
    )
    session.add(
        Enrolment(
            student_id=ali.id,
            group_id=group.id,
            joined_on=date(2026, 1, 5),
            status=EnrolmentStatus.ACTIVE,
        )
    )
    await session.commit()
    return ali


async def test_on_the_charge_day_the_charges_are_made_before_the_reminder_scan(
    session_factory, session, bot, database_url
):
    """Due on the charge day itself, reminded from its first minute: the reminder job
    finds the month's charge although the daily charge run (00:30) has not come yet."""
    settings = due_on_the_charge_day(database_url)
    ali = await enrolled_student(session)
    # the jobs as the scheduler runs them, with the arguments it gives them
    scheduler = create_scheduler(session_factory, bot, settings, sender_for(session_factory))
    charges = scheduler.get_job("monthly_charges")
    reminders = scheduler.get_job("payment_reminders")
    april = date(2026, 4, 1)

    first = await reminders.func(**reminders.kwargs, now=local(april, 0, 0))

    assert (first.due, first.sent) == (1, 1)
    [reminder] = messages(bot)
    assert reminder.chat_id == ALI.id
    assert reminder.text.startswith("⏰ <b>Payment due today</b> · 1 April 2026")
    assert f"💰 Unpaid: {money(400_000)}" in reminder.text
    # the daily charge run and the next scans change nothing and send nothing more
    assert (await charges.func(**charges.kwargs, now=local(april, 0, 30))).created == 0
    for minute in (15, 45):
        again = await reminders.func(**reminders.kwargs, now=local(april, 0, minute))
        assert again.due == 0
    assert len(messages(bot)) == 1
    [charge] = await session.scalars(select(Charge).where(Charge.student_id == ali.id))
    assert (charge.period, charge.amount, charge.due_date) == (april, 400_000, april)
    runs = await session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "charges.created")
    )
    assert runs == 2  # the reminder job's run before its first scan, and the daily one


async def test_at_start_up_on_the_charge_day_both_jobs_at_once_send_the_reminder_once(
    session_factory, session, bot, database_url
):
    settings = due_on_the_charge_day(database_url)
    ali = await enrolled_student(session)
    scheduler = create_scheduler(session_factory, bot, settings, sender_for(session_factory))
    charges = scheduler.get_job("monthly_charges")
    reminders = scheduler.get_job("payment_reminders")
    start = local(date(2026, 4, 1), 0, 0)

    counts, run = await asyncio.gather(
        reminders.func(**reminders.kwargs, now=start), charges.func(**charges.kwargs, now=start)
    )

    assert counts.sent == 1 and run.created + run.existing == 1
    assert [call.chat_id for call in messages(bot)] == [ALI.id]
    assert "Payment due today" in messages(bot)[0].text
    charged = await session.scalars(select(Charge).where(Charge.student_id == ali.id))
    assert len(charged.all()) == 1


async def test_a_failing_charge_run_does_not_stop_the_reminders(
    session_factory, session, bot, settings, monkeypatch
):
    ali = await make_student(session)
    await add_charge(session, ali.id)

    async def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(ledger, "charge_month", broken)
    sender = sender_for(session_factory)

    counts = await send_payment_reminders(
        session_factory, bot, sender, settings, now=local(date(2026, 3, 7), 10)
    )

    assert counts.sent == 1 and chats(bot) == [ALI.id]
