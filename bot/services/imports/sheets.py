"""The spreadsheets of an import: the template, the problems file, the invitation links and
the centre's export. The words come from the caller in the admin's language.

A template has the header (required columns marked `*`), one example row, a list to pick
from for the columns of fixed values (Excel's data validation, which also refuses
anything else typed), text-formatted phone and date columns (so Excel neither drops a
leading + nor turns 01.02.2012 into a number it guesses), and an instructions sheet.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from bot.formatting import format_phone
from bot.services.reports.workbook import sheet_title

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
EXAMPLE_FONT = Font(italic=True, color="808080")
PROBLEM_FILL = PatternFill("solid", fgColor="FCE4D6")
VALIDATED_ROWS = 5000  # rows a pick list covers below the header


@dataclass(frozen=True, slots=True)
class Table:
    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]
    widths: Sequence[int] = ()
    choices: Mapping[int, Sequence[str]] = field(default_factory=dict)  # column → values
    text_columns: Sequence[int] = ()  # columns typed as text (phones, dates)
    example: Sequence[Any] | None = None  # a first row in grey italics
    marked_column: int | None = None  # a column filled in orange (the problem)


def _safe(value: Any) -> Any:
    """Text as text: control characters (which XLSX cannot hold) dropped."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _append(sheet: Any, values: Sequence[Any], number: int) -> None:
    """A row whose text stays text: a cell typed `=…` (in a file sent to the bot) is written
    as the string it is, never as a formula Excel would run."""
    row = [_safe(value) for value in values]
    sheet.append(row)
    formulas = [i for i, v in enumerate(row, 1) if isinstance(v, str) and v.startswith("=")]
    for column in formulas:
        sheet.cell(row=number, column=column).data_type = "s"


def _write(sheet: Any, table: Table) -> None:
    _append(sheet, list(table.header), 1)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    sheet.freeze_panes = "A2"
    if table.example is not None:
        _append(sheet, list(table.example), 2)
        for cell in sheet[2]:
            cell.font = EXAMPLE_FONT
    first = 3 if table.example is not None else 2
    for number, row in enumerate(table.rows, start=first):
        _append(sheet, list(row), number)
    for index, width in enumerate(table.widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    last = max(VALIDATED_ROWS, sheet.max_row)
    for index in table.text_columns:
        letter = get_column_letter(index + 1)
        for row in range(2, sheet.max_row + 1):
            sheet[f"{letter}{row}"].number_format = "@"
    for index, choices in table.choices.items():
        letter = get_column_letter(index + 1)
        listed = ",".join(value.replace(",", " ") for value in choices)
        validation = DataValidation(type="list", formula1=f'"{listed}"', allow_blank=True)
        validation.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(validation)
    if table.marked_column is not None:
        letter = get_column_letter(table.marked_column + 1)
        for row in range(1, sheet.max_row + 1):
            sheet[f"{letter}{row}"].fill = PROBLEM_FILL


def workbook(
    tables: Sequence[Table], instructions: tuple[str, Sequence[str]] | None = None
) -> bytes:
    """The tables, one sheet each, and an instructions sheet (its title and lines) last."""
    book = Workbook()
    book.remove(book.active)
    for table in tables:
        _write(book.create_sheet(sheet_title(table.title)), table)
    if instructions is not None:
        title, lines = instructions
        sheet = book.create_sheet(sheet_title(title))
        sheet.column_dimensions["A"].width = 110
        for number, line in enumerate(lines, start=1):
            _append(sheet, [line], number)
            sheet.cell(sheet.max_row, 1).alignment = Alignment(wrap_text=True)
        sheet["A1"].font = Font(bold=True)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def workbook_with_phones(table: Table, phone_column: int) -> bytes:
    """One table's workbook, its `phone_column`'s E.164 numbers written as people read them
    (`+998 90 123 45 67`): the invitation links (thousands of rows: for the worker process)."""
    rows = [
        [
            format_phone(value) if index == phone_column and value else value
            for index, value in enumerate(row)
        ]
        for row in table.rows
    ]
    return workbook([replace(table, rows=rows)])
