"""The leads report: the period's new requests to study, how far they went, how fast.

* new: the leads created in the period (centre days), by source and by course;
* the funnel: how many of them reached contacted, trial and enrolled by now — a lead that
  reached a later stage passed the earlier ones (enrolled straight after a call counts as
  contacted and trial too) — and how many are lost now; each stage's rate is of the stage
  before, and conversion is enrolled ÷ new;
* time to enrol: median and average days from the request to enrolment, of the leads
  enrolled in the period (whenever they were created).

A course filter takes that course's leads; a group or teacher filter the leads who became
students of its groups (so they are all enrolled).
"""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.reports.period import Period
from bot.services.reports.scope import Scope
from db.models import Lead, LeadStatus
from db.repositories import report_leads as repo

LIST_MAX = 5_000  # the Leads sheet lists at most this many


@dataclass(frozen=True, slots=True)
class Stages:
    new: int = 0
    contacted: int = 0
    trial: int = 0
    enrolled: int = 0
    lost: int = 0

    @property
    def still_open(self) -> int:
        return self.new - self.enrolled - self.lost

    @property
    def conversion(self) -> float | None:
        return ratio(self.enrolled, self.new)

    def funnel(self) -> list[tuple[LeadStatus, int, float | None, float | None]]:
        """(stage, leads, rate of the stage before, rate of the new leads); lost is of new."""
        before = {
            LeadStatus.NEW: self.new,
            LeadStatus.CONTACTED: self.new,
            LeadStatus.TRIAL: self.contacted,
            LeadStatus.ENROLLED: self.trial,
            LeadStatus.LOST: self.new,
        }
        counts = {
            LeadStatus.NEW: self.new,
            LeadStatus.CONTACTED: self.contacted,
            LeadStatus.TRIAL: self.trial,
            LeadStatus.ENROLLED: self.enrolled,
            LeadStatus.LOST: self.lost,
        }
        return [
            (stage, count, ratio(count, before[stage]), ratio(count, self.new))
            for stage, count in counts.items()
        ]


def ratio(part: int, whole: int) -> float | None:
    return None if whole <= 0 else part / whole


@dataclass(frozen=True, slots=True)
class Line:
    """A source's or course's leads (course id None: "not sure")."""

    key: str | int | None
    name: str | None
    stages: Stages


@dataclass(frozen=True, slots=True)
class TimeToEnrol:
    enrolled: int
    median_days: float | None
    average_days: float | None


@dataclass(frozen=True, slots=True)
class LeadRow:
    """A lead of the period, its days in the centre's calendar."""

    id: int
    name: str
    course: str | None
    source: str
    status: LeadStatus
    created_on: date
    contacted_on: date | None
    trial_on: date | None
    enrolled_on: date | None
    lost_on: date | None
    days_to_enrol: float | None


@dataclass(frozen=True, slots=True)
class LeadsReport:
    period: Period
    scope: Scope
    total: Stages
    by_source: list[Line]
    by_course: list[Line]
    time_to_enrol: TimeToEnrol
    leads: list[LeadRow]
    listed_all: bool  # False: more than LIST_MAX leads, the first ones listed

    @property
    def is_empty(self) -> bool:
        return not self.total.new and not self.time_to_enrol.enrolled


async def build(session: AsyncSession, period: Period, scope: Scope, tz: ZoneInfo) -> LeadsReport:
    start, end = period.utc_bounds(tz)
    filters = scope.filters()
    by_source = await _lines(session, "source", start, end, filters)
    by_course = await _lines(session, "course", start, end, filters)
    names = await repo.course_names(
        session, [line.key for line in by_course if isinstance(line.key, int)]
    )
    by_course = [
        Line(line.key, names.get(line.key) if isinstance(line.key, int) else None, line.stages)
        for line in by_course
    ]
    enrolled, median, average = await repo.time_to_enrol(session, start, end, filters)
    rows = await repo.leads_of(session, start, end, filters, LIST_MAX + 1)
    return LeadsReport(
        period=period,
        scope=scope,
        total=_sum([line.stages for line in by_source]),
        by_source=by_source,
        by_course=by_course,
        time_to_enrol=TimeToEnrol(enrolled, median, average),
        leads=[_row(lead, course, tz) for lead, course in rows[:LIST_MAX]],
        listed_all=len(rows) <= LIST_MAX,
    )


async def _lines(
    session: AsyncSession, dimension: str, start: datetime, end: datetime, filters
) -> list[Line]:
    rows = await repo.stages_by(session, dimension, start, end, filters)
    lines = [
        Line(key, key if dimension == "source" else None, _stages(counts)) for key, *counts in rows
    ]
    return sorted(lines, key=lambda line: (-line.stages.new, str(line.key)))


def _stages(counts) -> Stages:
    new, contacted, trial, enrolled, lost = (int(count or 0) for count in counts)
    return Stages(new, contacted, trial, enrolled, lost)


def _sum(stages: list[Stages]) -> Stages:
    return Stages(
        new=sum(item.new for item in stages),
        contacted=sum(item.contacted for item in stages),
        trial=sum(item.trial for item in stages),
        enrolled=sum(item.enrolled for item in stages),
        lost=sum(item.lost for item in stages),
    )


def _day(moment: datetime | None, tz: ZoneInfo) -> date | None:
    return None if moment is None else moment.astimezone(tz).date()


def _row(lead: Lead, course: str | None, tz: ZoneInfo) -> LeadRow:
    days = None
    if lead.enrolled_at is not None:
        days = (lead.enrolled_at - lead.created_at).total_seconds() / 86_400
    return LeadRow(
        id=lead.id,
        name=lead.name,
        course=course,
        source=lead.source,
        status=LeadStatus(lead.status),
        created_on=lead.created_at.astimezone(tz).date(),
        contacted_on=_day(lead.contacted_at, tz),
        trial_on=_day(lead.trial_at, tz),
        enrolled_on=_day(lead.enrolled_at, tz),
        lost_on=_day(lead.lost_at, tz),
        days_to_enrol=days,
    )
