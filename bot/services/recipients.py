"""Who may be sent a message the bot starts itself: consent-aware, without aiogram."""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import consent as consent_service
from bot.services.consent import Category
from db.models import Permission, User
from db.repositories import users as users_repo


@dataclass(frozen=True, slots=True)
class Recipient:
    user_id: int
    telegram_id: int
    language: str


async def recipients(
    session: AsyncSession, user_ids: Iterable[int], category: Category, policy_version: str
) -> list[Recipient]:
    """The users among `user_ids` who may get a message of `category` now.

    Users who blocked the bot (inactive) or were erased are left out until they write
    to it again. A few queries whatever the number of users (a broadcast asks for
    thousands).
    """
    ids = sorted(set(user_ids))
    users = []
    for start in range(0, len(ids), consent_service.IDS_PER_QUERY):
        chunk = ids[start : start + consent_service.IDS_PER_QUERY]
        users += await session.scalars(
            select(User).where(
                User.id.in_(chunk),
                User.is_active.is_(True),
                User.telegram_id.is_not(None),
                User.deleted_at.is_(None),
            )
        )
    states = await consent_service.current_many(session, [user.id for user in users])
    allowed = []
    for user in sorted(users, key=lambda user: user.id):
        if consent_service.permits(states.get(user.id), category, policy_version):
            assert user.telegram_id is not None
            allowed.append(Recipient(user.id, user.telegram_id, user.language))
    return allowed


async def staff_recipients(
    session: AsyncSession,
    permission: Permission,
    owner_ids: Iterable[int],
    *,
    exclude_user_id: int | None = None,
) -> list[Recipient]:
    """Admins holding `permission` and the owners who can be reached and hold consent."""
    staff = await users_repo.staff_holding(session, permission, owner_ids)
    chosen = []
    for user in staff:
        if user.id == exclude_user_id or await consent_service.current(session, user.id) is None:
            continue
        assert user.telegram_id is not None
        chosen.append(Recipient(user.id, user.telegram_id, user.language))
    return chosen
