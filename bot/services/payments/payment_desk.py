"""What the admin's payment screens read besides the ledger: finding a student by name or
phone, the student's parents. Reads only; the ledger (`bot.services.payments.ledger`) writes.

`find_students` compares names exactly as `bot.services.people.search` does (apostrophes
and case ignored) but keeps only people holding the student role, so the page count is
the students' and a parent of the same name never appears in the payment form.
"""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import people as people_service
from bot.services.payments.ledger import PaymentInfo, payment_info
from bot.services.people import (
    CANDIDATES,
    PAGE_SIZE,
    QUERY_MIN,
    InvalidQuery,
    QueryProblem,
    fold,
    phone_digits,
)
from db.models import Role
from db.repositories import mydata as mydata_repo
from db.repositories import people as people_repo
from db.repositories.payments import ledger as ledger_repo


@dataclass(frozen=True, slots=True)
class StudentRef:
    id: int
    full_name: str
    phone: str | None


@dataclass(frozen=True, slots=True)
class StudentsFound:
    items: list[StudentRef]
    total: int
    page: int
    pages: int
    capped: bool


async def find_students(session: AsyncSession, query: str, page: int = 1) -> StudentsFound:
    """Students whose name or phone matches `query`; InvalidQuery for a too short one."""
    query = query.strip()
    digits = phone_digits(query)
    if digits is not None:
        rows = list(await people_repo.phone_candidates(session, digits, CANDIDATES))
    else:
        folded = fold(query)
        if len(folded.replace(" ", "")) < QUERY_MIN:
            raise InvalidQuery(QueryProblem.TOO_SHORT)
        tokens = folded.split()
        spellings = [list(dict.fromkeys([t, t.capitalize(), t.upper()])) for t in tokens]
        rows = [
            row
            for row in await people_repo.name_candidates(
                session, people_service._folded_name_sql(), spellings, CANDIDATES
            )
            if all(token in fold(row.full_name) for token in tokens)
        ]
    roles = await people_repo.roles_by_user(session, [row.id for row in rows])
    students = [
        StudentRef(row.id, row.full_name or "—", row.phone)
        for row in rows
        if Role.STUDENT.value in roles.get(row.id, ())
    ]
    pages = max(1, -(-len(students) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    return StudentsFound(
        items=students[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        total=len(students),
        page=page,
        pages=pages,
        capped=len(rows) >= CANDIDATES,
    )


async def student(session: AsyncSession, student_id: int) -> StudentRef | None:
    """A live person holding the student role, else None (a forged or stale id)."""
    user = await people_repo.live_user(session, student_id)
    if user is None or not await people_repo.has_role(session, student_id, Role.STUDENT):
        return None
    return StudentRef(user.id, user.full_name or "—", user.phone)


async def parent_ids(session: AsyncSession, student_id: int) -> list[int]:
    return [parent.id for parent in await mydata_repo.parents(session, student_id)]


async def payment(session: AsyncSession, payment_id: int) -> PaymentInfo | None:
    """One payment of a live student (None: no such payment, or its owner was erased)."""
    row = await ledger_repo.get_payment(session, payment_id)
    if row is None or row.student_id is None:
        return None
    return payment_info(row)
