"""Users, their roles and admin permissions."""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, and_, bindparam, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AdminPermission, Consent, Permission, Role, RoleAssignment, User
from db.repositories.dialect import insert_for


async def get_by_telegram_id(session: AsyncSession, telegram_id: int) -> User | None:
    return await session.scalar(select(User).where(User.telegram_id == telegram_id))


@dataclass(frozen=True, slots=True)
class SenderRecord:
    user: User
    consent: Consent | None  # the newest consent event
    roles: frozenset[Role]
    permissions: frozenset[Permission]


def _sender_statement() -> Select:
    newest_consent = (
        select(Consent.id)
        .where(Consent.user_id == User.id)
        .order_by(Consent.at.desc(), Consent.id.desc())
        .limit(1)
        .correlate(User)
        .scalar_subquery()
    )
    roles = (
        select(func.aggregate_strings(RoleAssignment.role, ","))
        .where(RoleAssignment.user_id == User.id)
        .correlate(User)
        .scalar_subquery()
    )
    permissions = (
        select(func.aggregate_strings(AdminPermission.permission, ","))
        .where(AdminPermission.user_id == User.id)
        .correlate(User)
        .scalar_subquery()
    )
    return (
        select(User, Consent, roles, permissions)
        .outerjoin(Consent, Consent.id == newest_consent)
        .where(User.telegram_id == bindparam("telegram_id"))
    )


# Asked on every update, so built once: constructing a statement and its cache key cost
# more than running it.
_SENDER = _sender_statement()


async def get_sender(session: AsyncSession, telegram_id: int) -> SenderRecord | None:
    """The user, their newest consent event, roles and admin permissions in one round trip."""
    row = (await session.execute(_SENDER, {"telegram_id": telegram_id})).first()
    if row is None:
        return None
    user, consent, roles, permissions = row
    return SenderRecord(
        user,
        consent,
        frozenset(Role(role) for role in (roles or "").split(",") if role),
        frozenset(Permission(name) for name in (permissions or "").split(",") if name),
    )


async def insert_if_absent(session: AsyncSession, telegram_id: int, values: dict) -> None:
    """Insert a user unless another update created them a moment ago (concurrent first taps)."""
    insert = insert_for(session)
    statement = insert(User).values(telegram_id=telegram_id, **values)
    await session.execute(statement.on_conflict_do_nothing(index_elements=[User.telegram_id]))


async def roles_of(session: AsyncSession, user_id: int) -> frozenset[Role]:
    rows = await session.scalars(
        select(RoleAssignment.role).where(RoleAssignment.user_id == user_id)
    )
    return frozenset(Role(role) for role in rows)


async def permissions_of(session: AsyncSession, user_id: int) -> frozenset[Permission]:
    rows = await session.scalars(
        select(AdminPermission.permission).where(AdminPermission.user_id == user_id)
    )
    return frozenset(Permission(permission) for permission in rows)


async def add_role(session: AsyncSession, user_id: int, role: Role) -> None:
    session.add(RoleAssignment(user_id=user_id, role=role))


async def add_permissions(
    session: AsyncSession, user_id: int, permissions: Iterable[Permission]
) -> None:
    session.add_all(AdminPermission(user_id=user_id, permission=p) for p in permissions)


async def count_by_role(session: AsyncSession) -> dict[Role, int]:
    rows = await session.execute(
        select(RoleAssignment.role, func.count())
        .join(User, User.id == RoleAssignment.user_id)
        .where(User.deleted_at.is_(None))
        .group_by(RoleAssignment.role)
    )
    return {Role(role): count for role, count in rows}


async def count_users(session: AsyncSession) -> tuple[int, int]:
    """(all users, users who blocked the bot), deleted ones excluded."""
    row = (
        await session.execute(
            select(func.count(), func.count().filter(User.is_active.is_(False))).where(
                User.deleted_at.is_(None)
            )
        )
    ).one()
    return row[0], row[1]


async def staff_with_chats(session: AsyncSession) -> list[tuple[User, frozenset[Role]]]:
    """Admins and teachers who have a Telegram account, with their roles (for command menus)."""
    rows = await session.execute(
        select(User, RoleAssignment.role)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(
            User.telegram_id.is_not(None),
            User.deleted_at.is_(None),
            RoleAssignment.role.in_([Role.ADMIN, Role.TEACHER]),
        )
    )
    staff: dict[int, tuple[User, set[Role]]] = {}
    for user, role in rows:
        staff.setdefault(user.id, (user, set()))[1].add(Role(role))
    return [(user, frozenset(roles)) for user, roles in staff.values()]


async def staff_holding(
    session: AsyncSession, permission: Permission, owner_ids: Iterable[int]
) -> list[User]:
    """Admins holding `permission`, and the owners (who may have no role rows), as long as
    they have a Telegram account, are not erased and have not blocked the bot."""
    is_admin = exists().where(RoleAssignment.user_id == User.id, RoleAssignment.role == Role.ADMIN)
    may_handle = exists().where(
        AdminPermission.user_id == User.id, AdminPermission.permission == permission
    )
    owners = tuple(owner_ids)
    rows = await session.scalars(
        select(User)
        .where(
            User.telegram_id.is_not(None),
            User.deleted_at.is_(None),
            User.is_active.is_(True),
            or_(and_(is_admin, may_handle), User.telegram_id.in_(owners)),
        )
        .order_by(User.id)
    )
    return list(rows)


# --- the owners' monthly digest ----------------------------------------------------------


async def owners_wanting_digest(session: AsyncSession, owner_ids: Iterable[int]) -> list[int]:
    """The user ids of the owners (by Telegram id) who keep the monthly digest on."""
    owners = tuple(owner_ids)
    if not owners:
        return []
    rows = await session.scalars(
        select(User.id)
        .where(User.telegram_id.in_(owners), User.monthly_digest.is_(True))
        .order_by(User.id)
    )
    return list(rows)


async def digest_wanted(session: AsyncSession, user_id: int) -> bool:
    return bool(await session.scalar(select(User.monthly_digest).where(User.id == user_id)))


async def set_digest_wanted(session: AsyncSession, user_id: int, wanted: bool) -> None:
    await session.execute(update(User).where(User.id == user_id).values(monthly_digest=wanted))
