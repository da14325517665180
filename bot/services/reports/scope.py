"""A report's filter: the whole centre, a course, a group or a teacher's groups.

It travels in button data as a token (`c`, `k12`, `g34`, `t56`); `resolve` checks the
course, group or teacher still exists and names it, so a filter that was deleted since
its button was drawn is refused instead of giving a report of nothing.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from db.ids import parse_row_id
from db.repositories import reports as repo


class ScopeKind(StrEnum):
    CENTRE = "c"
    COURSE = "k"
    GROUP = "g"
    TEACHER = "t"


@dataclass(frozen=True, slots=True)
class Scope:
    kind: ScopeKind = ScopeKind.CENTRE
    id: int | None = None

    @property
    def token(self) -> str:
        return self.kind.value if self.id is None else f"{self.kind.value}{self.id}"

    @classmethod
    def from_token(cls, token: str) -> "Scope | None":
        if token == ScopeKind.CENTRE.value:
            return cls()
        match = re.fullmatch(r"([kgt])(\d{1,10})", token)
        row_id = None if match is None else parse_row_id(match[2])
        if match is None or row_id is None:
            return None
        return cls(ScopeKind(match[1]), row_id)

    def filters(self) -> repo.ScopeFilter:
        return repo.ScopeFilter(
            course_id=self.id if self.kind is ScopeKind.COURSE else None,
            group_id=self.id if self.kind is ScopeKind.GROUP else None,
            teacher_id=self.id if self.kind is ScopeKind.TEACHER else None,
        )


@dataclass(frozen=True, slots=True)
class Resolved:
    scope: Scope
    name: str | None  # None for the whole centre


async def resolve(session: AsyncSession, scope: Scope) -> Resolved | None:
    """The scope with its name, or None when its course, group or teacher is gone."""
    if scope.kind is ScopeKind.CENTRE:
        return Resolved(scope, None)
    assert scope.id is not None
    lookup = {
        ScopeKind.COURSE: repo.course_name,
        ScopeKind.GROUP: repo.group_name,
        ScopeKind.TEACHER: repo.teacher_name,
    }[scope.kind]
    name = await lookup(session, scope.id)
    return None if name is None else Resolved(scope, name)


@dataclass(frozen=True, slots=True)
class Choice:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Choices:
    items: list[Choice]
    page: int
    pages: int


async def choices(session: AsyncSession, kind: ScopeKind, page: int, size: int) -> Choices:
    """One page of the courses, groups or teachers to filter by, by name."""
    total = await repo.count_choices(session, kind.value)
    pages = max(1, -(-total // size))
    page = min(max(page, 1), pages)
    rows = await repo.choices(session, kind.value, (page - 1) * size, size)
    return Choices([Choice(row_id, name) for row_id, name in rows], page, pages)
