"""The lesson generator (idempotent, local time → UTC, within the group's dates) and the
regeneration after a timetable change (only future lessons nobody marked)."""

from datetime import UTC, date, datetime, time, timedelta

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select

from bot.delivery import Sender
from bot.jobs.lessons import generate_lessons
from bot.services import academic as academic_service
from bot.services import lessons as lessons_service
from bot.services.academic import GroupDraft
from bot.startup.scheduler import create_scheduler
from db.models import (
    Attendance,
    AuditEntry,
    Group,
    GroupStatus,
    Lesson,
    LessonStatus,
    Role,
)
from db.repositories import academic as academic_repo
from tests.factories import make_course, make_lessons, make_user, save_group

# Monday 2 March 2026, 10:00 UTC = 15:00 in Tashkent: that Monday's 14:00 lesson is over.
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    """Tashkent is UTC+5 all year."""
    return datetime.combine(day, time(hour, minute), tzinfo=UTC) - timedelta(hours=5)


async def group_without_lessons(session, settings, **values) -> int:
    """A group saved a week earlier (Mon and Wed 14:00, from 1 January): the lessons of the
    coming weeks are the job's to make."""
    admin = await make_user(session, None, roles=[Role.ADMIN])
    course = await make_course(session, f"Course {values.get('name', 'A1')}", monthly_price=500_000)
    defaults = dict(name="A1", room=None, capacity=10, start_date=date(2026, 1, 1))
    group = await save_group(session, settings, admin, course, now=NOW, **(defaults | values))
    lessons = await session.scalars(select(Lesson.id))
    await academic_repo.delete_lessons(session, list(lessons))
    await session.commit()
    return group.id


async def starts(session, group_id: int, status: str | None = None) -> list[datetime]:
    query = select(Lesson.starts_at).where(Lesson.group_id == group_id)
    if status:
        query = query.where(Lesson.status == status)
    return sorted(await session.scalars(query.execution_options(populate_existing=True)))


async def test_the_job_lays_the_slots_on_the_calendar_once(session, session_factory, settings):
    group_id = await group_without_lessons(session, settings)

    added = await generate_lessons(session_factory, settings, now=NOW)

    mondays = [date(2026, 3, 9), date(2026, 3, 16), date(2026, 3, 23)]  # 2 March has passed
    wednesdays = [date(2026, 3, 4), date(2026, 3, 11), date(2026, 3, 18), date(2026, 3, 25)]
    expected = sorted(utc(day, 14) for day in mondays + wednesdays)
    assert await starts(session, group_id) == expected
    assert added == len(expected) == 7
    assert expected[0] == datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # 14:00 Tashkent
    durations = set(await session.scalars(select(Lesson.duration_minutes)))
    assert durations == {90}

    assert await generate_lessons(session_factory, settings, now=NOW) == 0
    assert await generate_lessons(session_factory, settings, now=NOW) == 0
    assert await starts(session, group_id) == expected
    runs = select(func.count()).where(AuditEntry.action == "lessons.generated")
    assert await session.scalar(runs) == 1  # a run that adds nothing writes nothing

    # a week later the window has moved on: two more lessons, the rest untouched
    later = await generate_lessons(session_factory, settings, now=NOW + timedelta(days=7))
    assert later == 2  # Monday 30 March and Wednesday 1 April
    assert len(await starts(session, group_id)) == 9


async def test_the_groups_dates_and_status_bound_the_lessons(session, session_factory, settings):
    starting = await group_without_lessons(
        session, settings, name="Later", start_date=date(2026, 3, 16)
    )
    ending = await group_without_lessons(
        session, settings, name="Ending", end_date=date(2026, 3, 11)
    )
    finished = await group_without_lessons(
        session, settings, name="Done", status=GroupStatus.FINISHED
    )

    await generate_lessons(session_factory, settings, now=NOW)

    assert await starts(session, starting) == [
        utc(date(2026, 3, 16), 14),
        utc(date(2026, 3, 18), 14),
        utc(date(2026, 3, 23), 14),
        utc(date(2026, 3, 25), 14),
    ]
    assert await starts(session, ending) == [
        utc(date(2026, 3, 4), 14),
        utc(date(2026, 3, 9), 14),
        utc(date(2026, 3, 11), 14),
    ]
    assert await starts(session, finished) == []


async def test_a_timetable_change_touches_only_future_unmarked_lessons(
    session, session_factory, settings
):
    group_id = await group_without_lessons(session, settings)
    student = await make_user(session, None, roles=[Role.STUDENT])
    await generate_lessons(session_factory, settings, now=NOW)
    # a Wednesday lesson that was held (attendance taken), and one from last week
    marked = await session.scalar(
        select(Lesson).where(Lesson.starts_at == utc(date(2026, 3, 11), 14))
    )
    session.add(Attendance(lesson_id=marked.id, student_id=student.id, status="present"))
    await make_lessons(
        session, group_id, [utc(date(2026, 2, 25), 14), utc(date(2026, 3, 5), 17)]
    )  # one from last week, one moved by hand
    mondays_before = set(
        await session.scalars(
            select(Lesson.id).where(Lesson.starts_at == utc(date(2026, 3, 9), 14))
        )
    )

    admin = await make_user(session, None, roles=[Role.ADMIN])
    group = await academic_service.group(session, group_id)
    new = GroupDraft.from_data(
        group.draft().as_data()
        | {
            "slots": [
                {"weekday": 0, "start": "14:00", "minutes": 60},
                {"weekday": 3, "start": "16:00", "minutes": 90},
            ]
        }
    )
    result = await academic_service.save_group(
        session, admin.id, group_id, new, now=NOW, tz=settings.centre.tz
    )
    assert result.outcome is academic_service.Outcome.DONE

    wednesdays = [utc(date(2026, 3, d), 14) for d in (4, 11, 18, 25)]
    left = await starts(session, group_id)
    assert utc(date(2026, 3, 11), 14) in left  # marked: kept
    assert utc(date(2026, 2, 25), 14) in left  # past: kept
    assert utc(date(2026, 3, 5), 17) in left  # moved by hand: matches no removed slot
    assert not {utc(date(2026, 3, d), 14) for d in (4, 18, 25)} & set(left)
    thursdays = [utc(date(2026, 3, d), 16) for d in (5, 12, 19, 26)]
    assert set(thursdays) <= set(left)
    assert result.lessons_removed == 3 and result.lessons_added == 4
    # the Monday lessons are the same rows, now 60 minutes long
    monday_rows = (
        await session.execute(
            select(Lesson.id, Lesson.duration_minutes)
            .where(Lesson.starts_at == utc(date(2026, 3, 9), 14))
            .execution_options(populate_existing=True)
        )
    ).all()
    assert {row.id for row in monday_rows} == mondays_before
    assert {row.duration_minutes for row in monday_rows} == {60}
    assert len([w for w in left if w in wednesdays]) == 1
    assert await generate_lessons(session_factory, settings, now=NOW) == 0


async def test_finishing_a_group_removes_its_future_unmarked_lessons(
    session, session_factory, settings
):
    group_id = await group_without_lessons(session, settings)
    await generate_lessons(session_factory, settings, now=NOW)
    admin = await make_user(session, None, roles=[Role.ADMIN])
    group = await academic_service.group(session, group_id)
    finished = GroupDraft.from_data(group.draft().as_data() | {"status": "finished"})
    result = await academic_service.save_group(
        session, admin.id, group_id, finished, now=NOW, tz=settings.centre.tz
    )
    assert result.lessons_removed == 7
    assert await starts(session, group_id) == []
    assert await generate_lessons(session_factory, settings, now=NOW) == 0
    assert (await session.get(Group, group_id)).status == GroupStatus.FINISHED


async def test_moving_a_lesson_keeps_the_slot_time_cancelled(session, session_factory, settings):
    group_id = await group_without_lessons(session, settings)
    await generate_lessons(session_factory, settings, now=NOW)
    admin = await make_user(session, None, roles=[Role.ADMIN])
    first = await session.scalar(select(Lesson).order_by(Lesson.starts_at))
    old_start, new_start = first.starts_at, utc(date(2026, 3, 6), 10)
    change = await lessons_service.move(
        session,
        admin.id,
        first.id,
        new_start,
        now=NOW,
        tz=settings.centre.tz,
        policy_version="1",
    )
    assert change.refusal is None and change.lesson.starts_at == new_start
    assert await starts(session, group_id, LessonStatus.CANCELLED) == [old_start]
    assert await generate_lessons(session_factory, settings, now=NOW) == 0
    # the old time is taken now, and a past time is refused
    taken = await lessons_service.check_move(session, first.id, old_start, now=NOW)
    assert taken is lessons_service.Refusal.TAKEN
    past = await lessons_service.check_move(session, first.id, NOW - timedelta(hours=1), now=NOW)
    assert past is lessons_service.Refusal.IN_THE_PAST


async def test_the_scheduler_runs_the_generator_daily_and_at_start_up(
    session_factory, bot, settings
):
    scheduler = create_scheduler(session_factory, bot, settings, Sender(session_factory))
    job = scheduler.get_job("lesson_generator")
    assert job.func is generate_lessons
    assert job.kwargs == {"session_factory": session_factory, "settings": settings}
    assert isinstance(job.trigger, CronTrigger)
    assert (job.coalesce, job.max_instances) == (True, 1)
    assert job.next_run_time is not None  # once at start-up, then daily
