"""The set-based scans behind the reminder jobs. Never commits.

Open charges follow the ledger's FIFO rule (credits pay the oldest charges first), which
puts a student's whole debt on the newest charges: a charge's unpaid part is its amount,
capped by the debt left after the charges that come after it in (due_date, id) order.
So one window function over the debtors' charges finds them, without a query per student.
"""

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import String, and_, case, cast, false, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from db.models import (
    Balance,
    Charge,
    Consent,
    ConsentEvent,
    Course,
    Enrolment,
    EnrolmentStatus,
    Group,
    Lesson,
    LessonStatus,
    NotificationKind,
    NotificationLog,
    ParentLink,
    User,
)

CHUNK = 500  # ids per IN (...): well under SQLite's limit on bound parameters


@dataclass(frozen=True, slots=True)
class DebtDue:
    student_id: int
    student_name: str | None
    due_date: date
    periods: tuple[date, ...]
    unpaid: int
    balance: int


@dataclass(frozen=True, slots=True)
class LessonSeat:
    lesson_id: int
    starts_at: datetime
    student_id: int
    student_name: str | None
    course_name: str
    group_name: str
    room: str | None


def _chunks(items: Iterable, size: int = CHUNK) -> Iterable[list]:
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _open_charges(since: date | None = None, student_id: int | None = None):
    """Every charge of a debtor with its unpaid part (possibly 0), as a subquery.

    Charges due before `since` are left out, which changes nothing for the later ones:
    only charges after a charge count against its share of the debt.
    """
    later = func.sum(Charge.amount).over(
        partition_by=Charge.student_id,
        order_by=(Charge.due_date.desc(), Charge.id.desc()),
        rows=(None, -1),
    )
    query = (
        select(
            Charge.student_id,
            Charge.due_date,
            Charge.period,
            Charge.amount,
            Balance.amount.label("balance"),
            (-Balance.amount - func.coalesce(later, 0)).label("left"),
        )
        .join(Balance, Balance.student_id == Charge.student_id)
        .where(Balance.amount < 0, Charge.cancelled_at.is_(None), Charge.amount > 0)
    )
    if since is not None:
        query = query.where(Charge.due_date >= since)
    if student_id is not None:
        query = query.where(Charge.student_id == student_id)
    ranked = query.subquery()
    unpaid = case((ranked.c.left >= ranked.c.amount, ranked.c.amount), else_=ranked.c.left)
    return ranked, unpaid


def _debts_on(due_dates: Collection[date]):
    """Per student and due date in `due_dates`: the unpaid part of those charges."""
    ranked, unpaid = _open_charges(since=min(due_dates))
    return (
        select(
            ranked.c.student_id,
            ranked.c.due_date,
            func.min(ranked.c.period).label("period"),
            func.sum(unpaid).label("unpaid"),
            func.min(ranked.c.balance).label("balance"),
        )
        .where(ranked.c.due_date.in_(sorted(due_dates)), ranked.c.left > 0)
        .group_by(ranked.c.student_id, ranked.c.due_date)
    )


async def debts_due_on(session: AsyncSession, due_dates: Collection[date]) -> list[DebtDue]:
    """Per student and due date in `due_dates`: what is still unpaid of those charges."""
    if not due_dates:
        return []
    grouped = _debts_on(due_dates).subquery()
    rows = await session.execute(
        select(grouped, User.full_name)
        .join(User, User.id == grouped.c.student_id)
        .order_by(grouped.c.due_date, grouped.c.student_id)
    )
    return [
        DebtDue(
            row.student_id,
            row.full_name,
            row.due_date,
            (row.period,),
            int(row.unpaid),
            int(row.balance),
        )
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class PaymentRecipient:
    """One payment reminder to send: a person, and the debt it tells of."""

    user_id: int
    to_parent: bool
    kind: str
    key: str
    debt: DebtDue


async def payment_reminders_due(
    session: AsyncSession,
    stages: Mapping[date, tuple[str, str]],
    policy_version: str,
) -> list[PaymentRecipient]:
    """One statement for the whole payment scan: per due date in `stages` (→ its notification
    kind and the key's tail, "<due date>:<stage>"), the debtors, they and their parents who
    may get reminders (the rule of `reminder_audience`), less what is in the log already.
    The key ("pay:<student id>:<tail>") is built in SQL so the log can be asked in the join.
    """
    if not stages:
        return []
    debts = _debts_on(stages.keys()).cte("debts")
    columns = [debts.c.student_id, debts.c.due_date, debts.c.period, debts.c.unpaid]
    pairs = union_all(
        select(
            *columns,
            debts.c.balance,
            debts.c.student_id.label("user_id"),
            false().label("to_parent"),
        ),
        select(
            *columns,
            debts.c.balance,
            ParentLink.parent_id.label("user_id"),
            literal(True).label("to_parent"),
        ).join(ParentLink, ParentLink.student_id == debts.c.student_id),
    ).subquery("pairs")
    kind = case({day: kind for day, (kind, _) in stages.items()}, value=pairs.c.due_date)
    tail = case({day: tail for day, (_, tail) in stages.items()}, value=pairs.c.due_date)
    key = literal("pay:") + cast(pairs.c.student_id, String) + literal(":") + tail
    person, student = aliased(User), aliased(User)
    logged = (
        select(NotificationLog.id)
        .where(
            NotificationLog.user_id == pairs.c.user_id,
            NotificationLog.kind == kind,
            NotificationLog.key == key,
        )
        .exists()
    )
    rows = await session.execute(
        select(pairs, kind.label("kind"), key.label("key"), student.full_name)
        .join(student, student.id == pairs.c.student_id)
        .join(person, person.id == pairs.c.user_id)
        .join(Consent, Consent.id == _latest_consent_id(person))
        .where(*_may_get_reminders(person, policy_version), ~logged)
        .order_by(pairs.c.due_date, pairs.c.student_id, pairs.c.to_parent, pairs.c.user_id)
    )
    return [
        PaymentRecipient(
            row.user_id,
            bool(row.to_parent),
            row.kind,
            row.key,
            DebtDue(
                row.student_id,
                row.full_name,
                row.due_date,
                (row.period,),
                int(row.unpaid),
                int(row.balance),
            ),
        )
        for row in rows
    ]


async def student_debt(session: AsyncSession, student_id: int) -> DebtDue | None:
    """All a student's open charges in one: the oldest due date, every unpaid month."""
    ranked, unpaid = _open_charges(student_id=student_id)
    rows = (
        await session.execute(
            select(ranked.c.due_date, ranked.c.period, unpaid.label("unpaid"), ranked.c.balance)
            .where(ranked.c.left > 0)
            .order_by(ranked.c.due_date)
        )
    ).all()
    if not rows:
        return None
    name = await session.scalar(select(User.full_name).where(User.id == student_id))
    return DebtDue(
        student_id,
        name,
        rows[0].due_date,
        tuple(sorted({row.period for row in rows})),
        sum(int(row.unpaid) for row in rows),
        int(rows[0].balance),
    )


def _latest_consent_id(person=User):
    return (
        select(Consent.id)
        .where(Consent.user_id == person.id)
        .order_by(Consent.at.desc(), Consent.id.desc())
        .limit(1)
        .correlate(person)
        .scalar_subquery()
    )


def _may_get_reminders(person, policy_version: str) -> list:
    """`consent.may_send(…, Category.REMINDERS, …)` as SQL, given the latest Consent joined."""
    return [
        person.telegram_id.is_not(None),
        person.is_active.is_(True),
        person.deleted_at.is_(None),
        Consent.event != ConsentEvent.WITHDRAWN,
        Consent.policy_version == policy_version,
        Consent.reminders.is_(True),
    ]


async def reminder_audience(
    session: AsyncSession, student_ids: Iterable[int], policy_version: str, *, parents: bool
) -> dict[int, list[tuple[int, bool]]]:
    """student id → [(user id, is a parent)] of the student (and linked parents) who may get
    reminders: reachable, not erased, consent for this policy version with reminders on.

    The same rule as `consent.may_send` for Category.REMINDERS, asked for many at once so a
    job's scan does not query per person; the job still asks `recipients` before sending.
    """
    audience: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    for chunk in _chunks(sorted(set(student_ids))):
        people = select(
            User.id.label("student_id"), User.id.label("user_id"), false().label("to_parent")
        ).where(User.id.in_(chunk))
        if parents:
            links = select(
                ParentLink.student_id,
                ParentLink.parent_id.label("user_id"),
                literal(True).label("to_parent"),
            ).where(ParentLink.student_id.in_(chunk))
            people = union_all(people, links)
        pairs = people.subquery()
        rows = await session.execute(
            select(pairs.c.student_id, pairs.c.user_id, pairs.c.to_parent)
            .join(User, User.id == pairs.c.user_id)
            .join(Consent, Consent.id == _latest_consent_id())
            .where(*_may_get_reminders(User, policy_version))
            .order_by(pairs.c.student_id, pairs.c.to_parent, pairs.c.user_id)
        )
        for student_id, user_id, to_parent in rows:
            audience[student_id].append((user_id, bool(to_parent)))
    return audience


async def lesson_reminders_due(
    session: AsyncSession,
    *,
    after: datetime,
    until: datetime,
    key_prefix: Callable[[int, datetime], str],
    policy_version: str,
    parents: bool,
) -> list[tuple[LessonSeat, int, bool]]:
    """(seat, user id, is a parent) for every active enrolment in a scheduled lesson starting
    in (after, until], to the student (and the parents) who may get reminders, less what
    is in the log already. The few lessons in the window are read first, so each key
    (`key_prefix(lesson id, starts_at)` + student id) can be built in SQL and the log asked
    in the same statement.
    """
    lessons = (
        await session.execute(
            select(Lesson.id, Lesson.starts_at).where(
                Lesson.starts_at > after,
                Lesson.starts_at <= until,
                Lesson.status == LessonStatus.SCHEDULED,
            )
        )
    ).all()
    if not lessons:
        return []
    seats = (
        select(Lesson.id.label("lesson_id"), Enrolment.student_id)
        .join(Enrolment, Enrolment.group_id == Lesson.group_id)
        .where(
            Lesson.id.in_([lesson_id for lesson_id, _ in lessons]),
            Enrolment.status == EnrolmentStatus.ACTIVE,
        )
        .distinct()  # a student who left and rejoined a group is reminded once
        .cte("seats")
    )
    people = select(seats, seats.c.student_id.label("user_id"), false().label("to_parent"))
    if parents:
        links = select(
            seats, ParentLink.parent_id.label("user_id"), literal(True).label("to_parent")
        ).join(ParentLink, ParentLink.student_id == seats.c.student_id)
        people = union_all(people, links)
    pairs = people.subquery("pairs")
    prefix = case(
        {lesson_id: key_prefix(lesson_id, starts_at) for lesson_id, starts_at in lessons},
        value=pairs.c.lesson_id,
    )
    key = prefix + cast(pairs.c.student_id, String)
    logged = (
        select(NotificationLog.id)
        .where(
            NotificationLog.user_id == pairs.c.user_id,
            NotificationLog.kind == NotificationKind.LESSON_SOON,
            NotificationLog.key == key,
        )
        .exists()
    )
    person, student = aliased(User), aliased(User)
    rows = await session.execute(
        select(
            pairs.c.lesson_id,
            Lesson.starts_at,
            pairs.c.student_id,
            student.full_name,
            Course.name,
            Group.name,
            Group.room,
            pairs.c.user_id,
            pairs.c.to_parent,
        )
        .join(Lesson, Lesson.id == pairs.c.lesson_id)
        .join(Group, Group.id == Lesson.group_id)
        .join(Course, Course.id == Group.course_id)
        .join(student, student.id == pairs.c.student_id)
        .join(person, person.id == pairs.c.user_id)
        .join(Consent, Consent.id == _latest_consent_id(person))
        .where(*_may_get_reminders(person, policy_version), ~logged)
        .order_by(Lesson.starts_at, pairs.c.lesson_id, pairs.c.student_id, pairs.c.to_parent)
    )
    return [(LessonSeat(*row[:7]), row.user_id, bool(row.to_parent)) for row in rows]


async def claimed(
    session: AsyncSession, claims: Iterable[tuple[int, str, str]]
) -> set[tuple[int, str, str]]:
    """Which of these (user id, kind, key) are in the notification log already.

    Asked as an OR of exact triples, 100 at a time: each is one probe of the unique
    (user_id, kind, key) index on both databases.
    """
    found: set[tuple[int, str, str]] = set()
    for chunk in _chunks(sorted(set(claims)), 100):
        rows = await session.execute(
            select(NotificationLog.user_id, NotificationLog.kind, NotificationLog.key).where(
                or_(
                    *(
                        and_(
                            NotificationLog.user_id == user_id,
                            NotificationLog.kind == kind,
                            NotificationLog.key == key,
                        )
                        for user_id, kind, key in chunk
                    )
                )
            )
        )
        found.update((user_id, kind, key) for user_id, kind, key in rows)
    return found
