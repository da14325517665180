"""POLICY 10: an open ticket unanswered for 24 hours reminds the staff, exactly once."""

import asyncio
from datetime import UTC, datetime, timedelta

from aiogram.methods import SendMessage
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from bot.delivery import Sender
from bot.jobs.tickets import remind_unanswered_tickets
from bot.startup.scheduler import create_scheduler
from db.models import AuditEntry, Permission, Role, SupportTicket
from tests.chat import Person
from tests.factories import make_user

CREATED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BOB = Person(id=2_000_002, first_name="Bob", language_code="en")


async def add_ticket(session, user_id: int, created: datetime, **values) -> SupportTicket:
    ticket = SupportTicket(
        user_id=user_id, topic="payment", text="Where is my receipt?", created_at=created, **values
    )
    session.add(ticket)
    await session.commit()
    return ticket


def messages(bot) -> list[SendMessage]:
    return [call for call in bot.session.requests if isinstance(call, SendMessage)]


async def reminded_at(session, ticket_id: int) -> datetime | None:
    query = select(SupportTicket.reminded_at).where(SupportTicket.id == ticket_id)
    return await session.scalar(query)


async def staff_and_author(session, owner, alice):
    await make_user(session, owner)
    await make_user(session, BOB, roles=[Role.ADMIN], permissions=[Permission.USERS])
    return await make_user(session, alice, full_name="Alice <3")


async def test_one_reminder_after_24_hours_and_never_again(
    sender, session_factory, bot, settings, session, owner, alice
):
    author = await staff_and_author(session, owner, alice)
    ticket = await add_ticket(session, author.id, CREATED)
    ticket_id = ticket.id
    await add_ticket(
        session, author.id, CREATED - timedelta(days=3), status="answered", answer="Done."
    )
    await add_ticket(session, author.id, CREATED - timedelta(days=3), status="closed")

    run = remind_unanswered_tickets
    assert await run(session_factory, bot, sender, settings, now=CREATED + timedelta(hours=23)) == 0
    assert messages(bot) == []
    assert await reminded_at(session, ticket_id) is None

    later = CREATED + timedelta(hours=25)
    assert await run(session_factory, bot, sender, settings, now=later) == 1
    sent = messages(bot)
    assert sorted(call.chat_id for call in sent) == sorted([owner.id, BOB.id])
    for call in sent:
        assert call.text.startswith(
            f"⏰ <b>Ticket #{ticket_id} has waited more than 24 hours</b> · 💳 Payment"
        )
        assert "👤 From: Alice &lt;3" in call.text
        assert "🕘 Sent: Mon, 2 Mar · 14:00" in call.text  # the centre's time zone
        [[button]] = call.reply_markup.inline_keyboard
        assert button.text == "✍️ Answer" and button.callback_data == f"tk:answer:{ticket_id}:1:"
    assert await reminded_at(session, ticket_id) == later
    [entry] = (
        await session.scalars(select(AuditEntry).where(AuditEntry.action == "ticket.reminded"))
    ).all()
    assert entry.object_id == str(ticket_id) and entry.actor_id is None

    assert await run(session_factory, bot, sender, settings, now=CREATED + timedelta(hours=26)) == 0
    assert await run(session_factory, bot, sender, settings, now=CREATED + timedelta(days=9)) == 0
    assert len(messages(bot)) == 2


async def test_an_answered_ticket_never_reminds(
    sender, session_factory, bot, settings, session, owner, alice
):
    author = await staff_and_author(session, owner, alice)
    await add_ticket(
        session,
        author.id,
        CREATED,
        status="answered",
        answer="Here it is.",
        answered_at=CREATED + timedelta(hours=2),
    )
    now = CREATED + timedelta(days=2)
    assert await remind_unanswered_tickets(session_factory, bot, sender, settings, now=now) == 0
    assert messages(bot) == []


async def test_two_runs_at_once_remind_once(
    sender, session_factory, bot, settings, session, owner, alice
):
    author = await staff_and_author(session, owner, alice)
    for hours in (0, 1, 2):
        await add_ticket(session, author.id, CREATED + timedelta(hours=hours))
    now = CREATED + timedelta(hours=30)

    counts = await asyncio.gather(
        remind_unanswered_tickets(session_factory, bot, sender, settings, now=now),
        remind_unanswered_tickets(session_factory, bot, sender, settings, now=now),
    )

    assert sum(counts) == 3
    assert len(messages(bot)) == 3 * 2  # three tickets, two staff, once each
    assert await remind_unanswered_tickets(session_factory, bot, sender, settings, now=now) == 0


async def test_a_blocked_staff_member_does_not_stop_the_others(
    sender, session_factory, bot, settings, session, owner, alice
):
    author = await staff_and_author(session, owner, alice)
    ticket = await add_ticket(session, author.id, CREATED)
    bot.session.fail_next(SendMessage, 403, "Forbidden: bot was blocked by the user")

    now = CREATED + timedelta(hours=25)
    assert await remind_unanswered_tickets(session_factory, bot, sender, settings, now=now) == 1

    delivered = [
        call.chat_id
        for call, result in zip(bot.session.requests, bot.session.results, strict=True)
        if isinstance(call, SendMessage) and not isinstance(result, Exception)
    ]
    assert delivered == [BOB.id]  # the owner (first) blocked the bot
    assert await reminded_at(session, ticket.id) == now  # claimed: not retried every run
    assert await remind_unanswered_tickets(session_factory, bot, sender, settings, now=now) == 0


async def test_the_scheduler_runs_the_reminder_every_15_minutes(session_factory, bot, settings):
    sender = Sender(session_factory)
    scheduler = create_scheduler(session_factory, bot, settings, sender)
    assert isinstance(scheduler, AsyncIOScheduler)
    assert str(scheduler.timezone) == "Asia/Tashkent"
    job = scheduler.get_job("ticket_reminders")
    assert job.func is remind_unanswered_tickets
    assert job.kwargs == {
        "session_factory": session_factory,
        "bot": bot,
        "sender": sender,
        "settings": settings,
    }
    assert isinstance(job.trigger, IntervalTrigger)
    assert job.trigger.interval == timedelta(minutes=15)
    assert (job.coalesce, job.max_instances) == (True, 1)

    scheduler.start()
    try:
        assert scheduler.running
        assert scheduler.get_job("ticket_reminders").next_run_time is not None
    finally:
        scheduler.shutdown(wait=False)
