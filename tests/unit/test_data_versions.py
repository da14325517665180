"""The data versions under the report cache (db.data_versions): each kind of change raises
its domain once per transaction, however it was written (an object flushed, an INSERT …
ON CONFLICT, an UPDATE statement); a rollback raises nothing; a second process (its own
engine on the same database) sees the change; and the cache keeps at most its size."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update

from bot.services.reports.cache import ReportCache, as_of, centre_day, centre_minute
from bot.services.reports.period import Period
from db import data_versions, report_totals
from db.base import utcnow
from db.engine import create_engine, create_session_factory
from db.models import AttendanceStatus, Group, Payment, Role, User
from db.repositories import attendance as attendance_repo
from handlers.admin.reports import menu
from keyboards.reports import ATTENDANCE, FINANCE, TEACHERS
from tests.factories import make_group, make_lesson, make_payment, make_user


async def versions(session) -> dict[str, int]:
    return dict(await data_versions.current(session))


async def test_each_change_raises_its_domain_once_per_transaction(session):
    teacher = await make_user(session, None, roles=[Role.TEACHER])
    student = await make_user(session, None, roles=[Role.STUDENT])
    group = await make_group(session, "A1", teacher_id=teacher.id)
    lesson = await make_lesson(session, group, utcnow())
    before = await versions(session)
    assert set(before) == {"academic"}  # the group and the lesson

    await make_payment(session, student, commit=False)  # an object flushed…
    await make_payment(session, student, commit=False)
    statement = update(Payment).values(note="x")  # …and a statement (no total moves)
    await session.execute(statement.execution_options(**report_totals.TOUCHED))
    await session.commit()
    after = await versions(session)
    assert after == before | {"ledger": 1}  # one transaction, one raise

    marks = {student.id: AttendanceStatus.ABSENT.value}
    await attendance_repo.upsert_marks(session, lesson.id, marks, teacher.id, utcnow())
    await session.commit()
    await attendance_repo.upsert_marks(session, lesson.id, marks, teacher.id, utcnow())
    await session.commit()
    assert await versions(session) == after | {"attendance": 2}

    await session.execute(update(Group).values(name="A2"))
    await session.commit()
    assert (await versions(session))["academic"] == before["academic"] + 1


async def test_what_reports_do_not_read_and_what_is_rolled_back_raise_nothing(session):
    student = await make_user(session, None, roles=[Role.STUDENT])
    before = await versions(session)
    await session.execute(update(User).values(full_name="Renamed"))
    await session.commit()
    await make_payment(session, student, commit=False)
    await session.flush()
    await session.rollback()
    await session.commit()  # a later commit does not remember the rolled-back payment
    assert await versions(session) == before


async def test_another_process_sees_the_change(session, database_url):
    student = await make_user(session, None, roles=[Role.STUDENT])
    other_engine = create_engine(database_url)  # a second process: its own engine and cache
    try:
        other = create_session_factory(other_engine)
        cache, made = ReportCache(), []

        async def report() -> int:
            made.append(1)
            return len(made)

        async def ask() -> int:
            async with other() as other_session:
                stamp = await cache.stamp(other_session)
                return await cache.get_or_make(stamp, ("figures", "fin", "m202603", "c"), report)

        assert await ask() == 1 and await ask() == 1
        await make_payment(session, student)  # through this process's engine
        assert await ask() == 2 and await ask() == 2
    finally:
        await other_engine.dispose()


async def test_the_cache_keeps_its_size_least_recently_used_out_first(session):
    cache = ReportCache(size=3)
    stamp = await cache.stamp(session)
    made: list[str] = []

    def maker(key: str):
        async def make() -> str:
            made.append(key)
            return key

        return make

    for key in ("a", "b", "c"):
        await cache.get_or_make(stamp, key, maker(key))
    await cache.get_or_make(stamp, "a", maker("a"))  # a is used again: b is the oldest now
    await cache.get_or_make(stamp, "d", maker("d"))
    assert len(cache) == 3
    await cache.get_or_make(stamp, "a", maker("a"))
    await cache.get_or_make(stamp, "b", maker("b"))
    assert made == ["a", "b", "c", "d", "b"]
    assert (cache.hits, cache.misses) == (2, 5)


def test_a_report_that_moves_with_the_clock_is_keyed_by_it_while_its_period_runs():
    tz = ZoneInfo("Asia/Tashkent")
    march = Period.month(2026, 3)
    during = datetime(2026, 3, 10, 9, 30, 15, tzinfo=tz)
    assert as_of(None, march, during, tz) is None  # finance: the data alone
    assert as_of(centre_minute, march, during, tz) == datetime(2026, 3, 10, 9, 30, tzinfo=tz)
    assert as_of(centre_day, march, during, tz) == date(2026, 3, 10)
    after = datetime(2026, 4, 1, 0, 0, tzinfo=tz)  # March is over: its figures stay put
    assert as_of(centre_minute, march, after, tz) is None
    assert menu.KINDS[TEACHERS].clock is centre_minute
    assert menu.KINDS[ATTENDANCE].clock is centre_day
    assert menu.KINDS[FINANCE].clock is None
