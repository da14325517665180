"""One cell of an imported sheet turned into a value, or the reason it cannot be one.

Cells come as openpyxl gives them (text, numbers, `datetime`s) or as CSV text. Dates are
`DD.MM.YYYY` (dots, slashes or dashes), `YYYY-MM-DD`, a date Excel stored, or an Excel
serial number (days since 1899-12-30, as Excel counts); phones go through `phonenumbers`
(spaces, dashes, brackets, `+998` or without; a number Excel turned into 998901234567.0
too).
"""

import re
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.services.parsing import OLDEST_BIRTH_YEAR, Invalid, clean_name, clean_phone

EXCEL_EPOCH = date(1899, 12, 30)
SERIAL_MIN, SERIAL_MAX = 1, 2_958_465  # 1900-01-01 … 9999-12-31
_DAY_FIRST = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$")
_YEAR_FIRST = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
LANGUAGE_WORDS = {
    "uz": ("uz", "uzb", "o'zbek", "o'zbekcha", "oʻzbekcha", "oʻzbek", "uzbek", "узбекский"),
    "ru": ("ru", "rus", "русский", "rus tili", "russian", "ruscha"),
    "en": ("en", "eng", "english", "английский", "inglizcha", "ingliz"),
}
_LANGUAGES = {word: code for code, words in LANGUAGE_WORDS.items() for word in words}


class CellProblem(StrEnum):
    MISSING_NAME = "missing_name"
    BAD_NAME = "bad_name"  # digits or signs in it, too short or too long
    INVALID_PHONE = "invalid_phone"
    BAD_DATE = "bad_date"  # not a date at all
    IMPOSSIBLE_DATE = "impossible_date"  # 31.02.2012, a birth in the future or before 1900
    UNKNOWN_LANGUAGE = "unknown_language"


class BadCell(ValueError):
    def __init__(self, problem: CellProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def text(value: Any) -> str:
    """What a cell says, as text: a whole float without `.0`, spaces collapsed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        return value.strftime("%d.%m.%Y")
    return " ".join(str(value).split())


def name(value: Any, *, required: bool = True) -> str | None:
    raw = text(value)
    if not raw:
        if required:
            raise BadCell(CellProblem.MISSING_NAME)
        return None
    try:
        return clean_name(raw)
    except Invalid:
        raise BadCell(CellProblem.BAD_NAME) from None


def phone(value: Any, region: str) -> str | None:
    raw = text(value)
    if not raw:
        return None
    try:
        return clean_phone(raw, region)
    except Invalid:
        raise BadCell(CellProblem.INVALID_PHONE) from None


def _day(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise BadCell(CellProblem.IMPOSSIBLE_DATE) from None


def a_date(value: Any) -> date | None:
    """Any date a sheet may hold (see the module), or None for an empty cell."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not SERIAL_MIN <= value <= SERIAL_MAX or not float(value).is_integer():
            raise BadCell(CellProblem.BAD_DATE)
        return EXCEL_EPOCH + timedelta(days=int(value))
    raw = text(value)
    if match := _DAY_FIRST.match(raw):
        day, month, year = (int(part) for part in match.groups())
        return _day(year, month, day)
    if match := _YEAR_FIRST.match(raw):
        year, month, day = (int(part) for part in match.groups())
        return _day(year, month, day)
    raise BadCell(CellProblem.BAD_DATE)


def birth_date(value: Any, today: date) -> date | None:
    born = a_date(value)
    if born is not None and (born > today or born.year < OLDEST_BIRTH_YEAR):
        raise BadCell(CellProblem.IMPOSSIBLE_DATE)
    return born


def language(value: Any) -> str | None:
    raw = text(value).casefold().replace("ʻ", "'").replace("’", "'").replace("‘", "'")
    if not raw:
        return None
    code = _LANGUAGES.get(raw) or _LANGUAGES.get(raw.replace("'", "ʻ"))
    if code is None:
        raise BadCell(CellProblem.UNKNOWN_LANGUAGE)
    return code
