"""Payment reminders as the bot sends them: the claim-send-settle loop the class reminders
share, the reminder's text and button, and an admin's "remind now".

Each notice is claimed in the notification log (committed) before it goes to Telegram and
settled after, in batches of about a second's worth of sending, so two schedulers send it
once and a crash leaves at most one batch of claims for the next run to mark unknown. The
rules (stages, quiet hours, keys) are in bot.services.reminders; the staged job is
bot.jobs.payment_reminders.
"""

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import partial
from html import escape
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.types import InlineKeyboardMarkup
from babel.dates import format_date as babel_format_date
from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import Outcome, Sender, Sent, recipients
from bot.formatting import babel_locale, format_date, format_money
from bot.i18n import _, ngettext
from bot.services import audit, notifications
from bot.services import reminders as rules
from bot.services.consent import Category
from bot.services.reminders import PaymentNotice, QuietHours
from keyboards.payments.pay import online_payments_on, pay_keyboard

BATCH = 25  # about a second of sending at Telegram's pace
Notice = TypeVar("Notice", bound=Any)


@dataclass
class RunCounts:
    due: int = 0  # notices found due and unclaimed by the scan
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    taken: int = 0  # claimed by another run between the scan and the claim
    dropped: int = 0  # no longer allowed (consent) or no longer due when their turn came
    deferred: int = 0  # left for later: the quiet hours began during the run
    stale: int = 0  # old unsettled claims marked unknown at the start

    def __str__(self) -> str:
        return ", ".join(f"{field.name} {getattr(self, field.name)}" for field in fields(self))

    def count(self, sent: Sent) -> None:
        name = {Outcome.SENT: "sent", Outcome.BLOCKED: "blocked"}.get(sent.outcome, "failed")
        setattr(self, name, getattr(self, name) + 1)


async def deliver(
    session_factory: async_sessionmaker[AsyncSession],
    bot: Bot,
    sender: Sender,
    settings: Settings,
    notices: Sequence[Notice],
    *,
    now: datetime,
    render: Callable[[Notice, datetime], str],
    markup: Callable[[Notice], InlineKeyboardMarkup | None] | None = None,
    still_due: Callable[[Notice, datetime], bool] | None = None,
) -> RunCounts:
    """Claim, send and settle `notices` (each with user_id, kind, key) batch by batch.

    The clock moves on from `now` as the run goes, so claims carry the time they were made
    and a long run stops at the quiet hours instead of sending into them.
    """
    counts = RunCounts(due=len(notices))
    quiet, tz = QuietHours.of(settings), settings.centre.tz
    started = time.monotonic()
    for index, batch in enumerate(rules.chunks(notices, BATCH)):
        at = now + timedelta(seconds=time.monotonic() - started)
        if quiet.contains(at.astimezone(tz)):
            counts.deferred = len(notices) - index * BATCH
            break
        live = [n for n in batch if still_due is None or still_due(n, at)]
        async with session_factory() as session:
            allowed = {
                r.user_id: r
                for r in await recipients(
                    session,
                    {n.user_id for n in live},
                    Category.REMINDERS,
                    settings.centre.policy_version,
                )
            }
            chosen = [n for n in live if n.user_id in allowed]
            claims = await notifications.claim_many(
                session, [(n.user_id, n.kind, n.key) for n in chosen], at
            )
        counts.dropped += len(batch) - len(chosen)
        ids = {(user_id, key): claim_id for claim_id, user_id, key in claims}
        mine = [(ids[n.user_id, n.key], n) for n in chosen if (n.user_id, n.key) in ids]
        counts.taken += len(chosen) - len(mine)
        results = await asyncio.gather(
            *(
                sender.notify(
                    bot,
                    allowed[n.user_id],
                    partial(render, n, at),
                    partial(markup, n) if markup else None,
                )
                for _claim, n in mine
            )
        )
        await notifications.settle_many(
            session_factory,
            {claim_id: sent.outcome for (claim_id, _n), sent in zip(mine, results, strict=True)},
            {claim_id: sent.error for (claim_id, _n), sent in zip(mine, results, strict=True)},
        )
        for sent in results:
            counts.count(sent)
    return counts


# --- the text ----------------------------------------------------------------------------


def month_name(period: date) -> str:
    """`March 2026` in the current language."""
    return babel_format_date(period, "LLLL y", locale=babel_locale())


def payment_title(due: date, today: date) -> str:
    if due > today:
        days = (due - today).days
        return ngettext(
            "⏰ <b>Payment due in {days} day</b> · {date}",
            "⏰ <b>Payment due in {days} days</b> · {date}",
            days,
        ).format(days=days, date=format_date(due))
    if due == today:
        return _("⏰ <b>Payment due today</b> · {date}").format(date=format_date(due))
    days = (today - due).days
    return ngettext(
        "⚠️ <b>Payment overdue by {days} day</b> · due {date}",
        "⚠️ <b>Payment overdue by {days} days</b> · due {date}",
        days,
    ).format(days=days, date=format_date(due))


def student_name(name: str | None) -> str:
    return escape(name) if name else _("a student without a name")


def payment_text(notice: PaymentNotice, at: datetime, settings: Settings) -> str:
    today = at.astimezone(settings.centre.tz).date()
    lines = [payment_title(notice.due_date, today)]
    if notice.to_parent:
        lines.append(_("👤 Student: {name}").format(name=student_name(notice.student_name)))
    lines += [
        _("📅 For: {months}").format(months=", ".join(month_name(p) for p in notice.periods)),
        _("💰 Unpaid: {amount}").format(amount=format_money(notice.unpaid)),
        _("📊 Balance: {amount}").format(amount=format_money(notice.balance)),
        "",
        _("/balance — payments and charges"),
        _("To stop these reminders: /settings"),
    ]
    return "\n".join(lines)


def payment_markup(notice: PaymentNotice, settings: Settings) -> InlineKeyboardMarkup | None:
    return pay_keyboard(notice.student_id) if online_payments_on(settings) else None


# --- remind now --------------------------------------------------------------------------


class RemindNowReason(StrEnum):
    SENT = "sent"  # sent to `sent` people (some may have blocked the bot: see the counts)
    ALREADY_TODAY = "already_today"
    NO_DEBT = "no_debt"
    NOBODY = "nobody"  # nobody may get it: not on Telegram, blocked, or reminders off
    QUIET_HOURS = "quiet_hours"  # refused: press again after `quiet_until`


@dataclass(frozen=True, slots=True)
class RemindNow:
    reason: RemindNowReason
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    quiet_until: datetime | None = None  # centre time, for QUIET_HOURS


async def remind_now(
    session_factory: async_sessionmaker[AsyncSession],
    bot: Bot,
    sender: Sender,
    settings: Settings,
    student_id: int,
    now: datetime,
    *,
    actor_id: int | None = None,
) -> RemindNow:
    """The debtors list's "remind now": the student's whole debt, to the student and the
    parents who allow reminders, at most once per centre day per student.

    Inside the quiet hours it refuses (and says until when) rather than queueing: an admin
    who wants it sent can press again in the morning, and nothing waits unseen overnight.
    """
    quiet, local = QuietHours.of(settings), now.astimezone(settings.centre.tz)
    if quiet.contains(local):
        return RemindNow(RemindNowReason.QUIET_HOURS, quiet_until=quiet.release(local))
    async with session_factory() as session:
        notices, in_debt = await rules.plan_manual_reminder(session, settings, student_id, now)
        if not in_debt:
            return RemindNow(RemindNowReason.NO_DEBT)
        if await rules.already_claimed(session, notices):
            return RemindNow(RemindNowReason.ALREADY_TODAY)
    if not notices:
        return RemindNow(RemindNowReason.NOBODY)
    counts = await deliver(
        session_factory,
        bot,
        sender,
        settings,
        notices,
        now=now,
        render=partial(payment_text, settings=settings),
        markup=partial(payment_markup, settings=settings),
    )
    if counts.taken:  # a second press raced this one and won
        return RemindNow(RemindNowReason.ALREADY_TODAY)
    if counts.dropped == len(notices):
        return RemindNow(RemindNowReason.NOBODY)
    async with session_factory() as session:
        await audit.record(
            session,
            actor_id,
            "payment.reminded",
            "user",
            student_id,
            details={"sent": counts.sent, "blocked": counts.blocked, "failed": counts.failed},
        )
        await session.commit()
    logger.info("payment reminder now for student {}: {}", student_id, counts)
    return RemindNow(RemindNowReason.SENT, counts.sent, counts.blocked, counts.failed)
