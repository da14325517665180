"""Imports: the people an import matches against, its batches and items. Queries only."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, exists, func, insert, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Attendance,
    Balance,
    Charge,
    Course,
    Enrolment,
    EnrolmentFreeze,
    Grade,
    Group,
    ImportBatch,
    ImportItem,
    Invite,
    Lesson,
    LessonStatus,
    ParentLink,
    Payment,
    RoleAssignment,
    ScheduleSlot,
    User,
)

CHUNK = 500  # ids per IN (...): far below SQLite's and asyncpg's parameter limits


PART = 2000  # rows fetched at a time when the whole centre is read


async def _in_parts(session: AsyncSession, statement: Any) -> list[Row[Any]]:
    """Every row, fetched and made PART at a time: the event loop answers the other updates
    between the parts (a centre of 20 000 people made at once held it for ~150 ms)."""
    result = await session.stream(statement.execution_options(yield_per=PART))
    rows: list[Row[Any]] = []
    async for part in result.partitions(PART):
        rows.extend(part)
    return rows


async def live_people(session: AsyncSession) -> Sequence[Row[Any]]:
    """(id, full_name, phone, birth_date, language, telegram_id) of everyone not deleted."""
    return await _in_parts(
        session,
        select(User.id, User.full_name, User.phone, User.birth_date, User.language)
        .where(User.deleted_at.is_(None))
        .order_by(User.id),
    )


async def all_roles(session: AsyncSession) -> Sequence[Row[Any]]:
    return await _in_parts(session, select(RoleAssignment.user_id, RoleAssignment.role))


async def all_links(session: AsyncSession) -> Sequence[Row[Any]]:
    return await _in_parts(session, select(ParentLink.parent_id, ParentLink.student_id))


async def applied_batch(session: AsyncSession, file_hash: str, kind: str) -> ImportBatch | None:
    """The latest batch of this very file that is still in force."""
    return await session.scalar(
        select(ImportBatch)
        .where(
            ImportBatch.file_hash == file_hash,
            ImportBatch.kind == kind,
            ImportBatch.undone_at.is_(None),
        )
        .order_by(ImportBatch.id.desc())
        .limit(1)
    )


async def items(session: AsyncSession, batch_id: int) -> Sequence[Row[Any]]:
    """(object_type, object_id, field, value) of a batch's items: plain rows (tens of
    thousands of ORM objects would hold the event loop up)."""
    return await _in_parts(
        session,
        select(ImportItem.object_type, ImportItem.object_id, ImportItem.field, ImportItem.value)
        .where(ImportItem.batch_id == batch_id)
        .order_by(ImportItem.id),
    )


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


async def users(session: AsyncSession, ids: Iterable[int]) -> list[User]:
    found: list[User] = []
    for chunk in _chunks(ids):
        found.extend((await session.scalars(select(User).where(User.id.in_(chunk)))).all())
    return found


async def telegram_ids(session: AsyncSession, ids: Iterable[int]) -> dict[int, int | None]:
    """Of these people, those still there, with their Telegram id (None: not bound)."""
    found: dict[int, int | None] = {}
    for chunk in _chunks(ids):
        rows = await session.execute(select(User.id, User.telegram_id).where(User.id.in_(chunk)))
        found.update((row.id, row.telegram_id) for row in rows)
    return found


async def with_records(session: AsyncSession, ids: Iterable[int], batch_id: int) -> set[int]:
    """Of these people, those something else refers to: an enrolment, a charge, a payment,
    an attendance mark, a grade, or a role / parent link that the batch did not create."""

    def own(object_type: str) -> Any:
        return (
            select(ImportItem.object_id)
            .where(ImportItem.batch_id == batch_id, ImportItem.object_type == object_type)
            .scalar_subquery()
        )

    busy: set[int] = set()
    for chunk in _chunks(ids):
        queries = [
            select(Enrolment.student_id.label("user_id")).where(Enrolment.student_id.in_(chunk)),
            select(Charge.student_id.label("user_id")).where(Charge.student_id.in_(chunk)),
            select(Payment.student_id.label("user_id")).where(Payment.student_id.in_(chunk)),
            select(Attendance.student_id.label("user_id")).where(Attendance.student_id.in_(chunk)),
            select(Grade.student_id.label("user_id")).where(Grade.student_id.in_(chunk)),
            select(RoleAssignment.user_id.label("user_id")).where(
                RoleAssignment.user_id.in_(chunk), RoleAssignment.id.not_in(own("role"))
            ),
            select(ParentLink.parent_id.label("user_id")).where(
                ParentLink.parent_id.in_(chunk), ParentLink.id.not_in(own("link"))
            ),
            select(ParentLink.student_id.label("user_id")).where(
                ParentLink.student_id.in_(chunk), ParentLink.id.not_in(own("link"))
            ),
        ]
        rows = await session.execute(union_all(*queries))
        busy.update(row.user_id for row in rows)
    return busy


async def delete_rows(session: AsyncSession, model: Any, ids: Iterable[int]) -> int:
    removed = 0
    for chunk in _chunks(ids):
        table = model.__table__  # Core: no ORM bookkeeping per row (the commit expires all)
        result = await session.execute(delete(table).where(table.c.id.in_(chunk)))
        removed += result.rowcount or 0
    return removed


async def unused_invites(session: AsyncSession, ids: Iterable[int]) -> list[int]:
    found: list[int] = []
    for chunk in _chunks(ids):
        rows = await session.scalars(
            select(Invite.id).where(Invite.id.in_(chunk), Invite.used_at.is_(None))
        )
        found.extend(rows.all())
    return found


async def count_batches(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(ImportBatch)) or 0


async def has_batch(session: AsyncSession, batch_id: int) -> bool:
    return bool(await session.scalar(select(exists().where(ImportBatch.id == batch_id))))


async def latest_undoable(session: AsyncSession, since: datetime) -> ImportBatch | None:
    return await session.scalar(
        select(ImportBatch)
        .where(ImportBatch.undone_at.is_(None), ImportBatch.applied_at >= since)
        .order_by(ImportBatch.id.desc())
        .limit(1)
    )


async def links_of(session: AsyncSession, link_ids: Iterable[int], people: set[int]) -> set[int]:
    """Of these parent links, those of the given people (on either side)."""
    found: set[int] = set()
    for chunk in _chunks(link_ids):
        rows = await session.execute(
            select(ParentLink.id, ParentLink.parent_id, ParentLink.student_id).where(
                ParentLink.id.in_(chunk)
            )
        )
        found.update(r.id for r in rows if r.parent_id in people or r.student_id in people)
    return found


async def roles_of(session: AsyncSession, role_ids: Iterable[int], people: set[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(role_ids):
        rows = await session.execute(
            select(RoleAssignment.id, RoleAssignment.user_id).where(RoleAssignment.id.in_(chunk))
        )
        found.update(r.id for r in rows if r.user_id in people)
    return found


# --- the centre's export ----------------------------------------------------------------


async def students_with_parents(session: AsyncSession) -> Sequence[Row[Any]]:
    """Each live student (id, name, phone, birth date, language) with each live parent
    (name, phone), or once without one; by the student's name."""
    student_role = (
        select(RoleAssignment.user_id).where(RoleAssignment.role == "student").scalar_subquery()
    )
    parent = User.__table__.alias("parent")
    link = ParentLink.__table__.alias("link")
    rows = await session.execute(
        select(
            User.id,
            User.full_name,
            User.phone,
            User.birth_date,
            User.language,
            parent.c.full_name.label("parent_name"),
            parent.c.phone.label("parent_phone"),
        )
        .select_from(User)
        .outerjoin(link, link.c.student_id == User.id)
        .outerjoin(parent, (parent.c.id == link.c.parent_id) & parent.c.deleted_at.is_(None))
        .where(User.deleted_at.is_(None), User.full_name.is_not(None), User.id.in_(student_role))
        .order_by(User.full_name, User.id, parent.c.full_name)
    )
    return rows.all()


async def teachers(session: AsyncSession) -> Sequence[Row[Any]]:
    """(full_name, phone, language) of each live teacher, by name."""
    rows = await session.execute(
        select(User.full_name, User.phone, User.language)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(
            RoleAssignment.role == "teacher",
            User.deleted_at.is_(None),
            User.full_name.is_not(None),
        )
        .order_by(User.full_name, User.id)
    )
    return rows.all()


async def table_rows(session: AsyncSession, table: Any) -> Sequence[Any]:
    """Every row of a table, as mappings (the centre's JSON export)."""
    primary = list(table.primary_key.columns)
    rows = await session.execute(select(table).order_by(*primary))
    return rows.mappings().all()


async def insert_returning_ids(
    session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert many rows in few statements; their new ids, in the rows' order.

    PostgreSQL sorts the RETURNING rows by the parameters' order itself (a sentinel
    column). SQLite cannot, and SQLAlchemy would then insert row by row; but one multi-row
    INSERT there gives its rows increasing rowids in the VALUES' order (the writer holds the
    database alone), so the ids sorted are the rows' order."""
    if not rows:
        return []
    table = model.__table__  # Core: the ORM's bulk path would insert row by row
    if session.get_bind().dialect.name == "postgresql":
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(await session.scalars(statement, list(rows)))
    ids: list[int] = []
    for start in range(0, len(rows), CHUNK):
        chunk = list(rows[start : start + CHUNK])
        found = await session.scalars(insert(table).returning(table.c.id), chunk)
        ids.extend(sorted(found))
    return ids


async def insert_rows(session: AsyncSession, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK * 4):
        await session.execute(insert(model), list(rows[start : start + CHUNK * 4]))


async def all_courses(session: AsyncSession) -> Sequence[Row[Any]]:
    """(id, name, monthly_price, description) of every course."""
    rows = await session.execute(
        select(Course.id, Course.name, Course.monthly_price, Course.description).order_by(Course.id)
    )
    return rows.all()


async def courses_in_use(session: AsyncSession, ids: Iterable[int]) -> set[int]:
    """Of these courses, those a group belongs to."""
    found: set[int] = set()
    for chunk in _chunks(ids):
        rows = await session.scalars(select(Group.course_id).where(Group.course_id.in_(chunk)))
        found.update(rows)
    return found


async def teacher_people(session: AsyncSession) -> Sequence[Row[Any]]:
    """(id, full_name, phone) of each live teacher (a group's teacher, matched)."""
    rows = await session.execute(
        select(User.id, User.full_name, User.phone)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(
            RoleAssignment.role == "teacher",
            User.deleted_at.is_(None),
            User.full_name.is_not(None),
        )
        .order_by(User.id)
    )
    return rows.all()


async def groups_in_use(session: AsyncSession, ids: Iterable[int], now: datetime) -> set[int]:
    """Of these groups, those with a student (ever) or a lesson that is not a future one
    without attendance: the centre has worked with them since."""
    found: set[int] = set()
    for chunk in _chunks(ids):
        found.update(
            await session.scalars(select(Enrolment.group_id).where(Enrolment.group_id.in_(chunk)))
        )
        found.update(
            await session.scalars(
                select(Lesson.group_id).where(
                    Lesson.group_id.in_(chunk),
                    (Lesson.starts_at <= now)
                    | (Lesson.status != LessonStatus.SCHEDULED)
                    | exists().where(Attendance.lesson_id == Lesson.id),
                )
            )
        )
    return found


async def group_names(session: AsyncSession) -> Sequence[Row[Any]]:
    """(id, name, course name) of every group (an enrolment's group, matched by name)."""
    rows = await session.execute(
        select(Group.id, Group.name, Course.name.label("course_name"))
        .join(Course, Course.id == Group.course_id)
        .order_by(Group.id)
    )
    return rows.all()


async def enrolments_in_use(
    session: AsyncSession, ids: Iterable[int], charges: set[int]
) -> set[int]:
    """Of these enrolments, those the centre has worked with since: a charge other than
    `charges` (the import's own), an attendance mark in its group's lessons since it began,
    a freeze, or an end (the student left or moved)."""
    found: set[int] = set()
    for chunk in _chunks(ids):
        found.update(
            await session.scalars(
                select(Charge.enrolment_id).where(
                    Charge.enrolment_id.in_(chunk), Charge.id.not_in(charges or {0})
                )
            )
        )
        found.update(
            await session.scalars(
                select(Enrolment.id).where(
                    Enrolment.id.in_(chunk),
                    (Enrolment.status != "active")
                    | exists().where(EnrolmentFreeze.enrolment_id == Enrolment.id)
                    | exists().where(
                        Attendance.student_id == Enrolment.student_id,
                        Attendance.lesson_id == Lesson.id,
                        Lesson.group_id == Enrolment.group_id,
                    ),
                )
            )
        )
    return found


async def charges_of(
    session: AsyncSession, charge_ids: Iterable[int], enrolment_ids: Iterable[int]
) -> list[int]:
    """Of these charges, those of these enrolments."""
    wanted = list(enrolment_ids)
    found: list[int] = []
    for chunk in _chunks(charge_ids):
        found.extend(
            await session.scalars(
                select(Charge.id).where(Charge.id.in_(chunk), Charge.enrolment_id.in_(wanted))
            )
        )
    return found


async def export_groups(session: AsyncSession) -> Sequence[Row[Any]]:
    """(id, name, course name, teacher name, teacher phone, room, capacity, start date) of
    every active group, by course and name (the centre's export)."""
    rows = await session.execute(
        select(
            Group.id,
            Group.name,
            Course.name.label("course_name"),
            User.full_name.label("teacher_name"),
            User.phone.label("teacher_phone"),
            Group.room,
            Group.capacity,
            Group.start_date,
        )
        .join(Course, Course.id == Group.course_id)
        .outerjoin(User, User.id == Group.teacher_id)
        .where(Group.status == "active")
        .order_by(Course.name, Group.name, Group.id)
    )
    return rows.all()


async def export_slots(session: AsyncSession) -> Sequence[Row[Any]]:
    """(group id, weekday, start time, minutes) of every slot, by group and weekday."""
    rows = await session.execute(
        select(
            ScheduleSlot.group_id,
            ScheduleSlot.weekday,
            ScheduleSlot.start_time,
            ScheduleSlot.duration_minutes,
        ).order_by(ScheduleSlot.group_id, ScheduleSlot.weekday, ScheduleSlot.start_time)
    )
    return rows.all()


async def export_enrolments(session: AsyncSession) -> Sequence[Row[Any]]:
    """(student name, phone, birth date, group name, course name, joined on, discount) of
    every seated enrolment (active or frozen), by group and student."""
    rows = await session.execute(
        select(
            User.full_name,
            User.phone,
            User.birth_date,
            Group.name.label("group_name"),
            Course.name.label("course_name"),
            Enrolment.joined_on,
            Enrolment.discount_percent,
        )
        .join(User, User.id == Enrolment.student_id)
        .join(Group, Group.id == Enrolment.group_id)
        .join(Course, Course.id == Group.course_id)
        .where(Enrolment.status.in_(("active", "frozen")), User.deleted_at.is_(None))
        .order_by(Course.name, Group.name, User.full_name, Enrolment.id)
    )
    return rows.all()


async def opened_balances(session: AsyncSession) -> dict[int, int]:
    """Student → the opening balance an import (not undone) gave them (credit positive)."""
    live = (ImportBatch.kind == "balances") & ImportBatch.undone_at.is_(None)
    credits = (
        select(Payment.student_id, Payment.amount)
        .join(ImportItem, ImportItem.object_id == Payment.id)
        .join(ImportBatch, ImportBatch.id == ImportItem.batch_id)
        .where(live, ImportItem.object_type == "payment")
    )
    debts = (
        select(Charge.student_id, -Charge.amount)
        .join(ImportItem, ImportItem.object_id == Charge.id)
        .join(ImportBatch, ImportBatch.id == ImportItem.batch_id)
        .where(live, ImportItem.object_type == "charge")
    )
    rows = await session.execute(union_all(credits, debts))
    return {int(row[0]): int(row[1]) for row in rows if row[0] is not None}


async def export_balances(session: AsyncSession) -> Sequence[Row[Any]]:
    """(full name, phone, birth date, balance) of every live student with a balance that is
    not 0, by name (the centre's export: each one's opening balance elsewhere)."""
    rows = await session.execute(
        select(User.full_name, User.phone, User.birth_date, Balance.amount)
        .join(Balance, Balance.student_id == User.id)
        .where(Balance.amount != 0, User.deleted_at.is_(None), User.full_name.is_not(None))
        .order_by(User.full_name, User.id)
    )
    return rows.all()
