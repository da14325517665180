"""Usage counts exist only for users who allow analytics (POLICY 3, 12)."""

from sqlalchemy import select

from bot.services.consent import Choices
from db.models import Role, UsageCount
from tests.chat import Person
from tests.factories import make_user


async def counts(session) -> dict[tuple[str, str], int]:
    rows = (await session.scalars(select(UsageCount))).all()
    return {(row.command, row.role): row.count for row in rows}


async def test_commands_are_counted_per_day_and_role_with_consent(client, session, alice):
    await make_user(session, alice, roles=[Role.STUDENT])
    for text in ("/help", "/help", "/settings", "/frobnicate", "hello"):
        await client.send(alice, text)
    assert await counts(session) == {("help", "student"): 2, ("settings", "student"): 1}


async def test_nothing_is_counted_without_the_analytics_consent(client, session, alice):
    bob = Person(id=3_000_001, first_name="Bob")
    await make_user(session, alice, choices=Choices(analytics=False))
    await client.send(alice, "/help")
    await client.send(bob, "/help")  # never accepted the policy
    assert await counts(session) == {}
