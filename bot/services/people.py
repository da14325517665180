"""Counts of the centre's people, for the admin panel."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Role
from db.repositories import users as users_repo


@dataclass(frozen=True, slots=True)
class CentreOverview:
    users: int
    blocked: int
    by_role: dict[Role, int]


async def centre_overview(session: AsyncSession) -> CentreOverview:
    users, blocked = await users_repo.count_users(session)
    by_role = await users_repo.count_by_role(session)
    return CentreOverview(users=users, blocked=blocked, by_role=by_role)
