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
* a range of dates (a report's period): the end not before the start, at most some years;
* times: `HH:MM`, 24-hour, in the centre's time zone (`25:00` is refused); a weekly slot
  is a start time and a length, `14:00 90` or `14:00-15:30`;
* phones (the `phonenumbers` library, PHONE_REGION for numbers without a country code):
  `+998 90 123-45-67`, `998901234567` or `90 123 45 67` → E.164 `+998901234567`;
* short texts: names, e-mail addresses, titles and notes within length limits;
* a teacher's forms: a maximum score (1-1000), a message of "name score" lines (every bad
  line named with its number), a homework task (2-3000 characters) and its due date
  (`25.03.2026`, `25.03` or `25.03.2026 14:00`, neither past nor a year ahead).
"""

import calendar
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import phonenumbers

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
DEFAULT_PHONE_REGION = "UZ"  # the PHONE_REGION setting's default: numbers without a country code
# Uzbek Latin writes oʻ, gʻ and ʼ with any of these; Russian and English names use ' and -.
APOSTROPHES = "'ʻʼ’‘`"
NAME_PUNCTUATION = frozenset(" -.") | frozenset(APOSTROPHES)
SCORE_MAX = 1000  # the highest maximum score a teacher may give
TITLE_MAX = 100  # the name of a test or an exam
TASK_MIN, TASK_MAX = 2, 3000  # a homework task
DUE_HORIZON = timedelta(days=366)  # a due date at most this far ahead
DUE_TIME = time(23, 59)  # a due date typed without a time: the end of that day


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
    NOT_TEXT = "not_text"  # a sticker, a location... where text was asked
    DATE_PAST = "date_past"
    DATE_TOO_FAR = "date_too_far"
    SCORE_LINES = "score_lines"  # facts: `errors`, the bad lines (`LineError`)
    RANGE_TOO_LONG = "range_too_long"  # facts: `years`, the longest range allowed


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


def check_date_range(start: date, end: date, *, max_years: int) -> tuple[date, date]:
    """A range of days, both included: the end not before the start, at most `max_years`
    long (from 1 March 2024, three years end on 28 February 2027 at the latest)."""
    if end < start:
        raise Invalid(Problem.END_BEFORE_START)
    try:
        limit = start.replace(year=start.year + max_years)
    except ValueError:  # 29 February: the limit is 1 March
        limit = date(start.year + max_years, 3, 1)
    if end >= limit:
        raise Invalid(Problem.RANGE_TOO_LONG, years=max_years)
    return start, end


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

# Letters are never part of a number (phonenumbers would read `1-800-FLOWERS` as digits).
_PHONE_TYPED = re.compile(r"^\+?[\d\s().\-]+$")


def _parsed_phone(raw: str, region: str) -> phonenumbers.PhoneNumber | None:
    """A valid number from `raw` (in `region` when it has no country code), else None."""
    text = raw.strip()
    if not text or not _PHONE_TYPED.match(text):
        return None
    candidates = [text]
    if not text.startswith("+"):  # a Telegram contact sends `79161234567` without the plus
        candidates.append("+" + re.sub(r"\D", "", text))
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return number
    return None


def clean_phone(raw: str, region: str = DEFAULT_PHONE_REGION) -> str:
    """Any valid number (a Telegram contact): `998 90 123-45-67`, `+998901234567`,
    `901234567` (a number of `region`) or `79161234567` → E.164 (`+998901234567`)."""
    number = _parsed_phone(raw, region)
    if number is None:
        raise Invalid(Problem.PHONE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_local_phone(raw: str, region: str = DEFAULT_PHONE_REGION) -> str:
    """A number of the centre's country typed by staff: `+998 90 123-45-67`,
    `998901234567` or `90 123 45 67` → E.164. A foreign, short or long number is refused."""
    number = _parsed_phone(raw, region)
    if number is None or phonenumbers.region_code_for_number(number) != region.upper():
        raise Invalid(Problem.PHONE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


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


# --- a teacher's forms: grades and homework -----------------------------------------------


def parse_max(text: str | None) -> int:
    """The maximum score: a whole number from 1 to `SCORE_MAX`."""
    value = (text or "").strip()
    facts = {"minimum": 1, "maximum": SCORE_MAX}
    if not (value.isascii() and value.isdigit()):
        raise Invalid(Problem.NOT_A_NUMBER, **facts)
    if int(value) < 1:
        raise Invalid(Problem.TOO_SMALL, **facts)
    if int(value) > SCORE_MAX:
        raise Invalid(Problem.TOO_LARGE, **facts)
    return int(value)


def clean_title(text: str | None) -> str:
    """The name of an assessment: one line, 1 to `TITLE_MAX` characters."""
    title = " ".join((text or "").split())
    if not title:
        raise Invalid(Problem.EMPTY, minimum=1, maximum=TITLE_MAX)
    if len(title) > TITLE_MAX:
        raise Invalid(Problem.TOO_LONG, minimum=1, maximum=TITLE_MAX, length=len(title))
    return title


class LineProblem(StrEnum):
    FORMAT = "format"  # not "name score"
    SCORE = "score"  # not a whole number
    RANGE = "range"  # outside 0..maximum
    NUMBER = "number"  # no student with this number in the list
    UNKNOWN = "unknown"  # no student of that name
    AMBIGUOUS = "ambiguous"  # several students match the name
    DUPLICATE = "duplicate"  # the student is on an earlier line too
    EMPTY = "empty"  # no line at all


@dataclass(frozen=True, slots=True)
class LineError:
    line: int
    problem: LineProblem
    text: str = ""


class Named(Protocol):
    """A student in the list the teacher sees (its number is its place in the list)."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...


# Uzbek oʻ/gʻ typed in several ways all match the ASCII '
_SCORE_APOSTROPHES = "ʻʼ’‘`´"
_TRAILING = ":-–—,.;"


def _normal_name(name: str) -> str:
    text = unicodedata.normalize("NFC", name).casefold()
    for mark in _SCORE_APOSTROPHES:
        text = text.replace(mark, "'")
    return " ".join(text.split())


def _match(who: str, students: Sequence[Named]) -> Named | LineProblem:
    key = _normal_name(who)
    names = [(_normal_name(s.name), s) for s in students]
    found = [s for name, s in names if name == key]
    if not found:
        found = [
            s
            for name, s in names
            if name.startswith(key + " ") or key in name.split() or name.startswith(key)
        ]
    if len(found) == 1:
        return found[0]
    return LineProblem.AMBIGUOUS if found else LineProblem.UNKNOWN


def parse_scores(text: str | None, students: Sequence[Named], max_score: int) -> dict[int, int]:
    """student id → score, from "name score" / "number score" lines (the number from the
    list); every bad line is named: `Invalid(SCORE_LINES, errors=[LineError, …])`."""
    errors: list[LineError] = []
    scores: dict[int, int] = {}
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = line.rsplit(maxsplit=1)
        if len(parts) != 2:
            errors.append(LineError(number, LineProblem.FORMAT, line))
            continue
        who, score_text = parts[0].rstrip(_TRAILING).strip(), parts[1]
        if not who or not re.search(r"\d", score_text):  # no score at all: a name alone
            errors.append(LineError(number, LineProblem.FORMAT, line))
            continue
        if not re.fullmatch(r"\d{1,4}", score_text):
            errors.append(LineError(number, LineProblem.SCORE, score_text))
            continue
        score = int(score_text)
        if score > max_score:
            errors.append(LineError(number, LineProblem.RANGE, score_text))
            continue
        if who.isdigit():
            index = int(who)
            if not 1 <= index <= len(students):
                errors.append(LineError(number, LineProblem.NUMBER, who))
                continue
            student: Named | LineProblem = students[index - 1]
        else:
            student = _match(who, students)
        if isinstance(student, LineProblem):
            errors.append(LineError(number, student, who))
            continue
        if student.id in scores:
            errors.append(LineError(number, LineProblem.DUPLICATE, who))
            continue
        scores[student.id] = score
    if not errors and not scores:
        errors.append(LineError(1, LineProblem.EMPTY))
    if errors:
        raise Invalid(Problem.SCORE_LINES, errors=errors)
    return scores


def clean_task(text: str | None) -> str:
    """A homework task as written (only the ends stripped), `TASK_MIN` to `TASK_MAX`
    characters; None (a message without text) is `NOT_TEXT`."""
    if text is None:
        raise Invalid(Problem.NOT_TEXT, minimum=TASK_MIN, maximum=TASK_MAX)
    task = text.strip()
    if len(task) < TASK_MIN:
        raise Invalid(Problem.TOO_SHORT, minimum=TASK_MIN, maximum=TASK_MAX)
    if len(task) > TASK_MAX:
        raise Invalid(Problem.TOO_LONG, minimum=TASK_MIN, maximum=TASK_MAX, length=len(task))
    return task


_DUE = re.compile(r"^(\d{1,2})[./-](\d{1,2})(?:[./-](\d{4}))?(?:\s+(\d{1,2}):(\d{2}))?$")


def parse_due(text: str | None, now: datetime, tz: ZoneInfo) -> datetime:
    """`25.03.2026`, `25.03` (this year) or `25.03.2026 14:00` in the centre's time zone →
    an aware moment; a date without a time is due at `DUE_TIME`. Not in the past, and at
    most `DUE_HORIZON` ahead."""
    match = _DUE.match((text or "").strip())
    if not match:
        raise Invalid(Problem.DATE_FORMAT)
    day, month, year, hour, minute = match.groups()
    today = now.astimezone(tz).date()
    try:
        due_day = date(int(year) if year else today.year, int(month), int(day))
        due_time = time(int(hour), int(minute)) if hour is not None else DUE_TIME
    except ValueError:
        raise Invalid(Problem.DATE_IMPOSSIBLE) from None
    due = datetime.combine(due_day, due_time, tzinfo=tz)
    if due < now:
        raise Invalid(Problem.DATE_PAST)
    if due - now > DUE_HORIZON:
        raise Invalid(Problem.DATE_TOO_FAR)
    return due
