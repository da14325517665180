"""A small centre for ledger tests: courses, groups with weekly slots, students, parents.

December 2026 (Tue 1 … Thu 31) in Asia/Tashkent (UTC+5):
* group A "English" (course 600 000): Mon, Wed, Fri 14:00 → 13 lessons, Fri 25 cancelled
  → 12 lessons, 50 000 a lesson.
* group B "Maths" (course 500 000, price override 300 000): Tue, Thu 09:00 → 10 lessons.
* group C "Night" (course 250 000): Tue 00:30 local — the UTC date is the day before,
  so the Tue 1 Dec lesson is on 30 Nov in UTC → 5 lessons.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    EnrolmentFreeze,
    EnrolmentStatus,
    LessonStatus,
    Role,
)
from tests.factories import link_parent, make_enrolment, make_group, make_lesson, make_user

DEC = date(2026, 12, 1)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A Tashkent wall-clock time as UTC (UTC+5 all year)."""
    return datetime.combine(day, time(hour, minute), tzinfo=UTC) - timedelta(hours=5)


@dataclass
class World:
    groups: dict[str, int] = field(default_factory=dict)
    students: dict[str, int] = field(default_factory=dict)
    enrolments: dict[str, int] = field(default_factory=dict)
    parent_id: int = 0
    admin_id: int = 0


async def add_group(
    session: AsyncSession,
    name: str,
    price: int,
    slots: list[tuple[int, time]],
    *,
    override: int | None = None,
    start: date = date(2026, 9, 1),
) -> int:
    group = await make_group(
        session,
        name,
        course=f"Course {name}",
        price=price,
        start_date=start,
        capacity=30,
        price_override=override,
        slots=slots,
        commit=False,
    )
    return group.id


async def add_student(session: AsyncSession, world: World, name: str) -> int:
    user = await make_user(session, None, roles=[Role.STUDENT], full_name=name)
    world.students[name] = user.id
    return user.id


async def enrol(
    session: AsyncSession,
    world: World,
    name: str,
    group: str,
    joined: date,
    *,
    discount: int = 0,
    left: date | None = None,
) -> int:
    row = await make_enrolment(
        session,
        world.students[name],
        world.groups[group],
        joined_on=joined,
        left_on=left,
        discount_percent=discount,
        status=EnrolmentStatus.LEFT if left else EnrolmentStatus.ACTIVE,
        commit=False,
    )
    world.enrolments[name] = row.id
    return row.id


async def build_centre(session: AsyncSession) -> World:
    """The centre of the module docstring with its students, committed.

    Expected December charges (charge day 10, due day 10, sibling discount 10 %):
      Aziz    A full month                                  600 000
      Bek     A joined Mon 7 Dec: 10 of 12 lessons          500 000
      Dilnoza A discount 15 %                               510 000
      Farruh  B (override 300 000), first child of Parent   300 000
      Gulnora B discount 10 %, second child (joined later,
              though registered first): 300 000 × 0.9 × 0.9 243 000
      Hasan   A frozen 2–8 Dec (Wed 2, Fri 4, Mon 7): 9/12  450 000
      Ilhom   A left in November                                  —
      Jasur   B left Wed 9 Dec: Tue 1, Thu 3, Tue 8 → 3/10   90 000
      Laylo   C joined Wed 2 Dec: 4 of 5 lessons            200 000
                                                  total   2 893 000
    """
    world = World()
    admin = await make_user(session, None, roles=[Role.ADMIN], full_name="Admin")
    world.admin_id = admin.id
    world.groups["A"] = await add_group(
        session, "English A", 600_000, [(0, time(14)), (2, time(14)), (4, time(14))]
    )
    world.groups["B"] = await add_group(
        session, "Maths B", 500_000, [(1, time(9)), (3, time(9))], override=300_000
    )
    world.groups["C"] = await add_group(session, "Night C", 250_000, [(1, time(0, 30))])
    # lesson rows exist only for part of the month; one of them is cancelled
    a, c, cancelled = world.groups["A"], world.groups["C"], LessonStatus.CANCELLED
    await make_lesson(session, a, local(date(2026, 12, 23), 14), commit=False)
    await make_lesson(session, a, local(date(2026, 12, 25), 14), status=cancelled, commit=False)
    # Tashkent midnight: Tue 1 Dec 00:30 local is 30 Nov 19:30 UTC
    await make_lesson(session, c, local(date(2026, 12, 1), 0, 30), commit=False)
    # Tue 5 Jan 00:30 local (4 Jan UTC), cancelled: January's business, not December's
    await make_lesson(session, c, local(date(2027, 1, 5), 0, 30), status=cancelled, commit=False)
    gulnora = await add_student(session, world, "Gulnora")  # registered first, joined later
    for name in ("Aziz", "Bek", "Dilnoza", "Farruh", "Hasan", "Ilhom", "Jasur", "Laylo"):
        await add_student(session, world, name)
    nov1 = date(2026, 11, 1)
    await enrol(session, world, "Aziz", "A", nov1)
    await enrol(session, world, "Bek", "A", date(2026, 12, 7))
    await enrol(session, world, "Dilnoza", "A", nov1, discount=15)
    await enrol(session, world, "Farruh", "B", nov1)
    await enrol(session, world, "Gulnora", "B", date(2026, 11, 15), discount=10)
    hasan = await enrol(session, world, "Hasan", "A", nov1)
    session.add(
        EnrolmentFreeze(enrolment_id=hasan, starts_on=date(2026, 12, 2), ends_on=date(2026, 12, 9))
    )
    await enrol(session, world, "Ilhom", "A", date(2026, 9, 1), left=date(2026, 11, 20))
    await enrol(session, world, "Jasur", "B", nov1, left=date(2026, 12, 9))
    await enrol(session, world, "Laylo", "C", date(2026, 12, 2))
    parent = await make_user(session, None, roles=[Role.PARENT], full_name="Parent")
    world.parent_id = parent.id
    await link_parent(session, parent, world.students["Farruh"], gulnora)
    return world


EXPECTED = {
    "Aziz": 600_000,
    "Bek": 500_000,
    "Dilnoza": 510_000,
    "Farruh": 300_000,
    "Gulnora": 243_000,
    "Hasan": 450_000,
    "Jasur": 90_000,
    "Laylo": 200_000,
}
