"""Users with roles and permissions, written straight to the database."""

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from db.base import utcnow
from db.models import AdminPermission, Permission, Role, RoleAssignment, User
from tests.chat import Person


async def make_user(
    session: AsyncSession,
    person: Person | None = None,
    *,
    roles: Iterable[Role] = (),
    permissions: Iterable[Permission] = (),
    language: str = "en",
    full_name: str | None = None,
) -> User:
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
    await session.commit()
    return user
