"""A person's data (POLICY 5-7): gathering it for /mydata and /export, who may see it,
and the corrections a user may make to their own profile.

`overview` loads what the /mydata card shows (counts and the latest few rows);
`everything` loads every row for /export. Both cost one query per table, never one
per row, so a student with thousands of attendance marks is as quick as a new one.

Corrections (name, phone, email) are validated by `bot.services.parsing`; an invalid
value raises its `Invalid` with a `Problem` the handler turns into a message, and nothing
is written. A valid one is stored with an audit entry that names the field but not the
old or new value (the audit log must not become a second copy of personal data).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.parsing import clean_email, clean_name, clean_phone
from db.models import User
from db.repositories import mydata as repo

R = TypeVar("R")

RECENT = 5  # grades and payments shown on the /mydata card


class Field(StrEnum):
    """Profile fields a user may correct (the audit entry names them)."""

    NAME = "full_name"
    PHONE = "phone"
    EMAIL = "email"


# --- the rows ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Profile:
    id: int
    telegram_id: int | None
    full_name: str | None
    username: str | None
    phone: str | None
    email: str | None
    language: str
    birth_date: date | None
    created_at: datetime
    last_seen_at: datetime | None
    is_active: bool


@dataclass(frozen=True, slots=True)
class PersonRef:
    id: int
    full_name: str | None


@dataclass(frozen=True, slots=True)
class RoleRow:
    role: str
    since: datetime


@dataclass(frozen=True, slots=True)
class EnrolmentRow:
    id: int
    group_id: int
    group: str
    course: str
    joined_on: date
    left_on: date | None
    status: str
    discount_percent: int


@dataclass(frozen=True, slots=True)
class AttendanceRow:
    lesson_id: int
    group: str
    lesson_starts_at: datetime
    status: str
    marked_at: datetime


@dataclass(frozen=True, slots=True)
class GradeRow:
    id: int
    group: str
    lesson_id: int | None
    kind: str
    score: int
    max_score: int
    comment: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PaymentRow:
    id: int
    amount: int
    method: str
    paid_at: datetime
    note: str | None
    reversed_at: datetime | None
    reversal_reason: str | None

    @property
    def reversed(self) -> bool:
        return self.reversed_at is not None


@dataclass(frozen=True, slots=True)
class ChargeRow:
    id: int
    group: str | None
    period: date
    amount: int
    due_date: date
    cancelled_at: datetime | None


@dataclass(frozen=True, slots=True)
class RefundRow:
    id: int
    amount: int
    method: str
    reason: str
    refunded_at: datetime


@dataclass(frozen=True, slots=True)
class ConsentRow:
    event: str
    policy_version: str
    at: datetime
    reminders: bool
    announcements: bool
    analytics: bool


@dataclass(frozen=True, slots=True)
class TicketRow:
    id: int
    topic: str
    text: str
    status: str
    answer: str | None
    created_at: datetime
    answered_at: datetime | None


@dataclass(frozen=True, slots=True)
class NotificationRow:
    kind: str
    key: str
    status: str
    claimed_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class LeadRow:
    id: int
    name: str
    phone: str
    course: str | None
    source: str
    status: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PersonData:
    """What is stored about one person. With `complete` False (the /mydata card) the
    attendance rows, charges, refunds, notifications and leads are not loaded and grades
    and payments hold only the latest few; the counts are always whole."""

    profile: Profile
    complete: bool
    roles: list[RoleRow]
    enrolments: list[EnrolmentRow]
    attendance_counts: dict[str, int]
    grades: list[GradeRow]
    grade_count: int
    payments: list[PaymentRow]
    payment_count: int
    balance: int | None
    children: list[PersonRef]
    parents: list[PersonRef]
    consents: list[ConsentRow]
    tickets: list[TicketRow]
    attendance: list[AttendanceRow] = field(default_factory=list)
    charges: list[ChargeRow] = field(default_factory=list)
    refunds: list[RefundRow] = field(default_factory=list)
    notifications: list[NotificationRow] = field(default_factory=list)
    leads: list[LeadRow] = field(default_factory=list)

    @property
    def current_consent(self) -> ConsentRow | None:
        """The choice in force; None when never given or withdrawn."""
        if not self.consents or self.consents[-1].event == "withdrawn":
            return None
        return self.consents[-1]

    @property
    def open_tickets(self) -> list[TicketRow]:
        return [ticket for ticket in self.tickets if ticket.status == "open"]


def copied(row: type[R], source: object, **given: object) -> R:
    """A row of `row` (a dataclass) from the stored object's attributes of the same names;
    `given` fills the fields the object does not hold (a joined group's or course's name)."""
    return row(
        **{
            name: given[name] if name in given else getattr(source, name)
            for name in (f.name for f in fields(row))  # type: ignore[arg-type]
        }
    )


def _refs(users: Sequence[User]) -> list[PersonRef]:
    return [PersonRef(id=user.id, full_name=user.full_name) for user in users]


async def _live_user(session: AsyncSession, user_id: int) -> User | None:
    user = await repo.get_user(session, user_id)
    return None if user is None or user.deleted_at is not None else user


async def overview(session: AsyncSession, user_id: int, recent: int = RECENT) -> PersonData | None:
    """The /mydata card; None for an unknown or erased person."""
    return await _gather(session, user_id, complete=False, recent=recent)


async def everything(session: AsyncSession, user_id: int) -> PersonData | None:
    """Every row, for /export; None for an unknown or erased person."""
    return await _gather(session, user_id, complete=True, recent=None)


async def _gather(
    session: AsyncSession, user_id: int, *, complete: bool, recent: int | None
) -> PersonData | None:
    user = await _live_user(session, user_id)
    if user is None:
        return None
    grade_rows = await repo.grades(session, user_id, limit=recent)
    payment_rows = await repo.payments(session, user_id, limit=recent)
    data = PersonData(
        profile=copied(Profile, user),
        complete=complete,
        roles=[
            RoleRow(role=role, since=since) for role, since in await repo.roles(session, user_id)
        ],
        enrolments=[
            copied(EnrolmentRow, enrolment, group=group, course=course)
            for enrolment, group, course in await repo.enrolments(session, user_id)
        ],
        attendance_counts=await repo.attendance_counts(session, user_id),
        grades=[copied(GradeRow, grade, group=group) for grade, group in grade_rows],
        grade_count=(len(grade_rows) if complete else await repo.count_grades(session, user_id)),
        payments=[copied(PaymentRow, payment) for payment in payment_rows],
        payment_count=(
            len(payment_rows) if complete else await repo.count_payments(session, user_id)
        ),
        balance=await repo.balance(session, user_id),
        children=_refs(await repo.children(session, user_id)),
        parents=_refs(await repo.parents(session, user_id)),
        consents=[copied(ConsentRow, row) for row in await repo.consents(session, user_id)],
        tickets=[copied(TicketRow, ticket) for ticket in await repo.tickets(session, user_id)],
    )
    if not complete:
        return data
    data.attendance.extend(
        AttendanceRow(
            lesson_id=lesson_id,
            group=group,
            lesson_starts_at=starts_at,
            status=status,
            marked_at=marked_at,
        )
        for lesson_id, status, marked_at, starts_at, group in await repo.attendance(
            session, user_id
        )
    )
    data.charges.extend(
        copied(ChargeRow, charge, group=group)
        for charge, group in await repo.charges(session, user_id)
    )
    data.refunds.extend(
        copied(RefundRow, refund) for refund in await repo.refunds(session, user_id)
    )
    data.notifications.extend(
        copied(NotificationRow, row) for row in await repo.notifications(session, user_id)
    )
    data.leads.extend(
        copied(LeadRow, lead, course=course) for lead, course in await repo.leads(session, user_id)
    )
    return data


# --- who may see whose data --------------------------------------------------------------


async def may_see(session: AsyncSession, viewer_id: int, subject_id: int) -> bool:
    """Oneself, or a parent their linked child; nobody an erased person."""
    if await _live_user(session, subject_id) is None:
        return False
    return viewer_id == subject_id or await repo.is_linked_child(session, viewer_id, subject_id)


async def children(session: AsyncSession, parent_id: int) -> list[PersonRef]:
    return _refs(await repo.children(session, parent_id))


# --- corrections ------------------------------------------------------------------------


async def _change(session: AsyncSession, user_id: int, field_: Field, value: str) -> str | None:
    user = await _live_user(session, user_id)
    if user is None:
        return None
    if getattr(user, field_.value) != value:
        setattr(user, field_.value, value)
        await audit.record(
            session, user_id, "user.profile", "user", user_id, details={"field": field_.value}
        )
        await session.commit()
    return value


async def change_name(session: AsyncSession, user_id: int, raw: str) -> str | None:
    """The name as stored; raises parsing.Invalid (nothing written); None when the user is gone."""
    return await _change(session, user_id, Field.NAME, clean_name(raw))


async def change_email(session: AsyncSession, user_id: int, raw: str) -> str | None:
    return await _change(session, user_id, Field.EMAIL, clean_email(raw))


async def change_phone(session: AsyncSession, user_id: int, raw: str) -> str | None:
    """The number must come from the user's own Telegram contact (the handler checks);
    a contact always carries its country code, so PHONE_REGION does not matter here."""
    return await _change(session, user_id, Field.PHONE, clean_phone(raw))
