"""/start, /help, /language, /cancel, blocking, throttling, the update log line."""

from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from aiogram.types import ReplyKeyboardMarkup
from loguru import logger
from sqlalchemy import func, select

from db.models import AuditEntry, Role, User
from tests.chat import Person
from tests.factories import make_user

MENU_FOR_EVERYONE = ["🗂 My data", "🆘 Support", "⚙️ Settings", "❓ Help", "🌐 Language"]


async def accept_policy(client, person: Person):
    """Go through the first /start as a new user would: language, then accept."""
    picker = await client.send(person, "/start")
    summary = await client.press(person, picker.callback_data("🇬🇧 English"), picker.message_id)
    return await client.press(person, summary.callback_data("✅ Accept"), picker.message_id)


async def test_a_new_user_is_greeted_in_their_language_after_accepting(client, session, alice):
    greeting = await accept_policy(client, alice)

    assert "Hello, Alice!" in greeting.text
    assert "You are not linked to the centre yet" in greeting.text
    user = await session.scalar(select(User).where(User.telegram_id == alice.id))
    assert (user.language, user.full_name, user.is_active) == ("en", "Alice", True)
    assert user.last_seen_at is not None and user.last_seen_at.tzinfo is not None
    assert isinstance(greeting.markup(), ReplyKeyboardMarkup)
    assert greeting.buttons() == MENU_FOR_EVERYONE


async def test_an_unknown_telegram_language_falls_back_to_uzbek(client, session):
    german = Person(id=777, first_name="Hans", language_code="de")
    reply = await client.send(german, "/start")
    user = await session.scalar(select(User).where(User.telegram_id == 777))
    assert user.language == "uz"
    assert reply.text == "🌐 Tilni tanlang:"


async def test_names_are_escaped_so_html_cannot_break_the_message(client, bot):
    eve = Person(id=555, first_name="<b>Eve</b> & Co", language_code="en")
    reply = await accept_policy(client, eve)
    assert "&lt;b&gt;Eve&lt;/b&gt; &amp; Co" in reply.text
    # the fake server parsed the HTML: the user sees the name literally
    shown = bot.session.telegram.messages[
        (eve.id, max(m for _, m in bot.session.telegram.messages))
    ].text
    assert "<b>Eve</b> & Co" in shown
    assert "Bilim <Academy> & Co" in shown


async def test_start_shows_the_roles_and_their_menu(client, session, alice):
    await make_user(session, alice, roles=[Role.ADMIN, Role.TEACHER])
    reply = await client.send(alice, "/start")
    assert "Your roles: administrator, teacher." in reply.text
    assert reply.buttons() == [
        "🛠 Administration",
        "🔎 People",
        "📚 Courses",
        "💵 Payment",
        "📋 Debtors",
        "📣 Broadcast",
        "📅 Today",
        "👥 My groups",
        *MENU_FOR_EVERYONE,
    ]


async def test_help_lists_only_the_commands_of_the_users_roles(client, session, alice, owner):
    await make_user(session, alice)
    await make_user(session, owner)
    student_help = await client.send(alice, "/help")
    assert "/language" in student_help.text and "/admin" not in student_help.text

    owner_help = await client.send(owner, "/help")
    assert "/admin — Administration" in owner_help.text


async def test_the_help_button_works_like_the_command(client, alice, session):
    await make_user(session, alice)
    await client.send(alice, "/start")
    reply = await client.send(alice, "❓ Help")
    assert reply.text.startswith("ℹ️ What I can do:")


async def test_switching_language_is_stored_audited_and_used_from_then_on(client, session, alice):
    await make_user(session, alice)
    picker = await client.send(alice, "/language")
    assert picker.text == "🌐 Choose your language:"
    assert picker.buttons() == ["🇺🇿 Oʻzbekcha", "🇷🇺 Русский", "✅ 🇬🇧 English"]

    pressed = await client.press(alice, picker.callback_data("🇷🇺 Русский"), picker.message_id)

    assert pressed.of(EditMessageText)[0].text == "✅ Язык изменён: 🇷🇺 Русский."
    assert len(pressed.answers) == 1
    user = await session.scalar(select(User).where(User.telegram_id == alice.id))
    await session.refresh(user)
    assert user.language == "ru"
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "user.language"))
    assert entry.actor_id == user.id and entry.details == {"from": "en", "to": "ru"}
    # the command menu of this chat follows the language
    assert any(call.__api_method__ == "setMyCommands" for call in pressed.calls)

    help_reply = await client.send(alice, "/help")
    assert help_reply.text.startswith("ℹ️ Что я умею:")


async def test_the_menu_buttons_follow_the_new_language(client, alice, session):
    await make_user(session, alice)
    picker = await client.send(alice, "/language")
    await client.press(alice, picker.callback_data("🇺🇿 Oʻzbekcha"), picker.message_id)
    reply = await client.send(alice, "❓ Yordam")
    assert "/language" in reply.text


async def test_choosing_the_current_language_changes_nothing(client, session, alice):
    await make_user(session, alice)
    picker = await client.send(alice, "/language")
    pressed = await client.press(alice, picker.callback_data("✅ 🇬🇧 English"), picker.message_id)
    assert pressed.answers[0].text == "✅ This language is already on."
    assert not pressed.of(EditMessageText)
    assert await session.scalar(select(func.count()).select_from(AuditEntry)) == 0


async def test_cancel_outside_a_form_says_so(client, alice, session):
    await make_user(session, alice)
    reply = await client.send(alice, "/cancel")
    assert reply.text == "ℹ️ There is nothing to cancel."


async def test_blocking_and_unblocking_the_bot_is_tracked(client, session, alice):
    await make_user(session, alice)
    await client.send(alice, "/start")
    await client.block(alice, blocked=True)
    user = await session.scalar(select(User).where(User.telegram_id == alice.id))
    assert user.is_active is False

    await client.block(alice, blocked=False)
    await session.refresh(user)
    assert user.is_active is True
    actions = (await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
    assert actions == ["user.blocked_bot", "user.unblocked_bot"]


async def test_messages_in_groups_are_ignored(client, alice):
    update = client.message(alice, "/start")
    group_chat = update.message.chat.model_copy(update={"type": "group", "id": -100})
    update = update.model_copy(
        update={"message": update.message.model_copy(update={"chat": group_chat})}
    )
    reply = await client.feed(update)
    assert reply.calls == []


async def test_a_flood_gets_one_warning_then_silence(throttled_client, alice, session):
    await make_user(session, alice)
    now = [0.0]
    client = throttled_client(3, clock=lambda: now[0])

    replies = [await client.send(alice, "/help") for _ in range(5)]

    assert all(r.text.startswith("ℹ️ What I can do") for r in replies[:3])
    assert replies[3].text.startswith("⏳ Too fast.")
    assert replies[4].calls == []
    now[0] = 2.5
    assert (await client.send(alice, "/help")).text.startswith("ℹ️ What I can do")


async def test_a_throttled_button_press_is_still_answered(throttled_client, alice, session):
    await make_user(session, alice)
    client = throttled_client(1)
    await client.send(alice, "/language")
    first = await client.press(alice, "lang:ru")
    second = await client.press(alice, "lang:ru")
    assert [call.text for call in first.of(AnswerCallbackQuery)] == [
        "⏳ Too fast. Please wait a couple of seconds and try again."
    ]
    assert len(second.of(AnswerCallbackQuery)) == 1 and second.of(SendMessage) == []


async def test_one_log_line_per_update_without_the_message_text(client, alice, session):
    await make_user(session, alice)
    lines: list[str] = []
    sink = logger.add(lines.append, level="INFO", format="{message}")
    try:
        update = client.message(alice, "my phone is +998901234567")
        await client.feed(update)
    finally:
        logger.remove(sink)
    update_lines = [line for line in lines if line.startswith(f"update={update.update_id} ")]
    assert len(update_lines) == 1
    line = update_lines[0]
    assert f"user={alice.id}" in line and "role=guest" in line
    assert "handler=unmatched_message" in line and " ms=" in line
    assert "+998901234567" not in "".join(lines) and "phone" not in "".join(lines)


async def test_each_menu_button_opens_its_screen(client, session, alice):
    await make_user(session, alice)
    expected = {
        "🗂 My data": "🗂 <b>My data</b>",
        "🆘 Support": "🆘 <b>Support</b>",
        "⚙️ Settings": "⚙️ <b>Settings</b>",
        "❓ Help": "ℹ️ What I can do:",
        "🌐 Language": "🌐 Choose your language:",
    }
    for label, start in expected.items():
        reply = await client.send(alice, label)
        assert reply.texts[0].startswith(start), label
