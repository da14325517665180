"""The retention report's figures on random small centres, against the plain recount of
tests/unit/test_retention_report.py: the runs of places (one window pass) must agree
with the definitions for every odd history — places joined and left on one day, two
places joined on one day, overlapping places and moves on the day one ends, freezes that
overlap, start before the place or outlast it, open freezes and open places, rejoins."""

import random
from datetime import date, timedelta

import pytest

from bot.services.reports import retention
from bot.services.reports.period import Period, month_end
from bot.services.reports.scope import Scope, ScopeKind
from db.models import EnrolmentFreeze, EnrolmentStatus, Role
from tests.factories import make_course, make_enrolment, make_group, make_user
from tests.unit.test_retention_report import (
    CHOSEN,
    TZ,
    Place,
    World,
    departing,
    expected_reasons,
    figures,
    in_scope,
)

START = date(2026, 1, 1)


def _history(rng: random.Random) -> list[tuple[str, date, date | None, list]]:
    """A student's places: (group, joined, left, freezes), days clustered so that they
    touch and overlap often."""
    places = []
    day = START + timedelta(days=rng.randrange(-40, 200))
    for _ in range(rng.randrange(1, 5)):
        length = rng.choice([0, 0, 1, 5, 30, 90, 200])
        left = day + timedelta(days=length) if rng.random() < 0.75 else None
        freezes = []
        for _ in range(rng.choice([0, 0, 1, 2])):
            start = day + timedelta(days=rng.randrange(-5, length + 6))
            end = start + timedelta(days=rng.randrange(0, 40)) if rng.random() < 0.8 else None
            freezes.append((start, end))
        places.append((rng.choice(["E1", "E2", "M1"]), day, left, freezes))
        # the next place: the same day, the day this one ends, a little later, or earlier
        base = left if left is not None else day
        day = base + timedelta(days=rng.choice([0, 0, 1, 7, -3]))
    return places


async def random_world(session, seed: int) -> World:
    rng = random.Random(seed)
    teacher = (await make_user(session, None, roles=[Role.TEACHER], full_name="T")).id
    courses = {name: (await make_course(session, name)).id for name in ("English", "Maths")}
    course_of = {"E1": "English", "E2": "English", "M1": "Maths"}
    teacher_of = {"E1": teacher, "E2": None, "M1": teacher}
    groups = {}
    for name, course in course_of.items():
        group = await make_group(session, name, course=courses[course], teacher_id=teacher_of[name])
        groups[name] = group.id
    places: list[Place] = []
    for number in range(14):
        name = f"S{number:02d}"
        student = (await make_user(session, None, roles=[Role.STUDENT], full_name=name)).id
        for group, joined, left, freezes in _history(rng):
            reason = rng.choice([*CHOSEN, None]) if left else None
            row = await make_enrolment(
                session,
                student,
                groups[group],
                joined_on=joined,
                left_on=left,
                status=EnrolmentStatus.LEFT if left else EnrolmentStatus.ACTIVE,
                leave_reason=reason,
                commit=False,
            )
            for start, end in freezes:
                session.add(EnrolmentFreeze(enrolment_id=row.id, starts_on=start, ends_on=end))
            places.append(Place(row.id, student, name, group, joined, left, reason, freezes))
    await session.commit()
    return World(places, groups, courses, course_of, teacher_of, teacher)


PERIODS = [
    Period.year(2026),
    Period.month(2026, 2),
    Period.days(date(2026, 3, 10), date(2026, 8, 20)),
]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_centres_agree_with_a_recount(session, seed):
    world = await random_world(session, seed)
    for scope in (
        Scope(),
        Scope(ScopeKind.COURSE, world.courses["English"]),
        Scope(ScopeKind.TEACHER, world.teacher),
    ):
        places = [p for p in world.places if in_scope(world, scope, p)]
        for period in PERIODS:
            where = f"seed {seed} {scope.token} {period.token}"
            report = await retention.build(session, period, scope, TZ)
            report = await retention.with_details(session, report, TZ)
            assert report.total == figures(places, period.start, period.end), where
            spans = [(max(m, period.start), min(month_end(m), period.end)) for m in period.months()]
            for row, (first, last) in zip(report.months, spans, strict=True):
                assert row.figures == figures(places, first, last), (where, row.month)
            assert report.reasons == expected_reasons(places, period.start, period.end), where
            assert sorted((x.student, x.group, x.day) for x in report.leavers) == sorted(
                (p.name, p.group, p.left) for p in departing(places, period.start, period.end)
            ), where
            by_course = {line.name: line.figures for line in report.by_course}
            for course in world.courses:
                mine = [p for p in places if world.course_of[p.group] == course]
                counted = figures(mine, period.start, period.end)
                assert by_course.get(course, retention.Figures()) == counted, (where, course)
