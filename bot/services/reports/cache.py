"""Reports already counted and drawn, kept until the data under them changes.

Any report uses it the same way: read the stamp first (`stamp`: the data versions of
db.data_versions, which every change to the ledger, attendance, groups, lessons or leads
raises in its own transaction), then ask for each part by a key that names it — the
figures by (report, period, filter), a file also by the reader's language and the
filter's name — with the function that makes it when it is missing:

    stamp = await cache.stamp(session)
    report = await cache.get_or_make(stamp, ("figures", "fin", "m202603", "c"), build)

An entry made under another stamp is not used (and is replaced). The cache is bounded
(least recently used out first) and in-process: each process keeps its own, while the
stamp comes from the database, so a payment recorded through another process is seen
too. A report whose figures also depend on the clock (lessons held *by now*, days *over*)
names how (`centre_day`, `centre_minute`): while its period runs, that part of the clock is
part of its key (`as_of`); once the period is over, it is not.
"""

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.reports.period import Period
from bot.services.reports.scope import Scope
from db import data_versions

SIZE = 32
Value = TypeVar("Value")
Clock = Callable[[datetime, ZoneInfo], Hashable]


def centre_day(now: datetime, tz: ZoneInfo) -> Hashable:
    return now.astimezone(tz).date()


def centre_minute(now: datetime, tz: ZoneInfo) -> Hashable:
    return now.astimezone(tz).replace(second=0, microsecond=0)


def as_of(clock: Clock | None, period: Period, now: datetime, tz: ZoneInfo) -> Hashable:
    """What of the clock a report's figures depend on now: nothing once its period is over."""
    if clock is None or period.utc_bounds(tz)[1] <= now:
        return None
    return clock(now, tz)


@dataclass(frozen=True, slots=True)
class Stamp:
    versions: data_versions.Versions


class ReportCache:
    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[Stamp, Any]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    async def stamp(self, session: AsyncSession) -> Stamp:
        """The data's versions now: read before the data itself (see db.data_versions)."""
        return Stamp(await data_versions.current(session))

    async def get_or_make(
        self, stamp: Stamp, key: Hashable, make: Callable[[], Awaitable[Value]]
    ) -> Value:
        found = self._entries.get(key)
        if found is not None and found[0] == stamp:
            self._entries.move_to_end(key)
            self.hits += 1
            return found[1]
        self.misses += 1
        value = await make()
        self._entries[key] = (stamp, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return value

    async def figures(
        self,
        stamp: Stamp,
        report: str,
        period: Period,
        scope: Scope,
        make: Callable[[], Awaitable[Value]],
        moment: Hashable = None,
    ) -> Value:
        """A report's figures, the same entry whoever asks (/reports, /admin); `moment`:
        its `as_of`."""
        key = ("figures", report, period.token, scope.token, moment)
        return await self.get_or_make(stamp, key, make)

    def __len__(self) -> int:
        return len(self._entries)
