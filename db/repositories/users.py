"""Users, their roles and admin permissions."""

from collections.abc import Iterable

from sqlalchemy import and_, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AdminPermission, Consent, Permission, Role, RoleAssignment, User
from db.repositories.dialect import insert_for


async def get_by_telegram_id(session: AsyncSession, telegram_id: int) -> User | None:
    return await session.scalar(select(User).where(User.telegram_id == telegram_id))


async def get_with_latest_consent(
    session: AsyncSession, telegram_id: int
) -> tuple[User, Consent | None] | None:
    """The user and their newest consent event, in one round trip (asked on every update)."""
    newest = (
        select(Consent.id)
        .where(Consent.user_id == User.id)
        .order_by(Consent.at.desc(), Consent.id.desc())
        .limit(1)
        .correlate(User)
        .scalar_subquery()
    )
    row = (
        await session.execute(
            select(User, Consent)
            .outerjoin(Consent, Consent.id == newest)
            .where(User.telegram_id == telegram_id)
        )
    ).first()
    return (row[0], row[1]) if row else None


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


async def rights_of(
    session: AsyncSession, user_id: int
) -> tuple[frozenset[Role], frozenset[Permission]]:
    """Roles and admin permissions in one round trip (asked on every update)."""
    rows = await session.execute(
        select(literal("role"), RoleAssignment.role)
        .where(RoleAssignment.user_id == user_id)
        .union_all(
            select(literal("permission"), AdminPermission.permission).where(
                AdminPermission.user_id == user_id
            )
        )
    )
    roles, permissions = set(), set()
    for kind, value in rows:
        if kind == "role":
            roles.add(Role(value))
        else:
            permissions.add(Permission(value))
    return frozenset(roles), frozenset(permissions)


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
