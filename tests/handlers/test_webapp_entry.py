"""The Mini App's entry points: "📱 Open app" in each role's main menu (answered with an inline
`web_app` button: one from a reply keyboard would open the app without initData), under the
admin panel and the teacher's /today, and the staff's chat menu button — all only with
WEBAPP_URL; without it the bot is as it was."""

from datetime import timedelta

import pytest
from aiogram.methods import SetChatMenuButton, SetMyCommands
from aiogram.types import InlineKeyboardMarkup, MenuButtonDefault, MenuButtonWebApp

from bot.commands_menu import register_command_menus
from db.base import utcnow
from db.models import Permission, Role
from tests.chat import Person
from tests.conftest import make_settings
from tests.factories import make_group, make_lessons, make_user
from tests.handlers.test_people import open_card

WEBAPP_URL = "https://app.example.uz/miniapp"
OPEN = "📱 Open app"
STUDENT = Person(id=6_100_001, first_name="Sardor", language_code="en")
TEACHER = Person(id=6_100_002, first_name="Malika", language_code="en")
PARENT = Person(id=6_100_003, first_name="Dilnoza", language_code="en")


@pytest.fixture(params=[WEBAPP_URL, None], ids=["with-webapp", "without-webapp"])
def settings(request, database_url):
    return make_settings(database_url, webapp_url=request.param)


def web_apps(markup) -> list[str]:
    """The web_app urls of an inline keyboard's buttons."""
    assert isinstance(markup, InlineKeyboardMarkup)
    return [b.web_app.url for row in markup.inline_keyboard for b in row if b.web_app]


def menu_buttons(bot) -> dict[int, object]:
    calls = [c for c in bot.session.requests if isinstance(c, SetChatMenuButton)]
    return {call.chat_id: call.menu_button for call in calls}


@pytest.mark.parametrize(
    ("person", "roles", "first_line"),
    [
        (STUDENT, [Role.STUDENT], "• your week, attendance, grades and balance"),
        (PARENT, [Role.PARENT], "• your children's week, attendance, grades and balance"),
        (TEACHER, [Role.TEACHER], "• today's lessons and the attendance sheet as a grid"),
    ],
)
async def test_each_roles_menu_opens_the_app_by_an_inline_button(
    client, session, settings, person, roles, first_line
):
    await make_user(session, person, roles=roles)
    greeting = await client.send(person, "/start")
    menu = greeting.buttons()
    pressed = await client.send(person, OPEN)
    if settings.webapp.enabled:
        assert menu[0] == OPEN  # first, where it is found
        assert pressed.text.startswith("📱 <b>The app</b> opens here, inside Telegram")
        assert first_line in pressed.text
        assert web_apps(pressed.markup()) == [WEBAPP_URL]
    else:
        assert OPEN not in menu
        assert "📱 <b>The app</b>" not in pressed.text  # just text: the fallback answers
        markup = pressed.markup()
        assert not isinstance(markup, InlineKeyboardMarkup) or web_apps(markup) == []


async def test_the_menu_entry_in_the_users_language(client, session, settings):
    if not settings.webapp.enabled:
        pytest.skip("the entry is only there with WEBAPP_URL")
    for person, language, label, title in [
        (Person(id=6_100_011), "uz", "📱 Ilovani ochish", "📱 <b>Ilova</b>"),
        (Person(id=6_100_012), "ru", "📱 Открыть приложение", "📱 <b>Приложение</b>"),
    ]:
        await make_user(session, person, roles=[Role.STUDENT], language=language)
        greeting = await client.send(person, "/start")
        assert greeting.buttons()[0] == label
        pressed = await client.send(person, label)
        assert pressed.text.startswith(title)
        assert [b.text for row in pressed.markup().inline_keyboard for b in row] == [label]


async def test_the_admin_panel_and_the_teachers_today_carry_the_button(client, session, settings):
    admin = Person(id=6_100_021, first_name="Aziz", language_code="en")
    await make_user(session, admin, roles=[Role.ADMIN], permissions=[Permission.REPORTS])
    teacher = await make_user(session, TEACHER, roles=[Role.TEACHER])
    group = await make_group(session, "B2 evening", teacher_id=teacher.id)
    await make_lessons(session, group, [utcnow() + timedelta(minutes=5)])
    expected = [WEBAPP_URL] if settings.webapp.enabled else []

    panel = await client.send(admin, "/admin")
    assert web_apps(panel.markup()) == expected
    assert "🔄 Refresh" in panel.buttons() and "📊 Reports" in panel.buttons()
    today = await client.send(TEACHER, "/today")
    assert web_apps(today.markup()) == expected
    assert "👥 My groups" in today.buttons()


async def test_the_menu_button_is_set_for_staff_only(bot, session, session_factory, settings):
    await make_user(session, TEACHER, roles=[Role.TEACHER], language="ru")
    await make_user(session, STUDENT, roles=[Role.STUDENT])
    await make_user(session, PARENT, roles=[Role.PARENT])
    admin = Person(id=6_100_021)
    await make_user(session, admin, roles=[Role.ADMIN], permissions=[Permission.AUDIT])

    await register_command_menus(bot, settings, session_factory)

    buttons = menu_buttons(bot)
    if not settings.webapp.enabled:
        assert buttons == {}
        return
    owner_id = settings.telegram.owner_ids[0]
    assert set(buttons) == {TEACHER.id, admin.id, owner_id}  # no student, no parent
    assert all(isinstance(button, MenuButtonWebApp) for button in buttons.values())
    assert {button.web_app.url for button in buttons.values()} == {WEBAPP_URL}
    assert buttons[TEACHER.id].text == "📱 Приложение"  # the teacher's own language
    assert buttons[admin.id].text == "📱 App"


async def test_a_students_start_sets_no_menu_button_a_teachers_does(client, bot, session, settings):
    await make_user(session, STUDENT, roles=[Role.STUDENT])
    await make_user(session, TEACHER, roles=[Role.TEACHER])
    student = await client.send(STUDENT, "/start")
    assert student.of(SetMyCommands) and not student.of(SetChatMenuButton)
    teacher = await client.send(TEACHER, "/start")
    calls = teacher.of(SetChatMenuButton)
    if settings.webapp.enabled:
        assert [(c.chat_id, c.menu_button.web_app.url) for c in calls] == [(TEACHER.id, WEBAPP_URL)]
    else:
        assert calls == []


async def test_losing_the_teacher_role_resets_the_menu_button(client, session, settings, owner):
    await make_user(session, owner)
    person = await make_user(session, TEACHER, full_name="Malika")
    card = await open_card(client, owner, person.id)
    made = await client.press(owner, card.callback_data("🧑‍🏫 Make teacher"), card.message_id)
    confirm = await client.press(owner, made.callback_data("➖ Teacher"), card.message_id)
    take = confirm.callback_data("➖ Take the role away")
    done = await client.press(owner, take, card.message_id)

    granted, taken = made.of(SetChatMenuButton), done.of(SetChatMenuButton)
    if not settings.webapp.enabled:
        assert granted == taken == []
        return
    assert [(c.chat_id, type(c.menu_button)) for c in granted] == [(TEACHER.id, MenuButtonWebApp)]
    assert [(c.chat_id, type(c.menu_button)) for c in taken] == [(TEACHER.id, MenuButtonDefault)]


async def test_a_blocked_chat_does_not_break_the_menus(bot, session, session_factory, settings):
    """403 from Telegram (the teacher blocked the bot): logged, the others still get theirs."""
    await make_user(session, TEACHER, roles=[Role.TEACHER])
    bot.session.fail_next(SetChatMenuButton, 403, "Forbidden: bot was blocked by the user")
    await register_command_menus(bot, settings, session_factory)
    owner_id = settings.telegram.owner_ids[0]
    if settings.webapp.enabled:
        assert owner_id in menu_buttons(bot)
