"""The reports there are: each one's key, how its figures are counted, what of the clock
they depend on (the report cache), what only its spreadsheet reads, and whether it takes a
filter. The chat's /reports and the Mini App's reports screen both run them from here."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.reports import attendance as attendance_service
from bot.services.reports import finance as finance_service
from bot.services.reports import leads as leads_service
from bot.services.reports import profit as profit_service
from bot.services.reports import retention as retention_service
from bot.services.reports import teachers as teachers_service
from bot.services.reports.cache import Clock, centre_day, centre_minute
from bot.services.reports.period import Period
from bot.services.reports.scope import Scope

FINANCE = "fin"
ATTENDANCE = "att"
RETENTION = "ret"
TEACHERS = "tch"
LEADS = "lea"
PROFIT = "pnl"


@dataclass(frozen=True, slots=True)
class Counting:
    """How one report's figures are read."""

    build: Callable[[AsyncSession, Period, Scope, ZoneInfo], Awaitable[Any]]
    clock: Clock | None = None  # what of the clock its figures depend on (report cache)
    # what only the sheets show, added to build's report before them (read apart from the
    # summary's figures when it costs much more): (session, report, tz) → report
    details: Callable[[AsyncSession, Any, ZoneInfo], Awaitable[Any]] | None = None
    scoped: bool = True  # False: the centre's only, no filter (its period runs it)


# In the menu's order.
COUNTINGS: dict[str, Counting] = {
    FINANCE: Counting(finance_service.summary, details=finance_service.with_breakdowns),
    # a lesson unsaved is held once its day is over
    ATTENDANCE: Counting(
        attendance_service.summary, clock=centre_day, details=attendance_service.with_lists
    ),
    # by course and the leavers: the spreadsheet's only
    RETENTION: Counting(retention_service.build, details=retention_service.with_details),
    # lessons held: begun by now
    TEACHERS: Counting(teachers_service.build, clock=centre_minute),
    LEADS: Counting(leads_service.build),
    # expenses and pay are the centre's: no filter
    PROFIT: Counting(profit_service.build, details=profit_service.with_paid, scoped=False),
}
