"""Staff rights: making someone an administrator (with chosen permissions) or a teacher,
changing an administrator's permissions, taking a role away.

Who may do it: the owner, or an administrator with the `users` permission (the router
checks that). The rules here:

* an owner (their Telegram id is in the settings) holds every right whatever the
  database says, so their administrator rights cannot be changed or taken away here;
* an administrator who is not an owner cannot change their own administrator rights
  (nobody promotes or locks out themselves), and can grant or take away only the
  permissions they hold themselves (no one hands out more than they have);
* every change is audited in the same transaction, and holds from the person's next
  update (roles and permissions are loaded per update).
"""

from dataclasses import dataclass
from enum import StrEnum
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.access import Actor
from bot.services.paging import fetch_page
from db.models import Permission, Role, User
from db.repositories import people as repo
from db.repositories import users as users_repo

PERMISSION_ORDER = tuple(Permission)


class Outcome(StrEnum):
    DONE = "done"
    UNCHANGED = "unchanged"
    MISSING = "missing"
    OWNER = "owner"
    SELF = "self"
    NOT_HELD = "not_held"


@dataclass(frozen=True, slots=True)
class Change:
    outcome: Outcome
    # The person changed, for their command menu and a notice (None unless DONE).
    telegram_id: int | None = None
    language: str = "uz"
    roles: frozenset[Role] = frozenset()
    granted: tuple[Permission, ...] = ()
    revoked: tuple[Permission, ...] = ()


def bits_of(permissions: frozenset[Permission] | set[Permission]) -> str:
    """`1010000`: a choice of permissions compact enough for callback data."""
    return "".join("1" if p in permissions else "0" for p in PERMISSION_ORDER)


def from_bits(bits: str) -> frozenset[Permission]:
    if len(bits) != len(PERMISSION_ORDER) or set(bits) - {"0", "1"}:
        raise ValueError("not a choice of permissions")
    return frozenset(p for p, bit in zip(PERMISSION_ORDER, bits, strict=True) if bit == "1")


def grantable(actor: Actor) -> frozenset[Permission]:
    """The permissions this actor may hand out or take away."""
    if actor.is_owner:
        return frozenset(Permission)
    return actor.permissions if Role.ADMIN in actor.roles else frozenset()


def _ordered(permissions: set[Permission] | frozenset[Permission]) -> tuple[Permission, ...]:
    return tuple(p for p in PERMISSION_ORDER if p in permissions)


async def target(session: AsyncSession, user_id: int) -> User | None:
    """The person whose roles or rights are edited, if still here."""
    return await repo.live_user(session, user_id)


async def _done(
    session: AsyncSession,
    actor: Actor,
    user_id: int,
    owner_ids: tuple[int, ...],
    action: str,
    details: dict | None = None,
    **kw,
) -> Change:
    """The change is audited and committed; what the person holds now (for their menu)."""
    await audit.record(session, actor.user_id, action, "user", user_id, details=details)
    await session.commit()
    user = await repo.live_user(session, user_id)
    assert user is not None
    roles = await users_repo.roles_of(session, user_id)
    if user.telegram_id in owner_ids:
        roles = roles | {Role.ADMIN}
    return Change(Outcome.DONE, user.telegram_id, user.language, roles, **kw)


async def set_admin(
    session: AsyncSession,
    actor: Actor,
    target_id: int,
    permissions: frozenset[Permission],
    owner_ids: tuple[int, ...],
) -> Change:
    """Make `target_id` an administrator holding exactly `permissions` (or change them)."""
    target = await repo.live_user(session, target_id)
    if target is None:
        return Change(Outcome.MISSING)
    if target.telegram_id in owner_ids:
        return Change(Outcome.OWNER)
    if target_id == actor.user_id and not actor.is_owner:
        return Change(Outcome.SELF)
    was_admin = await repo.has_role(session, target_id, Role.ADMIN)
    current = await users_repo.permissions_of(session, target_id) if was_admin else frozenset()
    if (current ^ permissions) - grantable(actor):
        return Change(Outcome.NOT_HELD)
    if was_admin and current == permissions:
        return Change(Outcome.UNCHANGED)
    if not was_admin:
        await users_repo.add_role(session, target_id, Role.ADMIN)
    await repo.set_permissions(session, target_id, _ordered(permissions))
    granted, revoked = _ordered(permissions - current), _ordered(current - permissions)
    return await _done(
        session,
        actor,
        target_id,
        owner_ids,
        "staff.admin_granted" if not was_admin else "staff.permissions",
        {"granted": list(granted), "revoked": list(revoked)},
        granted=granted,
        revoked=revoked,
    )


async def make_teacher(
    session: AsyncSession, actor: Actor, target_id: int, owner_ids: tuple[int, ...]
) -> Change:
    if await repo.live_user(session, target_id) is None:
        return Change(Outcome.MISSING)
    if await repo.has_role(session, target_id, Role.TEACHER):
        return Change(Outcome.UNCHANGED)
    await users_repo.add_role(session, target_id, Role.TEACHER)
    return await _done(session, actor, target_id, owner_ids, "staff.teacher_granted")


async def remove_role(
    session: AsyncSession, actor: Actor, target_id: int, role: Role, owner_ids: tuple[int, ...]
) -> Change:
    """Take the administrator (with every permission) or the teacher role away."""
    if role not in (Role.ADMIN, Role.TEACHER):
        raise ValueError("only staff roles are taken away here")
    target = await repo.live_user(session, target_id)
    if target is None:
        return Change(Outcome.MISSING)
    if role is Role.ADMIN:
        if target.telegram_id in owner_ids:
            return Change(Outcome.OWNER)
        if target_id == actor.user_id and not actor.is_owner:
            return Change(Outcome.SELF)
    if not await repo.has_role(session, target_id, role):
        return Change(Outcome.UNCHANGED)
    revoked: tuple[Permission, ...] = ()
    if role is Role.ADMIN:
        held = await users_repo.permissions_of(session, target_id)
        if held - grantable(actor):
            return Change(Outcome.NOT_HELD)
        revoked = _ordered(held)
        await repo.set_permissions(session, target_id, ())
    await repo.remove_role(session, target_id, role)
    details = {"role": role.value, "revoked": list(revoked)}
    return await _done(
        session, actor, target_id, owner_ids, "staff.role_removed", details, revoked=revoked
    )


@dataclass(frozen=True, slots=True)
class StaffPage:
    items: list[tuple[int, str | None, frozenset[Role]]]
    page: int
    pages: int
    total: int


async def staff_page(session: AsyncSession, page: int, size: int = 10) -> StaffPage:
    found = await fetch_page(partial(repo.staff_page, session), page, size)
    roles = await repo.roles_by_user(session, [user.id for user in found.items])
    return StaffPage(
        items=[
            (user.id, user.full_name, frozenset(Role(r) for r in roles.get(user.id, ())))
            for user in found.items
        ],
        page=found.page,
        pages=found.pages,
        total=found.total,
    )
