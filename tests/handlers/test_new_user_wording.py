"""What a new user tripped on, in words and buttons: a course's or group's name is not a
person's first name, a form step names the button it offers, /apply is offered only to
those it serves, and the consent toggles look like switches, not like the Accept button."""

import pytest
from sqlalchemy import update

from bot.i18n import _, use_language
from db.models import Role, User
from keyboards.academic import CourseCb, GroupCb
from tests.factories import make_user
from tests.handlers.test_courses_groups import TEACHER, fill_group_form, make_course

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
    fields = await client.press(owner, GroupCb(action="fields").pack(), summary.mid)
    assert NAME_OF_A_THING[language] in fields.buttons()

    mydata = await client.send(owner, "/mydata")  # a person keeps their first name
    assert NAME_OF_A_PERSON[language] in mydata.buttons()


async def test_the_group_price_step_names_the_button_it_offers(client, session, owner):
    await make_user(session, owner)
    await make_user(session, TEACHER, roles=[Role.TEACHER], full_name="Aziz Karimov")
    await make_course(session)
    listing = await client.send(owner, "/groups")
    mid = listing.message_id
    step = await client.press(owner, listing.callback_data("➕ New group"), mid)
    step = await client.press(owner, step.callback_data("General English"), mid)
    step = await client.send(owner, "A1")
    step = await client.press(owner, step.callback_data("Aziz Karimov"), step.message_id)
    step = await client.send(owner, "12")
    step = await client.send(owner, "12")
    step = await client.send(owner, "01.01.2025")
    step = await client.press(owner, step.callback_data("⏭ Skip"), step.message_id)

    assert "Step 8/9 — the monthly price" in step.text
    assert step.buttons() == ["⏭ Use the course price"]
    assert "⏭ Use the course price" in step.text
    assert "Skip" not in step.text
    for language in ("uz", "ru"):
        with use_language(language):
            assert str(_("⏭ Use the course price")) in _(
                "{step} — the monthly price in soʻm, if this group pays differently from "
                "the course ({price}); or tap ⏭ Use the course price."
            )
