"""The teachers' and the courses' templates: reading and matching, and a file told by its
header (the kind asked for first, then the others, only those the sender may import)."""

import io
from datetime import date

import pytest
from openpyxl import Workbook

from bot.services import imports
from bot.services.imports import courses, teachers
from bot.services.imports.columns import map_header
from bot.services.imports.courses import KnownCourse
from bot.services.imports.people import Directory, Known, Outcome, RowProblem
from bot.services.imports.reading import Table

TODAY = date(2026, 12, 1)


def table(header, *rows):
    width = len(header)
    return Table(
        tuple(header), tuple(tuple(r) + (None,) * (width - len(r)) for r in rows), 2, "csv"
    )


def test_teachers_found_by_phone_become_teachers_and_namesakes_by_name():
    parent = Known(1, "Vali Valiyev", "+998935550000", None, "uz", {"parent"})
    teacher = Known(2, "Nodira Karimova", None, None, "ru", {"teacher"})
    found = Directory()
    for person in (parent, teacher):
        found.add(person)
    header = ("teacher_name", "teacher_phone", "language")
    parsed = teachers.parse(
        table(
            header,
            ("Valiyev Vali", "935550000"),
            ("Nodira Karimova", "977654321"),
            ("Aziz Sobirov",),
            ("Bad 1", "x"),
        ),
        map_header(header, teachers.COLUMNS, {}),
        region="UZ",
        today=TODAY,
    )
    assert [(i.row, i.column, i.problem) for i in parsed.issues] == [
        (5, "teacher_name", RowProblem.BAD_NAME),
        (5, "teacher_phone", RowProblem.INVALID_PHONE),
    ]
    plan = teachers.plan(found, parsed, default_language="uz")
    assert plan.outcomes == {2: Outcome.UPDATE, 3: Outcome.UPDATE, 4: Outcome.CREATE}
    assert [(r.person, r.role) for r in plan.roles] == [(1, "teacher")]
    assert [(f.person, f.field, f.value) for f in plan.fills] == [(2, "phone", "+998977654321")]
    assert [p.name for p in plan.new] == ["Aziz Sobirov"] and plan.new[0].roles == {"teacher"}


def test_courses_by_name_price_kept_and_bad_cells_named():
    header = ("course_name", "monthly_price", "description")
    parsed = courses.parse(
        table(
            header,
            ("General  english", "1 250 000", "Speaking"),
            ("IELTS", 1500000),
            ("Maths", "-5"),
            ("X", "100"),
            ("IELTS", "1500000"),
        ),
        map_header(header, courses.COLUMNS, {}),
        region="UZ",
        today=TODAY,
    )
    assert [(i.row, i.column, i.problem) for i in parsed.issues] == [
        (4, "monthly_price", RowProblem.BAD_PRICE),
        (5, "course_name", RowProblem.BAD_NAME),
        (6, None, RowProblem.DUPLICATE_ROW),
    ]
    plan = courses.plan([KnownCourse(7, "General English", 1_000_000, None)], parsed)
    assert plan.new == [("IELTS", 1_500_000, None)]
    assert plan.fills == [(7, "Speaking")]
    (conflict,) = [i for i in plan.issues if i.problem is RowProblem.CONFLICT]
    assert (conflict.row, conflict.value, conflict.kept) == (2, "1250000", "1000000")
    assert plan.counts == {"create": 1, "update": 1, "unchanged": 0, "skip": 3, "problems": 4}


def xlsx(*sheets) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_file_is_told_by_its_header_and_an_exports_sheet_by_kind():
    export = xlsx(
        ("People", [["student_name"], ["Ali Valiyev"]]),
        ("Teachers", [["teacher_name", "teacher_phone"], ["Nodira Karimova", "977654321"]]),
    )
    kind, parsed = imports.read_any(export, "teachers", {}, region="UZ", today=TODAY)
    assert kind.key == "teachers" and [r.student.name for r in parsed.rows] == ["Nodira Karimova"]
    kind, parsed = imports.read_any(export, "people", {}, region="UZ", today=TODAY)
    assert kind.key == "people" and [r.student.name for r in parsed.rows] == ["Ali Valiyev"]
    # a teachers' file after the people template was asked for: still the teachers'
    staff = xlsx(("Sheet", [["teacher_name"], ["Aziz Sobirov"]]))
    kind, _parsed = imports.read_any(staff, "people", {}, region="UZ", today=TODAY)
    assert kind.key == "teachers"
    # but not for one who may import only courses
    with pytest.raises(imports.MissingColumns) as missing:
        imports.read_any(staff, "courses", {}, region="UZ", today=TODAY, kinds=["courses"])
    assert missing.value.missing == ["course_name", "monthly_price"]


GROUP_KEYS = [
    "group_name",
    "course_name",
    "teacher",
    "room",
    "capacity",
    "start_date",
    "weekdays",
    "start_time",
    "duration",
]


@pytest.mark.parametrize(
    ("typed", "days"),
    [
        ("Mon Wed Fri", (0, 2, 4)),
        ("пн, ср, пт", (0, 2, 4)),
        ("Dush/Chor/Jum", (0, 2, 4)),
        ("Du Se", (0, 1)),
        ("Tuesday; Thursday", (1, 3)),
        ("1 3 5", (0, 2, 4)),
        ("7", (6,)),
        ("Sat Sat", (5,)),
    ],
)
def test_weekdays_in_any_language_or_numbers(typed, days):
    from bot.services.imports import groups

    assert groups.weekdays(typed) == days


@pytest.mark.parametrize("typed", ["", "Funday", "8", "Mon Xyz", "0"])
def test_not_weekdays(typed):
    from bot.services.imports import groups

    with pytest.raises(ValueError):
        groups.weekdays(typed)


def test_every_language_template_weekdays_read_back():
    from babel.dates import get_day_names

    from bot.services.imports import groups

    for language in ("uz", "ru", "en"):
        names = get_day_names("abbreviated", locale=language)
        for day in range(7):
            assert groups.weekdays(str(names[day]).capitalize()) == (day,)


def test_start_times_as_text_excel_times_and_fractions():
    from datetime import datetime, time

    from bot.services.imports import groups

    assert groups.start_time("14:00") == time(14)
    assert groups.start_time("9.30") == time(9, 30)
    assert groups.start_time(time(8, 15, 30)) == time(8, 15)
    assert groups.start_time(datetime(1899, 12, 30, 18, 0)) == time(18)
    assert groups.start_time(14 / 24) == time(14)
    for bad in ("25:00", "10:75", "noon", "", 1.5):
        with pytest.raises(ValueError):
            groups.start_time(bad)


def test_group_rows_read_with_their_timetable_and_problems():
    from datetime import time

    from bot.services.imports import groups

    rows = table(
        GROUP_KEYS,
        ["GE-1", "English", "90 123 45 67", "12", "", "05.01.2027", "Mon Wed", "09:00", 90],
        ["GE-2", "English", "Nodira Karimova", None, 8, "2027-01-06", "2", "14:30", "60"],
        ["GE-3", "", "12", None, 0, "", "", "", "10"],
        ["ge-1", "english", None, None, None, "05.01.2027", "Fri", "10:00", 60],
    )
    header = map_header(GROUP_KEYS, groups.COLUMNS, {})
    parsed = groups.parse(rows, header, region="UZ", today=TODAY)
    first, second = parsed.rows
    assert first.student.name == "GE-1"
    assert first.extra.teacher_phone == "+998901234567" and first.extra.capacity == 12
    assert [(s.weekday, s.start, s.minutes) for s in first.extra.slots] == [
        (0, time(9), 90),
        (2, time(9), 90),
    ]
    assert second.extra.teacher_name == "Nodira Karimova" and second.extra.capacity == 8
    assert second.extra.start_date == date(2027, 1, 6)
    problems = [(i.row, i.column, i.problem) for i in parsed.issues]
    assert problems == [
        (4, "course_name", RowProblem.MISSING_VALUE),
        (4, "teacher", RowProblem.INVALID_PHONE),
        (4, "capacity", RowProblem.BAD_NUMBER),
        (4, "start_date", RowProblem.MISSING_VALUE),
        (4, "weekdays", RowProblem.BAD_WEEKDAYS),
        (4, "start_time", RowProblem.BAD_TIME),
        (4, "duration", RowProblem.BAD_DURATION),
        (5, None, RowProblem.DUPLICATE_ROW),
    ]
    assert parsed.total == 4


def test_an_enrolments_file_is_told_from_people_though_it_has_their_column():
    from bot.services.imports import enrolments

    book = Workbook()
    book.active.append(["student_name", "group_name", "joined_on", "discount"])
    book.active.append(["Ali Valiyev", "GE-1", "05.01.2027", "15%"])
    out = io.BytesIO()
    book.save(out)
    kind, parsed = imports.read_any(out.getvalue(), "people", {}, region="UZ", today=TODAY)
    assert kind.key == enrolments.KIND
    (row,) = parsed.rows
    assert row.extra.group == "GE-1" and row.extra.discount == 15
    assert row.extra.joined_on == date(2027, 1, 5)
    people_only = Workbook()
    people_only.active.append(["student_name", "birth_date"])
    people_only.active.append(["Ali Valiyev", "05.01.2012"])
    out = io.BytesIO()
    people_only.save(out)
    kind, _parsed = imports.read_any(out.getvalue(), "enrolments", {}, region="UZ", today=TODAY)
    assert kind.key == "people"


def test_a_group_at_several_times_takes_a_row_each_and_is_one_group():
    from datetime import time

    from bot.services.imports import groups

    same = ["GE-1", "English", None, "12", 10, "05.01.2027"]
    rows = table(
        GROUP_KEYS,
        [*same, "Mon Wed", "09:00", 90],
        [*same, "Fri", "14:00", 60],
        [*same, "Mon", "09:30", 60],  # overlaps Monday 09:00–10:30: a duplicate
    )
    header = map_header(GROUP_KEYS, groups.COLUMNS, {})
    parsed = groups.parse(rows, header, region="UZ", today=TODAY)
    (row,) = parsed.rows
    assert [(s.weekday, s.start, s.minutes) for s in row.extra.slots] == [
        (0, time(9), 90),
        (2, time(9), 90),
        (4, time(14), 60),
    ]
    assert row.extra.more_rows == (3,)
    assert [(i.row, i.problem) for i in parsed.issues] == [(4, RowProblem.DUPLICATE_ROW)]


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("200 000", 200_000),
        ("-350 000", -350_000),
        ("−1.250.000", -1_250_000),
        (-350000.0, -350_000),
        (0, 0),
        ("150000 soʻm", 150_000),
    ],
)
def test_balances_are_signed_whole_soms(typed, amount):
    from bot.services.imports import balances

    assert balances.amount(typed) == amount


@pytest.mark.parametrize("typed", ["", "a lot", "12.5", 12.5, "--5", "- "])
def test_not_balances(typed):
    from bot.services.imports import balances

    with pytest.raises(ValueError):
        balances.amount(typed)
