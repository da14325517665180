"""What a new user tripped on, in words and buttons: a course's or group's name is not a
person's first name, a form step names the button it offers, /apply is offered only to
those it serves, and the consent toggles look like switches, not like the Accept button."""

import pytest
from aiogram.methods import SetMyCommands
from sqlalchemy import update

from bot.i18n import _, use_language
from db.models import Role, User
from keyboards.academic import CourseCb
from tests.chat import Person
from tests.factories import make_course, make_user
from tests.handlers.test_courses_groups import TEACHER, fill_group_form

NAME_OF_A_THING = {"uz": "✏️ Nom", "ru": "✏️ Название", "en": "✏️ Name"}
NAME_OF_A_PERSON = {"uz": "✏️ Ism", "ru": "✏️ Имя", "en": "✏️ Name"}


async def speak(session, person, language: str) -> None:
    await session.execute(
        update(User).where(User.telegram_id == person.id).values(language=language)
    )
    await session.commit()


@pytest.mark.parametrize("language", ["uz", "ru", "en"])
async def test_a_course_and_a_group_have_a_name_not_a_first_name(client, session, owner, language):
    await make_user(session, owner)
    await make_user(session, TEACHER, roles=[Role.TEACHER], full_name="Aziz Karimov")
    course = await make_course(session)
    summary = await fill_group_form(client, owner)
    await speak(session, owner, language)

    card = await client.press(owner, CourseCb(action="card", id=course.id).pack())
    assert NAME_OF_A_THING[language] in card.buttons()
    if language != "en":
        assert NAME_OF_A_PERSON[language] not in card.buttons()
    fields = await client.press(owner, summary.callback_data("✏️ Edit"), summary.mid)
    assert NAME_OF_A_THING[language] in fields.buttons()

    mydata = await client.send(owner, "/mydata")  # a person keeps their first name
    assert NAME_OF_A_PERSON[language] in mydata.buttons()


async def test_the_group_price_step_names_the_button_it_offers(client, session, owner):
    await make_user(session, owner)
    await make_user(session, TEACHER, roles=[Role.TEACHER], full_name="Aziz Karimov")
    await make_course(session)
    summary = await fill_group_form(client, owner)
    fields = await client.press(owner, summary.callback_data("✏️ Edit"), summary.mid)
    step = await client.press(owner, fields.callback_data("✏️ Price"), summary.mid)

    assert "✏️ Price — the monthly price" in step.text
    assert step.buttons() == ["⏭ Use the course price"]
    assert "⏭ Use the course price" in step.text
    assert "Skip" not in step.text
    for language in ("uz", "ru"):
        with use_language(language):
            assert str(_("⏭ Use the course price")) in _(
                "{step} — the monthly price in soʻm, if this group pays differently from "
                "the course ({price}); or tap ⏭ Use the course price."
            )


# --- /apply only for those it serves -----------------------------------------------------

APPLY_LINE = "/apply — Ask to study at the centre"


def commands_in(reply) -> list[str]:
    return [command.command for call in reply.of(SetMyCommands) for command in call.commands]


async def test_help_offers_apply_only_to_people_without_a_role(client, session, owner):
    people = [
        (Person(id=4_100_001, first_name="Guest", language_code="en"), []),
        (Person(id=4_100_002, first_name="Student", language_code="en"), [Role.STUDENT]),
        (Person(id=4_100_003, first_name="Parent", language_code="en"), [Role.PARENT]),
        (Person(id=4_100_004, first_name="Teacher", language_code="en"), [Role.TEACHER]),
        (Person(id=4_100_005, first_name="Admin", language_code="en"), [Role.ADMIN]),
    ]
    for person, held in people:
        await make_user(session, person, roles=held)
    await make_user(session, owner)

    for person, held in people:
        help_text = (await client.send(person, "/help")).text
        assert (APPLY_LINE in help_text) is (not held), person.first_name
    assert APPLY_LINE not in (await client.send(owner, "/help")).text


async def test_a_teacher_typing_apply_is_told_what_it_is_for(client, session):
    teacher = Person(id=4_100_010, first_name="Malika", language_code="en")
    await make_user(session, teacher, roles=[Role.TEACHER])

    reply = await client.send(teacher, "/apply")

    assert reply.text == (
        "ℹ️ /apply is for people who want to study at the centre and are not registered "
        "yet. You are registered already: teacher.\nSend /help to see your commands."
    )
    after = await client.send(teacher, "Aziza Karimova")  # no form was started
    assert "Step 2" not in after.text


async def test_the_command_menus_of_people_with_a_role_leave_out_apply(
    client, session, owner, alice
):
    """Staff get their own menu at start-up and when their rights change; a student or parent
    bound by an invitation gets theirs at once: none lists /apply (the default one does)."""
    from tests.handlers.test_invites import invite_for
    from tests.handlers.test_people import registered

    await make_user(session, owner)
    await make_user(session, alice)
    student = await registered(session, "Aziza Karimova")
    _reply, code = await invite_for(client, owner, student.id)

    bound = await client.send(alice, f"/start {code}")

    assert "balance" in commands_in(bound) and "apply" not in commands_in(bound)


async def test_start_gives_a_person_with_a_role_their_own_menu(client, session, alice):
    """Students and parents bound before, or linked by an admin, had only the default menu
    (with /apply): /start sets their own."""
    await make_user(session, alice, roles=[Role.PARENT])

    reply = await client.send(alice, "/start")

    [menu] = reply.of(SetMyCommands)
    assert menu.scope.type == "chat" and int(menu.scope.chat_id) == alice.id
    names = [command.command for command in menu.commands]
    assert "children" in names and "apply" not in names


def test_the_default_menu_offers_apply_and_a_role_menu_does_not():
    from bot.commands_menu import bot_commands

    assert "apply" in [command.command for command in bot_commands("uz", ())]
    for role in Role:
        assert "apply" not in [command.command for command in bot_commands("uz", (role,))]


# --- toggles look like switches ------------------------------------------------------------


async def test_consent_toggles_are_switches_not_the_accept_mark(client, session, alice):
    picker = await client.send(alice, "/start")
    screen = await client.press(alice, picker.callback_data("🇬🇧 English"), picker.message_id)

    assert screen.buttons()[:3] == [
        "☑️ Reminders: payments and classes",
        "☑️ Announcements and news",
        "☑️ Usage statistics",
    ]
    assert [b for b in screen.buttons() if b.startswith("✅")] == ["✅ Accept"]
    off = await client.press(
        alice, screen.callback_data("☑️ Announcements and news"), picker.message_id
    )
    assert "⬜ Announcements and news" in off.buttons()
    done = await client.press(alice, off.callback_data("✅ Accept"), picker.message_id)
    assert done.answers[0].text == "✅ Thank you!"

    settings = await client.send(alice, "/settings")
    assert "☑️ Reminders: payments and classes" in settings.buttons()
    assert "⬜ Announcements and news" in settings.buttons()
    assert not [b for b in settings.buttons() if b.startswith("✅")]


# --- one unit word per language ------------------------------------------------------------

PRICE = {
    "en": "General English · 1,250,000 soʻm",
    "uz": "General English · 1\u00a0250\u00a0000 soʻm",
    "ru": "General English · 1\u00a0250\u00a0000 сум",
}


@pytest.mark.parametrize("language", ["en", "uz", "ru"])
async def test_money_carries_the_unit_word_of_the_language(client, session, owner, language):
    await make_user(session, owner, language=language)
    await make_course(session)

    listing = await client.send(owner, "/courses")

    assert PRICE[language] in listing.buttons()
    assert "UZS" not in listing.text + "".join(listing.buttons())


def test_format_money_takes_the_unit_word_of_the_language_it_is_asked_for():
    from bot.formatting import format_money

    with use_language("ru"):
        assert format_money(1_250_000, "en") == "1,250,000 soʻm"
        assert format_money(1_250_000) == "1\u00a0250\u00a0000 сум"
    with use_language("en"):
        assert format_money(900, "ru") == "900 сум"
