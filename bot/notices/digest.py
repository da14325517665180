"""The owners' monthly digest as the bot sends it: last month's finance summary, then its
chart, in each owner's language (the rules — when, to whom, the claim's key — are in
bot.services.digest).

The report is counted before anything is claimed (a failure leaves it for the next hourly
run); each owner's digest is then claimed in the notification log (committed) before it
goes to Telegram and settled after, as the reminders are, so a second run, a restart or a
second process sends it once. The words are the finance report's own (`view`: how
/reports shows it, handed in by the scheduler, since notices sit below the handlers).
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.types import BufferedInputFile
from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import Outcome, Recipient, Sender, recipients
from bot.i18n import _, use_language
from bot.services import digest as rules
from bot.services import notifications
from bot.services.consent import Category
from bot.services.reports.chart import BarChart, render_png
from bot.services.reports.period import Period
from bot.services.reports.scope import Scope


class ReportView(Protocol):
    """A report as /reports counts and words it (handlers.admin.reports.menu.ReportKind)."""

    @property
    def build(self) -> Callable[[AsyncSession, Period, Scope, ZoneInfo], Awaitable[Any]]: ...

    @property
    def summary(self) -> Callable[[Any, str | None], str]: ...

    @property
    def chart(self) -> Callable[[Any, str | None], BarChart]: ...


@dataclass
class DigestCounts:
    due: bool = False  # a digest is due at this moment
    owners: int = 0  # owners who keep it on and may be sent it
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    taken: int = 0  # claimed already: sent by an earlier run (or being sent by another)

    def __str__(self) -> str:
        return ", ".join(f"{field.name} {getattr(self, field.name)}" for field in fields(self))


def digest_text(summary: str) -> str:
    return "\n".join(
        [
            _("📈 <b>Monthly digest</b>"),
            "",
            summary,
            "",
            _("/reports — every report, for any period"),
            _("To stop this digest: /settings"),
        ]
    )


async def send_digest(
    session_factory: async_sessionmaker[AsyncSession],
    bot: Bot,
    sender: Sender,
    settings: Settings,
    view: ReportView,
    now: datetime,
) -> DigestCounts:
    period = rules.due_period(now, settings)
    if period is None:
        return DigestCounts()
    scope = Scope()
    key = rules.claim_key(period)
    async with session_factory() as session:
        owners = await rules.owners_wanting_it(session, settings)
        chosen = await recipients(
            session, owners, Category.ESSENTIAL, settings.centre.policy_version
        )
        report = await view.build(session, period, scope, settings.centre.tz)
        claims = await notifications.claim_many(
            session, [(r.user_id, rules.KIND, key) for r in chosen], now
        )
    counts = DigestCounts(due=True, owners=len(chosen), taken=len(chosen) - len(claims))
    by_user = {r.user_id: r for r in chosen}
    outcomes: dict[int, str] = {}
    errors: dict[int, str | None] = {}
    for claim_id, user_id, _key in claims:
        outcome, error = await _send_one(bot, sender, by_user[user_id], view, report, period)
        outcomes[claim_id], errors[claim_id] = outcome, error
        name = {Outcome.SENT: "sent", Outcome.BLOCKED: "blocked"}.get(outcome, "failed")
        setattr(counts, name, getattr(counts, name) + 1)
    await notifications.settle_many(session_factory, outcomes, errors)
    return counts


async def _send_one(
    bot: Bot, sender: Sender, recipient: Recipient, view: ReportView, report: Any, period: Period
) -> tuple[Outcome, str | None]:
    """The summary, then the chart; the digest counts as sent once its summary is."""
    with use_language(recipient.language):
        text = digest_text(view.summary(report, None))
        chart = view.chart(report, None)
    sent = await sender.send_text(bot, recipient, text)
    if sent.outcome is not Outcome.SENT:
        return sent.outcome, sent.error
    png = await asyncio.to_thread(render_png, chart)
    photo = BufferedInputFile(png, f"digest-{period.token}.png")
    drawn = await sender.send_file(bot, recipient, photo, photo=True)
    if drawn.outcome is not Outcome.SENT:
        logger.warning("digest chart to user {} not sent: {}", recipient.user_id, drawn.error)
        return Outcome.SENT, f"chart: {drawn.error}"[:255]
    return Outcome.SENT, None
