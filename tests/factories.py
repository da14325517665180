"""Users with roles and permissions, written straight to the database."""

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.consent import Choices
from db.base import utcnow
from db.models import (
    AdminPermission,
    Consent,
    ConsentEvent,
    Permission,
    Role,
    RoleAssignment,
    User,
)
from tests.chat import Person


async def make_user(
    session: AsyncSession,
    person: Person | None = None,
    *,
    roles: Iterable[Role] = (),
    permissions: Iterable[Permission] = (),
    language: str = "en",
    full_name: str | None = None,
    consent: str | None = "1",
    choices: Choices | None = None,
) -> User:
    """A user; with `consent` (a policy version) they have accepted it, all categories on."""
    user = User(
        telegram_id=person.id if person else None,
        full_name=full_name or (person.first_name if person else "Registered Student"),
        language=language,
        created_at=utcnow(),
    )
    session.add(user)
    await session.flush()
    session.add_all(RoleAssignment(user_id=user.id, role=role) for role in roles)
    session.add_all(AdminPermission(user_id=user.id, permission=p) for p in permissions)
    if consent is not None:
        choices = choices or Choices()
        session.add(
            Consent(
                user_id=user.id,
                event=ConsentEvent.ACCEPTED,
                policy_version=consent,
                at=utcnow(),
                reminders=choices.reminders,
                announcements=choices.announcements,
                analytics=choices.analytics,
            )
        )
    await session.commit()
    return user
