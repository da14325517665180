"""Every command with garbage arguments, and odd texts, from every kind of user: no error,
and no row written (audit entries and usage counts aside)."""

import pytest
from sqlalchemy import func, select

from bot.commands import COMMANDS
from bot.i18n import use_language
from db.base import Base
from db.models import Permission, Role
from handlers.fallback import something_went_wrong
from tests.chat import Person
from tests.factories import make_user

ARGUMENTS = ["", "x", "0", "-1", "99999999999999999999", "<b>&amp;</b>", "ʻʼ‘`'", "a " * 300]
TEXTS = [" ", "hello", "/", "//", "/ start", "@", "🙂" * 50, "x" * 4000, "\u200b", "DELETE"]
MUTED_TABLES = {"audit_log", "usage_counts"}


async def row_counts(session) -> dict[str, int]:
    return {
        table.name: await session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
        if table.name not in MUTED_TABLES
    }


@pytest.mark.parametrize("roles", [[Role.ADMIN], [Role.TEACHER], [Role.STUDENT], [Role.PARENT], []])
async def test_garbage_changes_nothing(client, session, roles):
    person = Person(id=7_100_001, first_name="Fuzz", language_code="ru")
    permissions = list(Permission) if Role.ADMIN in roles else []
    await make_user(session, person, roles=roles, permissions=permissions, language="ru")
    before = await row_counts(session)

    messages = [f"/{spec.name} {argument}".strip() for spec in COMMANDS for argument in ARGUMENTS]
    messages += TEXTS
    with use_language("ru"):
        failure = something_went_wrong()
    for text in messages:
        reply = await client.send(person, text)
        assert failure not in reply.texts, text
        await client.send(person, "/cancel")  # leave any form the command opened

    session.expire_all()
    assert await row_counts(session) == before
