"""Keeping the sender's record current, language, and blocked/unblocked state."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import LANGUAGES
from bot.services import audit
from bot.services import consent as consent_service
from bot.services.access import Actor
from db.models import Role, User
from db.repositories import users as users_repo

# last_seen is written at most this often: a write per update would cost more than it tells,
# and each write waits its turn for the database's write lock on SQLite (a busy minute of a
# hundred active users meant a hundred of them).
LAST_SEEN_RESOLUTION = timedelta(minutes=5)
MAX_NAME_LENGTH = 128
MAX_USERNAME_LENGTH = 64


@dataclass(frozen=True, slots=True)
class TelegramProfile:
    """What Telegram tells about the sender, without aiogram types."""

    telegram_id: int
    full_name: str
    username: str | None
    language_code: str | None


def initial_language(language_code: str | None, default_language: str) -> str:
    code = (language_code or "").split("-")[0].lower()
    return code if code in LANGUAGES else default_language


async def roles_of(session: AsyncSession, user_id: int) -> frozenset[Role]:
    return await users_repo.roles_of(session, user_id)


async def sync_sender(
    session: AsyncSession,
    profile: TelegramProfile,
    *,
    now: datetime,
    default_language: str,
    owner_ids: tuple[int, ...],
) -> Actor:
    """Create the sender on first contact, refresh names and last seen, return who acts."""
    found = await users_repo.get_sender(session, profile.telegram_id)
    if found is None:
        await users_repo.insert_if_absent(
            session,
            profile.telegram_id,
            # Before consent only the Telegram id and the language are kept (POLICY 1).
            {
                "language": initial_language(profile.language_code, default_language),
                "created_at": now,
            },
        )
        await session.commit()
        found = await users_repo.get_sender(session, profile.telegram_id)
        assert found is not None
    user = found.user
    consent = consent_service.state_of(found.consent)
    was_active = user.is_active
    if _refresh(user, profile, now, consented=consent is not None):
        if not was_active:
            await _audit_reachability(session, user)
        await session.commit()
    roles, permissions = found.roles, found.permissions
    if not roles:
        permissions = frozenset()  # permissions left from a removed admin role grant nothing
    return Actor(
        user_id=user.id,
        telegram_id=profile.telegram_id,
        language=user.language,
        roles=roles,
        permissions=permissions,
        is_owner=profile.telegram_id in owner_ids,
        consent=consent,
    )


def _refresh(user: User, profile: TelegramProfile, now: datetime, *, consented: bool) -> bool:
    changed = False
    if consented:
        # The name the user chose in /mydata (or the centre registered) wins over Telegram's.
        username = (profile.username or "")[:MAX_USERNAME_LENGTH] or None
        if user.full_name is None:
            user.full_name = profile.full_name[:MAX_NAME_LENGTH] or None
            changed = True
        if user.username != username:
            user.username = username
            changed = True
        if user.last_seen_at is None or now - user.last_seen_at >= LAST_SEEN_RESOLUTION:
            user.last_seen_at = now
            changed = True
    if not user.is_active:
        # Writing to the bot again proves it is no longer blocked.
        user.is_active = True
        changed = True
    return changed


async def change_language(session: AsyncSession, actor: Actor, language: str) -> bool:
    """Set the user's language; False (and nothing written) when it is not one we speak."""
    if language not in LANGUAGES:
        return False
    user = await session.get(User, actor.user_id)
    if user is None:
        return False
    previous = user.language
    user.language = language
    await audit.record(
        session,
        actor.user_id,
        "user.language",
        "user",
        actor.user_id,
        details={"from": previous, "to": language},
    )
    await session.commit()
    return True


async def set_reachable(session: AsyncSession, telegram_id: int, reachable: bool) -> bool:
    """Mark a user inactive after they blocked the bot, active after they unblocked it."""
    user = await users_repo.get_by_telegram_id(session, telegram_id)
    if user is None or user.is_active == reachable:
        return False
    user.is_active = reachable
    await _audit_reachability(session, user)
    await session.commit()
    return True


async def _audit_reachability(session: AsyncSession, user: User) -> None:
    await audit.record(
        session,
        user.id,
        "user.unblocked_bot" if user.is_active else "user.blocked_bot",
        "user",
        user.id,
    )
