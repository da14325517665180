"""Usage statistics (POLICY 3, 12): counted only for users who allow analytics."""

import asyncio
from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

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


class UsageTally:
    """Command counts kept in memory and written in one transaction every few seconds.

    An upsert per command cost every command a write transaction on the same few rows
    (on SQLite each writer waits for the others). Counts are statistics: a crash loses at
    most the last interval's, and a count is only ever taken with the consent.
    """

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory
        self._pending: Counter[tuple[date, str, str]] = Counter()

    def count(
        self, actor: Actor, command: str, *, now: datetime, tz: ZoneInfo, policy_version: str
    ) -> bool:
        """Add one use of `command` to today's count; False (nothing kept) without consent."""
        if not allows_analytics(actor, policy_version):
            return False
        self._pending[(now.astimezone(tz).date(), command, usage_role(actor))] += 1
        return True

    async def flush(self) -> int:
        """Write what was counted since the last flush; on failure it is kept for the next."""
        if not self._pending:
            return 0
        pending, self._pending = self._pending, Counter()
        try:
            async with self.session_factory() as session:
                # sorted: concurrent processes take the rows' locks in the same order
                for (day, command, role), uses in sorted(pending.items()):
                    await analytics_repo.increment(session, day, command, role, by=uses)
                await session.commit()
        except BaseException:
            self._pending.update(pending)
            raise
        return sum(pending.values())

    async def flush_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await self.flush()
            except Exception:
                logger.exception("usage counts not written; trying again in {} s", seconds)
