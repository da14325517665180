"""Money, dates and phones as UX.md shows them, per language."""

import re
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.numbers import format_decimal

from bot.i18n import _, current_language, translate_to

BABEL_LOCALES = {"uz": "uz_Latn", "ru": "ru", "en": "en"}
# Parsed once: Babel parses a locale name again on every call (half the cost of a date).
_PARSED = {language: Locale.parse(name) for language, name in BABEL_LOCALES.items()}


def babel_locale(language: str | None = None) -> Locale:
    return _PARSED.get(language or current_language(), _PARSED["uz"])


def format_money(amount: int, language: str | None = None) -> str:
    """`1 250 000 soʻm` / `1 250 000 сум` / `1,250,000 soʻm` — whole so'm, never decimals.

    The unit word comes from the catalog of the same language as the number (one word per
    language; English says soʻm, as people in Uzbekistan do, not Babel's currency code).
    """
    if not isinstance(amount, int):
        raise TypeError("money is an integer number of so'm")
    number = format_decimal(amount, format="#,##0", locale=babel_locale(language))
    # Babel's group separator for uz/ru is a no-break space: keep it, it stops a wrap mid-number.
    unit = _("soʻm") if language is None else translate_to(language, "soʻm")
    return f"{number} {unit}"


def format_datetime(moment: datetime, tz: ZoneInfo, language: str | None = None) -> str:
    """`Mon, 3 Mar · 14:00` in the centre's time zone."""
    return _format_datetime(moment, tz, language or current_language())


@lru_cache(maxsize=4096)
def _format_datetime(moment: datetime, tz: ZoneInfo, language: str) -> str:
    # Remembered: every student of a group sees the same lesson times, and Babel's
    # pattern formatting was the most expensive part of drawing a schedule.
    local = moment.astimezone(tz)
    return babel_format_datetime(local, "EEE, d MMM · HH:mm", locale=babel_locale(language))


def format_date(day: date, language: str | None = None) -> str:
    return babel_format_date(day, "d MMMM y", locale=babel_locale(language))


def format_day(day: date, language: str | None = None) -> str:
    """`Mon, 3 Mar`: a day as `format_datetime` writes it, without the time."""
    return _format_day(day, language or current_language())


@lru_cache(maxsize=4096)
def _format_day(day: date, language: str) -> str:
    # Remembered, as `_format_datetime`: a week's timetable names seven days each time.
    return babel_format_date(day, "EEE, d MMM", locale=babel_locale(language))


def format_month(period: date, language: str | None = None) -> str:
    """`March 2026` (the month standing alone, as a charge's period)."""
    return babel_format_date(period, "LLLL y", locale=babel_locale(language))


def format_phone(phone: str) -> str:
    """`+998901234567` → `+998 90 123 45 67` (the international format of `phonenumbers`);
    a stored value that is not a valid number is returned as stored."""
    text = phone.strip()
    if not text.startswith("+"):
        text = "+" + re.sub(r"\D", "", text)
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return phone
    if not phonenumbers.is_valid_number(number):
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
