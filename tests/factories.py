"""Rows for tests, written straight to the database: users with roles and permissions, courses,
groups with their weekly slots, lessons, enrolments, parent links, charges and payments; and a
group saved through the service, as the admin's form saves it.

Each factory has sensible defaults and takes keyword overrides (any other column goes through
`**values`); it flushes, so the row has its id, and commits unless `commit=False`. Where a
factory takes a row it also takes its id."""

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import academic as academic_service
from bot.services.academic import GroupDraft, SlotSpec
from bot.services.consent import Choices
from db.base import utcnow
from db.models import (
    AdminPermission,
    Charge,
    Consent,
    ConsentEvent,
    Course,
    Enrolment,
    EnrolmentStatus,
    Group,
    Lesson,
    LessonStatus,
    ParentLink,
    Payment,
    PaymentMethod,
    Permission,
    Role,
    RoleAssignment,
    ScheduleSlot,
    User,
)
from db.repositories.payments import ledger as ledger_repo
from tests.chat import Person

Ref = Any  # a row (with an `id`) or its id
T = TypeVar("T")

START = date(2026, 1, 5)  # a Monday: the default first day of a group and of an enrolment
MINUTES = 90  # the default length of a lesson and of a weekly slot


def id_of(row: Ref) -> int:
    return row if isinstance(row, int) else row.id


async def _store(session: AsyncSession, rows: Sequence[T], commit: bool) -> Sequence[T]:
    session.add_all(rows)
    await session.flush()
    if commit:
        await session.commit()
    return rows


async def make_user(
    session: AsyncSession,
    person: Person | None = None,
    *,
    roles: Iterable[Role] = (),
    permissions: Iterable[Permission] = (),
    language: str = "en",
    full_name: str | None = None,
    consent: str | None = "1",
    choices: Choices | None = None,
) -> User:
    """A user; with `consent` (a policy version) they have accepted it, all categories on."""
    user = User(
        telegram_id=person.id if person else None,
        full_name=full_name or (person.first_name if person else "Registered Student"),
        language=language,
        created_at=utcnow(),
    )
    session.add(user)
    await session.flush()
    session.add_all(RoleAssignment(user_id=user.id, role=role) for role in roles)
    session.add_all(AdminPermission(user_id=user.id, permission=p) for p in permissions)
    if consent is not None:
        choices = choices or Choices()
        session.add(
            Consent(
                user_id=user.id,
                event=ConsentEvent.ACCEPTED,
                policy_version=consent,
                at=utcnow(),
                reminders=choices.reminders,
                announcements=choices.announcements,
                analytics=choices.analytics,
            )
        )
    await session.commit()
    return user


async def make_course(
    session: AsyncSession,
    name: str = "General English",
    *,
    monthly_price: int = 1_250_000,
    commit: bool = True,
    **values: Any,
) -> Course:
    (course,) = await _store(
        session, [Course(name=name, monthly_price=monthly_price, **values)], commit
    )
    return course


async def make_group(
    session: AsyncSession,
    name: str = "A1",
    *,
    course: Course | int | str | None = None,
    price: int = 500_000,
    teacher_id: int | None = None,
    room: str | None = None,
    start_date: date = START,
    capacity: int = 20,
    slots: Iterable[tuple[int, time] | tuple[int, time, int]] = (),
    commit: bool = True,
    **values: Any,
) -> Group:
    """A group of `course` (a row or an id; a name or None makes that course, by default
    "<name> course", at `price` a month), with weekly `slots`: (weekday, start[, minutes])."""
    if course is None or isinstance(course, str):
        course = await make_course(
            session, course or f"{name} course", monthly_price=price, commit=False
        )
    group = Group(
        course_id=id_of(course),
        teacher_id=teacher_id,
        name=name,
        room=room,
        start_date=start_date,
        capacity=capacity,
        **values,
    )
    session.add(group)
    await session.flush()
    await _store(
        session,
        [
            ScheduleSlot(
                group_id=group.id,
                weekday=slot[0],
                start_time=slot[1],
                duration_minutes=slot[2] if len(slot) > 2 else MINUTES,
            )
            for slot in slots
        ],
        commit,
    )
    return group


def group_draft(course: Ref, **values: Any) -> GroupDraft:
    """What the group form collects; by default "A1 Morning" in room 12, Mon and Wed 14:00."""
    base: dict[str, Any] = dict(
        course_id=id_of(course),
        name="A1 Morning",
        teacher_id=None,
        room="12",
        capacity=12,
        start_date=date(2025, 1, 1),
        end_date=None,
        price_override=None,
        slots=(SlotSpec(0, time(14, 0), MINUTES), SlotSpec(2, time(14, 0), MINUTES)),
    )
    return GroupDraft(**(base | values))


async def save_group(
    session: AsyncSession,
    settings: Any,
    admin: Ref,
    course: Ref,
    *,
    now: datetime | None = None,
    **values: Any,
) -> Group:
    """A group saved through the service as the form saves it (slots, lessons, audit entry);
    `values` override the fields of `group_draft`."""
    result = await academic_service.save_group(
        session,
        id_of(admin),
        None,
        group_draft(course, **values),
        now=now or utcnow(),
        tz=settings.centre.tz,
    )
    return result.group


async def make_lessons(
    session: AsyncSession,
    group: Ref,
    starts: Iterable[datetime],
    *,
    duration_minutes: int = MINUTES,
    status: str = LessonStatus.SCHEDULED,
    commit: bool = True,
    **values: Any,
) -> list[Lesson]:
    rows = [
        Lesson(
            group_id=id_of(group),
            starts_at=start,
            duration_minutes=duration_minutes,
            status=status,
            **values,
        )
        for start in starts
    ]
    return list(await _store(session, rows, commit))


async def make_lesson(
    session: AsyncSession, group: Ref, starts_at: datetime, **values: Any
) -> Lesson:
    (lesson,) = await make_lessons(session, group, [starts_at], **values)
    return lesson


async def make_enrolment(
    session: AsyncSession,
    student: Ref,
    group: Ref,
    *,
    joined_on: date = START,
    status: str = EnrolmentStatus.ACTIVE,
    commit: bool = True,
    **values: Any,
) -> Enrolment:
    row = Enrolment(
        student_id=id_of(student),
        group_id=id_of(group),
        joined_on=joined_on,
        status=status,
        **values,
    )
    (enrolment,) = await _store(session, [row], commit)
    return enrolment


async def link_parent(
    session: AsyncSession, parent: Ref, *children: Ref, commit: bool = True, **values: Any
) -> None:
    rows = [
        ParentLink(parent_id=id_of(parent), student_id=id_of(child), **values) for child in children
    ]
    await _store(session, rows, commit)


async def make_charge(
    session: AsyncSession,
    student: Ref,
    *,
    amount: int = 500_000,
    period: date = date(2026, 3, 1),
    due_date: date | None = None,
    balance_at: datetime | None = None,
    commit: bool = True,
    **values: Any,
) -> Charge:
    """A charge for `period`, due on `due_date` (by default the period's first day); with
    `balance_at`, the running balance falls by the amount at that moment, as the ledger
    writes a charge."""
    row = Charge(
        student_id=id_of(student),
        period=period,
        amount=amount,
        due_date=due_date or period,
        **values,
    )
    (charge,) = await _store(session, [row], commit=False)
    if balance_at is not None:
        await ledger_repo.add_to_balance(session, id_of(student), -amount, balance_at)
    if commit:
        await session.commit()
    return charge


async def make_payment(
    session: AsyncSession,
    student: Ref | None,
    amount: int = 100_000,
    *,
    method: str = PaymentMethod.CASH,
    commit: bool = True,
    **values: Any,
) -> Payment:
    """A payment row alone (the balance is left as it is): `student` None for an erased
    person's, with `anon_ref=`."""
    row = Payment(
        student_id=None if student is None else id_of(student),
        amount=amount,
        method=method,
        **values,
    )
    (payment,) = await _store(session, [row], commit)
    return payment
