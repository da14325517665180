"""What people type into forms, turned into values: one home, one set of limits.

Every `parse_*` / `clean_*` helper returns the value or raises `Invalid(problem, **facts)`:
the `Problem` says what was wrong and the facts (limits, the month, the length typed...)
feed the message the handler words (bot/wording.py), so a step is repeated with its
reason. Nothing here knows aiogram or gettext.

* money: whole so'm, `1250000`, `1 250 000`, `1.250.000` or `1,250,000` (one separator,
  groups of three), an optional unit word; never negative, at most `MONEY_MAX`;
* whole numbers within limits (`15` or `15%`);
* dates: `DD.MM.YYYY` (`31.02.2025` is refused as a day that does not exist); a birth
  date also refuses the future and years before 1900;
* times: `HH:MM`, 24-hour, in the centre's time zone (`25:00` is refused); a weekly slot
  is a start time and a length, `14:00 90` or `14:00-15:30`;
* phones: `+998 90 123-45-67`, `998901234567` or `90 123 45 67` → `+998901234567`;
* short texts: names, e-mail addresses, titles and notes within length limits.
"""

import calendar
import re
import unicodedata
from datetime import date, time
from enum import StrEnum
from typing import Any

# One cap for every amount typed or paid: a course or group price, a payment, a refund,
# an online invoice. 100 000 000 so'm is far above a year's fees at a learning centre,
# so a larger figure is a typing mistake (an extra zero or two), never a real payment.
# Course and group prices were capped here before (their screens and tests show
# "the most is 100,000,000 soʻm"); desk payments had a second cap of 1 000 000 000 that
# no screen or test relied on, and online payments already used this one.
MONEY_MAX = 100_000_000
DURATION_MIN, DURATION_MAX = 15, 360  # minutes of one lesson
YEAR_MIN, YEAR_MAX = 2000, 2100  # a date typed into a form (a group's start, a lesson)
OLDEST_BIRTH_YEAR = 1900
NAME_MIN, NAME_MAX = 2, 128  # a person's full name
EMAIL_MAX, EMAIL_LOCAL_MAX = 254, 64  # RFC 5321
PHONE_DIGITS_MIN, PHONE_DIGITS_MAX = 9, 15  # E.164 at most; 9 is a local Uzbek number
UZ_COUNTRY_CODE = "998"
# Uzbek Latin writes oʻ, gʻ and ʼ with any of these; Russian and English names use ' and -.
APOSTROPHES = "'ʻʼ’‘`"
NAME_PUNCTUATION = frozenset(" -.") | frozenset(APOSTROPHES)


class Problem(StrEnum):
    EMPTY = "empty"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    NOT_A_NUMBER = "not_a_number"
    NEGATIVE = "negative"
    TOO_LARGE = "too_large"
    TOO_SMALL = "too_small"
    DATE_FORMAT = "date_format"
    NO_SUCH_MONTH = "no_such_month"
    NO_SUCH_DAY = "no_such_day"
    YEAR_RANGE = "year_range"
    DATE_IMPOSSIBLE = "date_impossible"
    DATE_FUTURE = "date_future"
    DATE_TOO_OLD = "date_too_old"
    TIME_FORMAT = "time_format"
    NO_SUCH_TIME = "no_such_time"
    SLOT_FORMAT = "slot_format"
    END_BEFORE_START = "end_before_start"
    DIGITS = "digits"  # a name with digits in it
    CHARACTERS = "characters"  # a name with other signs in it
    EMAIL = "email"
    PHONE = "phone"


class Invalid(ValueError):
    """A typed value that cannot be used; `facts` feed the message (limits, the month...)."""

    def __init__(self, problem: Problem, **facts: Any) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.facts = facts


# --- numbers ------------------------------------------------------------------------------

_UNIT = re.compile(r"\s*(so['ʻ‘’`]?m|сум|uzs|sum)\.?$", re.IGNORECASE)
_SEPARATORS = " .,'\u00a0\u202f"
_GROUPED = re.compile(r"^\d{1,3}([ .,'\u00a0\u202f])\d{3}(?:\1\d{3})*$")
_MINUS = "-\u2212\u2013"


def parse_money(text: str | None, *, maximum: int = MONEY_MAX) -> int:
    """Whole so'm from `1250000`, `1 250 000`, `1.250.000`, `1,250,000` (unit word allowed)."""
    raw = _UNIT.sub("", (text or "").strip()).strip()
    if not raw:
        raise Invalid(Problem.NOT_A_NUMBER)
    if raw[0] in _MINUS and re.fullmatch(r"[\d" + re.escape(_SEPARATORS) + r"]+", raw[1:].strip()):
        raise Invalid(Problem.NEGATIVE)
    if raw.isascii() and raw.isdigit():
        digits = raw
    elif _GROUPED.match(raw):
        digits = re.sub(r"\D", "", raw)
    else:
        raise Invalid(Problem.NOT_A_NUMBER)
    if len(digits.lstrip("0")) > len(str(maximum)):
        raise Invalid(Problem.TOO_LARGE, maximum=maximum)
    amount = int(digits)
    if amount > maximum:
        raise Invalid(Problem.TOO_LARGE, maximum=maximum)
    return amount


def parse_amount(text: str | None, *, maximum: int = MONEY_MAX) -> int:
    """Money paid or paid back: more than 0 and at most `maximum`."""
    amount = parse_money(text, maximum=maximum)
    if amount <= 0:
        raise Invalid(Problem.TOO_SMALL, maximum=maximum)
    return amount


def parse_whole(text: str | None, minimum: int, maximum: int) -> int:
    """A small whole number within limits (capacity, a percentage: `15` or `15%`)."""
    raw = (text or "").strip().removesuffix("%").strip()
    if raw and raw[0] in _MINUS and raw[1:].strip().isdigit():
        raise Invalid(Problem.NEGATIVE, minimum=minimum, maximum=maximum)
    if not (raw.isascii() and raw.isdigit()):
        raise Invalid(Problem.NOT_A_NUMBER, minimum=minimum, maximum=maximum)
    if len(raw.lstrip("0")) > len(str(maximum)) or int(raw) > maximum:
        raise Invalid(Problem.TOO_LARGE, minimum=minimum, maximum=maximum)
    if int(raw) < minimum:
        raise Invalid(Problem.TOO_SMALL, minimum=minimum, maximum=maximum)
    return int(raw)


# --- dates and times ----------------------------------------------------------------------

_DATE = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$")
_BIRTH_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def parse_date(text: str | None) -> date:
    """`DD.MM.YYYY` (dots, slashes or dashes); a day the month lacks is refused by name."""
    match = _DATE.match((text or "").strip())
    if not match:
        raise Invalid(Problem.DATE_FORMAT)
    day, month, year = (int(part) for part in match.groups())
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise Invalid(Problem.YEAR_RANGE, minimum=YEAR_MIN, maximum=YEAR_MAX)
    if not 1 <= month <= 12:
        raise Invalid(Problem.NO_SUCH_MONTH, month=month)
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise Invalid(Problem.NO_SUCH_DAY, day=day, month=month, year=year, days=days)
    return date(year, month, day)


def parse_birth_date(raw: str, today: date) -> date:
    """`DD.MM.YYYY`; 31.02 and dates in the future or before 1900 are refused."""
    match = _BIRTH_DATE.match(raw.strip())
    if match is None:
        raise Invalid(Problem.DATE_FORMAT)
    day, month, year = (int(part) for part in match.groups())
    try:
        born = date(year, month, day)
    except ValueError:
        raise Invalid(Problem.DATE_IMPOSSIBLE) from None
    if born > today:
        raise Invalid(Problem.DATE_FUTURE)
    if born.year < OLDEST_BIRTH_YEAR:
        raise Invalid(Problem.DATE_TOO_OLD)
    return born


_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")


def parse_time(text: str | None) -> time:
    """`HH:MM` (or `H.MM`), 24-hour; `25:00` and `10:75` are refused."""
    match = _TIME.match((text or "").strip())
    if not match:
        raise Invalid(Problem.TIME_FORMAT)
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 23 or minutes > 59:
        raise Invalid(Problem.NO_SUCH_TIME, text=(text or "").strip())
    return time(hours, minutes)


def parse_slot_time(text: str | None) -> tuple[time, int]:
    """A start time and a length in minutes: `14:00 90` or `14:00-15:30`."""
    raw = " ".join((text or "").split())
    parts = re.split(r"\s*[-–—]\s*|\s+", raw, maxsplit=1)
    if len(parts) != 2:
        if len(parts) == 1 and _TIME.match(parts[0]):
            parse_time(parts[0])  # a wrong time is named before the missing length
        raise Invalid(Problem.SLOT_FORMAT)
    start = parse_time(parts[0])
    if _TIME.match(parts[1]):
        end = parse_time(parts[1])
        minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        if minutes <= 0:
            raise Invalid(Problem.END_BEFORE_START)
    else:
        minutes = parse_whole(parts[1].removesuffix("min").strip(), DURATION_MIN, DURATION_MAX)
    if not DURATION_MIN <= minutes <= DURATION_MAX:
        problem = Problem.TOO_SMALL if minutes < DURATION_MIN else Problem.TOO_LARGE
        raise Invalid(problem, minimum=DURATION_MIN, maximum=DURATION_MAX)
    return start, minutes


# --- phones -------------------------------------------------------------------------------

_UZ_PHONE_TYPED = re.compile(r"^\+?[\d\s()\-]+$")


def clean_phone(raw: str) -> str:
    """Any number (a Telegram contact): `998 90 123-45-67`, `+998901234567` or `901234567`
    → `+998901234567`; 9 to 15 digits, a 9-digit one taken as Uzbek."""
    digits = re.sub(r"\D", "", raw)
    if len(digits) == 9:  # a local Uzbek number
        digits = UZ_COUNTRY_CODE + digits
    if not PHONE_DIGITS_MIN <= len(digits) <= PHONE_DIGITS_MAX:
        raise Invalid(Problem.PHONE)
    return f"+{digits}"


def clean_uz_phone(raw: str) -> str:
    """An Uzbek number typed by staff: `+998 90 123-45-67`, `998901234567` or `90 123 45 67`
    → `+998901234567`. Anything else (letters, a foreign or short number) is refused."""
    raw = raw.strip()
    if not _UZ_PHONE_TYPED.match(raw):
        raise Invalid(Problem.PHONE)
    digits = re.sub(r"\D", "", raw)
    if len(digits) == 9:
        digits = UZ_COUNTRY_CODE + digits
    if len(digits) != 12 or not digits.startswith(UZ_COUNTRY_CODE):
        raise Invalid(Problem.PHONE)
    if raw.startswith("+") and not raw.replace(" ", "").startswith("+998"):
        raise Invalid(Problem.PHONE)
    return f"+{digits}"


# --- short texts --------------------------------------------------------------------------

_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def clean_text(text: str | None, minimum: int, maximum: int, *, field_name: str = "text") -> str:
    """Stripped text with collapsed spaces inside a line, within the length limits."""
    value = "\n".join(" ".join(line.split()) for line in (text or "").strip().splitlines())
    if not value:
        raise Invalid(Problem.EMPTY, minimum=minimum, maximum=maximum, field=field_name)
    if len(value) < minimum:
        raise Invalid(Problem.TOO_SHORT, minimum=minimum, maximum=maximum, field=field_name)
    if len(value) > maximum:
        raise Invalid(Problem.TOO_LONG, minimum=minimum, maximum=maximum, length=len(value))
    return value


def is_skip(text: str | None) -> bool:
    """`-` or `—` typed where a value is optional."""
    return (text or "").strip() in {"-", "—", "–"}


def clean_name(raw: str) -> str:
    """Letters of any script (Latin with oʻ gʻ ʼ, Cyrillic, …), spaces, hyphens,
    apostrophes and dots; 2-128 characters; spaces collapsed."""
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if any(char.isdigit() for char in name):
        raise Invalid(Problem.DIGITS)
    if any(not (char.isalpha() or char in NAME_PUNCTUATION) for char in name):
        raise Invalid(Problem.CHARACTERS)
    if len(name) > NAME_MAX:
        raise Invalid(Problem.TOO_LONG)
    if len(name) < NAME_MIN or sum(char.isalpha() for char in name) < NAME_MIN:
        raise Invalid(Problem.TOO_SHORT)
    return name


def clean_email(raw: str) -> str:
    email = raw.strip()
    if len(email) > EMAIL_MAX or not _EMAIL.match(email):
        raise Invalid(Problem.EMAIL)
    local, domain = email.rsplit("@", 1)
    if len(local) > EMAIL_LOCAL_MAX:
        raise Invalid(Problem.EMAIL)
    return f"{local}@{domain.lower()}"
