"""Every button prefix, fed forged and malformed data by every kind of user: each press is
answered exactly once, nothing raises, and nothing is written but `denied` audit entries."""

import importlib
import pkgutil
import random

import pytest
from aiogram.filters.callback_data import CallbackData
from sqlalchemy import func, select

import keyboards
from bot.i18n import use_language
from db.base import Base
from db.models import AuditEntry, Permission, Role
from handlers.fallback import something_went_wrong
from tests.chat import Person
from tests.factories import make_user

JUNK = ["", "1", "0", "-1", "999999", "x", "1:2", "1:2:3:4:5:6", "a" * 50, "ʻ", "%s", "<b>"]


def callback_prefixes() -> list[str]:
    for module in pkgutil.iter_modules(keyboards.__path__):
        importlib.import_module(f"keyboards.{module.name}")
    found, queue = set(), list(CallbackData.__subclasses__())
    while queue:
        cls = queue.pop()
        queue.extend(cls.__subclasses__())
        prefix = getattr(cls, "__prefix__", None)
        if prefix:
            found.add(prefix)
    return sorted(found)


def forged_data(prefix: str, rng: random.Random) -> list[str]:
    shapes = [f"{prefix}:{junk}" for junk in JUNK]
    shapes += [
        ":".join([prefix, *(rng.choice(JUNK[:8]) for _ in range(rng.randint(1, 6)))])
        for _ in range(6)
    ]
    return [data for data in shapes if len(data.encode()) <= 64]


async def row_counts(session) -> dict[str, int]:
    counts = {}
    for table in Base.metadata.sorted_tables:
        if table.name != "audit_log":
            counts[table.name] = await session.scalar(select(func.count()).select_from(table))
    return counts


@pytest.mark.parametrize("kind", ["owner", "student", "member"])
async def test_forged_buttons_are_answered_once_and_change_nothing(client, session, kind):
    person = Person(id=7_000_001, first_name="Fuzz", language_code="en")
    roles = {"owner": [Role.ADMIN], "student": [Role.STUDENT], "member": []}[kind]
    permissions = list(Permission) if kind == "owner" else []
    await make_user(session, person, roles=roles, permissions=permissions)
    before = await row_counts(session)
    rng = random.Random(kind)
    prefixes = callback_prefixes()
    assert len(prefixes) >= 15  # the test really covers the bot's keyboards

    with use_language("en"):
        failure = something_went_wrong()
    for prefix in prefixes:
        for data in forged_data(prefix, rng):
            reply = await client.press(person, data)
            assert len(reply.answers) == 1, data
            assert reply.answers[0].text != failure, data

    session.expire_all()
    assert await row_counts(session) == before
    outcomes = set(await session.scalars(select(AuditEntry.outcome).distinct()))
    assert outcomes <= {"denied"}
