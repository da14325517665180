"""The leads report against a plain recomputation from the lead rows.

Sixty leads from February to April 2026 in Tashkent, each gone its own way through the
funnel (some straight to enrolled, some lost and won back), of three sources and two
courses or none; the enrolled ones are students of group A (teacher T) or B, or nobody's
any more. One lead came at 00:30 on 1 March, which is still 28 February in UTC."""

import random
import statistics
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.services.reports import leads as report
from bot.services.reports.period import Period
from bot.services.reports.scope import Scope, ScopeKind
from db.models import Lead, LeadStatus, Role
from tests.factories import make_enrolment, make_group, make_user

TZ = ZoneInfo("Asia/Tashkent")
PATHS = (
    (),
    ("contacted",),
    ("contacted", "trial"),
    ("contacted", "trial", "enrolled"),
    ("enrolled",),
    ("contacted", "enrolled"),
    ("lost",),
    ("contacted", "lost"),
    ("contacted", "lost", "trial"),
    ("trial", "lost", "contacted", "enrolled"),
)
SOURCES = ("bot", "bot", "phone", "instagram")


async def build_leads(session) -> dict:
    teacher = await make_user(session, None, roles=[Role.TEACHER], full_name="T")
    group_a = await make_group(session, "A", course="English", teacher_id=teacher.id)
    group_b = await make_group(session, "B", course="Maths")
    courses = [group_a.course_id, group_b.course_id, None]
    groups = {"A": group_a.id, "B": group_b.id}
    members = {"A": set(), "B": set()}
    rng = random.Random(17)
    rows = []
    for number in range(60):
        created = datetime(2026, 2, 1, 8, tzinfo=UTC) + timedelta(
            days=rng.randint(0, 85), minutes=rng.randint(0, 600)
        )
        if number == 0:
            created = datetime.combine(date(2026, 3, 1), time(0, 30), tzinfo=TZ).astimezone(UTC)
        lead = Lead(
            name=f"Lead {number}",
            phone="+998900000000",
            source=rng.choice(SOURCES),
            course_id=rng.choice(courses),
            created_at=created,
        )
        moment = created
        for stage in rng.choice(PATHS):
            moment += timedelta(hours=rng.randint(1, 24 * 12))
            if getattr(lead, f"{stage}_at") is None:
                setattr(lead, f"{stage}_at", moment)
            lead.status = stage
        if lead.enrolled_at is not None and rng.random() < 0.85:
            group = rng.choice(["A", "B"])
            student = await make_user(session, None, roles=[Role.STUDENT], full_name=lead.name)
            await make_enrolment(session, student, group_b if group == "B" else group_a)
            lead.user_id = student.id
            members[group].add(student.id)
        rows.append(lead)
    session.add_all(rows)
    await session.commit()
    return {
        "rows": [_plain(lead) for lead in rows],
        "courses": courses,
        "groups": groups,
        "members": members,
        "teacher": teacher.id,
    }


def _plain(lead: Lead) -> dict:
    return {
        "id": lead.id,
        "source": lead.source,
        "course": lead.course_id,
        "user": lead.user_id,
        "status": lead.status or "new",
        "created": lead.created_at,
        "contacted": lead.contacted_at,
        "trial": lead.trial_at,
        "enrolled": lead.enrolled_at,
    }


def _local_day(moment: datetime) -> date:
    return moment.astimezone(TZ).date()


def _in(period: Period, moment: datetime | None) -> bool:
    return moment is not None and period.start <= _local_day(moment) <= period.end


def _stages(rows: list[dict]) -> report.Stages:
    return report.Stages(
        new=len(rows),
        contacted=sum(1 for r in rows if r["contacted"] or r["trial"] or r["enrolled"]),
        trial=sum(1 for r in rows if r["trial"] or r["enrolled"]),
        enrolled=sum(1 for r in rows if r["enrolled"]),
        lost=sum(1 for r in rows if r["status"] == LeadStatus.LOST),
    )


def _scopes(world: dict) -> list[tuple[Scope, object]]:
    """Each filter with the plain rule of which leads it takes."""
    a, b = world["members"]["A"], world["members"]["B"]
    english, maths, _none = world["courses"]
    return [
        (Scope(), lambda r: True),
        (Scope(ScopeKind.COURSE, english), lambda r: r["course"] == english),
        (Scope(ScopeKind.COURSE, maths), lambda r: r["course"] == maths),
        (Scope(ScopeKind.GROUP, world["groups"]["B"]), lambda r: r["enrolled"] and r["user"] in b),
        (Scope(ScopeKind.TEACHER, world["teacher"]), lambda r: r["enrolled"] and r["user"] in a),
    ]


PERIODS = [
    Period.month(2026, 3),
    Period.month(2026, 2),
    Period.days(date(2026, 2, 15), date(2026, 4, 10)),
    Period.year(2026),
]


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: p.token)
async def test_every_figure_against_a_plain_recomputation(session, period):
    world = await build_leads(session)
    for scope, takes in _scopes(world):
        taken = [r for r in world["rows"] if takes(r)]
        cohort = [r for r in taken if _in(period, r["created"])]
        built = await report.build(session, period, scope, TZ)

        assert built.total == _stages(cohort), scope
        for dimension, lines in (("source", built.by_source), ("course", built.by_course)):
            keys = {r[dimension] for r in cohort}
            expected = {key: _stages([r for r in cohort if r[dimension] == key]) for key in keys}
            assert {line.key: line.stages for line in lines} == expected, (scope, dimension)
            assert [line.stages.new for line in lines] == sorted(
                (s.new for s in expected.values()), reverse=True
            )

        days = [
            (r["enrolled"] - r["created"]).total_seconds() / 86_400
            for r in taken
            if _in(period, r["enrolled"])
        ]
        timing = built.time_to_enrol
        assert timing.enrolled == len(days), scope
        if days:
            assert timing.median_days == pytest.approx(statistics.median(days), rel=1e-6)
            assert timing.average_days == pytest.approx(statistics.mean(days), rel=1e-6)
        else:
            assert timing.median_days is None and timing.average_days is None

        order = sorted(cohort, key=lambda r: (r["created"], r["id"]))
        assert [row.id for row in built.leads] == [r["id"] for r in order]
        assert built.listed_all
        for row, plain in zip(built.leads, order, strict=True):
            assert row.created_on == _local_day(plain["created"])
            if plain["enrolled"]:
                assert row.enrolled_on == _local_day(plain["enrolled"])


async def test_the_world_covers_what_it_should(session):
    """The rows reach every case the figures count (so the comparison above is not
    comparing empty lists): skipped stages, won back, February's lead enrolled in March,
    the 00:30 lead in March, an enrolled lead of nobody."""
    world = await build_leads(session)
    rows = world["rows"]
    march = Period.month(2026, 3)
    assert any(r["enrolled"] and not r["contacted"] for r in rows)
    assert any(r["status"] != LeadStatus.LOST and r["contacted"] and r["trial"] for r in rows)
    assert any(_in(march, r["enrolled"]) and not _in(march, r["created"]) for r in rows)
    assert any(r["enrolled"] and r["user"] is None for r in rows)
    assert world["members"]["A"] and world["members"]["B"]
    first = rows[0]
    assert first["created"].date() == date(2026, 2, 28) and _in(march, first["created"])
    built = await report.build(session, march, Scope(), TZ)
    assert first["id"] in {row.id for row in built.leads}
    assert built.total.new > 10 and built.time_to_enrol.enrolled > 3


def test_the_funnel_rates():
    stages = report.Stages(new=10, contacted=8, trial=4, enrolled=3, lost=2)
    assert stages.still_open == 5 and stages.conversion == 0.3
    assert [(stage, count, before) for stage, count, before, _new in stages.funnel()] == [
        (LeadStatus.NEW, 10, 1.0),
        (LeadStatus.CONTACTED, 8, 0.8),
        (LeadStatus.TRIAL, 4, 0.5),
        (LeadStatus.ENROLLED, 3, 0.75),
        (LeadStatus.LOST, 2, 0.2),
    ]
    assert report.Stages().conversion is None
    assert all(before is None for _s, _c, before, _n in report.Stages().funnel())
