"""One-time invitation links `https://t.me/<bot>?start=<code>`.

An invite gives its opener a place at the centre:

* **student** — binds the opener's Telegram account to a student the staff registered;
* **parent** — links the opener to a child as a parent (or, when the staff registered
  that parent already, binds the account to that registered parent);
* **teacher** / **admin** — gives the role (an admin invite also its permissions); when
  made for a registered person it binds the account to them as well.

The code is `secrets.token_urlsafe(24)` (32 URL-safe characters, what a `start`
parameter allows); only its sha256 is stored, so a leaked database opens nothing. An
invite expires (7 days by default), can be revoked, and is used once: the claim is a
conditional UPDATE, so two openings at once cannot both succeed.

Binding merges two rows of one person. The opener already has a users row (made on
their first message, holding their Telegram id, language and consent); the registered
row holds the name, phone, role, groups. In ONE transaction the opener's own records
(consents, tickets, leads, audit entries…) move to the registered row, the Telegram id is
cleared on the old row (flushed first: the column is unique) and set on the registered
one, and the old row is deleted. An opener who already holds a role or a family link is
somebody else at the centre: that is refused, and nothing changes.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.access import Actor
from bot.services.people import registrable_child
from bot.services.staff import grantable
from db.models import AdminPermission, Invite, InviteKind, ParentLink, Permission, Role, User
from db.repositories import people as repo
from db.repositories import users as users_repo

INVITE_TTL = timedelta(days=7)
CODE_BYTES = 24  # → 32 characters
PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # what Telegram passes as a start parameter

KIND_ROLE = {
    InviteKind.STUDENT: Role.STUDENT,
    InviteKind.PARENT: Role.PARENT,
    InviteKind.TEACHER: Role.TEACHER,
    InviteKind.ADMIN: Role.ADMIN,
}


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


def binding_kind(roles: frozenset[Role], has_child: bool) -> InviteKind | None:
    """The kind of invite that binds a registered person holding `roles`."""
    if Role.STUDENT in roles:
        return InviteKind.STUDENT
    if Role.PARENT in roles and has_child:
        return InviteKind.PARENT
    if Role.TEACHER in roles:
        return InviteKind.TEACHER
    if Role.ADMIN in roles:
        return InviteKind.ADMIN
    return None


# --- creating and revoking ----------------------------------------------------------------


class Made(StrEnum):
    DONE = "done"
    MISSING = "missing"  # the person or child is gone, or is not what the invite needs
    BOUND = "bound"  # the person already has a Telegram account
    NOT_HELD = "not_held"  # permissions the actor may not grant


@dataclass(frozen=True, slots=True)
class Created:
    outcome: Made
    code: str | None = None
    invite_id: int | None = None
    kind: InviteKind | None = None
    expires_at: datetime | None = None
    name: str | None = None  # the registered person it binds
    child_name: str | None = None
    permissions: tuple[Permission, ...] = ()


async def create(
    session: AsyncSession,
    actor: Actor,
    kind: InviteKind,
    *,
    now: datetime,
    user_id: int | None = None,
    student_id: int | None = None,
    permissions: frozenset[Permission] = frozenset(),
    ttl: timedelta = INVITE_TTL,
) -> Created:
    """A new invite; the code is returned once and never stored."""
    name = child_name = None
    if user_id is not None:
        person = await repo.live_user(session, user_id)
        if person is None:
            return Created(Made.MISSING)
        if person.telegram_id is not None:
            return Created(Made.BOUND)
        name = person.full_name
    elif kind is InviteKind.STUDENT:
        return Created(Made.MISSING)
    if kind is InviteKind.PARENT:
        child = await registrable_child(session, student_id) if student_id else None
        if child is None:
            return Created(Made.MISSING)
        if user_id is not None and not await repo.is_linked(session, user_id, child.id):
            return Created(Made.MISSING)
        child_name = child.full_name
    else:
        student_id = None
    if kind is InviteKind.STUDENT and not await repo.has_role(session, user_id, Role.STUDENT):
        return Created(Made.MISSING)
    if kind is not InviteKind.ADMIN:
        permissions = frozenset()
    if permissions - grantable(actor):
        return Created(Made.NOT_HELD)
    ordered = tuple(p for p in Permission if p in permissions)
    if user_id is not None:
        # A new link for the same person replaces the one that may have been lost.
        await repo.revoke_open_invites(session, kind, user_id, now)
    code = new_code()
    invite = Invite(
        code_hash=hash_code(code),
        kind=kind,
        user_id=user_id,
        student_id=student_id,
        permissions=[p.value for p in ordered] if kind is InviteKind.ADMIN else None,
        created_by_id=actor.user_id,
        expires_at=now + ttl,
        created_at=now,
    )
    session.add(invite)
    await session.flush()
    await audit.record(
        session,
        actor.user_id,
        "invite.create",
        "invite",
        invite.id,
        details={
            "kind": kind.value,
            "user": user_id,
            "student": student_id,
            "permissions": [p.value for p in ordered],
        },
    )
    await session.commit()
    return Created(
        Made.DONE,
        code=code,
        invite_id=invite.id,
        kind=kind,
        expires_at=invite.expires_at,
        name=name,
        child_name=child_name,
        permissions=ordered,
    )


class Revoked(StrEnum):
    DONE = "done"
    ALREADY = "already"
    USED = "used"
    MISSING = "missing"


async def revoke(session: AsyncSession, actor_id: int, invite_id: int, now: datetime) -> Revoked:
    invite = await session.get(Invite, invite_id)
    if invite is None:
        return Revoked.MISSING
    if invite.used_at is not None:
        return Revoked.USED
    if invite.revoked_at is not None:
        return Revoked.ALREADY
    invite.revoked_at = now
    await audit.record(
        session, actor_id, "invite.revoke", "invite", invite_id, details={"kind": invite.kind}
    )
    await session.commit()
    return Revoked.DONE


# --- opening a link -----------------------------------------------------------------------


class Opened(StrEnum):
    DONE = "done"
    INVALID = "invalid"  # mistyped, unknown, or its person is gone
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"
    TAKEN = "taken"  # the registered person is bound to another Telegram account
    CONFLICT = "conflict"  # the opener is already someone else at the centre
    SELF = "self"  # a child opening a parent invite for themselves


@dataclass(frozen=True, slots=True)
class Redemption:
    outcome: Opened
    kind: InviteKind | None = None
    user_id: int | None = None  # the opener's row after the binding
    full_name: str | None = None
    child_name: str | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    permissions: tuple[Permission, ...] = ()
    creator_id: int | None = None
    merged: bool = False


async def _claimable(session: AsyncSession, code: str, now: datetime) -> Invite | Opened:
    if not PAYLOAD.match(code):
        return Opened.INVALID
    invite = await repo.invite_by_hash(session, hash_code(code))
    if invite is None:
        return Opened.INVALID
    if invite.revoked_at is not None:
        return Opened.REVOKED
    if invite.used_at is not None:
        return Opened.USED
    if invite.expires_at <= now:
        return Opened.EXPIRED
    return invite


async def _merge(session: AsyncSession, opener: User, target: User) -> None:
    """Make `target` (registered by the staff) the opener's row; the opener's row goes."""
    telegram_id = opener.telegram_id
    await repo.move_records(session, opener.id, target.id)
    await audit.move_actor(session, opener.id, target.id)
    target.language = opener.language
    target.username = opener.username
    target.last_seen_at = opener.last_seen_at
    target.is_active = True
    target.phone = target.phone or opener.phone
    target.email = target.email or opener.email
    opener.telegram_id = None
    await session.flush()  # the Telegram id is unique: free it before it moves
    target.telegram_id = telegram_id
    await session.flush()
    await session.delete(opener)
    await session.flush()


async def _grant(
    session: AsyncSession, invite: Invite, person_id: int, child_id: int | None
) -> tuple[Permission, ...]:
    role = KIND_ROLE[InviteKind(invite.kind)]
    if not await repo.has_role(session, person_id, role):
        await users_repo.add_role(session, person_id, role)
    if child_id is not None and not await repo.is_linked(session, person_id, child_id):
        session.add(ParentLink(parent_id=person_id, student_id=child_id))
    granted: tuple[Permission, ...] = ()
    if invite.kind == InviteKind.ADMIN and invite.permissions:
        held = await users_repo.permissions_of(session, person_id)
        granted = tuple(Permission(p) for p in invite.permissions if Permission(p) not in held)
        session.add_all(AdminPermission(user_id=person_id, permission=p) for p in granted)
    return granted


async def redeem(session: AsyncSession, opener_id: int, code: str, now: datetime) -> Redemption:
    """Carry out the invite `code` for the user `opener_id` (who has accepted the policy).

    Any refusal leaves the database as it was.
    """
    found = await _claimable(session, code, now)
    if isinstance(found, Opened):
        return Redemption(found)
    invite = found
    kind = InviteKind(invite.kind)
    opener = await repo.live_user(session, opener_id)
    if opener is None:
        return Redemption(Opened.INVALID)
    person, merge_from = opener, None
    if invite.user_id is not None:
        target = await repo.live_user(session, invite.user_id)
        if target is None:
            return Redemption(Opened.INVALID)
        if target.id != opener.id:
            if target.telegram_id is not None:
                return Redemption(Opened.TAKEN)
            if await users_repo.roles_of(session, opener.id) or await repo.has_links(
                session, opener.id
            ):
                return Redemption(Opened.CONFLICT)
            person, merge_from = target, opener
    child = None
    if kind is InviteKind.PARENT:
        child = await registrable_child(session, invite.student_id) if invite.student_id else None
        if child is None:
            return Redemption(Opened.INVALID)
        if child.id == person.id:
            return Redemption(Opened.SELF)
    if not await repo.claim_invite(session, invite.id, now):
        await session.rollback()
        return Redemption(Opened.USED)
    if merge_from is not None:
        await _merge(session, merge_from, person)
    granted = await _grant(session, invite, person.id, child.id if child else None)
    invite.used_by_id = person.id
    invite.used_at = now
    await audit.record(
        session,
        person.id,
        "invite.redeem",
        "invite",
        invite.id,
        details={
            "kind": kind.value,
            **({"merged_from": merge_from.id} if merge_from is not None else {}),
            **({"student": child.id} if child else {}),
            **({"permissions": [p.value for p in granted]} if granted else {}),
        },
    )
    person_id, full_name, creator_id = person.id, person.full_name, invite.created_by_id
    await session.commit()
    return Redemption(
        Opened.DONE,
        kind=kind,
        user_id=person_id,
        full_name=full_name,
        child_name=child.full_name if child else None,
        roles=await users_repo.roles_of(session, person_id),
        permissions=granted,
        creator_id=creator_id,
        merged=merge_from is not None,
    )
