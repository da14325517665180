"""A spreadsheet sent to /import, read into rows of plain values, safely.

* **XLSX** (a zip): the members' declared uncompressed sizes are added up before anything
  is opened, so a zip bomb (a small file whose sheets expand to gigabytes) is refused
  unread; openpyxl then reads the first sheet in read-only mode with `data_only=True`
  (the values Excel saved, never a formula; macros are never run nor kept), with a cap on
  the rows: the sheet's declared size is checked first, and reading stops past the cap.
* **CSV**: UTF-8 with or without a BOM, else Windows-1251; the delimiter (`,` `;` tab `|`)
  is sniffed from the first lines.
* Anything else (an old .xls, a picture, a PDF, text that is no table) is not a
  spreadsheet. An empty file or one with a header and no rows is empty.

The first row that is not blank is the header. Cells keep their types (an XLSX date is a
`datetime`, a number is a number); CSV cells are text. Nothing here knows the columns.
"""

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

FILE_MAX_BYTES = 20 * 1024 * 1024  # what a bot may download from Telegram, too
ROWS_MAX = 50_000  # data rows, the header not counted
UNZIPPED_MAX_BYTES = 200 * 1024 * 1024  # an XLSX of 50 000 rows unpacks to far less
COLUMNS_MAX = 100
SNIFF_BYTES = 64 * 1024
DELIMITERS = ",;\t|"

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and other old Office files


class ReadProblem(StrEnum):
    TOO_BIG = "too_big"  # more than FILE_MAX_BYTES
    TOO_MANY_ROWS = "too_many_rows"  # more than ROWS_MAX
    BOMB = "bomb"  # the zip expands past UNZIPPED_MAX_BYTES
    NOT_SPREADSHEET = "not_spreadsheet"
    OLD_EXCEL = "old_excel"  # .xls: to be saved as .xlsx
    EMPTY = "empty"  # no header, or a header and no rows


class Unreadable(ValueError):
    def __init__(self, problem: ReadProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem

    def __reduce__(self) -> tuple[type, tuple[ReadProblem]]:  # from the worker process whole
        return (type(self), (self.problem,))


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]  # padded to the header's width
    first_row: int  # the sheet's number of the first data row (the header's + 1)
    format: str  # "xlsx" or "csv"


Chooser = Callable[[Sequence[Any]], bool]  # a sheet's header row → is it the one wanted


def read_table(data: bytes, *, rows_max: int = ROWS_MAX, choose: Chooser | None = None) -> Table:
    """The table in `data` (XLSX or CSV, told by the content, not the name); raises
    `Unreadable`. A workbook of several sheets (the centre's export) gives the first sheet
    whose header `choose` takes (else its first sheet). Blocking: call it in a worker
    thread."""
    if len(data) > FILE_MAX_BYTES:
        raise Unreadable(ReadProblem.TOO_BIG)
    if not data.strip():
        raise Unreadable(ReadProblem.EMPTY)
    if data.startswith(_OLE_MAGIC):
        raise Unreadable(ReadProblem.OLD_EXCEL)
    if data.startswith(_ZIP_MAGIC):
        raw_rows, form = _xlsx_rows(data, rows_max, choose), "xlsx"
    else:
        raw_rows, form = _csv_rows(data, rows_max), "csv"
    return _table(raw_rows, rows_max, form)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _table(raw_rows: Iterable[Sequence[Any]], rows_max: int, form: str) -> Table:
    header: tuple[str, ...] | None = None
    header_row = 0
    rows: list[tuple[Any, ...]] = []
    for number, raw in enumerate(raw_rows, start=1):
        cells = tuple(raw[:COLUMNS_MAX])
        if header is None:
            if all(_blank(cell) for cell in cells):
                continue
            width = max(i for i, cell in enumerate(cells) if not _blank(cell)) + 1
            header = tuple("" if _blank(c) else " ".join(str(c).split()) for c in cells[:width])
            header_row = number
            continue
        if len(rows) >= rows_max:
            raise Unreadable(ReadProblem.TOO_MANY_ROWS)
        rows.append(cells)
    # rows blank to the end are no data; blank rows inside stay (their numbers count)
    while rows and all(_blank(cell) for cell in rows[-1]):
        rows.pop()
    if header is None or not rows:
        raise Unreadable(ReadProblem.EMPTY)
    width = len(header)
    padded = tuple(tuple(row[:width]) + (None,) * (width - len(row)) for row in rows)
    return Table(header, padded, header_row + 1, form)


# --- XLSX -----------------------------------------------------------------------------------


def _header_of(sheet: Any) -> tuple[Any, ...]:
    for row in sheet.iter_rows(values_only=True, max_col=COLUMNS_MAX, max_row=50):
        if not all(_blank(cell) for cell in row):
            return tuple(row)
    return ()


def _xlsx_rows(data: bytes, rows_max: int, choose: Chooser | None) -> list[tuple[Any, ...]]:
    from openpyxl import load_workbook  # a second or so to import: only when a file comes

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise Unreadable(ReadProblem.NOT_SPREADSHEET) from None
    if sum(member.file_size for member in members) > UNZIPPED_MAX_BYTES:
        raise Unreadable(ReadProblem.BOMB)
    if not any(member.filename.startswith("xl/worksheets/") for member in members):
        raise Unreadable(ReadProblem.NOT_SPREADSHEET)  # a .docx, an .odt, any other zip
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_vba=False)
    except Exception:  # openpyxl raises many kinds on a damaged file
        raise Unreadable(ReadProblem.NOT_SPREADSHEET) from None
    try:
        sheet = book.worksheets[0]
        if choose is not None and len(book.worksheets) > 1:
            try:
                wanted = [ws for ws in book.worksheets if choose(_header_of(ws))]
            except Exception:
                raise Unreadable(ReadProblem.NOT_SPREADSHEET) from None
            sheet = wanted[0] if wanted else sheet
        declared = sheet.max_row  # from the sheet's <dimension>, when it has one
        if declared is not None and declared > rows_max + 1_000:
            # a header and blank rows may come first: only a size far past the cap refuses
            raise Unreadable(ReadProblem.TOO_MANY_ROWS)
        rows: list[tuple[Any, ...]] = []
        try:
            for row in sheet.iter_rows(values_only=True, max_col=COLUMNS_MAX):
                rows.append(row)
                if len(rows) > rows_max + 1_000:
                    raise Unreadable(ReadProblem.TOO_MANY_ROWS)
        except Unreadable:
            raise
        except Exception:
            raise Unreadable(ReadProblem.NOT_SPREADSHEET) from None
        return rows
    finally:
        book.close()


# --- CSV ------------------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """UTF-8 (a BOM dropped), else Windows-1251; NUL bytes mean it is no text at all."""
    if b"\x00" in data:
        raise Unreadable(ReadProblem.NOT_SPREADSHEET)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError:
        raise Unreadable(ReadProblem.NOT_SPREADSHEET) from None
    return text


def _delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        # one column, or a sample the sniffer cannot decide: the most frequent candidate
        first = sample.splitlines()[0] if sample.splitlines() else ""
        counts = {delimiter: first.count(delimiter) for delimiter in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _csv_rows(data: bytes, rows_max: int) -> list[list[str]]:
    text = decode_text(data)
    if any(ord(char) < 32 and char not in "\t\r\n" for char in text[:SNIFF_BYTES]):
        raise Unreadable(ReadProblem.NOT_SPREADSHEET)  # control characters: a binary file
    delimiter = _delimiter(text[:SNIFF_BYTES])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
            if len(rows) > rows_max + 1_000:
                raise Unreadable(ReadProblem.TOO_MANY_ROWS)
    except csv.Error:
        raise Unreadable(ReadProblem.NOT_SPREADSHEET) from None
    return rows
