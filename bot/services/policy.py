"""The privacy policy and terms texts: the centre's own files, or the ones shipped.

Texts live in `<folder>/<language>/{privacy,terms}.txt` (POLICY_DIR names the folder;
default `locales/policy`). They are read once, and split on paragraph boundaries into
pages that fit one Telegram message with room for a header.
"""

from enum import StrEnum
from functools import cache
from html import escape
from pathlib import Path

from bot.text import split_message

DEFAULT_POLICY_DIR = Path(__file__).resolve().parents[2] / "locales" / "policy"
PAGE_LIMIT = 3500  # leaves room for the header and HTML escaping of the page


class Document(StrEnum):
    PRIVACY = "privacy"
    TERMS = "terms"


@cache
def _raw_text(folder: Path, document: Document, language: str) -> str:
    path = folder / language / f"{document}.txt"
    if not path.exists():  # a centre may ship only some languages: fall back to Uzbek
        path = folder / "uz" / f"{document}.txt"
    return path.read_text(encoding="utf-8").strip()


@cache
def pages(
    folder: Path, document: Document, language: str, centre: str, version: str
) -> tuple[str, ...]:
    """The document as HTML-safe pages, placeholders filled in."""
    text = (
        _raw_text(folder, document, language)
        .replace("{centre}", centre)
        .replace("{version}", version)
        .replace("{contact}", "/contact")
    )
    return tuple(escape(page, quote=False) for page in split_message(text, PAGE_LIMIT))


def policy_folder(configured: Path | None) -> Path:
    return configured if configured is not None else DEFAULT_POLICY_DIR
