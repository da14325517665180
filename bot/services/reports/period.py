"""A report's period: this month, last month, a chosen month, this year or a range of days.

A period is a range of the centre's calendar days, both ends included; its moments are the
centre's midnights in UTC (`utc_bounds`), as times are stored. It travels in button data
as a short token (`m202603`, `y2026`, `r20260301-20260531`).
"""

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.services.parsing import YEAR_MAX, YEAR_MIN, check_date_range, parse_date

MAX_YEARS = 3  # the longest range a report covers


class PeriodKind(StrEnum):
    MONTH = "m"
    YEAR = "y"
    RANGE = "r"


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


@dataclass(frozen=True, slots=True)
class Period:
    kind: PeriodKind
    start: date
    end: date

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        first = date(year, month, 1)
        return cls(PeriodKind.MONTH, first, month_end(first))

    @classmethod
    def this_month(cls, today: date) -> "Period":
        return cls.month(today.year, today.month)

    @classmethod
    def last_month(cls, today: date) -> "Period":
        previous = month_start(today) - timedelta(days=1)
        return cls.month(previous.year, previous.month)

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(PeriodKind.YEAR, date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def days(cls, start: date, end: date) -> "Period":
        """A typed range; raises `Invalid` (end before start, longer than MAX_YEARS)."""
        start, end = check_date_range(start, end, max_years=MAX_YEARS)
        return cls(PeriodKind.RANGE, start, end)

    @classmethod
    def typed(cls, start: str | None, end: str | None) -> "Period":
        """From two typed dates (`DD.MM.YYYY`); raises `Invalid`."""
        return cls.days(parse_date(start), parse_date(end))

    def months(self) -> list[date]:
        """The first day of every month the period touches, in order."""
        found, month = [], month_start(self.start)
        while month <= self.end:
            found.append(month)
            month = next_month(month)
        return found

    def utc_bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[the centre's midnight starting `start`, the one ending `end`) in UTC."""
        return local_midnight(self.start, tz), local_midnight(self.end + timedelta(days=1), tz)

    def month_bounds(self, tz: ZoneInfo) -> list[datetime]:
        """`month_bounds` of its months, the first and the last clipped to the period (a
        range may start and end within a month)."""
        bounds = month_bounds(self.months(), tz)
        bounds[0], bounds[-1] = self.utc_bounds(tz)
        return bounds

    @property
    def token(self) -> str:
        if self.kind is PeriodKind.MONTH:
            return f"m{self.start:%Y%m}"
        if self.kind is PeriodKind.YEAR:
            return f"y{self.start:%Y}"
        return f"r{self.start:%Y%m%d}-{self.end:%Y%m%d}"

    @classmethod
    def from_token(cls, token: str) -> "Period | None":
        """None for a token that is not one (forged or damaged button data), or whose years
        are outside those a form takes (YEAR_MIN..YEAR_MAX)."""
        period = None
        try:
            if match := re.fullmatch(r"m([0-9]{4})([0-9]{2})", token):
                period = cls.month(int(match[1]), int(match[2]))
            elif match := re.fullmatch(r"y([0-9]{4})", token):
                period = cls.year(int(match[1]))
            elif match := re.fullmatch(r"r([0-9]{8})-([0-9]{8})", token):
                start = datetime.strptime(match[1], "%Y%m%d").date()
                end = datetime.strptime(match[2], "%Y%m%d").date()
                period = cls.days(start, end)
        except ValueError:  # Invalid is a ValueError too
            return None
        if period is None or not (YEAR_MIN <= period.start.year <= period.end.year <= YEAR_MAX):
            return None
        return period


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def month_bounds(months: list[date], tz: ZoneInfo) -> list[datetime]:
    """The UTC moments at which each month begins, and the one after the last ends."""
    return [local_midnight(month, tz) for month in months] + [
        local_midnight(next_month(months[-1]), tz)
    ]
