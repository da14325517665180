"""The reports' month numbering in SQL, on the database under test: a date's month index by
arithmetic (report_totals.month_index) and a moment's local month by comparisons, over all the
months or only those a range touches (reports._bucket), agree with counting in Python."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Date, DateTime, literal, select

from bot.services.reports.period import month_bounds
from db.repositories.report_totals import month_index
from db.repositories.reports import _bucket

TZ = ZoneInfo("Asia/Tashkent")
MONTHS = [date(2024 + (11 + n) // 12, (11 + n) % 12 + 1, 1) for n in range(26)]  # Dec 2024 on


async def test_a_dates_month_index_is_its_place_among_the_months(session) -> None:
    days = [MONTHS[0], date(2025, 2, 28), date(2025, 12, 31), date(2026, 1, 1), MONTHS[-1]]
    query = select(*[month_index(literal(day, Date), MONTHS) for day in days])
    expected = [MONTHS.index(day.replace(day=1)) for day in days]
    assert list((await session.execute(query)).one()) == expected


async def test_a_moment_falls_in_the_same_month_whichever_months_are_compared(session) -> None:
    bounds = month_bounds(MONTHS, TZ)
    # the first and the last moment of some months, in the centre's zone (UTC+5)
    moments = [bounds[0], bounds[1] - timedelta(microseconds=1), bounds[13], bounds[-2]]
    moments.append(datetime(2025, 6, 30, 19, 30, tzinfo=UTC))  # 1 July 00:30 in Tashkent
    for moment in moments:
        expected = MONTHS.index(moment.astimezone(TZ).date().replace(day=1))
        ranges = [
            None,
            (moment, moment + timedelta(seconds=1)),
            (bounds[0], bounds[-1]),
            (bounds[max(expected - 2, 0)], bounds[min(expected + 3, len(bounds) - 1)]),
        ]
        at = literal(moment, DateTime(timezone=True))
        query = select(*[_bucket(at, bounds, within) for within in ranges])
        assert list((await session.execute(query)).one()) == [expected] * len(ranges), moment
