"""Leads: people who want to study at the centre and are not students yet.

A user who accepted the policy and holds no role leaves a request with `/apply` (name,
phone from their own Telegram contact, a course of interest or "not sure"). The staff
with the `users` permission are told and move it through contacted → trial → enrolled
or lost. "Enrolled" makes the lead's user a student (name and phone copied from the
request), or registers a new person when the request has no user any more: nobody
retypes anything. An enrolled lead is final.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.access import Actor
from bot.services.paging import fetch_page
from db.base import utcnow
from db.models import Lead, LeadStatus, Role, User
from db.repositories import people as repo
from db.repositories import users as users_repo

PAGE_SIZE = 10


@dataclass(frozen=True, slots=True)
class LeadInfo:
    id: int
    user_id: int | None
    name: str
    phone: str
    course: str | None
    status: LeadStatus
    source: str
    created_at: datetime


def _info(lead: Lead, course: str | None) -> LeadInfo:
    return LeadInfo(
        id=lead.id,
        user_id=lead.user_id,
        name=lead.name,
        phone=lead.phone,
        course=course,
        status=LeadStatus(lead.status),
        source=lead.source,
        created_at=lead.created_at,
    )


# --- the applicant's side ------------------------------------------------------------------


class MayApply(StrEnum):
    YES = "yes"
    HAS_ROLE = "has_role"
    PENDING = "pending"


async def may_apply(session: AsyncSession, actor: Actor) -> tuple[MayApply, int | None]:
    """(answer, the open request's id when one is pending)."""
    if actor.effective_roles:
        return MayApply.HAS_ROLE, None
    lead = await repo.open_lead_of(session, actor.user_id)
    if lead is not None:
        return MayApply.PENDING, lead.id
    return MayApply.YES, None


async def courses(session: AsyncSession) -> list[tuple[int, str]]:
    return [(row.id, row.name) for row in await repo.active_courses(session)]


async def apply(
    session: AsyncSession,
    actor: Actor,
    *,
    name: str,
    phone: str,
    course_id: int | None,
) -> tuple[MayApply, LeadInfo | None]:
    """Store the request (cleaned values). A course no longer active counts as "not sure"."""
    state, _pending = await may_apply(session, actor)
    if state is not MayApply.YES:
        return state, None
    course = await repo.course_name(session, course_id)
    active = {cid for cid, _name in await courses(session)}
    if course_id not in active:
        course_id, course = None, None
    lead = Lead(
        user_id=actor.user_id,
        name=name,
        phone=phone,
        course_id=course_id,
        source="bot",
        status=LeadStatus.NEW,
        created_at=utcnow(),
    )
    session.add(lead)
    await session.flush()
    await audit.record(
        session, actor.user_id, "lead.create", "lead", lead.id, details={"course": course_id}
    )
    await session.commit()
    return MayApply.YES, _info(lead, course)


# --- the staff's side ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeadPage:
    items: list[LeadInfo]
    page: int
    pages: int
    total: int
    closed: bool


async def leads_page(session: AsyncSession, page: int, *, closed: bool = False) -> LeadPage:
    found = await fetch_page(partial(repo.leads_page, session, closed=closed), page, PAGE_SIZE)
    return LeadPage(
        items=[_info(lead, course) for lead, course in found.items],
        page=found.page,
        pages=found.pages,
        total=found.total,
        closed=closed,
    )


async def get(session: AsyncSession, lead_id: int) -> LeadInfo | None:
    row = await repo.lead_with_course(session, lead_id)
    return None if row is None else _info(row[0], row[1])


class Moved(StrEnum):
    DONE = "done"
    UNCHANGED = "unchanged"
    FINAL = "final"  # enrolled already
    CHANGED_MEANWHILE = "changed_meanwhile"
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class StatusChange:
    outcome: Moved
    lead: LeadInfo | None = None
    student_id: int | None = None  # set when "enrolled" made a student
    new_person: bool = False  # the student was registered anew (no user behind the lead)


async def set_status(
    session: AsyncSession,
    actor_id: int,
    lead_id: int,
    status: LeadStatus,
    *,
    expected: LeadStatus,
    language: str,
    now: datetime,
) -> StatusChange:
    """Move a lead on; `expected` is the status the admin saw (a change meanwhile is refused)."""
    row = await repo.lead_with_course(session, lead_id)
    if row is None:
        return StatusChange(Moved.MISSING)
    lead, course = row
    current = LeadStatus(lead.status)
    if current is LeadStatus.ENROLLED:
        return StatusChange(Moved.FINAL, _info(lead, course))
    if current is not expected:
        return StatusChange(Moved.CHANGED_MEANWHILE, _info(lead, course))
    if current is status:
        return StatusChange(Moved.UNCHANGED, _info(lead, course))
    if not await repo.set_lead_status(session, lead_id, expected, status, now):
        await session.rollback()
        return StatusChange(Moved.CHANGED_MEANWHILE, await get(session, lead_id))
    student_id, new_person = None, False
    if status is LeadStatus.ENROLLED:
        student_id, new_person = await _make_student(session, lead, language)
    await audit.record(
        session,
        actor_id,
        "lead.status",
        "lead",
        lead_id,
        details={
            "from": current.value,
            "to": status.value,
            **({"student": student_id} if student_id else {}),
        },
    )
    await session.commit()
    return StatusChange(Moved.DONE, await get(session, lead_id), student_id, new_person)


async def _make_student(session: AsyncSession, lead: Lead, language: str) -> tuple[int, bool]:
    """The lead's user becomes a student with the request's name and phone; without a
    user (erased, or a lead from elsewhere) a new person is registered."""
    user = await repo.live_user(session, lead.user_id) if lead.user_id else None
    new_person = user is None
    if user is None:
        user = User(telegram_id=None, language=language, created_at=utcnow())
        session.add(user)
    user.full_name = lead.name
    user.phone = lead.phone
    await session.flush()
    if not await repo.has_role(session, user.id, Role.STUDENT):
        await users_repo.add_role(session, user.id, Role.STUDENT)
    lead.user_id = user.id
    return user.id, new_person
