"""People search and the values staff type: folding of Uzbek apostrophes, phone queries,
Uzbek phone numbers, birth dates; invite codes and permission bits."""

from datetime import date

import pytest

from bot.services import invites as invites_service
from bot.services.parsing import Invalid, Problem, clean_local_phone
from bot.services.parsing import parse_birth_date as clean_birth_date
from bot.services.people import InvalidQuery, fold, phone_digits, search
from bot.services.staff import bits_of, from_bits
from db.models import Permission, Role
from tests.factories import make_user

TODAY = date(2026, 3, 1)


@pytest.mark.parametrize(
    "typed", ["Gʻulom", "G'ulom", "G‘ulom", "G’ulom", "G`ulom", "Gʼulom", "G´ulom", "GULOM"]
)
def test_every_apostrophe_variant_folds_to_one_form(typed):
    assert fold(typed) == "gulom"


def test_folding_keeps_letters_of_any_script_and_collapses_spaces():
    assert fold("  Oʻktamov   Gʻulom ") == "oktamov gulom"
    assert fold("ИВАН Петров") == "иван петров"
    assert fold("Straße") == "strasse"  # casefold, not lower


def test_phone_queries():
    assert phone_digits("90 123-45") == "9012345"
    assert phone_digits("+998 (90) 123") == "99890123"
    assert phone_digits("12") is None  # too few digits
    assert phone_digits("Ali 90") is None  # a name with digits is not a phone


@pytest.mark.parametrize(
    "typed", ["+998 90 123 45 67", "998901234567", "90 123-45-67", "(90) 123 45 67", "901234567"]
)
def test_uzbek_phones_typed_by_staff(typed):
    assert clean_local_phone(typed) == "+998901234567"


@pytest.mark.parametrize(
    "typed",
    ["", "abc", "+7 999 123 45 67", "+1 202 555 0101", "12345", "+90 123 45 67", "9989012345678"],
)
def test_other_numbers_are_refused(typed):
    with pytest.raises(Invalid) as error:
        clean_local_phone(typed)
    assert error.value.problem is Problem.PHONE


def test_birth_dates():
    assert clean_birth_date("21.03.2012", TODAY) == date(2012, 3, 21)
    assert clean_birth_date("1.3.2012", TODAY) == date(2012, 3, 1)
    assert clean_birth_date("29.02.2012", TODAY) == date(2012, 2, 29)
    for typed, problem in {
        "31.02.2012": Problem.DATE_IMPOSSIBLE,
        "29.02.2013": Problem.DATE_IMPOSSIBLE,
        "00.01.2012": Problem.DATE_IMPOSSIBLE,
        "2012-03-21": Problem.DATE_FORMAT,
        "21/03/2012": Problem.DATE_FORMAT,
        "02.03.2026": Problem.DATE_FUTURE,
        "01.01.1899": Problem.DATE_TOO_OLD,
    }.items():
        with pytest.raises(Invalid) as error:
            clean_birth_date(typed, TODAY)
        assert error.value.problem is problem, typed


async def test_search_narrows_in_sql_and_filters_exactly(session):
    gulom = await make_user(session, full_name="Gʻulom Oʻktamov", roles=[Role.STUDENT])
    await make_user(session, full_name="Gulnora Karimova")
    await make_user(session, full_name="Ivan Gʻafurov")
    cyrillic = await make_user(session, full_name="Иван Петров")
    gulom.phone = "+998901234567"
    await session.commit()

    for query in ("g'ulom", "G`ULOM", "gulom", "oktamov gʻulom", "o'ktamov"):
        result = await search(session, query)
        assert [found.id for found in result.items] == [gulom.id], query
    assert (await search(session, "g'ulom")).items[0].roles == frozenset({"student"})
    assert {f.full_name for f in (await search(session, "ivan")).items} == {"Ivan Gʻafurov"}
    assert [f.id for f in (await search(session, "иван")).items] == [cyrillic.id]
    assert [f.id for f in (await search(session, "ИВАН")).items] == [cyrillic.id]
    assert [f.id for f in (await search(session, "1234")).items] == [gulom.id]
    assert (await search(session, "%_")).total == 0  # LIKE wildcards are plain characters
    with pytest.raises(InvalidQuery):
        await search(session, "ʻ ' a")


async def test_search_pages(session):
    for number in range(23):
        await make_user(session, full_name=f"Student {number:02d}")
    first = await search(session, "student")
    assert (first.total, first.pages, len(first.items)) == (23, 3, 10)
    last = await search(session, "student", page=9)  # beyond the end: the last page
    assert (last.page, [f.full_name for f in last.items]) == (
        3,
        ["Student 20", "Student 21", "Student 22"],
    )


def test_invite_codes_are_url_safe_and_only_hashed():
    codes = {invites_service.new_code() for _ in range(50)}
    assert len(codes) == 50
    for code in codes:
        assert invites_service.PAYLOAD.match(code) and len(code) <= 64
        assert len(invites_service.hash_code(code)) == 64 and code not in invites_service.hash_code(
            code
        )


def test_permission_bits_round_trip():
    chosen = frozenset({Permission.USERS, Permission.AUDIT})
    assert from_bits(bits_of(chosen)) == chosen
    assert bits_of(frozenset()) == "00000000"
    for bad in ("", "000000", "00000002", "abcdefg"):
        with pytest.raises(ValueError):
            from_bits(bad)
