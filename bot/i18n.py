"""Gettext for three languages, chosen per update from the database user.

Catalogs are loaded once per process. A `.mo` file missing or older than its
`.po` is compiled in memory, so a fresh checkout works even before `make i18n`.
The current language lives in a context variable set by the locale middleware
(and by jobs, which set the recipient's language explicitly).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, NullTranslations, Translations

from bot.config import LANGUAGES

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "uz"

_current_language: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)


def _load_catalog(language: str, locales_dir: Path) -> NullTranslations:
    folder = locales_dir / language / "LC_MESSAGES"
    po_file, mo_file = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo_file.exists() and (
        not po_file.exists() or mo_file.stat().st_mtime >= po_file.stat().st_mtime
    ):
        with mo_file.open("rb") as stream:
            return Translations(stream, domain=DOMAIN)
    if not po_file.exists():
        return NullTranslations()
    with po_file.open("rb") as stream:
        catalog = read_po(stream, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


@cache
def catalogs(locales_dir: Path = LOCALES_DIR) -> dict[str, NullTranslations]:
    return {language: _load_catalog(language, locales_dir) for language in LANGUAGES}


def current_language() -> str:
    return _current_language.get()


def set_language(language: str) -> None:
    _current_language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


@contextmanager
def use_language(language: str) -> Iterator[None]:
    """Temporarily speak another language (e.g. a notice to another user)."""
    token = _current_language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _current_language.reset(token)


def gettext(message: str) -> str:
    return catalogs()[current_language()].gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalogs()[current_language()].ngettext(singular, plural, n)


def lazy_gettext(message: str) -> LazyProxy:
    """Translated when rendered, in the language current at that moment."""
    return LazyProxy(gettext, message, enable_cache=False)


def translate_to(language: str, message: str) -> str:
    with use_language(language):
        return gettext(message)


_ = gettext
__ = lazy_gettext
