"""The owners' monthly digest: last month's finance for the whole centre, on the 1st.

It goes to every owner (OWNER_IDS, as far as they have opened the bot) who keeps it on in
/settings — on by default, like the optional categories — and whose consent is in force;
it is no announcement (nothing is advertised) and no reminder (nothing is due), so it is
not one of the consent categories but a setting of its own, shown to owners only. It is
sent from DIGEST_FROM on the 1st, centre time, outside the quiet hours; the job runs
every hour of that day, so a bot restarted during it, or quiet hours that end later,
still send it that day. Each owner's digest is claimed in the notification log under
the month it sums up, so it goes out once, whatever runs, restarts or processes.
"""

from datetime import datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.services import audit
from bot.services.reminders import QuietHours
from bot.services.reports.period import Period
from db.models import NotificationKind
from db.repositories import users as users_repo

DIGEST_FROM = time(9, 0)
KIND = NotificationKind.MONTHLY_DIGEST.value


def due_period(now: datetime, settings: Settings) -> Period | None:
    """The month a digest sent at `now` sums up (last month), or None when none is due."""
    local = now.astimezone(settings.centre.tz)
    if local.day != 1 or local.time() < DIGEST_FROM or QuietHours.of(settings).contains(local):
        return None
    return Period.last_month(local.date())


def claim_key(period: Period) -> str:
    return f"finance:{period.token}"


async def owners_wanting_it(session: AsyncSession, settings: Settings) -> list[int]:
    return await users_repo.owners_wanting_digest(session, settings.telegram.owner_ids)


async def wanted(session: AsyncSession, user_id: int) -> bool:
    return await users_repo.digest_wanted(session, user_id)


async def set_wanted(session: AsyncSession, user_id: int, on: bool) -> None:
    """Turn the owner's digest on or off; audited, committed."""
    await users_repo.set_digest_wanted(session, user_id, on)
    await audit.record(
        session, user_id, "settings.digest", "user", user_id, details={"monthly_digest": on}
    )
    await session.commit()
