"""Lists shown a page at a time.

Pages are numbered from 1, and there is always at least one (an empty list shows an empty
page). A page past the end, asked for by a button drawn before the list shrank, shows the
last page instead.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    pages: int


def page_bounds(total: int, page: int, size: int) -> tuple[int, int]:
    """(page clamped to 1..pages, pages)."""
    pages = max(1, -(-total // size))
    return min(max(page, 1), pages), pages


async def fetch_page(
    fetch: Callable[..., Awaitable[tuple[Sequence[T], int]]], page: int, size: int
) -> Page[T]:
    """A page from a query that gives its rows and the total at once, `fetch(offset=,
    limit=)`; asked past the end, the last page is fetched again."""
    page = max(page, 1)
    rows, total = await fetch(offset=(page - 1) * size, limit=size)
    clamped, pages = page_bounds(total, page, size)
    if clamped != page:
        rows, total = await fetch(offset=(clamped - 1) * size, limit=size)
    return Page(list(rows), total, clamped, pages)
