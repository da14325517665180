"""Role guards on messages and callbacks, the fallback router, and rollback on errors."""

from aiogram import Router
from aiogram.filters import Command
from aiogram.methods import AnswerCallbackQuery, EditMessageText
from aiogram.types import CallbackQuery, Message
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.access import Actor
from db.models import AuditEntry, AuditOutcome, Permission, Role, User
from tests.chat import Person
from tests.factories import make_user


async def audit_rows(session: AsyncSession) -> list[AuditEntry]:
    return list((await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all())


async def test_a_student_pressing_an_admin_button_is_refused_and_audited(client, session, alice):
    student = await make_user(session, alice, roles=[Role.STUDENT])

    reply = await client.press(alice, "adm:home")

    [answer] = reply.of(AnswerCallbackQuery)
    assert answer.show_alert is True
    assert answer.text.startswith("⚠️ You do not have access to this.")
    assert not reply.of(EditMessageText)
    [entry] = await audit_rows(session)
    assert (entry.actor_id, entry.action, entry.outcome) == (
        student.id,
        "access.denied",
        AuditOutcome.DENIED,
    )
    assert entry.details["needs"] == "admin" and entry.details["event"] == "callback"
    assert entry.details["handler"].endswith("refresh_panel")


async def test_a_student_typing_an_admin_command_is_refused_and_audited(client, session, alice):
    await make_user(session, alice, roles=[Role.STUDENT, Role.PARENT])
    reply = await client.send(alice, "/admin")
    assert reply.text.startswith("⚠️ You do not have access to this.")
    [entry] = await audit_rows(session)
    assert entry.outcome == "denied" and entry.details["event"] == "message"


async def test_the_owner_sees_the_admin_panel(client, session, owner, alice):
    await make_user(session, owner)
    await make_user(session, alice, roles=[Role.STUDENT])
    reply = await client.send(owner, "/admin")
    assert "Administration" in reply.text
    assert "People: 2 (blocked the bot: 0)" in reply.text
    assert "Students: 1 · Parents: 0" in reply.text
    assert reply.buttons() == ["📊 Reports", "🔄 Refresh"]


async def test_an_admin_from_the_database_sees_it_too(client, session, alice):
    await make_user(session, alice, roles=[Role.ADMIN], permissions=[Permission.REPORTS])
    reply = await client.send(alice, "🛠 Administration")
    assert "Administrators: 1 · Teachers: 0" in reply.text
    assert reply.buttons() == ["📊 Reports", "🔄 Refresh"]


async def test_the_reports_button_is_for_those_who_may_read_reports(client, session, alice):
    await make_user(session, alice, roles=[Role.ADMIN], permissions=[Permission.PAYMENTS])
    reply = await client.send(alice, "/admin")
    assert reply.buttons() == ["🔄 Refresh"]


async def test_refresh_edits_only_when_something_changed(client, session, owner):
    await make_user(session, owner)
    panel = await client.send(owner, "/admin")
    data = panel.callback_data("🔄 Refresh")

    unchanged = await client.press(owner, data, panel.message_id)
    # an identical edit would be refused by Telegram: none is sent, the user is told
    assert not unchanged.of(EditMessageText)
    assert [a.text for a in unchanged.answers] == ["ℹ️ Nothing has changed."]

    await client.send(Person(id=31337, first_name="New"), "/start")
    changed = await client.press(owner, data, panel.message_id)
    assert "People: 2" in changed.of(EditMessageText)[0].text
    assert changed.of(EditMessageText)[0].reply_markup is not None  # keyboard kept
    assert [a.text for a in changed.answers] == ["✅ Updated."]


async def test_unknown_command_and_stray_text(client, session, alice):
    await make_user(session, alice)
    unknown = await client.send(alice, "/frobnicate now")
    assert unknown.text == "⚠️ Unknown command. Send /help to see what I can do."
    stray = await client.send(alice, "hello there")
    assert stray.text == "ℹ️ I did not understand that. Use the menu buttons or send /help."
    assert await audit_rows(session) == []


async def test_stale_and_forged_buttons_are_answered_and_change_nothing(client, session, alice):
    await make_user(session, alice)
    await client.send(alice, "/start")
    for data in ("zzz", "lang:de", "adm", "lang:ru:extra", "x" * 64):
        reply = await client.press(alice, data)
        assert [a.text for a in reply.answers] == [
            "⚠️ This button is out of date. Open the menu again."
        ]
    user = await session.scalar(select(User).where(User.telegram_id == alice.id))
    assert user.language == "en"
    assert await audit_rows(session) == []


def failing_router() -> Router:
    router = Router(name="test.failing")

    @router.message(Command("boom"))
    async def boom(message: Message, session: AsyncSession, actor: Actor) -> None:
        user = await session.get(User, actor.user_id)
        user.full_name = "Changed"
        await audit.record(session, actor_id=actor.user_id, action="test.boom")
        await session.flush()
        raise RuntimeError("the service failed half-way")

    @router.callback_query()
    async def boom_button(callback: CallbackQuery) -> None:
        raise RuntimeError("the button failed")

    return router


def install_first(dispatcher, router: Router) -> None:
    dispatcher.include_router(router)
    dispatcher.sub_routers.insert(0, dispatcher.sub_routers.pop())


async def test_an_exception_rolls_everything_back(client, dispatcher, session, alice):
    await make_user(session, alice)
    install_first(dispatcher, failing_router())
    await client.send(alice, "/start")

    reply = await client.send(alice, "/boom")

    assert reply.text == "⚠️ Something went wrong. Nothing was changed; please try again."
    user = await session.scalar(select(User).where(User.telegram_id == alice.id))
    assert user.full_name == "Alice"
    assert await session.scalar(select(func.count()).select_from(AuditEntry)) == 0

    pressed = await client.press(alice, "anything")
    assert [(a.text, a.show_alert) for a in pressed.answers] == [
        ("⚠️ Something went wrong. Nothing was changed; please try again.", True)
    ]
