"""Every user-visible string is in the template and translated, with the same placeholders."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.config import LANGUAGES

PROJECT = Path(__file__).resolve().parents[2]
LOCALES = PROJECT / "locales"
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")


def read_catalog(path: Path, locale: str | None = None):
    with path.open("rb") as stream:
        return read_po(stream, locale=locale)


def message_ids(catalog) -> set[str | tuple[str, str]]:
    """Plain ids, and (singular, plural) pairs for ngettext strings."""
    return {message.id for message in catalog if message.id}


def forms(value: str | tuple[str, ...] | list[str]) -> list[str]:
    """A translation's texts: one, or one per plural form."""
    return [value] if isinstance(value, str) else list(value)


def placeholders(value) -> list[list[str]]:
    return sorted({tuple(sorted(PLACEHOLDER.findall(text))) for text in forms(value)})


@pytest.fixture(scope="module")
def fresh_template(tmp_path_factory: pytest.TempPathFactory):
    """What `make i18n-extract` would write now, from the current source."""
    target = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract",
         "-F", "babel.cfg", "-k", "_", "-k", "__", "-k", "N_", "-k", "ngettext:1,2",
         "--no-location", "-o", str(target), "."],
        cwd=PROJECT, check=True, capture_output=True,
    )  # fmt: skip
    return read_catalog(target)


def test_the_template_holds_every_source_string(fresh_template) -> None:
    committed = read_catalog(LOCALES / "messages.pot")
    missing = message_ids(fresh_template) - message_ids(committed)
    stale = message_ids(committed) - message_ids(fresh_template)
    assert not missing, f"run `make i18n`: not in messages.pot: {sorted(missing, key=str)}"
    assert not stale, f"run `make i18n`: no longer in the source: {sorted(stale, key=str)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_translates_every_string(fresh_template, language: str) -> None:
    catalog = read_catalog(LOCALES / language / "LC_MESSAGES" / "messages.po", language)
    translated = {message.id: message for message in catalog if message.id}
    problems = []
    for msgid in sorted(message_ids(fresh_template), key=str):
        message = translated.get(msgid)
        if message is None:
            problems.append(f"missing: {msgid!r}")
        elif message.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        elif not all(forms(message.string)) or len(forms(message.string)) != (
            catalog.num_plurals if isinstance(msgid, tuple) else 1
        ):
            problems.append(f"untranslated: {msgid!r}")
        elif placeholders(message.string) != placeholders(msgid):
            problems.append(f"placeholders differ: {msgid!r} -> {message.string!r}")
    assert not problems, "\n".join(problems)


def test_uzbek_uses_the_proper_letters_not_ascii_apostrophes() -> None:
    catalog = read_catalog(LOCALES / "uz" / "LC_MESSAGES" / "messages.po", "uz")
    offenders = [m.string for m in catalog if m.id and any("'" in t for t in forms(m.string))]
    assert not offenders, f"write oʻ, gʻ and ʼ, not ': {offenders}"
