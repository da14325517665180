"""The forms' parsers (bot.services.parsing): money, dates, times, slots; slot clashes."""

import json
from dataclasses import replace
from datetime import date, time

import pytest

from bot.services.academic import (
    GroupDraft,
    SlotConflict,
    SlotProblem,
    SlotSpec,
    add_slot,
    sorted_slots,
)
from bot.services.parsing import (
    MONEY_MAX,
    Invalid,
    Problem,
    clean_text,
    parse_amount,
    parse_date,
    parse_money,
    parse_slot_time,
    parse_time,
    parse_whole,
)
from db.models import GroupStatus


def problem_of(function, *args) -> Problem:
    with pytest.raises(Invalid) as caught:
        function(*args)
    return caught.value.problem


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("1250000", 1_250_000),
        ("1 250 000", 1_250_000),
        ("1.250.000", 1_250_000),
        ("1,250,000", 1_250_000),
        ("1\u00a0250\u00a0000", 1_250_000),
        ("  800 000 so'm ", 800_000),
        ("800000 сум", 800_000),
        ("0", 0),
        ("100 000 000", MONEY_MAX),
    ],
)
def test_money_in_the_ways_people_type_it(typed, amount):
    assert parse_money(typed) == amount


def test_an_amount_paid_is_more_than_nothing_and_within_the_one_cap():
    assert parse_amount("1 250 000") == 1_250_000
    assert parse_amount("100 000 000") == MONEY_MAX
    assert problem_of(parse_amount, "0") is Problem.TOO_SMALL
    assert problem_of(parse_amount, "100 000 001") is Problem.TOO_LARGE


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("-5", Problem.NEGATIVE),
        ("−5", Problem.NEGATIVE),
        ("- 1 000", Problem.NEGATIVE),
        ("abc", Problem.NOT_A_NUMBER),
        ("", Problem.NOT_A_NUMBER),
        (None, Problem.NOT_A_NUMBER),
        ("12.5", Problem.NOT_A_NUMBER),
        ("1 250.000", Problem.NOT_A_NUMBER),  # mixed separators
        ("12 50 000", Problem.NOT_A_NUMBER),  # groups of three only
        ("100 000 001", Problem.TOO_LARGE),
        ("9" * 5000, Problem.TOO_LARGE),  # no int() of a huge string
        ("1e9", Problem.NOT_A_NUMBER),
        ("١٢٣", Problem.NOT_A_NUMBER),  # non-ASCII digits
    ],
)
def test_bad_money_is_named(typed, problem):
    assert problem_of(parse_money, typed) is problem


def test_dates_are_day_month_year():
    assert parse_date("01.09.2025") == date(2025, 9, 1)
    assert parse_date("1.9.2025") == date(2025, 9, 1)
    assert parse_date("29/02/2024") == date(2024, 2, 29)


def test_a_day_the_month_lacks_is_named_with_the_months_length():
    with pytest.raises(Invalid) as caught:
        parse_date("31.02.2025")
    assert caught.value.problem is Problem.NO_SUCH_DAY
    assert caught.value.facts["days"] == 28
    assert problem_of(parse_date, "29.02.2025") is Problem.NO_SUCH_DAY
    assert problem_of(parse_date, "31.04.2025") is Problem.NO_SUCH_DAY
    assert problem_of(parse_date, "10.13.2025") is Problem.NO_SUCH_MONTH
    assert problem_of(parse_date, "00.01.2025") is Problem.NO_SUCH_DAY
    assert problem_of(parse_date, "2025-09-01") is Problem.DATE_FORMAT
    assert problem_of(parse_date, "tomorrow") is Problem.DATE_FORMAT
    assert problem_of(parse_date, "01.09.1899") is Problem.YEAR_RANGE


def test_times_are_24_hour():
    assert parse_time("14:00") == time(14, 0)
    assert parse_time("9:05") == time(9, 5)
    assert parse_time("23.59") == time(23, 59)
    assert problem_of(parse_time, "25:00") is Problem.NO_SUCH_TIME
    assert problem_of(parse_time, "24:00") is Problem.NO_SUCH_TIME
    assert problem_of(parse_time, "10:75") is Problem.NO_SUCH_TIME
    assert problem_of(parse_time, "2 pm") is Problem.TIME_FORMAT
    assert problem_of(parse_time, "1400") is Problem.TIME_FORMAT


def test_a_slot_is_a_time_and_a_length():
    assert parse_slot_time("14:00 90") == (time(14, 0), 90)
    assert parse_slot_time("14:00-15:30") == (time(14, 0), 90)
    assert parse_slot_time(" 9:30  60 ") == (time(9, 30), 60)
    assert problem_of(parse_slot_time, "25:00 90") is Problem.NO_SUCH_TIME
    assert problem_of(parse_slot_time, "25:00") is Problem.NO_SUCH_TIME
    assert problem_of(parse_slot_time, "14:00") is Problem.SLOT_FORMAT
    assert problem_of(parse_slot_time, "14:00 5") is Problem.TOO_SMALL
    assert problem_of(parse_slot_time, "14:00 999") is Problem.TOO_LARGE
    assert problem_of(parse_slot_time, "15:00-14:00") is Problem.END_BEFORE_START
    assert problem_of(parse_slot_time, "14:00 abc") is Problem.NOT_A_NUMBER


def test_small_numbers_within_limits():
    assert parse_whole("12", 1, 200) == 12
    assert parse_whole("15%", 0, 100) == 15
    assert parse_whole("0", 0, 100) == 0
    assert problem_of(parse_whole, "0", 1, 200) is Problem.TOO_SMALL
    assert problem_of(parse_whole, "101", 0, 100) is Problem.TOO_LARGE
    assert problem_of(parse_whole, "-1", 0, 100) is Problem.NEGATIVE
    assert problem_of(parse_whole, "ten", 0, 100) is Problem.NOT_A_NUMBER
    assert problem_of(parse_whole, "9" * 100, 0, 100) is Problem.TOO_LARGE


def test_texts_are_trimmed_and_bounded():
    assert clean_text("  A1   Morning ", 1, 128) == "A1 Morning"
    assert problem_of(clean_text, "   ", 1, 128) is Problem.EMPTY
    assert problem_of(clean_text, "A", 2, 128) is Problem.TOO_SHORT
    assert problem_of(clean_text, "x" * 129, 1, 128) is Problem.TOO_LONG


def test_slots_refuse_duplicates_and_clashes_within_the_group():
    monday = SlotSpec(0, time(14, 0), 90)
    slots = add_slot((), monday)
    slots = add_slot(slots, SlotSpec(2, time(14, 0), 90))
    assert [slot.weekday for slot in slots] == [0, 2]
    with pytest.raises(SlotConflict) as caught:
        add_slot(slots, SlotSpec(0, time(14, 0), 60))
    assert caught.value.problem is SlotProblem.DUPLICATE
    with pytest.raises(SlotConflict) as caught:
        add_slot(slots, SlotSpec(0, time(15, 0), 60))
    assert caught.value.problem is SlotProblem.OVERLAPS_OWN
    assert add_slot(slots, SlotSpec(0, time(15, 30), 60))  # back to back is fine


def test_overlap_across_midnight_and_the_week_end():
    late_sunday = SlotSpec(6, time(23, 30), 60)
    assert late_sunday.overlaps(SlotSpec(0, time(0, 0), 30))
    assert not late_sunday.overlaps(SlotSpec(0, time(0, 30), 30))
    assert SlotSpec(0, time(14, 0), 90).end == time(15, 30)


def test_a_group_draft_survives_a_json_round_trip():
    draft = GroupDraft(
        course_id=3,
        name="A1 Morning",
        teacher_id=None,
        room="12",
        capacity=12,
        start_date=date(2025, 9, 1),
        end_date=None,
        price_override=1_100_000,
        slots=(SlotSpec(2, time(9, 0), 90), SlotSpec(0, time(9, 0), 90)),
        status=GroupStatus.ACTIVE,
    )
    again = GroupDraft.from_data(json.loads(json.dumps(draft.as_data())))
    assert again == replace(draft, slots=sorted_slots(draft.slots))
    assert [slot.weekday for slot in again.slots] == [0, 2]
