"""Random documents an admin might send to /import, from a seeded random.Random (as
tests/fuzz_updates.py makes updates): random bytes, a workbook cut short, workbooks of
every template with their headers in uz, ru, en or as keys (shuffled, starred, cased,
some missing, extra columns) and cells of every type (numbers, dates, times, long text,
formulas, HTML, emoji, empty rows, merged cells, a macro member, several sheets), and CSVs
in UTF-8, UTF-8 with a BOM and Windows-1251 with each delimiter (NUL bytes and quotes
included). Each comes with a name that may lie about what it is.
"""

import csv
import io
import random
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from openpyxl import Workbook

from bot.services.imports import KINDS
from tests.fuzz_updates import ODD_PIECES

NAMES = ["Ali Valiyev", "Valiyev Ali", "Laylo", "Oʻgʻiloy Qodirova", "Иван Петров", "<b>Stu</b>"]
PHONES = ["+998 90 123-45-67", "998901234567", "90 123 45 67", "12345", "+7 (916) 000-00-00"]
DATES = ["21.03.2012", "2012-03-21", "31.02.2012", "1.1.1900", "01.01.2999", "yesterday"]
WORDS = ["uz", "ru", "en", "English", "Русский", "Mon Wed Fri", "пн ср пт", "Dush Chor Jum"]
MONEY = ["1 250 000", "1.250.000", "-350 000", "400000", "0", "-0", "1e9", "10%"]
TIMES = ["09:00", "9.30", "25:00", "14:00:00", "noon"]


@dataclass(frozen=True)
class Document:
    kind: str  # which generator made it (for the failure report)
    name: str
    data: bytes


def header_titles() -> Mapping[str, Sequence[str]]:
    from handlers.admin.imports.texts import header_titles as titles

    return titles()


class DocumentFuzzer:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.titles = header_titles()
        self.makers: list[tuple[float, Callable[[], Document]]] = [
            (1, self.random_bytes),
            (1, self.cut_workbook),
            (4, self.workbook),
            (2, self.csv_file),
            (0.5, self.empty),
        ]

    def __iter__(self) -> "DocumentFuzzer":
        return self

    def __next__(self) -> Document:
        weights = [weight for weight, _maker in self.makers]
        maker = self.rng.choices([maker for _w, maker in self.makers], weights)[0]
        return maker()

    # --- names and cells -----------------------------------------------------------------

    def file_name(self, real: str) -> str:
        name = self.rng.choice(["centre", "Oʻquvchilar", "список <b>", "a" * 200, ""])
        extension = self.rng.choice([real, real, "xlsx", "csv", "xls", "pdf", ""])
        return f"{name}.{extension}" if extension else name

    def title(self, key: str) -> str:
        rng = self.rng
        title = rng.choice([key, *self.titles.get(key, [key])])
        if rng.random() < 0.2:
            title = title.upper() if rng.random() < 0.5 else title.lower()
        if rng.random() < 0.2:
            title += rng.choice([" *", "*", "  ", ":"])
        return title

    def header(self, kind: str) -> list[str]:
        rng = self.rng
        columns = list(KINDS[kind].columns)
        keep = [c for c in columns if c.required or rng.random() < 0.7]
        if rng.random() < 0.1 and keep:  # a required column missing now and then
            keep.remove(rng.choice(keep))
        titles = [self.title(c.key) for c in keep]
        for _ in range(rng.choice([0, 0, 1, 3])):  # extra columns are ignored
            titles.append(rng.choice(["Notes", "Izoh", "Примечание", "", "=SUM(A:A)"]))
        rng.shuffle(titles)
        return titles

    def plausible(self, title: str) -> Any:
        """A value that fits the column now and then, so rows get past the first check."""
        rng = self.rng
        lowered = title.lower()
        if "phone" in lowered or "телефон" in lowered or "telefon" in lowered:
            return rng.choice([*PHONES, 998901234567, 998901234567.0, 901234567])
        if "date" in lowered or "дата" in lowered or "sana" in lowered:
            return rng.choice([*DATES, 40989, 40989.5, date(2012, 3, 21), datetime(2030, 1, 1)])
        if "price" in lowered or "balance" in lowered or "цена" in lowered or "сумм" in lowered:
            return rng.choice([*MONEY, 400_000, -350_000, 0.5, 10**15])
        if "time" in lowered or "время" in lowered or "vaqt" in lowered:
            return rng.choice([*TIMES, time(9, 0), 0.375, datetime(2026, 1, 1, 9)])
        return rng.choice([*NAMES, *WORDS, 12, 90, 100, -1])

    def cell(self, title: str, *, xlsx: bool) -> Any:
        rng = self.rng
        roll = rng.random()
        if roll < 0.45:
            return self.plausible(title)
        if roll < 0.55:
            return None
        if roll < 0.65:
            return rng.choice([0, -1, 2**31, 2**63, 1e308, -0.0, 3.14159, True, False])
        if roll < 0.72:
            return datetime(2000, 1, 1) + timedelta(days=rng.randrange(-30000, 30000))
        if roll < 0.78:
            return rng.choice(["x" * rng.choice([256, 1000, 5000]), "Ali " * 500])
        if roll < 0.84:
            return rng.choice(["=1+1", "=A1", '=HYPERLINK("http://x","y")', "=1/0"])
        piece = rng.choice(ODD_PIECES)
        if xlsx:
            from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

            piece = ILLEGAL_CHARACTERS_RE.sub("", piece)  # openpyxl cannot write them
        return piece

    def rows(self, header: list[str], *, xlsx: bool) -> list[list[Any]]:
        rng = self.rng
        rows: list[list[Any]] = []
        for _ in range(rng.choice([0, 1, 2, 5, 12, 30])):
            if rng.random() < 0.1:
                rows.append([])  # an empty row
                continue
            width = len(header) + rng.choice([0, 0, 0, -1, 2])
            rows.append([self.cell(header[i % len(header)], xlsx=xlsx) for i in range(width)])
        return rows

    # --- documents -----------------------------------------------------------------------

    def random_bytes(self) -> Document:
        rng = self.rng
        start = rng.choice([b"", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"%PDF-"])
        body = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 10, 300, 3000])))
        return Document("bytes", self.file_name("bin"), start + body)

    def empty(self) -> Document:
        return Document(
            "empty", self.file_name("xlsx"), self.rng.choice([b"", b" \n\r\n", b"\x00"])
        )

    def _book(self) -> tuple[bytes, str]:
        rng = self.rng
        kind = rng.choice(list(KINDS))
        book = Workbook()
        sheet = book.active
        for _ in range(rng.choice([0, 0, 1, 3])):  # blank rows above the header
            sheet.append([])
        header = self.header(kind)
        sheet.append(header)
        for row in self.rows(header, xlsx=True):
            sheet.append(row)
        if rng.random() < 0.3 and sheet.max_row >= 3 and sheet.max_column >= 2:
            top = rng.randrange(2, sheet.max_row + 1)
            sheet.merge_cells(
                start_row=top, start_column=1, end_row=min(top + 1, sheet.max_row), end_column=2
            )
        if rng.random() < 0.2:  # another sheet, maybe another kind's
            other = book.create_sheet("Other")
            other.append(self.header(rng.choice(list(KINDS))))
            for row in self.rows(header, xlsx=True)[:3]:
                other.append(row)
            if rng.random() < 0.5:
                book.move_sheet(other, offset=-1)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue(), kind

    def workbook(self) -> Document:
        data, kind = self._book()
        if self.rng.random() < 0.15:  # with macros: a VBA project member, as an .xlsm has
            source = zipfile.ZipFile(io.BytesIO(data))
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
                for member in source.infolist():
                    target.writestr(member, source.read(member))
                target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"Sub AutoOpen()" * 9)
            data = out.getvalue()
        return Document(f"xlsx:{kind}", self.file_name("xlsx"), data)

    def cut_workbook(self) -> Document:
        data, kind = self._book()
        cut = self.rng.randrange(1, len(data))
        return Document(f"cut:{kind}", self.file_name("xlsx"), data[:cut])

    def csv_file(self) -> Document:
        rng = self.rng
        kind = rng.choice(list(KINDS))
        header = self.header(kind)
        delimiter = rng.choice([",", ";", "\t", "|"])
        text = io.StringIO()
        quoting = rng.choice([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, None])  # None: joined by hand
        writer = csv.writer(text, delimiter=delimiter, quoting=quoting or csv.QUOTE_MINIMAL)
        for row in [header, *self.rows(header, xlsx=False)]:
            values = ["" if value is None else value for value in row]
            if quoting is None:
                text.write(delimiter.join(str(value) for value in values) + "\n")
            else:
                writer.writerow(values)
        body = text.getvalue()
        if rng.random() < 0.1:
            body = body.replace("\n", "\r", 3)
        encoding = rng.choice(["utf-8", "utf-8-sig", "cp1251"])
        data = body.encode(encoding, errors="replace")
        return Document(f"csv:{kind}:{encoding}:{delimiter!r}", self.file_name("csv"), data)
