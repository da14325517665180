"""What every form gets from the engine (bot/forms), seen through the course and support
forms: answered buttons, one out-of-date answer, forms apart, access, JSON data."""

from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import func, select

from db.models import AuditEntry, Course, Permission, Role, SupportTicket
from keyboards.forms import FormCb
from tests.factories import make_user

STALE = "⚠️ This button is out of date. Open the menu again."
REFUSED = "⚠️ You do not have access to this. If you think you should, ask the administrator."


async def count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


async def open_course_form(client, owner):
    listing = await client.send(owner, "/courses")
    return await client.press(owner, listing.callback_data("➕ New course"), listing.message_id)


async def course_summary(client, owner, name="General English"):
    await open_course_form(client, owner)
    await client.send(owner, name)
    await client.send(owner, "Grammar")
    return await client.send(owner, "900 000")


async def test_the_button_that_opens_a_form_is_answered_once(client, session, owner):
    await make_user(session, owner)
    step = await open_course_form(client, owner)
    assert len(step.answers) == 1 and step.answers[0].text is None
    assert "Step 1/3" in step.text


async def test_a_button_of_a_finished_form_is_out_of_date_and_changes_nothing(
    client, session, owner
):
    await make_user(session, owner)
    summary = await course_summary(client, owner)
    saved = await client.press(owner, summary.callback_data("✅ Confirm"), summary.message_id)
    assert saved.answers[0].text == "✅ Saved."
    for label in ("✅ Confirm", "✏️ Edit", "❌ Cancel"):
        again = await client.press(owner, summary.callback_data(label), summary.message_id)
        assert [a.text for a in again.answers] == [STALE], label
        assert again.texts == []
    assert await count(session, Course) == 1


async def test_cancel_then_confirm_saves_nothing(client, session, owner):
    await make_user(session, owner)
    summary = await course_summary(client, owner)
    assert (await client.send(owner, "/cancel")).text == "❌ Cancelled. Nothing was saved."
    late = await client.press(owner, summary.callback_data("✅ Confirm"), summary.message_id)
    assert [a.text for a in late.answers] == [STALE]
    assert await count(session, Course) == 0


async def test_a_button_of_another_form_or_another_step_is_out_of_date(client, session, owner):
    await make_user(session, owner)
    await open_course_form(client, owner)
    step2 = await client.send(owner, "General English")
    await client.send(owner, "Grammar")  # at the price step now
    skip = await client.press(owner, step2.callback_data("⏭ Skip"), step2.message_id)
    assert [a.text for a in skip.answers] == [STALE]  # the description step's, not this one's
    other = await client.press(owner, FormCb(form="su", action="ok").pack(), step2.message_id)
    assert [a.text for a in other.answers] == [STALE]
    price = await client.send(owner, "900 000")
    assert "<b>Description:</b> Grammar" in price.text  # the skip changed nothing


async def test_an_older_summary_of_the_same_form_is_out_of_date(client, session, owner):
    """Two runs of one form: ✅ under the first summary must not save the second's answers."""
    await make_user(session, owner)
    first = await course_summary(client, owner, name="General English")
    second = await course_summary(client, owner, name="IELTS")
    old = await client.press(owner, first.callback_data("✅ Confirm"), first.message_id)
    assert [a.text for a in old.answers] == [STALE] and old.texts == []
    assert await count(session, Course) == 0
    cancel = await client.press(owner, first.callback_data("❌ Cancel"), first.message_id)
    assert [a.text for a in cancel.answers] == [STALE]
    saved = await client.press(owner, second.callback_data("✅ Confirm"), second.message_id)
    assert saved.answers[0].text == "✅ Saved."
    assert (await session.scalars(select(Course.name))).all() == ["IELTS"]


async def test_opening_a_form_closes_the_one_open(client, session, owner):
    await make_user(session, owner)
    summary = await course_summary(client, owner)
    home = await client.send(owner, "/support")
    await client.press(owner, home.callback_data("❓ Question"), home.message_id)
    stale = await client.press(owner, summary.callback_data("✅ Confirm"), summary.message_id)
    assert [a.text for a in stale.answers] == [STALE]
    sent = await client.send(owner, "Where is room 5, please?")
    assert "Where is room 5, please?" in sent.text
    assert await count(session, Course) == 0 and await count(session, SupportTicket) == 0


async def test_text_at_the_summary_points_to_its_buttons(client, session, owner):
    await make_user(session, owner)
    await course_summary(client, owner)
    typed = await client.send(owner, "yes")
    assert typed.text == (
        "ℹ️ Use the buttons under the summary above: ✅ Confirm, ✏️ Edit or ❌ Cancel."
    )


async def test_a_form_button_needs_the_forms_permission(
    client, session, owner, alice, dispatcher, bot
):
    """Alice is an admin without `academic`, somehow in the course form (say she lost the
    permission while in it): its buttons and answers are refused, as any handler's are."""
    await make_user(session, owner)
    await make_user(session, alice, roles=[Role.ADMIN], permissions=[Permission.PAYMENTS])
    key = StorageKey(bot_id=bot.id, chat_id=alice.id, user_id=alice.id)
    await dispatcher.storage.set_state(key, "course_form")
    form = {"name": "General English", "description": None, "price": 900_000}
    await dispatcher.storage.set_data(key, {"form": form, "step": "summary", "single": False})
    forged = await client.press(alice, FormCb(form="co", action="ok").pack())
    assert [a.text for a in forged.answers] == [REFUSED]
    typed = await client.send(alice, "Another name")
    assert typed.text == REFUSED
    assert await count(session, Course) == 0
    denied = await session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.outcome == "denied")
    )
    assert denied == 2


async def test_form_data_is_stored_as_json(client, session, owner, dispatcher, bot):
    await make_user(session, owner)
    await course_summary(client, owner)
    key = StorageKey(bot_id=bot.id, chat_id=owner.id, user_id=owner.id)
    stored = await dispatcher.storage.get_data(key)
    assert stored["step"] == "summary"
    assert stored["form"]["name"] == "General English"
    assert stored["form"]["price"] == 900_000
