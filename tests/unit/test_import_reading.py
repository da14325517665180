"""Reading an imported spreadsheet: XLSX and CSV, limits, bad files, cells."""

import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from bot.services.imports import values
from bot.services.imports.columns import ColumnSpec, map_header
from bot.services.imports.reading import ReadProblem, Unreadable, read_table


def xlsx(rows, *, formula: str | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if formula:
        sheet["C2"] = formula
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_is_read_with_its_types_and_from_its_first_non_blank_row():
    data = xlsx([[None, None], ["Name", "Born"], ["Ali", datetime(2012, 3, 21)], [None, None]])
    table = read_table(data)
    assert table.header == ("Name", "Born")
    assert table.rows == (("Ali", datetime(2012, 3, 21)),)
    assert table.first_row == 3 and table.format == "xlsx"


def test_formulas_are_never_evaluated_only_saved_values_read():
    table = read_table(xlsx([["a", "b", "c"], ["x", "y"]], formula="=1+1"))
    assert table.rows[0][2] is None  # openpyxl saved no cached value: nothing is computed


@pytest.mark.parametrize(
    ("data", "delimiter"),
    [
        ("Имя;Телефон\nАли Валиев;+998 90 123-45-67\n".encode("cp1251"), ";"),
        ("\ufeffName,Phone\nAli,901234567\n".encode(), ","),
        (b"Name\tPhone\nAli\t901234567\n", "\t"),
        (b"Name|Phone\nAli|901234567\n", "|"),
    ],
)
def test_csv_in_common_encodings_and_delimiters(data, delimiter):
    table = read_table(data)
    assert len(table.header) == 2 and len(table.rows) == 1
    assert table.rows[0][0] in {"Ali", "Али Валиев"}
    assert table.format == "csv"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", ReadProblem.EMPTY),
        (b"   \n\n", ReadProblem.EMPTY),
        (b"Name,Phone\n", ReadProblem.EMPTY),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ReadProblem.NOT_SPREADSHEET),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ReadProblem.OLD_EXCEL),
        (b"PK\x03\x04 broken zip", ReadProblem.NOT_SPREADSHEET),
    ],
)
def test_bad_files_are_refused_by_name(data, problem):
    with pytest.raises(Unreadable) as refused:
        read_table(data)
    assert refused.value.problem is problem


def test_a_zip_that_is_no_workbook_is_not_a_spreadsheet():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(Unreadable) as refused:
        read_table(out.getvalue())
    assert refused.value.problem is ReadProblem.NOT_SPREADSHEET


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (201 * 1024 * 1024))
    data = out.getvalue()
    assert len(data) < 1024 * 1024  # small on the wire
    with pytest.raises(Unreadable) as refused:
        read_table(data)
    assert refused.value.problem is ReadProblem.BOMB


def test_too_many_rows_are_refused():
    rows = "Name,Phone\n" + "Ali,1\n" * 11
    with pytest.raises(Unreadable) as refused:
        read_table(rows.encode(), rows_max=10)
    assert refused.value.problem is ReadProblem.TOO_MANY_ROWS
    assert len(read_table(rows.encode(), rows_max=11).rows) == 11


def test_a_file_over_20_mb_is_refused_unread():
    with pytest.raises(Unreadable) as refused:
        read_table(b"a,b\n" * (5 * 1024 * 1024 + 1))
    assert refused.value.problem is ReadProblem.TOO_BIG


def test_headers_map_by_name_in_any_language_case_and_order():
    columns = (ColumnSpec("name", required=True), ColumnSpec("phone"), ColumnSpec("born"))
    titles = {"name": ["Ism", "Имя", "Name"], "phone": ["Telefon", "Телефон", "Phone"]}
    mapped = map_header(["Extra", " ТЕЛЕФОН ", "* name", "phone"], columns, titles)
    assert mapped.positions == {"phone": 1, "name": 2}
    assert mapped.duplicates == ("phone",) and mapped.missing == ()
    assert map_header(["Telefon"], columns, titles).missing == ("name",)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("21.03.2012", date(2012, 3, 21)),
        ("2012-03-21", date(2012, 3, 21)),
        ("1/3/2012", date(2012, 3, 1)),
        (datetime(2012, 3, 21, 0, 0), date(2012, 3, 21)),
        (40989, date(2012, 3, 21)),  # Excel's serial number
        (40989.0, date(2012, 3, 21)),
        (None, None),
        ("  ", None),
    ],
)
def test_dates_as_text_serials_or_excel_dates(cell, expected):
    assert values.a_date(cell) == expected


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("31.02.2012", values.CellProblem.IMPOSSIBLE_DATE),
        ("2012-13-01", values.CellProblem.IMPOSSIBLE_DATE),
        ("March 2012", values.CellProblem.BAD_DATE),
        (40989.5, values.CellProblem.BAD_DATE),
        (-3, values.CellProblem.BAD_DATE),
    ],
)
def test_bad_dates_are_named(cell, problem):
    with pytest.raises(values.BadCell) as bad:
        values.a_date(cell)
    assert bad.value.problem is problem


def test_a_birth_date_in_the_future_does_not_exist():
    with pytest.raises(values.BadCell) as bad:
        values.birth_date("01.01.2030", date(2026, 12, 1))
    assert bad.value.problem is values.CellProblem.IMPOSSIBLE_DATE


@pytest.mark.parametrize(
    "cell", ["+998 90 123-45-67", "998901234567", 998901234567, 998901234567.0, "(90) 123 45 67"]
)
def test_phones_in_any_common_form(cell):
    assert values.phone(cell, "UZ") == "+998901234567"


@pytest.mark.parametrize("cell", ["12345", "90 123 45", "phone", "+90 123 45 67"])
def test_bad_phones(cell):
    with pytest.raises(values.BadCell) as bad:
        values.phone(cell, "UZ")
    assert bad.value.problem is values.CellProblem.INVALID_PHONE


def test_languages_by_code_or_name():
    assert values.language("RU") == "ru"
    assert values.language("Oʻzbekcha") == "uz"
    assert values.language("English") == "en"
    assert values.language("") is None
    with pytest.raises(values.BadCell):
        values.language("klingon")
