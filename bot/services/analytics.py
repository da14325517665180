"""Usage statistics (POLICY 3, 12): counted only for users who allow analytics."""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.access import Actor
from bot.services.consent import Category
from db.models import UsageRole
from db.repositories import analytics as analytics_repo


def allows_analytics(actor: Actor, policy_version: str) -> bool:
    consent = actor.consent
    return (
        consent is not None
        and consent.is_current(policy_version)
        and consent.choices.allows(Category.ANALYTICS)
    )


def usage_role(actor: Actor) -> UsageRole:
    roles = actor.effective_roles
    return UsageRole(roles[0].value) if roles else UsageRole.GUEST


async def count_command(
    session: AsyncSession,
    actor: Actor,
    command: str,
    *,
    now: datetime,
    tz: ZoneInfo,
    policy_version: str,
) -> bool:
    """Add one use of `command` to today's count; False (nothing stored) without consent."""
    if not allows_analytics(actor, policy_version):
        return False
    await analytics_repo.increment(session, now.astimezone(tz).date(), command, usage_role(actor))
    await session.commit()
    return True
