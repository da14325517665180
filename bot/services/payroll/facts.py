"""The facts a month's pay is computed from, read from the database: the scheme history,
the groups' teachers, the lessons held and their marks, the payments, charges and seats of
the months asked. Days are the centre's calendar days."""

import gc
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.payroll.compute import (
    PRESENT,
    Charged,
    Facts,
    LessonHeld,
    Paid,
    Scheme,
    Seat,
    counting,
    next_month,
)
from db.models import PayScheme
from db.repositories import payroll as repo


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


@contextmanager
def collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while the facts are read and counted: a few hundred
    thousand small objects (rows, facts, lines) that are not garbage before the result is
    made, which the collector otherwise walks again and again (about 0.2 s of the month's
    drafts with corrections, on top of start-up's objects, which the bot freezes). Other
    work in the process meanwhile just collects later; GC is turned back on only if it was
    on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


class Days:
    """The centre's day of a moment in [first, end) by a binary search over the days' first
    moments (what `moment.astimezone(tz).date()` gives, for many moments at a time), None
    for a day outside `months`."""

    def __init__(self, first: date, end: date, months: Iterable[date], tz: ZoneInfo) -> None:
        wanted = set(months)
        count = (end - first).days
        days = [first + timedelta(days=n) for n in range(count)]
        self.starts = [local_midnight(day, tz) for day in [*days, end]]
        self.days = [day if day.replace(day=1) in wanted else None for day in days]

    def of(self, moment: datetime) -> date | None:
        index = bisect_right(self.starts, moment) - 1
        return self.days[index] if 0 <= index < len(self.days) else None


def scheme_of(row: PayScheme) -> Scheme:
    return Scheme(
        id=row.id,
        teacher_id=row.teacher_id,
        group_id=row.group_id,
        valid_from=row.valid_from,
        fixed_monthly=row.fixed_monthly,
        per_lesson=row.per_lesson,
        per_student=row.per_student,
        percent=row.percent,
    )


async def read_facts(
    session: AsyncSession,
    months: Sequence[date],
    tz: ZoneInfo,
    until: date | None = None,
    *,
    everything: bool = False,
) -> Facts:
    """The facts of the months (first days) asked, from the first to the end of the last
    (or to `until`, included). Only those that can count are read (`compute.counting`: the
    lessons of groups paid per lesson or per student, the marks of those paid per student,
    the money of students who ever sat in a group paid a percent); `everything` reads them
    all (the same lines: the tests check it)."""
    first, last = min(months), max(months)
    end_day = next_month(last) if until is None else min(next_month(last), until + timedelta(1))
    start, end = local_midnight(first, tz), local_midnight(end_day, tz)
    days = Days(first, end_day, months, tz)
    await repo.start_reading_facts(session)
    schemes = [scheme_of(row) for row in await repo.all_schemes(session)]
    group_teacher = await repo.group_teachers(session)
    needed = counting(schemes, group_teacher)
    every = None if everything else set(group_teacher)

    def only(groups: frozenset[int]) -> frozenset[int] | None:
        return None if every is None or groups >= every else groups

    marks: dict[int, dict[str, int]] = defaultdict(dict)
    held: dict[int, tuple[int, date]] = {}
    rows = []
    if everything or needed.lessons:
        rows = await repo.lesson_marks(
            session,
            start,
            end,
            PRESENT,
            groups=only(needed.lessons),
            marked=only(needed.marks),
        )
    for lesson_id, group_id, starts_at, status, count in rows:
        day = days.of(starts_at)
        if day is None:
            continue
        held[lesson_id] = (group_id, day)
        if status is not None:
            marks[lesson_id][status] = count
    lessons = [
        LessonHeld(group_id, day, marks.get(lesson_id, {}))
        for lesson_id, (group_id, day) in held.items()
    ]
    payments, charges, seats = [], [], []
    if everything or needed.money:
        seated = only(needed.money)
        for student_id, paid_at, amount in await repo.payments_between(
            session, start, end, seated=seated
        ):
            day = days.of(paid_at)
            if day is not None:
                payments.append(Paid(student_id, day, amount))
        charges = [
            Charged(student, group, period, amount)
            for student, group, period, amount in await repo.charges_for(
                session, sorted(set(months)), seated=seated
            )
        ]
        seats = [
            Seat(student, group, joined, left)
            for student, group, joined, left in await repo.seats_between(
                session, first, end_day, seated=seated
            )
        ]
    return Facts(
        schemes=schemes,
        group_teacher=group_teacher,
        lessons=lessons,
        payments=payments,
        charges=charges,
        seats=seats,
    )
