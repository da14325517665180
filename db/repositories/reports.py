"""Report queries: sums grouped in SQL (never a loop over ledger rows in Python). Never commits.

Months are the centre's: the caller passes the UTC moments at which its months begin
(`bounds`, one more than months), and a moment is put in its month by a CASE over them,
which reads the same on SQLite and PostgreSQL and knows nothing of time zone rules.

A filter (`ScopeFilter`) narrows charges to the enrolments of its groups, and payments,
reversals and refunds (a student's, not a group's) to the students enrolled in its groups
at some time in the period.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Row,
    Select,
    String,
    and_,
    any_,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Balance,
    Charge,
    Course,
    Enrolment,
    Group,
    Payment,
    Refund,
    Role,
    RoleAssignment,
    User,
)
from db.repositories.dialect import is_postgres


@dataclass(frozen=True, slots=True)
class ScopeFilter:
    course_id: int | None = None
    group_id: int | None = None
    teacher_id: int | None = None

    @property
    def is_centre(self) -> bool:
        return self.course_id is None and self.group_id is None and self.teacher_id is None


def _group_conditions(scope: ScopeFilter) -> list[ColumnElement[bool]]:
    conditions = []
    if scope.course_id is not None:
        conditions.append(Group.course_id == scope.course_id)
    if scope.group_id is not None:
        conditions.append(Group.id == scope.group_id)
    if scope.teacher_id is not None:
        conditions.append(Group.teacher_id == scope.teacher_id)
    return conditions


def _owned_in_scope(table: Any, scope: ScopeFilter, first_day: date, last_day: date) -> Any:
    """A payment's or refund's owner has an enrolment in the scope's groups during
    [first_day, last_day]: a student by id, an erased one by the anonymous reference their
    ledger moved to (the enrolment keeps the erased user's id, the charges of it the
    reference)."""
    enrolled = [
        *_group_conditions(scope),
        Enrolment.joined_on <= last_day,
        or_(Enrolment.left_on.is_(None), Enrolment.left_on >= first_day),
    ]
    students = select(Enrolment.student_id).join(Group, Group.id == Enrolment.group_id)
    erased = (
        select(Charge.anon_ref)
        .join(Enrolment, Enrolment.id == Charge.enrolment_id)
        .join(Group, Group.id == Enrolment.group_id)
        .where(Charge.student_id.is_(None))
    )
    return Owners(students.where(*enrolled), erased.where(*enrolled)).of(table)


def _bucket(
    column: Any, bounds: Sequence[datetime], within: tuple[datetime, datetime] | None = None
) -> Any:
    """The index of the month a moment falls in (the caller keeps it within the bounds, and
    within [start, end) when it gives `within`: then only the months that range touches are
    compared — one lesson read row by row costs a comparison per month otherwise)."""
    indexes = range(len(bounds) - 1)
    if within is not None:
        start, end = within
        indexes = range(
            max(i for i in indexes if bounds[i] <= start) if bounds[0] <= start else 0,
            min((i for i in indexes if end <= bounds[i + 1]), default=len(bounds) - 2) + 1,
        )
    if len(indexes) == 1:
        return literal(indexes[0])
    return case(*[(column < bounds[index + 1], index) for index in indexes[:-1]], else_=indexes[-1])


# --- names and choices of filters ---------------------------------------------------------


async def course_name(session: AsyncSession, course_id: int) -> str | None:
    return await session.scalar(select(Course.name).where(Course.id == course_id))


async def group_name(session: AsyncSession, group_id: int) -> str | None:
    return await session.scalar(select(Group.name).where(Group.id == group_id))


def _teachers() -> Select[Any]:
    return (
        select(User.id, func.coalesce(User.full_name, "—"))
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == Role.TEACHER.value, User.deleted_at.is_(None))
    )


async def teacher_name(session: AsyncSession, teacher_id: int) -> str | None:
    row = (await session.execute(_teachers().where(User.id == teacher_id))).first()
    return None if row is None else row[1]


def _choices(kind: str) -> Select[Any]:
    if kind == "k":
        return select(Course.id, Course.name)
    if kind == "g":
        label = Group.name + literal(" · ") + Course.name
        return select(Group.id, label).join(Course, Course.id == Group.course_id)
    return _teachers()


async def count_choices(session: AsyncSession, kind: str) -> int:
    query = select(func.count()).select_from(_choices(kind).subquery())
    return int(await session.scalar(query) or 0)


async def choices(session: AsyncSession, kind: str, offset: int, limit: int) -> Sequence[Row[Any]]:
    """(id, name) of courses ("k"), groups ("g", with the course) or teachers ("t")."""
    query = _choices(kind).subquery()
    id_column, name_column = query.c
    return (
        await session.execute(
            select(id_column, name_column)
            .order_by(name_column, id_column)
            .offset(offset)
            .limit(limit)
        )
    ).all()


# --- the money of a period, month by month --------------------------------------------------


async def charged_by_month(
    session: AsyncSession, first_month: date, last_day: date, scope: ScopeFilter
) -> Sequence[Row[Any]]:
    """(month, amount) of the charges not cancelled for months from first_month to last_day."""
    query = (
        select(Charge.period, func.sum(Charge.amount))
        .where(
            Charge.period >= first_month,
            Charge.period <= last_day,
            Charge.cancelled_at.is_(None),
        )
        .group_by(Charge.period)
    )
    if not scope.is_centre:
        query = query.join(Enrolment, Enrolment.id == Charge.enrolment_id).join(
            Group, Group.id == Enrolment.group_id
        )
        query = query.where(*_group_conditions(scope))
    return (await session.execute(query)).all()


def _cash_query(amount: Any, method: Any, moment: Any, bounds: Sequence[datetime]) -> Select[Any]:
    return select(
        _bucket(moment, bounds).label("month"), method.label("method"), amount.label("amount")
    ).where(moment >= bounds[0], moment < bounds[-1])


async def cash_by_month(
    session: AsyncSession,
    bounds: Sequence[datetime],
    scope: ScopeFilter,
    first_day: date,
    last_day: date,
) -> Sequence[Row[Any]]:
    """(kind, month index, method, amount): kind "paid" (payments received, reversed later or
    not), "reversed" (payments reversed then, by the moment of the reversal) and "refunded"."""
    paid = _cash_query(Payment.amount, Payment.method, Payment.paid_at, bounds)
    reversed_ = _cash_query(Payment.amount, Payment.method, Payment.reversed_at, bounds)
    refunded = _cash_query(Refund.amount, Refund.method, Refund.refunded_at, bounds)
    if not scope.is_centre:
        paying = _owned_in_scope(Payment, scope, first_day, last_day)
        paid = paid.where(paying)
        reversed_ = reversed_.where(paying)
        refunded = refunded.where(_owned_in_scope(Refund, scope, first_day, last_day))
    parts = union_all(
        paid.add_columns(literal("paid").label("kind")),
        reversed_.add_columns(literal("reversed").label("kind")),
        refunded.add_columns(literal("refunded").label("kind")),
    ).subquery()
    return (
        await session.execute(
            select(parts.c.kind, parts.c.month, parts.c.method, func.sum(parts.c.amount)).group_by(
                parts.c.kind, parts.c.month, parts.c.method
            )
        )
    ).all()


# --- debt at a moment -------------------------------------------------------------------------


def _owner(table: Any) -> tuple[Any, Any]:
    """A row's owner as two plain columns: a student's rows by id, an erased person's (no
    student) by anon_ref. Joined on these columns of subqueries (not on expressions), the
    database can hash the join or index the subquery instead of comparing every pair."""
    return (
        func.coalesce(table.student_id, 0).label("owner_id"),
        func.coalesce(table.anon_ref, "").label("owner_ref"),
    )


def _credits_at(as_of: datetime) -> Any:
    """(owner_id, owner_ref, credit) per owner at `as_of`: payments received by then and not
    reversed by then, less refunds made by then. Each table is summed by its own columns
    first (in the order of its owner index, so without sorting its rows), then the two."""
    paid = (
        select(Payment.student_id, Payment.anon_ref, func.sum(Payment.amount).label("amount"))
        .where(
            Payment.paid_at < as_of,
            or_(Payment.reversed_at.is_(None), Payment.reversed_at >= as_of),
        )
        .group_by(Payment.student_id, Payment.anon_ref)
    )
    refunded = (
        select(Refund.student_id, Refund.anon_ref, -func.sum(Refund.amount))
        .where(Refund.refunded_at < as_of)
        .group_by(Refund.student_id, Refund.anon_ref)
    )
    moves = union_all(paid, refunded).subquery()
    owner_id, owner_ref = _owner(moves.c)
    return (
        select(owner_id, owner_ref, func.sum(moves.c.amount).label("credit"))
        .group_by(owner_id, owner_ref)
        .subquery()
    )


def _credits_from_balances(as_of: datetime, owners: "Owners | None" = None) -> Any:
    """_credits_at, read from the maintained balances instead of every payment.

    A balance is payments not reversed − charges not cancelled − refunds, all of them; so
    the credit at `as_of` (payments received by then and not reversed by then, less the
    refunds made by then) is the balance, plus every charge not cancelled, less the
    payments received since and not reversed, plus those received before and reversed
    since, plus the refunds made since. Only the rows after `as_of` are read by date (the
    payments' indexes by date), the charges by owner."""
    parts = [
        select(Balance.student_id, Balance.anon_ref, Balance.amount.label("amount")),
        select(Charge.student_id, Charge.anon_ref, Charge.amount).where(
            Charge.cancelled_at.is_(None)
        ),
        select(Payment.student_id, Payment.anon_ref, -Payment.amount).where(
            Payment.paid_at >= as_of, Payment.reversed_at.is_(None)
        ),
        select(Payment.student_id, Payment.anon_ref, Payment.amount).where(
            Payment.reversed_at >= as_of, Payment.paid_at < as_of
        ),
        select(Refund.student_id, Refund.anon_ref, Refund.amount).where(
            Refund.refunded_at >= as_of
        ),
    ]
    if owners is not None:
        parts = [
            part.where(owners.of(table))
            for part, table in zip(parts, (Balance, Charge, Payment, Payment, Refund), strict=True)
        ]
    moves = union_all(*parts).subquery()
    owner_id, owner_ref = _owner(moves.c)
    return (
        select(owner_id, owner_ref, func.sum(moves.c.amount).label("credit"))
        .group_by(owner_id, owner_ref)
        .subquery()
    )


def _same_owner(left: Any, right: Any) -> ColumnElement[bool]:
    return and_(left.owner_id == right.owner_id, left.owner_ref == right.owner_ref)


@dataclass(frozen=True, slots=True)
class Owners:
    """The owners of the charges (up to a day) of a filter's groups: a filter's breakdown
    needs only their ledger (each one's credit covers all their charges, oldest first)."""

    students: Any  # a query of their ids, or the ids themselves
    erased: Any  # the anon_ref of an erased person's charges (a query, or the refs)

    @classmethod
    async def of_charges(
        cls, session: AsyncSession, scope: ScopeFilter, last_day: date
    ) -> "Owners":
        """On PostgreSQL the ids themselves, read first: its planner takes the subquery for
        ten times the owners it holds (a teacher's 1 200 students for 20 000) and reads
        every charge of the centre, where it looks up a list it can count."""

        def owning(column: Any) -> Select[Any]:
            return (
                select(column)
                .join(Enrolment, Enrolment.id == Charge.enrolment_id)
                .join(Group, Group.id == Enrolment.group_id)
                .where(*_group_conditions(scope), Charge.period <= last_day)
            )

        students = owning(Charge.student_id).where(Charge.student_id.is_not(None))
        erased = owning(Charge.anon_ref).where(Charge.student_id.is_(None))
        if not is_postgres(session):
            return cls(students, erased)
        ids = list(await session.scalars(students.distinct()))
        refs = list(await session.scalars(erased.distinct()))
        return cls(
            literal(ids, ARRAY(Integer)) if ids else None,
            literal(refs, ARRAY(String)) if refs else None,
        )

    def of(self, table: Any) -> ColumnElement[bool]:
        return or_(
            self._among(table.student_id, self.students),
            and_(table.student_id.is_(None), self._among(table.anon_ref, self.erased)),
        )

    @staticmethod
    def _among(column: Any, owners: Any) -> ColumnElement[bool]:
        if owners is None:  # none read
            return false()
        if isinstance(owners, Select):
            return column.in_(owners)
        return column == any_(owners)


async def centre_debt_at(session: AsyncSession, last_day: date, as_of: datetime) -> int:
    """Σ over owners of what they owed at `as_of`: charges for months up to last_day (not
    cancelled) beyond their credit then; a credit of one owner never pays another's debt."""
    owner_id, owner_ref = _owner(Charge)
    charges = (
        select(owner_id, owner_ref, func.sum(Charge.amount).label("charged"))
        .where(Charge.period <= last_day, Charge.cancelled_at.is_(None))
        .group_by(owner_id, owner_ref)
        .subquery()
    )
    credits = _credits_at(as_of)
    owed = charges.c.charged - func.coalesce(credits.c.credit, 0)
    per_owner = (
        select(case((owed > 0, owed), else_=0).label("debt"))
        .select_from(charges)
        .outerjoin(credits, _same_owner(charges.c, credits.c))
        .subquery()
    )
    value = await session.scalar(select(func.coalesce(func.sum(per_owner.c.debt), 0)))
    return int(value or 0)


def _moves_after(last_day: date, as_of: datetime) -> Any:
    """(student_id, anon_ref, amount): each owner's balance now, negated (what they owe now),
    and what changed it after `as_of` (charges for months after last_day), with the sign
    that takes it back out: see centre_debt_from_balances."""
    return union_all(
        select(Balance.student_id, Balance.anon_ref, (-Balance.amount).label("amount")),
        select(Charge.student_id, Charge.anon_ref, -Charge.amount).where(
            Charge.period > last_day, Charge.cancelled_at.is_(None)
        ),
        select(Payment.student_id, Payment.anon_ref, Payment.amount).where(
            Payment.paid_at >= as_of, Payment.reversed_at.is_(None)
        ),
        select(Payment.student_id, Payment.anon_ref, -Payment.amount).where(
            Payment.reversed_at >= as_of, Payment.paid_at < as_of
        ),
        select(Refund.student_id, Refund.anon_ref, -Refund.amount).where(
            Refund.refunded_at >= as_of
        ),
    ).subquery()


async def centre_debt_from_balances(session: AsyncSession, last_day: date, as_of: datetime) -> int:
    """centre_debt_at, read from the maintained balances instead of the whole ledger.

    A balance is payments not reversed − charges not cancelled − refunds, all of them; what
    an owner owed at `as_of` by centre_debt_at's rule is minus their balance, less the
    charges for months after last_day, plus the payments received since (not reversed),
    less those received before and reversed since, less the refunds made since. Only the
    rows after `as_of` are read (the indexes by date), and the balances; an owner counts
    only with a charge up to last_day, as in centre_debt_at."""
    moves = _moves_after(last_day, as_of)
    owner_id, owner_ref = _owner(moves.c)
    owed = func.sum(moves.c.amount)
    owners = (
        select(owner_id, owner_ref, owed.label("owed"))
        .group_by(owner_id, owner_ref)
        .having(owed > 0)
        .subquery()
    )
    counted = (Charge.period <= last_day, Charge.cancelled_at.is_(None))
    charged = case(
        (owners.c.owner_id != 0, exists().where(Charge.student_id == owners.c.owner_id, *counted)),
        else_=exists().where(
            Charge.student_id.is_(None), Charge.anon_ref == owners.c.owner_ref, *counted
        ),
    )
    value = await session.scalar(select(func.coalesce(func.sum(owners.c.owed), 0)).where(charged))
    return int(value or 0)


DIMENSIONS = {"course": Group.course_id, "group": Group.id, "teacher": Group.teacher_id}
_KEY_INDEX = {"group": 0, "course": 1, "teacher": 2}  # in a breakdown_by_group row


async def breakdown(
    session: AsyncSession,
    dimension: str,
    first_month: date,
    last_day: date,
    as_of: datetime,
    scope: ScopeFilter,
) -> list[tuple[int | None, int, int, int]]:
    """(key, charged, unpaid, debt) per course, group or teacher (key None: a charge of no
    group, or a group without a teacher); see breakdown_by_group."""
    rows = await breakdown_by_group(session, first_month, last_day, as_of, scope)
    return by_dimension(rows, dimension)


def by_dimension(
    rows: Sequence[Sequence[Any]], dimension: str
) -> list[tuple[int | None, int, int, int]]:
    """breakdown_by_group's lines (one per group, at most as many as groups) added up per
    course, group or teacher."""
    index = _KEY_INDEX[dimension]
    totals: dict[int | None, list[int]] = {}
    for row in rows:
        line = totals.setdefault(row[index], [0, 0, 0])
        for position, amount in enumerate(row[3:]):
            line[position] += int(amount or 0)
    return [(key, *line) for key, line in totals.items()]  # type: ignore[misc]


async def breakdown_by_group(
    session: AsyncSession,
    first_month: date,
    last_day: date,
    as_of: datetime,
    scope: ScopeFilter,
) -> Sequence[Row[Any]]:
    """(group id, course id, teacher id, charged, unpaid, debt) per group (group None: the
    charges of no group), in one pass over the ledger for the three breakdowns.

    Each owner's credit at `as_of` covers their charges oldest first (by due date, then id),
    as the debtors list reads them; what it leaves uncovered of a charge is that charge's
    debt. charged: the period's charges; unpaid: what is left of them at `as_of`; debt: what
    is left at `as_of` of every charge up to last_day. A filter reads only the ledger of the
    owners of its groups' charges."""
    owners = None if scope.is_centre else await Owners.of_charges(session, scope, last_day)
    owner_id, owner_ref = _owner(Charge)
    running = (
        select(
            Charge.id,
            owner_id,
            owner_ref,
            Charge.period,
            Charge.amount,
            Charge.enrolment_id,
            func.sum(Charge.amount)
            .over(
                partition_by=(Charge.student_id, Charge.anon_ref),
                order_by=(Charge.due_date, Charge.id),
            )
            .label("running"),
        )
        .where(
            Charge.period <= last_day,
            Charge.cancelled_at.is_(None),
            Charge.amount > 0,
            *([] if owners is None else [owners.of(Charge)]),
        )
        .subquery()
    )
    credits = _credits_from_balances(as_of, owners)
    left_over = running.c.running - func.coalesce(credits.c.credit, 0)
    uncovered = case(
        (left_over <= 0, 0), (left_over >= running.c.amount, running.c.amount), else_=left_over
    )
    in_period = running.c.period >= first_month
    query = (
        select(
            Group.id,
            Group.course_id,
            Group.teacher_id,
            func.sum(case((in_period, running.c.amount), else_=0)),
            func.sum(case((in_period, uncovered), else_=0)),
            func.sum(uncovered),
        )
        .select_from(running)
        .outerjoin(credits, _same_owner(running.c, credits.c))
        .outerjoin(Enrolment, Enrolment.id == running.c.enrolment_id)
        .outerjoin(Group, Group.id == Enrolment.group_id)
        .where(*_group_conditions(scope))
        .group_by(Group.id, Group.course_id, Group.teacher_id)
    )
    return (await session.execute(query)).all()


async def names(session: AsyncSession, dimension: str, keys: Sequence[int]) -> dict[int, str]:
    """The names of the courses, groups or teachers of a breakdown."""
    if not keys:
        return {}
    if dimension == "course":
        query = select(Course.id, Course.name).where(Course.id.in_(keys))
    elif dimension == "group":
        query = select(Group.id, Group.name).where(Group.id.in_(keys))
    else:
        query = select(User.id, func.coalesce(User.full_name, "—")).where(User.id.in_(keys))
    return {row_id: name for row_id, name in await session.execute(query)}
