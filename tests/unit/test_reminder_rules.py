"""The pure reminder rules: quiet hours, payment stage windows, keys, the class window."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.services.reminders import (
    PaymentRules,
    QuietHours,
    class_reminder_due,
    current_stage,
    lesson_key,
    payment_key,
    stage_days,
    stage_kind,
    stages_due,
)

TZ = ZoneInfo("Asia/Tashkent")
NIGHT = QuietHours(time(21), time(9))
DUE = date(2026, 3, 10)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


def rules(**values) -> PaymentRules:
    defaults = {
        "days_before": 3,
        "at": time(10),
        "every_days": 7,
        "max_overdue": 3,
        "quiet": NIGHT,
        "tz": TZ,
    }
    return PaymentRules(**(defaults | values))


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (time(20, 59), False),
        (time(21), True),
        (time(0), True),
        (time(8, 59), True),
        (time(9), False),
    ],
)
def test_quiet_hours_across_midnight(moment, inside):
    assert NIGHT.contains(at(DUE, moment.hour, moment.minute)) is inside


def test_quiet_hours_within_a_day_and_none():
    afternoon = QuietHours(time(13), time(14))
    assert afternoon.contains(at(DUE, 13, 30)) and not afternoon.contains(at(DUE, 14))
    assert not QuietHours(time(0), time(0)).contains(at(DUE, 3))


def test_release_moves_a_moment_to_the_end_of_the_quiet_hours():
    assert NIGHT.release(at(DUE, 22)) == at(DUE + timedelta(days=1), 9)
    assert NIGHT.release(at(DUE, 3)) == at(DUE, 9)
    assert NIGHT.release(at(DUE, 12)) == at(DUE, 12)


def test_stage_days():
    assert stage_days(DUE, rules()) == [
        ("before", date(2026, 3, 7)),
        ("due", DUE),
        ("overdue:1", date(2026, 3, 17)),
        ("overdue:2", date(2026, 3, 24)),
        ("overdue:3", date(2026, 3, 31)),
    ]
    assert [stage for stage, _ in stage_days(DUE, rules(days_before=0, max_overdue=1))] == [
        "due",
        "overdue:1",
    ]


@pytest.mark.parametrize(
    ("moment", "stage"),
    [
        (at(date(2026, 3, 7), 9, 59), None),
        (at(date(2026, 3, 7), 10), "before"),
        (at(date(2026, 3, 9), 23, 59), "before"),  # still sendable until the due day
        (at(DUE, 8), None),  # the due day has come: "before" is over, "due" not yet
        (at(DUE, 10), "due"),
        (at(date(2026, 3, 16), 20), "due"),
        (at(date(2026, 3, 17), 9), None),
        (at(date(2026, 3, 17), 10), "overdue:1"),
        (at(date(2026, 3, 31), 10), "overdue:3"),
        (at(date(2026, 4, 6), 23), "overdue:3"),
        (at(date(2026, 4, 7), 10), None),  # no fourth
    ],
)
def test_the_current_stage(moment, stage):
    assert current_stage(DUE, moment, rules()) == stage


def test_a_reminder_time_inside_the_quiet_hours_moves_to_their_end():
    late = rules(at=time(22), days_before=1)
    assert current_stage(DUE, at(date(2026, 3, 9), 22), late) is None
    assert current_stage(DUE, at(DUE, 8, 59), late) is None
    assert current_stage(DUE, at(DUE, 9), late) == "before"
    assert current_stage(DUE, at(date(2026, 3, 11), 9), late) == "due"


def test_the_centre_date_decides_not_the_utc_date():
    midnight = rules(at=time(0, 10), quiet=QuietHours(time(0), time(0)))
    april = date(2026, 4, 1)
    utc = datetime(2026, 3, 31, 19, 10, tzinfo=UTC)  # 00:10 on 1 April in Tashkent
    assert current_stage(april, utc, midnight) == "due"
    assert current_stage(april, utc - timedelta(minutes=1), midnight) is None


def test_stages_due_lists_every_due_date_with_something_to_send():
    found = stages_due(at(DUE, 10), rules())
    assert found[DUE] == "due"
    assert found[date(2026, 3, 13)] == "before"
    assert found[date(2026, 3, 3)] == "overdue:1"
    assert date(2026, 3, 14) not in found  # its "before" opens on 11 March
    assert all(stage == current_stage(day, at(DUE, 10), rules()) for day, stage in found.items())


def test_keys_and_kinds():
    assert payment_key(7, DUE, "overdue:2") == "pay:7:2026-03-10:overdue:2"
    assert stage_kind("before") == stage_kind("due") == "payment_due"
    assert stage_kind("overdue:1") == "payment_overdue"
    moved = lesson_key(5, at(DUE, 15), 7)
    assert lesson_key(5, at(DUE, 14), 7) == "lesson:5:20260310T0900:7"
    assert moved != lesson_key(5, at(DUE, 14), 7)


def test_the_class_reminder_window():
    starts = at(DUE, 14)
    due = [class_reminder_due(starts, moment, 60, NIGHT, TZ) for moment in (
        at(DUE, 12, 59), at(DUE, 13), at(DUE, 13, 59), at(DUE, 14), at(DUE, 15)
    )]  # fmt: skip
    assert due == [False, True, True, False, False]
    early = at(DUE, 8, 30)
    assert not class_reminder_due(early, at(DUE, 7, 30), 60, NIGHT, TZ)  # quiet
    assert not class_reminder_due(early, at(DUE, 9), 60, NIGHT, TZ)  # begun
