"""A report's spreadsheet (openpyxl): one sheet per view.

Each sheet starts with what it is about (the report, the period, the filter: label and
value rows), then a bold header row that stays in view (frozen), the rows, and a totals
row of formulas (SUM, and for a rate the ratio of two totals). Money is a number with a
so'm number format, never text; rates are numbers formatted as percentages, or the number
of percent under a title that says so. The words
come from the caller in the reader's language.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

TITLE_MAX = 31  # Excel's limit on a sheet's name
_FORBIDDEN = str.maketrans({char: " " for char in "[]:*?/\\"})
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
COUNT_FORMAT = "#,##0"


class Kind(StrEnum):
    TEXT = "text"
    MONEY = "money"
    NUMBER = "number"
    RATE = "rate"
    # a rate as the number of percent, one decimal, under a title that says "%": written as a
    # bare number, where a cell formatted as a percentage costs three — for the rates of
    # every student, tens of thousands of them
    PERCENT = "percent"
    DECIMAL = "decimal"  # one decimal place: days
    DATE = "date"
    DATETIME = "datetime"  # a naive local time (Excel has no time zones)


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    kind: Kind = Kind.TEXT
    width: int = 16
    # a rate's total: the ratio of these two columns' totals (indexes in the sheet)
    ratio_of: tuple[int, int] | None = None
    # a number's total as a value instead of a SUM (distinct people are not the rows' sum)
    total: int | None = None
    summed: bool = True  # False: a count at a moment (no SUM in the totals row)


@dataclass(frozen=True, slots=True)
class Sheet:
    title: str
    intro: Sequence[tuple[str, str]]  # (label, value) rows above the table
    columns: Sequence[Column]
    rows: Sequence[Sequence[Any]]
    totals_label: str | None = None  # None: no totals row
    notes: Sequence[str] = field(default_factory=tuple)  # lines under the table


def sheet_title(title: str) -> str:
    return title.translate(_FORBIDDEN).strip()[:TITLE_MAX] or "-"


def render_xlsx(sheets: Sequence[Sheet], money_format: str) -> bytes:
    """`money_format`: e.g. `#,##0 "soʻm"` (the unit word in the reader's language).

    Written row by row (openpyxl's write-only mode): a sheet of 20 000 students costs a
    third of the time and none of the memory a workbook held cell by cell would."""
    workbook = Workbook(write_only=True)
    for sheet in sheets:
        _write(workbook.create_sheet(sheet_title(sheet.title)), sheet, money_format)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _formats(money_format: str) -> dict[Kind, str | None]:
    return {
        Kind.TEXT: None,
        Kind.MONEY: money_format,
        Kind.NUMBER: COUNT_FORMAT,
        Kind.RATE: "0.0%",
        Kind.PERCENT: None,
        Kind.DECIMAL: "#,##0.0",
        Kind.DATE: "DD.MM.YYYY",
        Kind.DATETIME: "dd.mm.yyyy hh:mm",
    }


def _cell(target: Any, value: Any, number_format: str | None = None, **style: Any) -> Any:
    cell = WriteOnlyCell(target, value=value)
    if number_format:
        cell.number_format = number_format
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def _formatted(target: Any, value: Any, number_format: str | None) -> Any:
    """The value as a cell with its number format, or bare when the format would show it
    as it is anyway (a blank, a count under a thousand): a styled cell costs three bare
    ones to write, and a sheet of every student holds a hundred thousand."""
    if number_format is None or value is None:
        return value
    if number_format == COUNT_FORMAT and isinstance(value, int) and -1000 < value < 1000:
        return value
    return _cell(target, value, number_format)


def _percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def _write(target: Any, sheet: Sheet, money_format: str) -> None:
    formats = _formats(money_format)
    bold = Font(bold=True)
    header_row = len(sheet.intro) + 2 if sheet.intro else 1
    for index, column in enumerate(sheet.columns, start=1):
        target.column_dimensions[get_column_letter(index)].width = column.width
    target.freeze_panes = f"A{header_row + 1}"
    for label, value in sheet.intro:
        target.append([_cell(target, label, font=bold), value])
    if sheet.intro:
        target.append([])
    target.append(
        [_cell(target, column.title, font=bold, fill=HEADER_FILL) for column in sheet.columns]
    )
    kinds = [(formats[column.kind], column.kind is Kind.PERCENT) for column in sheet.columns]
    for values in sheet.rows:
        target.append(
            [
                _formatted(target, _percent(value) if percent else value, number_format)
                for (number_format, percent), value in zip(kinds, values, strict=True)
            ]
        )
    first = header_row + 1
    last = first + len(sheet.rows) - 1
    if sheet.totals_label is not None:
        target.append(_totals(target, sheet, first, last, formats))
    if sheet.notes:
        target.append([])
        for note in sheet.notes:
            target.append([note])


def _totals(
    target: Any, sheet: Sheet, first: int, last: int, formats: dict[Kind, str | None]
) -> list[Any]:
    row = last + 1
    bold = Font(bold=True)
    cells: list[Any] = [_cell(target, sheet.totals_label, font=bold)]
    for index, column in enumerate(sheet.columns[1:], start=2):
        letter = get_column_letter(index)
        if column.total is not None:
            value = column.total
        elif column.kind in (Kind.MONEY, Kind.NUMBER) and column.summed:
            value = f"=SUM({letter}{first}:{letter}{last})" if last >= first else 0
        elif column.kind in (Kind.RATE, Kind.PERCENT) and column.ratio_of is not None:
            top, bottom = (get_column_letter(i + 1) for i in column.ratio_of)
            ratio = f"{top}{row}/{bottom}{row}"
            if column.kind is Kind.PERCENT:
                ratio = f"ROUND(100*{ratio},1)"
            value = f'=IF({bottom}{row}=0,"",{ratio})'
        else:
            cells.append(None)
            continue
        cells.append(_cell(target, value, formats[column.kind] or "General", font=bold))
    return cells
