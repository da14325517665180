"""Reminder rules (payment stages, quiet hours, notification keys) and the plans the
reminder jobs send. Knows nothing of aiogram; the jobs render and send.

Payment stages, per due date of a student's open charges (FIFO: the debt sits on the
newest charges): `before` (days_before days ahead; none when days_before is 0), `due`
(on the due date), then `overdue:1..M` every `every_days` days after it. A stage goes
out at the reminder time of its day (centre time), pushed to the end of the quiet hours
when that time falls inside them. It stays sendable until the day the next stage goes
out begins (the last one: for `every_days` days), so a bot that was down in the morning
still sends it later that day or the next, but a stage whose successor's day has come is
never sent late: only the latest stage is ever sent.

One payment reminder covers every open charge of a student with the same due date (one
message per month, however many groups the student is in); its key names the student,
the due date and the stage, so each stage goes out once per recipient.

Class reminders go out from `minutes` before a lesson until it starts, never after: a
reminder whose moment falls inside the quiet hours goes out when they end if the lesson
is still ahead then (an 08:30 lesson under quiet hours until 09:00 gets none). The key
holds the lesson's start, so a moved lesson is reminded of at its new time and the
reminder for the old time is never sent; a cancelled lesson is never reminded of.

Nothing is sent inside the quiet hours; what falls due inside them goes out at their end.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from db.models import NotificationKind
from db.repositories import reminders as repo
from db.repositories.reminders import LessonSeat, PaymentRecipient

# A claim still unsettled after this long was left by a crash: marked unknown, not resent.
STALE_CLAIM_AGE = timedelta(minutes=10)
T = TypeVar("T")
BEFORE, DUE, OVERDUE = "before", "due", "overdue"


@dataclass(frozen=True, slots=True)
class QuietHours:
    """[start, end) in the centre's time; crosses midnight when start > end; none if equal."""

    start: time
    end: time

    @classmethod
    def of(cls, settings: Settings) -> "QuietHours":
        return cls(settings.reminders.quiet_hours_start, settings.reminders.quiet_hours_end)

    def contains(self, local: datetime) -> bool:
        moment = local.time().replace(tzinfo=None)
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def release(self, local: datetime) -> datetime:
        """`local` itself, or the end of the quiet hours it falls in (same zone)."""
        if not self.contains(local):
            return local
        end = datetime.combine(local.date(), self.end, tzinfo=local.tzinfo)
        return end if end > local else end + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class PaymentRules:
    days_before: int
    at: time
    every_days: int
    max_overdue: int
    quiet: QuietHours
    tz: ZoneInfo

    @classmethod
    def of(cls, settings: Settings) -> "PaymentRules":
        r = settings.reminders
        return cls(
            r.payment_reminder_days_before,
            r.payment_reminder_time,
            r.overdue_reminder_every_days,
            r.overdue_reminder_max,
            QuietHours.of(settings),
            settings.centre.tz,
        )


@dataclass(frozen=True, slots=True)
class StageWindow:
    stage: str
    opens: datetime  # centre time
    closes: datetime


def stage_days(due: date, rules: PaymentRules) -> list[tuple[str, date]]:
    days = [(BEFORE, due - timedelta(days=rules.days_before))] if rules.days_before else []
    days.append((DUE, due))
    days += [
        (f"{OVERDUE}:{n}", due + timedelta(days=n * rules.every_days))
        for n in range(1, rules.max_overdue + 1)
    ]
    return days


def stage_windows(due: date, rules: PaymentRules) -> list[StageWindow]:
    """When each stage may go out: from its (quiet-released) moment to the next one's day."""
    opens = [
        (stage, rules.quiet.release(datetime.combine(day, rules.at, tzinfo=rules.tz)))
        for stage, day in stage_days(due, rules)
    ]
    windows = []
    for index, (stage, start) in enumerate(opens):
        if index + 1 < len(opens):
            next_day = opens[index + 1][1].date()
        else:
            next_day = start.date() + timedelta(days=rules.every_days)
        windows.append(StageWindow(stage, start, datetime.combine(next_day, time(), rules.tz)))
    return windows


def current_stage(due: date, now: datetime, rules: PaymentRules) -> str | None:
    """The stage of this due date to send at `now`, or None."""
    local = now.astimezone(rules.tz)
    for window in stage_windows(due, rules):
        if window.opens <= local < window.closes:
            return window.stage
    return None


def stages_due(now: datetime, rules: PaymentRules) -> dict[date, str]:
    """Every due date that has a stage to send at `now`, with that stage."""
    today = now.astimezone(rules.tz).date()
    span = rules.every_days * (rules.max_overdue + 1) + 2
    first, last = today - timedelta(days=span), today + timedelta(days=rules.days_before + 2)
    found = {}
    day = first
    while day <= last:
        stage = current_stage(day, now, rules)
        if stage is not None:
            found[day] = stage
        day += timedelta(days=1)
    return found


def stage_kind(stage: str) -> NotificationKind:
    if stage.startswith(OVERDUE):
        return NotificationKind.PAYMENT_OVERDUE
    return NotificationKind.PAYMENT_DUE


def payment_key(student_id: int, due: date, stage: str) -> str:
    return f"pay:{student_id}:{due.isoformat()}:{stage}"


def manual_key(student_id: int, day: date) -> str:
    return f"manual:{student_id}:{day.isoformat()}"


def lesson_key_prefix(lesson_id: int, starts_at: datetime) -> str:
    return f"lesson:{lesson_id}:{starts_at.astimezone(UTC):%Y%m%dT%H%M}:"


def lesson_key(lesson_id: int, starts_at: datetime, student_id: int) -> str:
    return lesson_key_prefix(lesson_id, starts_at) + str(student_id)


def class_reminder_due(
    starts_at: datetime, now: datetime, minutes: int, quiet: QuietHours, tz: ZoneInfo
) -> bool:
    """From `minutes` before the lesson until it starts, outside the quiet hours."""
    before = starts_at - timedelta(minutes=minutes)
    return before <= now < starts_at and not quiet.contains(now.astimezone(tz))


# --- plans ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaymentNotice:
    """One payment reminder to one person (the student or a parent) about one student."""

    user_id: int
    kind: str
    key: str
    student_id: int
    student_name: str | None
    to_parent: bool
    stage: str  # before, due, overdue:N, or manual
    due_date: date  # the (oldest) due date it is about
    periods: tuple[date, ...]  # the months unpaid
    unpaid: int
    balance: int


@dataclass(frozen=True, slots=True)
class LessonNotice:
    user_id: int
    kind: str
    key: str
    student_id: int
    student_name: str | None
    to_parent: bool
    lesson_id: int
    starts_at: datetime
    course_name: str
    group_name: str
    room: str | None


async def plan_payment_reminders(
    session: AsyncSession, settings: Settings, now: datetime
) -> list[PaymentNotice]:
    """Every payment reminder due at `now` that nobody has claimed yet (set-based)."""
    rules = PaymentRules.of(settings)
    if rules.quiet.contains(now.astimezone(rules.tz)):
        return []
    stages = stages_due(now, rules)
    if not stages:
        return []
    found = await repo.payment_reminders_due(
        session,
        {day: (stage_kind(stage), f"{day.isoformat()}:{stage}") for day, stage in stages.items()},
        settings.centre.policy_version,
    )
    return [_payment_notice(row, stages[row.debt.due_date]) for row in found]


def _payment_notice(row: PaymentRecipient, stage: str) -> PaymentNotice:
    debt = row.debt
    return PaymentNotice(
        user_id=row.user_id,
        kind=row.kind,
        key=row.key,  # built in SQL: the same as payment_key(student, due date, stage)
        student_id=debt.student_id,
        student_name=debt.student_name,
        to_parent=row.to_parent,
        stage=stage,
        due_date=debt.due_date,
        periods=debt.periods,
        unpaid=debt.unpaid,
        balance=debt.balance,
    )


async def plan_class_reminders(
    session: AsyncSession, settings: Settings, now: datetime
) -> list[LessonNotice]:
    """Every class reminder due at `now` that nobody has claimed yet (set-based)."""
    quiet, tz = QuietHours.of(settings), settings.centre.tz
    minutes = settings.reminders.class_reminder_minutes
    if quiet.contains(now.astimezone(tz)):
        return []
    found = await repo.lesson_reminders_due(
        session,
        after=now,
        until=now + timedelta(minutes=minutes),
        key_prefix=lesson_key_prefix,
        policy_version=settings.centre.policy_version,
        parents=settings.reminders.class_reminder_parents,
    )
    return [_lesson_notice(seat, user_id, to_parent) for seat, user_id, to_parent in found]


def _lesson_notice(seat: LessonSeat, user_id: int, to_parent: bool) -> LessonNotice:
    return LessonNotice(
        user_id=user_id,
        kind=NotificationKind.LESSON_SOON,
        key=lesson_key(seat.lesson_id, seat.starts_at, seat.student_id),
        student_id=seat.student_id,
        student_name=seat.student_name,
        to_parent=to_parent,
        lesson_id=seat.lesson_id,
        starts_at=seat.starts_at,
        course_name=seat.course_name,
        group_name=seat.group_name,
        room=seat.room,
    )


# --- remind now (the debtors list's button) --------------------------------------------


async def plan_manual_reminder(
    session: AsyncSession, settings: Settings, student_id: int, now: datetime
) -> tuple[list[PaymentNotice], bool]:
    """The notices for an admin's "remind now", and whether there is a debt at all.

    Notices claimed before (today's reminder went out) are left in: the caller tells
    "already today" apart from "nobody to tell" with `already_claimed`.
    """
    debt = await repo.student_debt(session, student_id)
    if debt is None:
        return [], False
    today = now.astimezone(settings.centre.tz).date()
    audience = await repo.reminder_audience(
        session, {student_id}, settings.centre.policy_version, parents=True
    )
    notices = [
        PaymentNotice(
            user_id=user_id,
            kind=NotificationKind.PAYMENT_MANUAL,
            key=manual_key(student_id, today),
            student_id=student_id,
            student_name=debt.student_name,
            to_parent=to_parent,
            stage="manual",
            due_date=debt.due_date,
            periods=debt.periods,
            unpaid=debt.unpaid,
            balance=debt.balance,
        )
        for user_id, to_parent in audience.get(student_id, ())
    ]
    return notices, True


async def already_claimed(session: AsyncSession, notices: list[PaymentNotice]) -> bool:
    return bool(await repo.claimed(session, [(n.user_id, n.kind, n.key) for n in notices]))


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
