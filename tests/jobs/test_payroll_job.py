"""The payroll job: on PAYROLL_DAY the drafts of the month before, made again when run again
(an approved payslip kept as it is); on any other day nothing. And `python -m bot payroll
verify`: the differences on stdout, exit code 1 while one is not corrected."""

import asyncio
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.__main__ import main
from bot.jobs.payroll import make_payroll_drafts
from bot.services.payroll import payslips
from db.models import LessonStatus, PayScheme, Payslip, Role
from tests.conftest import make_settings
from tests.factories import make_group, make_lesson, make_user
from tests.mocked_bot import BOT_TOKEN


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 5, 0, tzinfo=UTC)  # 10:00 in Tashkent


async def a_teacher_with_lessons(session) -> int:
    teacher = await make_user(session, roles=[Role.TEACHER], full_name="Ann")
    group = await make_group(session, "A1", teacher_id=teacher.id)
    for day in (3, 10, 17):
        await make_lesson(session, group, at(date(2026, 10, day)), status=LessonStatus.HELD)
    session.add(PayScheme(teacher_id=teacher.id, valid_from=date(2026, 1, 1), per_lesson=70_000))
    await session.commit()
    return teacher.id


async def test_the_job_runs_on_its_day_for_the_month_before(session_factory, session, database_url):
    teacher = await a_teacher_with_lessons(session)
    settings = make_settings(database_url, payroll_day=5)

    assert await make_payroll_drafts(session_factory, settings, at(date(2026, 11, 4))) is None
    result = await make_payroll_drafts(session_factory, settings, at(date(2026, 11, 5)))
    assert (result.month, result.created, result.total) == (date(2026, 10, 1), 1, 210_000)
    again = await make_payroll_drafts(session_factory, settings, at(date(2026, 11, 5)))
    assert (again.created, again.refreshed) == (0, 1)

    (payslip,) = (await session.scalars(select(Payslip))).all()
    assert (payslip.teacher_id, payslip.total) == (teacher, 210_000)
    await payslips.approve(
        session, None, payslip.id, tz=settings.centre.tz, now=at(date(2026, 11, 6))
    )
    late = await make_payroll_drafts(session_factory, settings, at(date(2026, 11, 5)))
    assert (late.created, late.refreshed, late.approved) == (0, 0, 1)


@pytest.fixture
def cli_environment(monkeypatch, tmp_path, database_url):
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    monkeypatch.setenv("BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")


async def test_payroll_verify_reports_and_changes_nothing(
    cli_environment, session, capsys, database_url
):
    teacher = await a_teacher_with_lessons(session)
    settings = make_settings(database_url)
    await payslips.make_drafts(
        session, None, date(2026, 10, 1), tz=settings.centre.tz, now=at(date(2026, 11, 5))
    )
    (payslip,) = (await session.scalars(select(Payslip))).all()
    payslip_id = payslip.id
    await payslips.approve(
        session, None, payslip_id, tz=settings.centre.tz, now=at(date(2026, 11, 5))
    )

    assert await asyncio.to_thread(main, ["payroll", "verify"]) == 0
    assert "Approved payslips checked: 1; differences: 0" in capsys.readouterr().out

    group = (await session.scalars(select(PayScheme.teacher_id))).first()
    assert group == teacher
    from db.models import Group

    a1 = (await session.scalars(select(Group.id))).one()
    await make_lesson(session, a1, at(date(2026, 10, 24)), status=LessonStatus.HELD)
    assert await asyncio.to_thread(main, ["payroll", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"payslip #{payslip_id} teacher {teacher} 2026-10 group {a1}" in out
    assert "approved 210000, corrected since +0, today 280000 (outstanding +70000)" in out
    session.expire_all()
    assert (await session.get(Payslip, payslip_id)).total == 210_000
