"""The centre's people as the staff see them: counts for the admin panel, search,
registration before a person ever opens the bot, the person card, parent links.

Search (`search`) and the Uzbek apostrophes
-------------------------------------------
Uzbek Latin writes oʻ, gʻ and the sign ʼ with whatever the keyboard offers: ʻ ' ‘ ’ ` ʼ
(and sometimes ´), or leaves the mark out ("Gulom"). A name is therefore compared in a
*folded* form on both sides: NFC, case-folded, every apostrophe variant removed, spaces
collapsed. So "g'ulom", "gʻulom", "g`ulom" and "gulom" all find "Gʻulom Oʻktamov".
Dropping the mark costs nothing in practice (no two real names differ only by it) and
saves the admin from guessing which character was stored.

The model has no folded column (and should not grow one for this), so the narrowing is
done in SQL and the exact test in Python:

* SQL: `replace()` removes the apostrophe variants from `full_name` (portable: SQLite and
  PostgreSQL both have it) and each query token must be contained in what is left,
  compared with `ILIKE` on PostgreSQL (Unicode-aware) and `lower() LIKE` on SQLite. SQLite
  folds only ASCII case, so each token is also tried as typed, Capitalised and UPPER,
  which covers Cyrillic names typed in lower case ("иван" finds "Иван"). The candidate
  set is capped (`CANDIDATES`).
* Python: the candidates are filtered with the true folded comparison (`fold`), which
  removes whatever the SQL approximation let through.

A query of digits (spaces, +, -, brackets allowed; at least 3 digits) searches phones:
numbers are stored as `+998901234567`, so "90 123 45" finds them by the digits alone.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, func
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services import mydata as mydata_service
from bot.services.mydata import PersonData
from bot.services.paging import page_bounds
from db.base import utcnow
from db.models import ParentLink, Permission, Role, User
from db.repositories import people as repo
from db.repositories import users as users_repo

# Every way an Uzbek apostrophe is typed: ' ʻ ʼ ’ ‘ ` ´
APOSTROPHES = "'\u02bb\u02bc\u2019\u2018`\u00b4"
_DROP_APOSTROPHES = str.maketrans("", "", APOSTROPHES)
PAGE_SIZE = 10
CANDIDATES = 200  # the most rows one search loads; a longer query narrows it
QUERY_MIN = 2
PHONE_QUERY = re.compile(r"^[\d\s()+\-]+$")
PHONE_QUERY_DIGITS_MIN = 3


@dataclass(frozen=True, slots=True)
class CentreOverview:
    users: int
    blocked: int
    by_role: dict[Role, int]


async def centre_overview(session: AsyncSession) -> CentreOverview:
    users, blocked = await users_repo.count_users(session)
    by_role = await users_repo.count_by_role(session)
    return CentreOverview(users=users, blocked=blocked, by_role=by_role)


# --- search -------------------------------------------------------------------------------


def fold(text: str) -> str:
    """The form names are compared in: NFC, case-folded, without apostrophes, one space."""
    text = unicodedata.normalize("NFC", text).casefold().translate(_DROP_APOSTROPHES)
    return " ".join(text.split())


def _folded_name_sql() -> ColumnElement[str]:
    expression: ColumnElement[str] = User.full_name
    for mark in APOSTROPHES:
        expression = func.replace(expression, mark, "")
    return expression


def _spellings(token: str) -> list[str]:
    return list(dict.fromkeys([token, token.capitalize(), token.upper()]))


@dataclass(frozen=True, slots=True)
class Found:
    id: int
    full_name: str | None
    phone: str | None
    roles: frozenset[str]


@dataclass(frozen=True, slots=True)
class SearchResult:
    items: list[Found]  # the page asked for
    total: int
    page: int
    pages: int
    capped: bool  # more than CANDIDATES matched: the query should be longer


class QueryProblem(StrEnum):
    TOO_SHORT = "too_short"


class InvalidQuery(ValueError):
    def __init__(self, problem: QueryProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def phone_digits(query: str) -> str | None:
    """The digits to look for when the query is a phone number, else None."""
    if not PHONE_QUERY.match(query):
        return None
    digits = re.sub(r"\D", "", query)
    return digits if len(digits) >= PHONE_QUERY_DIGITS_MIN else None


async def search(session: AsyncSession, query: str, page: int = 1) -> SearchResult:
    """People whose name or phone matches `query`; raises InvalidQuery for a too short one."""
    query = query.strip()
    digits = phone_digits(query)
    if digits is not None:
        rows = await repo.phone_candidates(session, digits, CANDIDATES)
        matches = list(rows)
    else:
        folded_query = fold(query)
        if len(folded_query.replace(" ", "")) < QUERY_MIN:
            raise InvalidQuery(QueryProblem.TOO_SHORT)
        tokens = folded_query.split()
        rows = await repo.name_candidates(
            session, _folded_name_sql(), [_spellings(token) for token in tokens], CANDIDATES
        )
        matches = [row for row in rows if all(token in fold(row.full_name) for token in tokens)]
    page, pages = page_bounds(len(matches), page, PAGE_SIZE)
    chosen = matches[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    roles = await repo.roles_by_user(session, [row.id for row in chosen])
    return SearchResult(
        items=[
            Found(row.id, row.full_name, row.phone, frozenset(roles.get(row.id, ())))
            for row in chosen
        ],
        total=len(matches),
        page=page,
        pages=pages,
        capped=len(rows) >= CANDIDATES,
    )


# --- registration -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonRef:
    id: int
    full_name: str | None


async def same_phone(session: AsyncSession, phone: str) -> list[PersonRef]:
    """People already registered with this number (the form warns before a double entry)."""
    return [PersonRef(user.id, user.full_name) for user in await repo.with_phone(session, phone)]


async def live_person(session: AsyncSession, user_id: int) -> PersonRef | None:
    """Someone who is still here (not deleted or anonymised), or None."""
    user = await repo.live_user(session, user_id)
    return None if user is None else PersonRef(user.id, user.full_name)


async def first_child(session: AsyncSession, parent_id: int) -> int | None:
    """The first student linked to a parent (a parent's invite names them)."""
    return await repo.first_child(session, parent_id)


async def registrable_child(session: AsyncSession, student_id: int) -> PersonRef | None:
    """The student a parent may be registered or linked for: live, with the student role."""
    user = await repo.live_user(session, student_id)
    if user is None or not await repo.has_role(session, student_id, Role.STUDENT):
        return None
    return PersonRef(user.id, user.full_name)


async def register(
    session: AsyncSession,
    actor_id: int,
    role: Role,
    *,
    full_name: str,
    phone: str,
    birth_date: date | None = None,
    child_id: int | None = None,
    language: str,
) -> int | None:
    """A student, or a parent of `child_id`, registered before they open the bot: a users
    row without a Telegram id, the role, and for a parent the link. The values are the
    cleaned ones. None (nothing written) when the child is gone or not a student."""
    if role not in (Role.STUDENT, Role.PARENT):
        raise ValueError("only students and parents are registered this way")
    if role is Role.PARENT:
        if child_id is None or await registrable_child(session, child_id) is None:
            return None
    user = User(
        telegram_id=None,
        full_name=full_name,
        phone=phone,
        birth_date=birth_date,
        language=language,
        created_at=utcnow(),
    )
    session.add(user)
    await session.flush()
    await users_repo.add_role(session, user.id, role)
    if role is Role.PARENT:
        session.add(ParentLink(parent_id=user.id, student_id=child_id))
    await audit.record(
        session,
        actor_id,
        "person.register",
        "user",
        user.id,
        details={"role": role.value, **({"child": child_id} if child_id else {})},
    )
    await session.commit()
    return user.id


# --- the card -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonCard:
    data: PersonData
    permissions: frozenset[Permission]
    is_owner: bool
    open_invites: int

    @property
    def id(self) -> int:
        return self.data.profile.id

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(row.role) for row in self.data.roles)

    @property
    def on_telegram(self) -> bool:
        return self.data.profile.telegram_id is not None


async def card(
    session: AsyncSession, user_id: int, owner_ids: tuple[int, ...], now: datetime | None = None
) -> PersonCard | None:
    """What the staff see about a person; None for an unknown or erased one."""
    data = await mydata_service.overview(session, user_id)
    if data is None:
        return None
    return PersonCard(
        data=data,
        permissions=await users_repo.permissions_of(session, user_id),
        is_owner=data.profile.telegram_id in owner_ids,
        open_invites=await repo.open_invite_count(session, user_id, now or utcnow()),
    )


# --- parent links -------------------------------------------------------------------------


class LinkOutcome(StrEnum):
    DONE = "done"
    ALREADY = "already"
    SELF = "self"
    MISSING = "missing"


async def link_parent(
    session: AsyncSession, actor_id: int, parent_id: int, student_id: int
) -> LinkOutcome:
    """Make a registered person the parent of a student (the parent role comes with it)."""
    if parent_id == student_id:
        return LinkOutcome.SELF
    if (
        await repo.live_user(session, parent_id) is None
        or await registrable_child(session, student_id) is None
    ):
        return LinkOutcome.MISSING
    if await repo.is_linked(session, parent_id, student_id):
        return LinkOutcome.ALREADY
    if not await repo.has_role(session, parent_id, Role.PARENT):
        await users_repo.add_role(session, parent_id, Role.PARENT)
    session.add(ParentLink(parent_id=parent_id, student_id=student_id))
    await audit.record(
        session, actor_id, "person.link_parent", "user", student_id, details={"parent": parent_id}
    )
    await session.commit()
    return LinkOutcome.DONE
