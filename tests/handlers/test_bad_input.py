"""Input PostgreSQL cannot take: ids beyond an INTEGER column in button data, and NUL bytes
in free text. Each gets the standard refusal and changes nothing (run on PostgreSQL too:
before the fix both raised DBAPIError there, answered as "something went wrong")."""

import importlib
import pkgutil
from datetime import UTC, datetime

import pytest
from aiogram.filters.callback_data import CallbackData
from aiogram.types import Message, PhotoSize, Update
from sqlalchemy import func, select

import keyboards
from bot.i18n import use_language
from bot.middlewares.nul_bytes import nul_refusal_text
from db.base import Base
from db.ids import ID_MAX
from db.models import (
    AuditEntry,
    Broadcast,
    Role,
    User,
)
from keyboards.privacy import ConsentCb, SettingsCb
from tests.chat import Person
from tests.factories import (
    link_parent,
    make_course,
    make_enrolment,
    make_group,
    make_lesson,
    make_user,
)

STALE = "⚠️ This button is out of date. Open the menu again."
BEYOND = 2**40  # beyond INTEGER (int4), well inside BIGINT

TEACHER = Person(id=3_100_001, first_name="Teacher", language_code="en")
STUDENT = Person(id=3_100_002, first_name="Student", language_code="en")
PARENT = Person(id=3_100_003, first_name="Parent", language_code="en")


def nul_refusal() -> str:
    with use_language("en"):
        return nul_refusal_text()


async def row_counts(session) -> dict[str, int]:
    return {
        table.name: await session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    }


def keyboard_classes() -> list[type[CallbackData]]:
    for module in pkgutil.iter_modules(keyboards.__path__):
        importlib.import_module(f"keyboards.{module.name}")
    found, queue = [], list(CallbackData.__subclasses__())
    while queue:
        cls = queue.pop()
        queue.extend(cls.__subclasses__())
        if cls.__module__.startswith("keyboards."):
            found.append(cls)
    return found


def test_every_number_in_button_data_is_bounded_by_an_integer_column():
    classes = keyboard_classes()
    assert len(classes) >= 25
    for cls in classes:
        for name, info in cls.model_fields.items():
            if info.annotation is not int:
                continue
            bounds = {type(m).__name__: m for m in info.metadata}
            assert bounds["Ge"].ge == 0 and bounds["Le"].le == ID_MAX, (cls.__name__, name)


async def centre(session, owner) -> dict[str, int]:
    """A course, a group with a lesson, its teacher, a student and a parent."""
    await make_user(session, owner)
    teacher = await make_user(session, TEACHER, roles=[Role.TEACHER])
    student = await make_user(session, STUDENT, roles=[Role.STUDENT])
    parent = await make_user(session, PARENT, roles=[Role.PARENT])
    course = await make_course(session, "English", monthly_price=400_000, commit=False)
    group = await make_group(session, "A1", course=course, teacher_id=teacher.id, commit=False)
    lesson = await make_lesson(session, group, datetime.now(UTC), commit=False)
    await make_enrolment(session, student, group, commit=False)
    await link_parent(session, parent, student)
    return {"course": course.id, "group": group.id, "lesson": lesson.id, "student": student.id}


async def test_forged_ids_beyond_an_integer_column_get_the_stale_button_answer(
    client, session, owner
):
    ids = await centre(session, owner)
    big = BEYOND
    presses = [
        (owner, f"pp:card:{big}:0:0"),
        (owner, f"fm:pay:pick:student:{big}"),
        (owner, f"rd:{big}"),
        (owner, f"co:card:{big}:1:"),
        (owner, f"gr:card:{big}:1:"),
        (owner, f"en:card:{big}:{ids['group']}:0:1:"),
        (owner, f"tk:card:{big}:1:"),
        (owner, f"au:1::{big}:list"),
        (owner, f"bc:card:{big}:1:"),
        (owner, "pp:card:-5:0:0"),
        (TEACHER, f"at:open:{big}:0"),
        (TEACHER, f"at:tap:{ids['lesson']}:{big}"),
        (TEACHER, f"tg:start:{big}:"),
        (TEACHER, f"hw:start:{big}"),
        (PARENT, f"pc:card:{big}::0"),
        (PARENT, f"md:child:{big}"),
        (STUDENT, f"sv:file:{big}"),
        (STUDENT, f"py:{big}"),
    ]
    before = await row_counts(session)
    answered = {}
    for person, data in presses:
        reply = await client.press(person, data)
        answered[data] = ([answer.text for answer in reply.answers], reply.texts)
    assert answered == {data: ([STALE], []) for _person, data in presses}
    session.expire_all()
    assert await row_counts(session) == before  # no audit entry either: nothing was tried


async def test_a_nul_in_a_people_search_is_refused_and_the_search_goes_on(client, session, owner):
    await make_user(session, owner)
    await make_user(session, None, roles=[Role.STUDENT], full_name="Gulnora Karimova", consent=None)
    await client.send(owner, "/people")
    before = await row_counts(session)

    refused = await client.send(owner, "Gul\x00nora")
    assert refused.texts == [nul_refusal()]
    session.expire_all()
    assert await row_counts(session) == before

    found = await client.send(owner, "gulnora")  # still in the search
    assert found.text.startswith("🔎 <b>Found: 1</b>")


async def test_a_nul_in_a_broadcast_text_or_caption_is_refused_and_nothing_is_stored(
    client, session, owner
):
    await make_user(session, owner)
    first = await client.send(owner, "/broadcast")
    assert "Step 1/4" in first.text
    before = await row_counts(session)

    refused = await client.send(owner, "Hello\x00, all!")
    assert refused.texts == [nul_refusal()]
    photo = [PhotoSize(file_id="p1", file_unique_id="u1", width=1, height=1)]
    captioned = await client.send(owner, None, photo=photo, caption="Look\x00")
    assert captioned.texts == [nul_refusal()]
    session.expire_all()
    assert await row_counts(session) == before
    assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0

    step = await client.send(owner, "Hello, all!")  # the form still waits for the message
    assert "Step 2/4 — who gets it?" in step.text


async def test_a_nul_in_button_data_is_a_forged_button(client, session, alice):
    """Even where the handler would ignore the field that carries it (withdrawing consent
    reads no value): data with a NUL is never a button the bot made."""
    await make_user(session, alice)
    before = await row_counts(session)
    forged = SettingsCb(action="withdraw_yes", value="1").pack().replace("1", "\x00")
    reply = await client.press(alice, forged)
    assert [answer.text for answer in reply.answers] == [STALE]
    session.expire_all()
    assert await row_counts(session) == before


async def test_a_nul_in_an_edited_message_is_dropped(client, session, owner):
    await make_user(session, owner)
    await client.send(owner, "/people")
    before = await row_counts(session)
    edited = Update(
        update_id=9_100_001,
        edited_message=Message(
            message_id=9_100_002,
            date=datetime.now(UTC),
            edit_date=int(datetime.now(UTC).timestamp()),
            chat=owner.chat(),
            from_user=owner.as_user(),
            text="Gul\x00",
        ),
    )
    reply = await client.feed(edited)
    assert reply.calls == []
    session.expire_all()
    assert await row_counts(session) == before


@pytest.mark.parametrize("where", ["first_name", "last_name", "username"])
async def test_a_nul_in_a_telegram_name_is_left_out_when_stored(client, session, where):
    names = {"first_name": "Ali", "last_name": "Valiyev", "username": "ali_v"}
    names[where] = names[where][:2] + "\x00" + names[where][2:]
    person = Person(id=3_100_010, language_code="en", **names)
    user = await make_user(session, person, full_name="Stored")
    user.full_name = None  # the loader takes the Telegram name while none is stored
    await session.commit()

    reply = await client.send(person, "/help")
    assert reply.texts and "\x00" not in reply.text
    stored = await session.get(User, user.id, populate_existing=True)
    assert stored.full_name == "Ali Valiyev" and stored.username == "ali_v"


async def test_a_nul_in_a_telegram_name_is_left_out_at_consent(client, session):
    person = Person(id=3_100_011, first_name="Ze\x00bo", language_code="en")
    user = await make_user(session, person, full_name="Stored", consent=None)
    user.full_name = None
    await session.commit()
    reply = await client.press(person, ConsentCb(action="accept", value="111").pack())
    assert reply.answers[0].text == "✅ Thank you!"
    stored = await session.get(User, user.id, populate_existing=True)
    assert stored.full_name == "Zebo"
    outcomes = set(await session.scalars(select(AuditEntry.outcome).distinct()))
    assert "error" not in outcomes


async def test_an_escaped_nul_is_ordinary_text(client, session, owner):
    """The guard refuses the NUL character only, not text that merely spells it."""
    await make_user(session, owner)
    await client.send(owner, "/people")
    reply = await client.send(owner, "\\u0000 \\x00")
    assert reply.text.startswith("🔎 Nobody found for «\\u0000 \\x00».")


# --- ids typed in commands (a lesson id in a button's free field: test_grades_homework.py) ------


async def test_audit_filter_by_an_id_no_column_holds_gets_the_usage(client, session, owner):
    await make_user(session, owner)
    for reference in ("#2147483648", "#-1", "#99999999999999999999", "99999999999999999999"):
        reply = await client.send(owner, f"/audit user {reference}")
        assert reply.text.startswith("⚠️ Use /audit"), reference
