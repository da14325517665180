"""The payment reminder job: the day's charges first, then every reminder stage due; and
the run the class reminders share (stale claims, plan, deliver).

Claiming, sending and the texts are in bot.notices.payment_reminders; the rules (stages,
quiet hours, keys) in bot.services.reminders.
"""

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from aiogram import Bot
from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import Sender
from bot.jobs.charges import ChargeDays, charges_before_reminders
from bot.notices.payment_reminders import (
    Notice,
    RunCounts,
    deliver,
    payment_markup,
    payment_text,
)
from bot.services import notifications
from bot.services import reminders as rules
from db.base import utcnow


async def run_reminders(
    name: str,
    plan: Callable[[AsyncSession, Settings, datetime], Awaitable[Sequence[Notice]]],
    session_factory: async_sessionmaker[AsyncSession],
    bot: Bot,
    sender: Sender,
    settings: Settings,
    now: datetime,
    **delivery: Any,
) -> RunCounts:
    """One run of a reminder job: claims left by a crash become unknown, `plan` says what
    is due at `now`, `deliver` sends it (`delivery`: its render, markup, still_due)."""
    async with session_factory() as session:
        stale = await notifications.mark_stale_claims_unknown(session, now - rules.STALE_CLAIM_AGE)
        notices = await plan(session, settings, now)
    counts = await deliver(session_factory, bot, sender, settings, notices, now=now, **delivery)
    counts.stale = stale
    logger.info("{}: {}", name, counts)
    return counts


async def send_payment_reminders(
    session_factory: async_sessionmaker[AsyncSession],
    bot: Bot,
    sender: Sender,
    settings: Settings,
    now: datetime | None = None,
    charge_days: ChargeDays | None = None,
) -> RunCounts:
    """Send every payment reminder stage due at `now` (see bot.services.reminders).

    The day's charges are made first, once per centre day (`charge_days`, shared with the
    charge job; without it, every run makes them first): the scan then never misses the
    charges of the charge day, whichever of the two jobs comes first.
    """
    now = now or utcnow()
    try:
        await charges_before_reminders(session_factory, settings, now, charge_days or ChargeDays())
    except Exception:  # the reminders for the charges there are still go out
        logger.exception("payment reminders: the charge run before them failed")
    return await run_reminders(
        "payment reminders",
        rules.plan_payment_reminders,
        session_factory,
        bot,
        sender,
        settings,
        now,
        render=partial(payment_text, settings=settings),
        markup=partial(payment_markup, settings=settings),
    )
