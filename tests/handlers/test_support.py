"""POLICY 10: /support tickets, the staff's /tickets, answering once, closing."""

from datetime import UTC, datetime, timedelta

import pytest
from aiogram.methods import EditMessageText, SendMessage
from aiogram.types import InlineKeyboardMarkup, Location
from babel.support import NullTranslations
from sqlalchemy import select

import bot.i18n as i18n
from bot.services import support as support_service
from db.models import AuditEntry, Permission, Role, SupportTicket, TicketStatus
from keyboards.support import TicketCb
from tests.chat import Person, Reply
from tests.factories import make_user

STALE = "⚠️ This button is out of date. Open the menu again."
REFUSED = "⚠️ You do not have access to this."

# Russian for the lines these tests read, whatever the catalog holds today.
RUSSIAN = {
    "💬 Answer to your ticket #{id}:": "💬 Ответ на ваше обращение №{id}:",
    "📨 <b>New ticket #{id}</b> · {topic}": "📨 <b>Новое обращение №{id}</b> · {topic}",
    "😟 Complaint": "😟 Жалоба",
}


class _Overrides(NullTranslations):
    def __init__(self, base: NullTranslations, overrides: dict[str, str]) -> None:
        super().__init__()
        self.base, self.overrides = base, overrides

    def gettext(self, message: str) -> str:
        return self.overrides.get(message) or self.base.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.base.ngettext(singular, plural, n)


@pytest.fixture
def russian(monkeypatch: pytest.MonkeyPatch) -> None:
    catalogs = dict(i18n.catalogs())
    catalogs["ru"] = _Overrides(catalogs["ru"], RUSSIAN)
    monkeypatch.setattr(i18n, "catalogs", lambda: catalogs)


@pytest.fixture
def bob() -> Person:
    return Person(id=2_000_002, first_name="Bob", language_code="en")


@pytest.fixture
def carol() -> Person:
    return Person(id=2_000_003, first_name="Carol", language_code="en")


def sent_to(reply: Reply, person: Person) -> list[tuple[SendMessage, int]]:
    """The messages delivered to this person during the reply, with their ids."""
    return [
        (call, result.message_id)
        for call, result in zip(reply.calls, reply.results, strict=True)
        if isinstance(call, SendMessage)
        and call.chat_id == person.id
        and not isinstance(result, Exception)
    ]


def labels(call: SendMessage | EditMessageText) -> list[str]:
    markup = call.reply_markup
    if not isinstance(markup, InlineKeyboardMarkup):
        return []
    return [button.text for row in markup.inline_keyboard for button in row]


def data_of(call: SendMessage, label: str) -> str:
    assert isinstance(call.reply_markup, InlineKeyboardMarkup)
    for row in call.reply_markup.inline_keyboard:
        for button in row:
            if button.text == label:
                return button.callback_data
    raise AssertionError(f"no {label!r} in {labels(call)}")


async def tickets(session) -> list[SupportTicket]:
    query = select(SupportTicket).order_by(SupportTicket.id)
    return list((await session.scalars(query.execution_options(populate_existing=True))).all())


async def actions(session, action: str) -> list[AuditEntry]:
    rows = await session.scalars(select(AuditEntry).where(AuditEntry.action == action))
    return list(rows.all())


async def draft_ticket(client, person: Person, topic: str, text: str) -> Reply:
    """The form up to its summary, by callback data (the labels are checked elsewhere)."""
    home = await client.send(person, "/support")
    await client.press(person, TicketCb(action="topic", value=topic).pack(), home.message_id)
    return await client.send(person, text)


async def write_ticket(client, person: Person, topic: str, text: str) -> Reply:
    summary = await draft_ticket(client, person, topic, text)
    send = summary.markup().inline_keyboard[0][0]  # ✅ Send, in the person's language
    return await client.press(person, send.callback_data, summary.message_id)


async def test_the_full_user_flow_stores_the_ticket_and_tells_the_staff(
    client, session, alice, bob, owner
):
    author = await make_user(session, alice, full_name="Alice <b>&")
    await make_user(session, bob, roles=[Role.ADMIN], permissions=[Permission.USERS])
    await make_user(session, owner)  # an owner has no role rows

    home = await client.send(alice, "/support")
    assert home.text.startswith("🆘 <b>Support</b>")
    assert "We answer within 24 hours" in home.text
    assert "Your recent tickets" not in home.text
    assert home.buttons() == ["❓ Question", "😟 Complaint", "🔐 My personal data", "💳 Payment"]

    step = await client.press(alice, home.callback_data("😟 Complaint"), home.message_id)
    [edit] = step.of(EditMessageText)
    assert "Step 2/3" in edit.text and "5 to 2000 characters" in edit.text
    assert "/cancel" in edit.text

    summary = await client.send(alice, "  The teacher was late <again> & again  ")
    assert summary.text.startswith("Step 3/3")
    assert "<b>Topic:</b> 😟 Complaint" in summary.text
    assert "The teacher was late &lt;again&gt; &amp; again" in summary.text
    assert summary.buttons() == ["✅ Send", "✏️ Edit", "❌ Cancel"]
    assert await tickets(session) == []  # nothing before ✅

    done = await client.press(alice, summary.callback_data("✅ Send"), summary.message_id)

    [ticket] = await tickets(session)
    assert (ticket.user_id, ticket.topic, ticket.status) == (author.id, "complaint", "open")
    assert ticket.text == "The teacher was late <again> & again"
    [entry] = await actions(session, "ticket.opened")
    assert (entry.actor_id, entry.object_id) == (author.id, str(ticket.id))
    [confirmation] = done.of(EditMessageText)
    assert confirmation.text == (
        f"✅ Ticket #{ticket.id} received. We answer within 24 hours, here in this chat."
    )
    assert confirmation.reply_markup is None
    assert [a.text for a in done.answers] == ["✅ Sent."]
    for person in (bob, owner):
        [(notice, _)] = sent_to(done, person)
        assert notice.text.startswith(f"📨 <b>New ticket #{ticket.id}</b> · 😟 Complaint")
        assert "👤 From: Alice &lt;b&gt;&amp;" in notice.text
        assert notice.text.endswith("The teacher was late &lt;again&gt; &amp; again")
        assert labels(notice) == ["✍️ Answer"]

    again = await client.press(alice, summary.callback_data("✅ Send"), summary.message_id)
    assert [a.text for a in again.answers] == [STALE]
    assert len(await tickets(session)) == 1

    listed = await client.send(alice, "/support")
    assert f"#{ticket.id} · 😟 Complaint · " in listed.text and "⏳ open" in listed.text
    view = await client.press(
        alice, listed.callback_data(f"#{ticket.id} · ⏳ open"), listed.message_id
    )
    [card] = view.of(EditMessageText)
    assert card.text.startswith(f"🆘 <b>Ticket #{ticket.id}</b> · 😟 Complaint")
    assert "Status: ⏳ open" in card.text and "&lt;again&gt;" in card.text
    assert labels(card) == ["⬅ Back"]
    back = await client.press(alice, data_of(card, "⬅ Back"), listed.message_id)
    assert back.of(EditMessageText)[0].text.startswith("🆘 <b>Support</b>")


async def test_bad_inputs_repeat_the_step_and_store_nothing(client, session, alice):
    await make_user(session, alice)
    home = await client.send(alice, "/support")
    await client.press(alice, home.callback_data("❓ Question"), home.message_id)

    not_text = await client.send(alice, None, location=Location(latitude=41.3, longitude=69.2))
    assert not_text.text.startswith("⚠️ Please write it as a text message")
    assert "Step 2/3" in not_text.text
    too_short = await client.send(alice, " hi ")
    assert too_short.text.startswith("⚠️ That is too short: write at least 5 characters.")
    too_long = await client.send(alice, "x" * 2001)
    assert too_long.text.startswith("⚠️ That is too long: 2001 characters, and the limit is 2000.")
    assert "Step 2/3" in too_long.text
    assert await tickets(session) == []

    summary = await client.send(alice, "x" * 2000)  # the limit itself is fine
    assert summary.text.startswith("Step 3/3")
    # while the summary waits, text is not taken as a new ticket
    hint = await client.send(alice, "another thought")
    assert hint.text.startswith("ℹ️ Use the buttons under your message above")

    edit = await client.press(alice, summary.callback_data("✏️ Edit"), summary.message_id)
    assert "Step 2/3" in edit.of(EditMessageText)[0].text
    summary = await client.send(alice, "When is the next lesson?")
    assert "When is the next lesson?" in summary.text
    dropped = await client.press(alice, summary.callback_data("❌ Cancel"), summary.message_id)
    assert dropped.of(EditMessageText)[0].text == "❌ Cancelled. Nothing was sent."
    stale = await client.press(alice, summary.callback_data("✅ Send"), summary.message_id)
    assert [a.text for a in stale.answers] == [STALE]

    # /cancel leaves the form: the next text is no ticket
    home = await client.send(alice, "/support")
    await client.press(alice, home.callback_data("💳 Payment"), home.message_id)
    assert (await client.send(alice, "/cancel")).text == "❌ Cancelled. Nothing was saved."
    after = await client.send(alice, "I paid twice this month")
    assert after.text.startswith("ℹ️ I did not understand that.")
    assert await tickets(session) == []


async def test_a_staff_member_who_blocked_the_bot_is_skipped(
    client, bot, session, alice, bob, owner
):
    await make_user(session, alice)
    await make_user(session, owner)
    await make_user(session, bob, roles=[Role.ADMIN], permissions=[Permission.USERS])
    summary = await draft_ticket(client, alice, "question", "Where is room 5?")
    bot.session.fail_next(SendMessage, 403, "Forbidden: bot was blocked by the user")

    done = await client.press(alice, summary.callback_data("✅ Send"), summary.message_id)

    assert sent_to(done, owner) == []  # the owner (first by id) blocked the bot
    assert len(sent_to(done, bob)) == 1
    assert done.of(EditMessageText)[0].text.startswith("✅ Ticket #1 received.")
    assert len(await tickets(session)) == 1


async def test_who_gets_new_tickets(session, settings, alice, bob, carol, owner):
    await make_user(session, owner, language="ru")
    handler = await make_user(session, bob, roles=[Role.ADMIN], permissions=[Permission.USERS])
    await make_user(session, carol, roles=[Role.ADMIN], permissions=[Permission.PAYMENTS])
    await make_user(session, alice, roles=[Role.TEACHER], permissions=[Permission.USERS])
    blocked = await make_user(
        session,
        Person(id=77, first_name="Gone"),
        roles=[Role.ADMIN],
        permissions=[Permission.USERS],
    )
    blocked.is_active = False
    await make_user(session, roles=[Role.ADMIN], permissions=[Permission.USERS])  # no Telegram
    await make_user(
        session,
        Person(id=78, first_name="Unsure"),
        roles=[Role.ADMIN],
        permissions=[Permission.USERS],
        consent=None,
    )
    await session.commit()

    staff = await support_service.staff(session, settings.telegram.owner_ids)

    assert [(r.telegram_id, r.language) for r in staff] == [(owner.id, "ru"), (bob.id, "en")]
    assert staff[1].user_id == handler.id


async def test_the_admin_answers_and_the_user_reads_it_in_their_language(
    client, session, russian, alice, bob, owner
):
    alice.language_code = "ru"
    author = await make_user(session, alice, language="ru")
    admin = await make_user(session, bob, roles=[Role.ADMIN], permissions=[Permission.USERS])
    await make_user(session, owner, language="ru")
    done = await write_ticket(client, alice, "complaint", "The heating is off in room 3")
    [(owner_notice, _)] = sent_to(done, owner)
    assert owner_notice.text.startswith("📨 <b>Новое обращение №1</b> · 😟 Жалоба")
    [(notice, notice_id)] = sent_to(done, bob)
    assert notice.text.startswith("📨 <b>New ticket #1</b> · 😟 Complaint")

    prompt = await client.press(bob, data_of(notice, "✍️ Answer"), notice_id)
    assert prompt.text.startswith("✍️ <b>Answer to ticket #1</b>")
    assert "Step 1/2" in prompt.text and "/cancel" in prompt.text
    assert (await client.send(bob, "   ")).text.startswith("⚠️ That is too short")
    assert (await client.send(bob, "y" * 2001)).text.startswith("⚠️ That is too long")
    summary = await client.send(bob, "Fixed <today> & sorry")
    assert summary.text.startswith("Step 2/2 — check the answer to ticket #1:")
    assert summary.buttons() == ["✅ Send", "✏️ Edit", "❌ Cancel"]
    assert (await tickets(session))[0].status == TicketStatus.OPEN

    sent = await client.press(bob, summary.callback_data("✅ Send"), summary.message_id)

    [(to_user, _)] = sent_to(sent, alice)
    assert to_user.text.startswith(
        "💬 Ответ на ваше обращение №1:\n\nFixed &lt;today&gt; &amp; sorry"
    )
    assert "The heating is off in room 3" in to_user.text
    assert sent.of(EditMessageText)[0].text.startswith("✅ The answer to ticket #1 is sent.")
    [ticket] = await tickets(session)
    assert (ticket.status, ticket.answer, ticket.answered_by_id) == (
        "answered",
        "Fixed <today> & sorry",
        admin.id,
    )
    assert ticket.answered_at is not None
    [entry] = await actions(session, "ticket.answered")
    assert (entry.actor_id, entry.object_id) == (admin.id, "1")

    view = await client.press(alice, TicketCb(action="view", id=1).pack())
    assert "Fixed &lt;today&gt; &amp; sorry" in view.text
    assert author.id == ticket.user_id


async def test_a_ticket_is_answered_only_once(client, session, alice, bob, owner):
    await make_user(session, alice)
    await make_user(session, bob, roles=[Role.ADMIN], permissions=[Permission.USERS])
    await make_user(session, owner)
    done = await write_ticket(client, alice, "question", "Can I pay by card?")
    [(bob_notice, bob_notice_id)] = sent_to(done, bob)
    [(owner_notice, owner_notice_id)] = sent_to(done, owner)

    await client.press(bob, data_of(bob_notice, "✍️ Answer"), bob_notice_id)
    await client.press(owner, data_of(owner_notice, "✍️ Answer"), owner_notice_id)
    bob_summary = await client.send(bob, "Yes, at the front desk.")
    owner_summary = await client.send(owner, "No, cash only.")

    first = await client.press(bob, bob_summary.callback_data("✅ Send"), bob_summary.message_id)
    assert len(sent_to(first, alice)) == 1
    second = await client.press(
        owner, owner_summary.callback_data("✅ Send"), owner_summary.message_id
    )
    assert [(a.text, a.show_alert) for a in second.answers] == [
        ("⚠️ Ticket #1 has already been answered.", True)
    ]
    assert sent_to(second, alice) == []
    double_tap = await client.press(
        bob, bob_summary.callback_data("✅ Send"), bob_summary.message_id
    )
    assert double_tap.answers[0].text == "⚠️ Ticket #1 has already been answered."
    late = await client.press(owner, data_of(owner_notice, "✍️ Answer"), owner_notice_id)
    assert late.answers[0].text == "⚠️ Ticket #1 has already been answered."
    assert (await client.send(owner, "hello?")).text.startswith("ℹ️ I did not understand")

    [ticket] = await tickets(session)
    assert ticket.answer == "Yes, at the front desk."
    assert len(await actions(session, "ticket.answered")) == 1


async def test_a_student_pressing_a_staff_button_is_refused(client, session, alice, bob, carol):
    await make_user(session, alice)
    await make_user(session, bob, roles=[Role.STUDENT])
    await make_user(session, carol, roles=[Role.ADMIN], permissions=[Permission.PAYMENTS])
    await write_ticket(client, alice, "question", "Where is room 5?")

    for person in (bob, carol):  # a student; an admin without the users permission
        for action in ("card", "answer", "close_yes"):
            reply = await client.press(person, TicketCb(action=action, id=1).pack())
            [answer] = reply.answers
            assert answer.text.startswith(REFUSED) and answer.show_alert is True
        assert (await client.send(person, "/tickets")).text.startswith(REFUSED)
    denied = await actions(session, "access.denied")
    assert len(denied) == 8 and all(e.outcome == "denied" for e in denied)
    assert (await tickets(session))[0].status == "open"


async def test_a_user_sees_only_their_own_tickets(client, session, alice, bob):
    await make_user(session, alice)
    await make_user(session, bob)
    await write_ticket(client, alice, "data_protection", "Please erase my phone number")

    home = await client.send(bob, "/support")
    assert "#1" not in home.text and len(home.buttons()) == 4
    for ticket_id in (1, 999):
        reply = await client.press(
            bob, TicketCb(action="view", id=ticket_id).pack(), home.message_id
        )
        assert [a.text for a in reply.answers] == [STALE]
        assert not reply.of(EditMessageText)


async def add_tickets(session, author_id: int, count: int, start: datetime, **values) -> None:
    session.add_all(
        SupportTicket(
            user_id=author_id,
            topic="question",
            text=f"Question number {i}",
            created_at=start + timedelta(minutes=i),
            **values,
        )
        for i in range(count)
    )
    await session.commit()


async def test_open_tickets_are_paged_oldest_first(client, session, alice, owner):
    author = await make_user(session, alice, full_name="Alice")
    await make_user(session, owner)
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    await add_tickets(session, author.id, 2, start - timedelta(days=1), status="answered")
    await add_tickets(session, author.id, 23, start)
    await add_tickets(session, author.id, 1, start - timedelta(days=2), status="closed")

    first = await client.send(owner, "/tickets")
    assert first.text.startswith("📨 <b>Open tickets: 23</b>")
    buttons = first.buttons()
    assert buttons[0] == "#3 · ❓ Question · Alice" and buttons[9] == "#12 · ❓ Question · Alice"
    assert buttons[10:] == ["1/3", "▶", "⬅ Back"]

    second = await client.press(owner, first.callback_data("▶"), first.message_id)
    assert second.buttons()[10:] == ["◀", "2/3", "▶", "⬅ Back"]
    third = await client.press(owner, second.callback_data("▶"), first.message_id)
    assert third.buttons() == [
        "#23 · ❓ Question · Alice",
        "#24 · ❓ Question · Alice",
        "#25 · ❓ Question · Alice",
        "◀",
        "3/3",
        "⬅ Back",
    ]
    same = await client.press(owner, third.callback_data("3/3"), first.message_id)
    assert len(same.answers) == 1 and not same.of(SendMessage)  # unchanged page, no error
    forged = await client.press(owner, TicketCb(action="list", page=99).pack(), first.message_id)
    assert len(forged.answers) == 1  # shows the last page (unchanged here)

    card = await client.press(
        owner, third.callback_data("#24 · ❓ Question · Alice"), first.message_id
    )
    [edit] = card.of(EditMessageText)
    assert edit.text.startswith("📨 <b>Ticket #24</b> · ❓ Question")
    assert "Status: ⏳ open" in edit.text and "Question number 21" in edit.text
    assert labels(edit) == ["✍️ Answer", "🔒 Close", "⬅ Back"]
    back = await client.press(owner, card.callback_data("⬅ Back"), first.message_id)
    assert back.buttons() == third.buttons()
    panel = await client.press(owner, back.callback_data("⬅ Back"), first.message_id)
    assert panel.of(EditMessageText)[0].text.startswith("🛠 <b>Administration</b>")
    missing = await client.press(owner, TicketCb(action="card", id=999).pack(), first.message_id)
    assert [a.text for a in missing.answers] == [STALE]


async def test_no_open_tickets(client, session, owner):
    await make_user(session, owner)
    reply = await client.send(owner, "/tickets")
    assert reply.text.startswith("✅ <b>No open tickets.</b>")
    assert reply.buttons() == ["⬅ Back"]


async def test_an_admin_may_close_a_ticket(client, session, alice, owner):
    alice_user = await make_user(session, alice)
    admin = await make_user(session, owner)
    await write_ticket(client, alice, "complaint", "Spam spam spam")

    listed = await client.send(owner, "/tickets")
    card = await client.press(
        owner, listed.callback_data("#1 · 😟 Complaint · Alice"), listed.message_id
    )
    ask = await client.press(owner, card.callback_data("🔒 Close"), listed.message_id)
    assert ask.text.startswith("🔒 <b>Close ticket #1 without a written answer?</b>")
    assert ask.buttons() == ["✅ Close the ticket", "Keep it open"]
    assert (await tickets(session))[0].status == "open"

    closed = await client.press(owner, ask.callback_data("✅ Close the ticket"), listed.message_id)

    assert [a.text for a in closed.answers] == ["🔒 Ticket #1 is closed."]
    assert "Status: 🔒 closed" in closed.of(EditMessageText)[0].text
    assert closed.buttons() == ["⬅ Back"]
    [(told, _)] = sent_to(closed, alice)
    assert told.text.startswith("🔒 Your ticket #1 was closed without a written answer.")
    [ticket] = await tickets(session)
    assert ticket.status == "closed" and ticket.answer is None
    [entry] = await actions(session, "ticket.closed")
    assert entry.actor_id == admin.id and entry.object_id == "1"

    again = await client.press(owner, ask.callback_data("✅ Close the ticket"), listed.message_id)
    assert again.answers[0].text == "⚠️ Ticket #1 is closed."
    answer = await client.press(owner, TicketCb(action="answer", id=1).pack())
    assert answer.answers[0].text == "⚠️ Ticket #1 is closed."
    for action in ("answer", "asend", "close", "close_yes"):  # a forged ticket id
        forged = await client.press(owner, TicketCb(action=action, id=999).pack())
        assert [a.text for a in forged.answers] == [STALE], action
    mine = await client.send(alice, "/support")
    assert "🔒 closed" in mine.text and alice_user.id == ticket.user_id


async def test_an_answer_to_a_user_who_blocked_the_bot_is_still_saved(
    client, bot, session, alice, owner
):
    await make_user(session, alice)
    await make_user(session, owner)
    done = await write_ticket(client, alice, "payment", "Did my payment arrive?")
    [(notice, notice_id)] = sent_to(done, owner)
    await client.press(owner, data_of(notice, "✍️ Answer"), notice_id)
    summary = await client.send(owner, "Yes, it did.")
    bot.session.fail_next(SendMessage, 403, "Forbidden: bot was blocked by the user")

    sent = await client.press(owner, summary.callback_data("✅ Send"), summary.message_id)

    assert "could not be reached" in sent.of(EditMessageText)[0].text
    assert (await tickets(session))[0].status == "answered"
