"""Two scheduler processes on one PostgreSQL database: each runs the reminder jobs at the
same moment through its own engine, session factory, bot and sender; every reminder
still goes out once. Skipped without TEST_DATABASE_URL."""

import asyncio
from collections import Counter
from datetime import date

import pytest
from aiogram.methods import SendMessage

from bot.delivery import Sender
from bot.jobs.class_reminders import send_class_reminders
from bot.jobs.payment_reminders import send_payment_reminders
from bot.notices.payment_reminders import RemindNowReason, remind_now
from db.engine import create_engine, create_session_factory
from tests.chat import Person
from tests.conftest import POSTGRES_URL, make_settings
from tests.jobs.test_class_reminders import enrol, make_class
from tests.jobs.test_payment_reminders import DUE, add_charge, local, make_parent, make_student
from tests.mocked_bot import MockedBot

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")

STUDENTS = 40


@pytest.fixture
async def two_processes(database_url, session_factory):
    """Two (session factory, bot, sender) sets; the first shares the test's engine."""
    other_engine = create_engine(database_url)
    other = create_session_factory(other_engine)
    yield [
        (factory, MockedBot(), Sender(factory, per_chat_interval=0))
        for factory in (session_factory, other)
    ]
    await other_engine.dispose()


def delivered(bots) -> Counter:
    return Counter(
        int(call.chat_id)
        for bot in bots
        for call in bot.session.requests
        if isinstance(call, SendMessage)
    )


async def crowd(session, lesson_id: int | None = None):
    ids = []
    for number in range(STUDENTS):
        person = Person(id=4_000_000 + number, first_name=f"S{number}", language_code="en")
        student = await make_student(session, person, name=f"S{number}")
        parent = Person(id=4_100_000 + number, first_name=f"P{number}", language_code="ru")
        await make_parent(session, student.id, parent)
        await add_charge(session, student.id)
        if lesson_id is not None:
            await enrol(session, lesson_id, student.id)
        ids.append(student.id)
    return ids


async def test_two_schedulers_send_each_payment_reminder_once(database_url, session, two_processes):
    settings = make_settings(database_url)
    await crowd(session)
    moment = local(DUE, 10)

    counts = await asyncio.gather(
        *(
            send_payment_reminders(factory, bot, sender, settings, moment)
            for factory, bot, sender in two_processes
        )
    )

    sent = delivered([bot for _, bot, _ in two_processes])
    assert len(sent) == 2 * STUDENTS and set(sent.values()) == {1}
    assert sum(c.sent for c in counts) == 2 * STUDENTS
    factory, bot, sender = two_processes[1]
    again = await send_payment_reminders(factory, bot, sender, settings, moment)
    assert again.due == 0


async def test_two_schedulers_send_each_class_reminder_once(database_url, session, two_processes):
    settings = make_settings(database_url, class_reminder_parents=True)
    lesson_id = await make_class(session, local(date(2026, 3, 3), 14))
    await crowd(session, lesson_id)
    moment = local(date(2026, 3, 3), 13, 1)

    await asyncio.gather(
        *(
            send_class_reminders(factory, bot, sender, settings, moment)
            for factory, bot, sender in two_processes
        )
    )

    sent = delivered([bot for _, bot, _ in two_processes])
    assert len(sent) == 2 * STUDENTS and set(sent.values()) == {1}


async def test_two_admins_pressing_remind_now_at_once(database_url, session, two_processes):
    settings = make_settings(database_url)
    student_id = (await crowd(session))[0]
    results = await asyncio.gather(
        *(
            remind_now(factory, bot, sender, settings, student_id, local(DUE, 12))
            for factory, bot, sender in two_processes
        )
    )
    assert sorted(r.reason for r in results) == [
        RemindNowReason.ALREADY_TODAY,
        RemindNowReason.SENT,
    ]
    assert sum(delivered([bot for _, bot, _ in two_processes]).values()) == 2
