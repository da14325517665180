"""The centre's week: which lessons clash (bot.services.centre_week), as plain data."""

from datetime import UTC, date, datetime, timedelta

from bot.services.centre_week import ClashKind, WeekLesson, clashes, marked, week_start
from db.models import LessonStatus

MONDAY = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def lesson(
    lesson_id: int,
    start_minutes: int,
    minutes: int = 90,
    *,
    room: str | None = None,
    teacher: int | None = None,
    status: LessonStatus = LessonStatus.SCHEDULED,
) -> WeekLesson:
    return WeekLesson(
        id=lesson_id,
        starts_at=MONDAY + timedelta(minutes=start_minutes),
        minutes=minutes,
        status=status,
        group_id=lesson_id,
        group=f"G{lesson_id}",
        course="English",
        room=room,
        teacher_id=teacher,
        teacher=None if teacher is None else f"T{teacher}",
    )


def pairs(found) -> set[tuple[int, int, ClashKind]]:
    return {(clash.first, clash.second, clash.kind) for clash in found}


def test_the_same_room_at_overlapping_times_clashes_case_aside():
    found = clashes([lesson(1, 0, room="Room 1"), lesson(2, 60, room="room 1")])
    assert pairs(found) == {(1, 2, ClashKind.ROOM)}


def test_the_same_teacher_at_overlapping_times_clashes():
    found = clashes([lesson(1, 0, teacher=7, room="A"), lesson(2, 30, teacher=7, room="B")])
    assert pairs(found) == {(1, 2, ClashKind.TEACHER)}


def test_room_and_teacher_both_booked_twice_are_two_clashes():
    found = clashes([lesson(1, 0, teacher=7, room="A"), lesson(2, 0, teacher=7, room="a")])
    assert pairs(found) == {(1, 2, ClashKind.ROOM), (1, 2, ClashKind.TEACHER)}


def test_lessons_that_only_touch_do_not_clash():
    assert clashes([lesson(1, 0, 60, room="A"), lesson(2, 60, room="A")]) == []


def test_a_cancelled_lesson_clashes_with_nothing():
    cancelled = lesson(2, 30, room="A", teacher=7, status=LessonStatus.CANCELLED)
    assert clashes([lesson(1, 0, room="A", teacher=7), cancelled]) == []


def test_no_room_and_no_teacher_never_clash():
    assert clashes([lesson(1, 0), lesson(2, 0), lesson(3, 10)]) == []


def test_different_rooms_and_teachers_do_not_clash():
    assert clashes([lesson(1, 0, room="A", teacher=1), lesson(2, 0, room="B", teacher=2)]) == []


def test_a_long_lesson_clashes_with_each_it_overlaps_and_not_with_the_next_day():
    found = clashes(
        [
            lesson(1, 0, 240, room="A"),  # 09:00-13:00
            lesson(2, 30, 30, room="A"),  # 09:30-10:00
            lesson(3, 120, 30, room="A"),  # 11:00-11:30
            lesson(4, 24 * 60, room="A"),  # the next day
        ]
    )
    assert pairs(found) == {(1, 2, ClashKind.ROOM), (1, 3, ClashKind.ROOM)}


def test_marked_gives_each_lesson_the_kinds_it_takes_part_in():
    lessons = [lesson(1, 0, room="A", teacher=5), lesson(2, 0, room="A"), lesson(3, 0, teacher=5)]
    result = {item.id: item.clashes for item in marked(lessons, clashes(lessons))}
    assert result == {
        1: frozenset({ClashKind.ROOM, ClashKind.TEACHER}),
        2: frozenset({ClashKind.ROOM}),
        3: frozenset({ClashKind.TEACHER}),
    }


def test_the_week_starts_on_monday():
    assert week_start(date(2027, 3, 4)) == date(2027, 3, 1)
    assert week_start(date(2027, 3, 1)) == date(2027, 3, 1)
    assert week_start(date(2027, 3, 7)) == date(2027, 3, 1)
