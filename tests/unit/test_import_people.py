"""Matching imported people: by phone, then by exact name and birth date; duplicates,
conflicts, siblings who share a phone, parents."""

from datetime import date

from bot.services.imports import people
from bot.services.imports.columns import map_header
from bot.services.imports.people import Directory, Known, Outcome, RowProblem
from bot.services.imports.reading import Table

TODAY = date(2026, 12, 1)
HEADER = ("student_name", "student_phone", "birth_date", "language", "parent_name", "parent_phone")


def parsed(*rows):
    table = Table(HEADER, tuple(tuple(row) + (None,) * (6 - len(row)) for row in rows), 2, "csv")
    return people.parse(table, map_header(HEADER, people.COLUMNS, {}), region="UZ", today=TODAY)


def directory(*known: Known, links=()):
    found = Directory()
    for person in known:
        found.add(person)
    for parent, student in links:
        found.link(parent, student)
    return found


def student(id_, name, phone=None, born=None):
    person = Known(id_, name, phone, born, "uz")
    person.roles.add("student")
    return person


def test_new_rows_create_and_problems_name_row_and_column():
    result = parsed(
        ("Ali Valiyev", "90 123 45 67", "21.03.2012", "ru", "Vali Valiyev", "+998 93 555 00 00"),
        ("", "901112233"),
        ("Bobur", "12345", "31.02.2012"),
        ("Ali Valiyev", "90 123 45 67", "21.03.2012", "ru", "Vali Valiyev", "+998 93 555 00 00"),
        (None,),
        ("Sardor", None, None, "klingon", None, "901112233"),
    )
    assert result.total == 5  # the blank row is no row
    found = {(i.row, i.column, i.problem) for i in result.issues}
    assert found == {
        (3, "student_name", RowProblem.MISSING_NAME),
        (4, "student_phone", RowProblem.INVALID_PHONE),
        (4, "birth_date", RowProblem.IMPOSSIBLE_DATE),
        (5, None, RowProblem.DUPLICATE_ROW),
        (7, "language", RowProblem.UNKNOWN_LANGUAGE),
        (7, "parent_name", RowProblem.PARENT_NAME_MISSING),
    }
    assert next(i for i in result.issues if i.row == 5).other_row == 2
    plan = people.plan(directory(), result, default_language="uz")
    assert plan.counts == {"create": 1, "update": 0, "unchanged": 0, "skip": 4, "problems": 6}
    ali, vali = plan.new
    assert (ali.name, ali.phone, ali.birth_date, ali.language) == (
        "Ali Valiyev",
        "+998901234567",
        date(2012, 3, 21),
        "ru",
    )
    assert vali.roles == {"parent"} and plan.links == [(vali.id, ali.id)]


def test_a_known_student_is_matched_by_phone_with_the_names_words_in_any_order():
    known = student(7, "Ali Valiyev", "+998901234567")
    plan = people.plan(
        directory(known),
        parsed(("Valiyev Ali", "998901234567", "21.03.2012")),
        default_language="uz",
    )
    assert plan.outcomes == {2: Outcome.UPDATE} and not plan.new
    assert [(f.person, f.field, f.value) for f in plan.fills] == [
        (7, "birth_date", date(2012, 3, 21))
    ]
    (conflict,) = plan.issues
    assert (conflict.column, conflict.problem, conflict.kept) == (
        "student_name",
        RowProblem.CONFLICT,
        "Ali Valiyev",
    )
    assert not conflict.skips


def test_siblings_sharing_a_phone_are_two_students():
    plan = people.plan(
        directory(),
        parsed(("Ali Valiyev", "901234567"), ("Laylo Valiyeva", "901234567")),
        default_language="uz",
    )
    assert [p.name for p in plan.new] == ["Ali Valiyev", "Laylo Valiyeva"]


def test_then_exact_name_and_birth_date_and_values_are_never_overwritten():
    known = student(3, "Ali Valiyev", "+998911112233", date(2012, 3, 21))
    plan = people.plan(
        directory(known), parsed(("ali  valiyev", "901234567", "2012-03-21")), default_language="uz"
    )
    assert plan.outcomes == {2: Outcome.UNCHANGED} and not plan.fills
    assert [(i.column, i.problem, i.value, i.kept) for i in plan.issues] == [
        ("student_phone", RowProblem.CONFLICT, "+998901234567", "+998911112233")
    ]
    other_birthday = people.plan(
        directory(student(3, "Ali Valiyev", None, date(2012, 3, 21))),
        parsed(("Ali Valiyev", None, "22.03.2012")),
        default_language="uz",
    )
    assert len(other_birthday.new) == 1


def test_two_people_who_fit_make_the_row_ambiguous():
    twins = directory(student(1, "Ali Valiyev"), student(2, "Ali Valiyev"))
    plan = people.plan(twins, parsed(("Ali Valiyev",)), default_language="uz")
    assert plan.outcomes == {2: Outcome.SKIP}
    assert plan.issues[0].problem is RowProblem.AMBIGUOUS


def test_a_second_parent_row_adds_the_parent_to_the_same_new_student():
    plan = people.plan(
        directory(),
        parsed(
            ("Ali Valiyev", "901234567", None, None, "Vali Valiyev", "935550000"),
            ("Ali Valiyev", "901234567", None, None, "Zuhra Valiyeva", "935550001"),
        ),
        default_language="uz",
    )
    assert [p.name for p in plan.new] == ["Ali Valiyev", "Vali Valiyev", "Zuhra Valiyeva"]
    assert plan.counts["create"] == 2 and len(plan.links) == 2


def test_a_known_parent_of_the_student_without_a_phone_is_found_by_name():
    ali = student(1, "Ali Valiyev", "+998901234567")
    mother = Known(2, "Zuhra Valiyeva", None, None, "uz", {"parent"})
    plan = people.plan(
        directory(ali, mother, links=[(2, 1)]),
        parsed(("Ali Valiyev", "901234567", None, None, "Zuhra Valiyeva")),
        default_language="uz",
    )
    assert plan.outcomes == {2: Outcome.UNCHANGED} and not plan.changes


def test_a_teacher_with_the_parents_phone_becomes_a_parent_too():
    teacher = Known(5, "Vali Valiyev", "+998935550000", None, "uz", {"teacher"})
    plan = people.plan(
        directory(teacher),
        parsed(("Ali Valiyev", None, None, None, "Vali Valiyev", "935550000")),
        default_language="uz",
    )
    assert [(r.person, r.role) for r in plan.roles] == [(5, "parent")]
    assert plan.links == [(5, plan.new[0].id)]


def test_a_namesake_without_a_birth_date_yet_is_found_and_filled_in():
    known = student(4, "Ali Valiyev")
    plan = people.plan(
        directory(known),
        parsed(("Ali Valiyev", "901234567", "21.03.2012")),
        default_language="uz",
    )
    assert not plan.new
    assert {(f.field, f.value) for f in plan.fills} == {
        ("phone", "+998901234567"),
        ("birth_date", date(2012, 3, 21)),
    }
    with_other_phone = student(5, "Ali Valiyev", "+998911112233")
    plan = people.plan(
        directory(with_other_phone), parsed(("Ali Valiyev", "901234567")), default_language="uz"
    )
    assert len(plan.new) == 1  # another phone and no birth date to agree: somebody else
