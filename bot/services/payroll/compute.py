"""What a teacher earned in a month: a pure function of the scheme history, the lessons held,
their attendance and the ledger. No database, no clock, no Telegram: the payroll service
reads the facts and writes the lines; the property test recomputes them by hand.

The rules, day by day over the month (the centre's calendar days):

- A group counts for the teacher it has (`group_teacher`). On a day, the scheme that applies
  to a group is the teacher's latest override for that group in force (valid_from ≤ day),
  else the teacher's latest general scheme in force, else none.
- A lesson held that day earns the scheme's amount per lesson, and its amount per student
  for each student marked present or late.
- Money a student paid that day (a payment not reversed) is shared among the groups it was
  for: the groups of that month's charges, in proportion to their amounts; without a charge,
  the groups the student sat in that day, equally; else none. A group's share earns the
  scheme's percent of it (rounded down, once per line).
- A fixed monthly amount is paid pro rata for the days its scheme is in force: the general
  scheme's on every day of the month, an override's on every day for its group.

Lines are gathered per (kind, group, scheme): quantity (lessons, students, so'm, days),
rate, amount.
"""

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from db.models import AttendanceStatus, PayLineKind

PRESENT = frozenset({AttendanceStatus.PRESENT.value, AttendanceStatus.LATE.value})
BASE_KINDS = (PayLineKind.FIXED, PayLineKind.LESSONS, PayLineKind.STUDENTS, PayLineKind.PERCENT)
KIND_ORDER = {kind.value: n for n, kind in enumerate(PayLineKind)}


@dataclass(frozen=True, slots=True)
class Scheme:
    id: int
    teacher_id: int
    group_id: int | None  # None: the teacher's general scheme
    valid_from: date
    fixed_monthly: int = 0
    per_lesson: int = 0
    per_student: int = 0
    percent: int = 0


@dataclass(frozen=True, slots=True)
class LessonHeld:
    """A lesson held on `day`, with how many marks of each attendance status it got."""

    group_id: int
    day: date
    marks: Mapping[str, int] = field(default_factory=dict)

    @property
    def present(self) -> int:
        return sum(count for status, count in self.marks.items() if status in PRESENT)


@dataclass(frozen=True, slots=True)
class Paid:
    """A payment (not reversed) of a student on `day`."""

    student_id: int
    day: date
    amount: int


@dataclass(frozen=True, slots=True)
class Charged:
    """A charge (not cancelled) of a student for the month starting `period`, for a group."""

    student_id: int
    group_id: int
    period: date
    amount: int


@dataclass(frozen=True, slots=True)
class Seat:
    """An enrolment: the student sits in the group from `joined_on` until `left_on`."""

    student_id: int
    group_id: int
    joined_on: date
    left_on: date | None = None

    def on(self, day: date) -> bool:
        return self.joined_on <= day and (self.left_on is None or day < self.left_on)


@dataclass(frozen=True, slots=True)
class Facts:
    """What the payroll of some months is computed from (the months' lessons and money; the
    whole scheme history; the groups' teachers; the seats of the students who paid)."""

    schemes: Sequence[Scheme] = ()
    group_teacher: Mapping[int, int | None] = field(default_factory=dict)
    lessons: Sequence[LessonHeld] = ()
    payments: Sequence[Paid] = ()
    charges: Sequence[Charged] = ()
    seats: Sequence[Seat] = ()


@dataclass(frozen=True, slots=True)
class Line:
    kind: str
    group_id: int | None
    amount: int
    scheme_id: int | None = None
    quantity: int = 0
    rate: int = 0
    for_month: date | None = None  # a correction's month


@dataclass(frozen=True, slots=True)
class Counting:
    """The groups whose facts can earn anything, given the scheme history and the groups'
    teachers: a group counts a kind of fact only if some scheme that may apply to it (the
    teacher's general schemes and their overrides for it, whatever their days) pays for
    that kind. Facts outside these sets change no line, so the facts' reader may leave
    them out: `lessons` — lessons held (per lesson or per student); `marks` — the marks of
    those lessons (per student); `money` — the money paid for the group (percent), so the
    payments, charges and seats of students who never sat in one of them."""

    lessons: frozenset[int] = frozenset()
    marks: frozenset[int] = frozenset()
    money: frozenset[int] = frozenset()


def counting(schemes: Iterable[Scheme], group_teacher: Mapping[int, int | None]) -> Counting:
    general: dict[int, list[Scheme]] = defaultdict(list)
    override: dict[tuple[int, int], list[Scheme]] = defaultdict(list)
    for scheme in schemes:
        if scheme.group_id is None:
            general[scheme.teacher_id].append(scheme)
        else:
            override[scheme.teacher_id, scheme.group_id].append(scheme)
    lessons, marks, money = set(), set(), set()
    for group, teacher in group_teacher.items():
        if teacher is None:
            continue
        applying = [*general.get(teacher, ()), *override.get((teacher, group), ())]
        if any(s.per_lesson > 0 or s.per_student > 0 for s in applying):
            lessons.add(group)
        if any(s.per_student > 0 for s in applying):
            marks.add(group)
        if any(s.percent > 0 for s in applying):
            money.add(group)
    return Counting(frozenset(lessons), frozenset(marks), frozenset(money))


def month_days(month: date, until: date | None = None) -> list[date]:
    """The days of the month starting `month`, up to `until` (included) when given."""
    last = calendar.monthrange(month.year, month.month)[1]
    days = [month + timedelta(days=n) for n in range(last)]
    return [day for day in days if until is None or day <= until]


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


# --- who gets the money a student paid ----------------------------------------------------


def share(amount: int, weights: Mapping[int, int]) -> dict[int, int]:
    """`amount` split in proportion to `weights` (group → weight > 0), in whole so'm adding
    up to `amount`: each share rounded down, what is left to the heaviest group (the
    smallest id among equals)."""
    return dict(_Split.of(weights).parts(amount))


@dataclass(frozen=True, slots=True)
class _Split:
    """`share`'s weights with their sum and heaviest group, worked out once for all the
    payments split by them."""

    weights: tuple[tuple[int, int], ...]
    total: int
    heaviest: int

    @classmethod
    def of(cls, weights: Mapping[int, int]) -> "_Split":
        heaviest = min(weights, key=lambda group: (-weights[group], group))
        return cls(tuple(weights.items()), sum(weights.values()), heaviest)

    def parts(self, amount: int) -> list[tuple[int, int]]:
        made = [(group, amount * weight // self.total) for group, weight in self.weights]
        rest = amount - sum(part for _group, part in made)
        return [(g, part + rest if g == self.heaviest else part) for g, part in made]


def collected_by_group(
    facts: Facts, months: Iterable[date], only: set[int] | None = None
) -> dict[tuple[int, date], int]:
    """(group, day) → so'm paid that day for the group, over the payments in `months`; with
    `only`, those of payments for one of these groups (a payment for none of them is not
    split at all)."""
    wanted = set(months)
    weights: dict[tuple[int, date], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for charge in facts.charges:
        if charge.period in wanted and charge.amount > 0:
            weights[charge.student_id, charge.period][charge.group_id] += charge.amount
    seats: dict[int, list[Seat]] = defaultdict(list)
    for seat in facts.seats:
        seats[seat.student_id].append(seat)
    # how a student's money of a month goes, by that month's charges, worked out once: the
    # one group it all goes to, the split among several, or None (none of `only`); a
    # student-month without a charge is split by the seats of the payment's day
    plans: dict[tuple[int, date], int | _Split | None] = {
        key: _plan(split, only) for key, split in weights.items()
    }
    month_of: dict[date, date | None] = {}  # a day's month, None when not wanted
    collected: dict[tuple[int, date], int] = defaultdict(int)
    for payment in facts.payments:
        day = payment.day
        if day not in month_of:
            month_of[day] = day.replace(day=1) if day.replace(day=1) in wanted else None
        month = month_of[day]
        if month is None or payment.amount <= 0:
            continue
        key = (payment.student_id, month)
        if key in plans:
            plan = plans[key]
        else:
            sitting = {s.group_id for s in seats.get(payment.student_id, ()) if s.on(day)}
            plan = _plan(dict.fromkeys(sitting, 1), only)
        if plan is None:
            continue  # paid for no group (of `only`): no teacher's percent
        if isinstance(plan, int):  # most students sit in one group: no sharing to do
            collected[plan, day] += payment.amount
            continue
        for group, part in plan.parts(payment.amount):
            collected[group, day] += part
    return collected


def _plan(weights: Mapping[int, int], only: set[int] | None) -> int | _Split | None:
    if not weights or (only is not None and only.isdisjoint(weights)):
        return None
    if len(weights) == 1:
        return next(iter(weights))
    return _Split.of(weights)


# --- the schemes in force -----------------------------------------------------------------


class History:
    """A teacher's schemes by (group or None), each list newest first."""

    def __init__(self, schemes: Iterable[Scheme]) -> None:
        self.by_target: dict[int | None, list[Scheme]] = defaultdict(list)
        for scheme in sorted(schemes, key=lambda s: (s.valid_from, s.id), reverse=True):
            self.by_target[scheme.group_id].append(scheme)

    def in_force(self, group_id: int | None, day: date) -> Scheme | None:
        return next((s for s in self.by_target.get(group_id, ()) if s.valid_from <= day), None)

    def for_group(self, group_id: int, day: date) -> Scheme | None:
        """The override for the group in force that day, else the general scheme."""
        return self.in_force(group_id, day) or self.in_force(None, day)


# --- one month ------------------------------------------------------------------------------


class _Lines:
    def __init__(self) -> None:
        self.quantity: dict[tuple[str, int | None, int, int], int] = defaultdict(int)

    def add(self, kind: PayLineKind, group: int | None, scheme: Scheme, rate: int, n: int) -> None:
        if rate > 0 and n > 0:
            self.quantity[kind.value, group, scheme.id, rate] += n

    def lines(self, days_in_month: int) -> list[Line]:
        made = []
        for (kind, group, scheme_id, rate), quantity in self.quantity.items():
            if kind == PayLineKind.FIXED:
                amount = rate * quantity // days_in_month
            elif kind == PayLineKind.PERCENT:
                amount = quantity * rate // 100
            else:
                amount = quantity * rate
            made.append(Line(kind, group, amount, scheme_id, quantity, rate))
        return sorted(made, key=line_order)


def line_order(line: Line) -> tuple:
    return (
        KIND_ORDER[line.kind],
        line.for_month or date.min,
        line.group_id is not None,
        line.group_id or 0,
        line.scheme_id or 0,
        line.rate,
    )


def compute_month(month: date, facts: Facts, until: date | None = None) -> dict[int, list[Line]]:
    """Teacher → the lines of the month starting `month` (up to `until` when given: the
    running figure of a month not over), for every teacher with a scheme or a line."""
    days = month_days(month, until)
    dim = calendar.monthrange(month.year, month.month)[1]
    by_teacher: dict[int, list[Scheme]] = defaultdict(list)
    for scheme in facts.schemes:
        by_teacher[scheme.teacher_id].append(scheme)
    histories = {teacher: History(schemes) for teacher, schemes in by_teacher.items()}
    groups_of: dict[int, list[int]] = defaultdict(list)
    for group, teacher in sorted(facts.group_teacher.items()):
        if teacher is not None and teacher in histories:
            groups_of[teacher].append(group)
    found: dict[int, _Lines] = defaultdict(_Lines)

    # fixed amounts, day by day
    for teacher, history in histories.items():
        lines = found[teacher]
        for day in days:
            general = history.in_force(None, day)
            if general is not None:
                lines.add(PayLineKind.FIXED, None, general, general.fixed_monthly, 1)
            for group in groups_of[teacher]:
                override = history.in_force(group, day)
                if override is not None:
                    lines.add(PayLineKind.FIXED, group, override, override.fixed_monthly, 1)

    # lessons held and the students at them
    last = days[-1] if days else month
    for lesson in facts.lessons:
        if not month <= lesson.day <= last:
            continue
        teacher = facts.group_teacher.get(lesson.group_id)
        history = histories.get(teacher) if teacher is not None else None
        scheme = history.for_group(lesson.group_id, lesson.day) if history else None
        if scheme is None:
            continue
        lines = found[teacher]  # type: ignore[index]
        lines.add(PayLineKind.LESSONS, lesson.group_id, scheme, scheme.per_lesson, 1)
        lines.add(PayLineKind.STUDENTS, lesson.group_id, scheme, scheme.per_student, lesson.present)

    # the percent of the money paid, split only for the groups of a teacher paid a percent
    percent = {
        group
        for teacher, groups in groups_of.items()
        if any(scheme.percent > 0 for scheme in by_teacher[teacher])
        for group in groups
    }
    for (group, day), amount in collected_by_group(facts, [month], percent).items():
        if day > last:
            continue
        teacher = facts.group_teacher.get(group)
        history = histories.get(teacher) if teacher is not None else None
        scheme = history.for_group(group, day) if history else None
        if scheme is not None:
            found[teacher].add(PayLineKind.PERCENT, group, scheme, scheme.percent, amount)  # type: ignore[index]

    return {teacher: found[teacher].lines(dim) for teacher in histories}


def total(lines: Iterable[Line]) -> int:
    return sum(line.amount for line in lines)


def by_group(lines: Iterable[Line]) -> dict[int | None, int]:
    sums: dict[int | None, int] = defaultdict(int)
    for line in lines:
        sums[line.group_id] += line.amount
    return dict(sums)


def corrections(
    recounted: Mapping[date, Sequence[Line]], settled: Mapping[date, Mapping[int | None, int]]
) -> list[Line]:
    """Correction lines for earlier approved months: for each month in `settled` (group →
    what its approved payslip counted, plus the corrections for it approved since), what
    today's data counts (`recounted`, that month's base lines) less what was settled, per
    group; nothing where they agree."""
    made = []
    for month in sorted(settled):
        now, then = by_group(recounted.get(month, ())), settled[month]
        for group in sorted(set(now) | set(then), key=lambda g: (g is not None, g or 0)):
            difference = now.get(group, 0) - then.get(group, 0)
            if difference:
                made.append(Line(PayLineKind.CORRECTION, group, difference, for_month=month))
    return made
