"""The columns of an import template, and a sheet's header mapped onto them.

A template's header is written in the admin's language, but a file comes back in any
language and any order: each column is known by its key (`student_name`, what an export
writes for a machine) and by its title in uz, ru and en (the caller gives those: words
are the handlers' business). A title matches however it is cased, spaced or starred
(`* Full name`), with any apostrophe. Columns nobody knows are ignored.
"""

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.services.parsing import APOSTROPHES

_STRIP = str.maketrans({mark: "'" for mark in APOSTROPHES} | {"*": " ", ":": " "})


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    key: str
    required: bool = False
    width: int = 20


def header_key(title: str) -> str:
    """The form a header is compared in."""
    folded = unicodedata.normalize("NFC", title).casefold().translate(_STRIP)
    return " ".join(folded.replace("_", " ").split())


@dataclass(frozen=True, slots=True)
class HeaderMap:
    positions: dict[str, int]  # column key → its index in the sheet's rows
    missing: tuple[str, ...]  # required columns the header lacks
    duplicates: tuple[str, ...]  # columns named twice (the first one is read)


def map_header(
    header: Sequence[str],
    columns: Sequence[ColumnSpec],
    titles: Mapping[str, Sequence[str]],
) -> HeaderMap:
    """Where each known column is; `titles`: a column key → its titles in every language."""
    names: dict[str, str] = {}
    for column in columns:
        names[header_key(column.key)] = column.key
        for title in titles.get(column.key, ()):
            names[header_key(title)] = column.key
    positions: dict[str, int] = {}
    duplicates: list[str] = []
    for index, title in enumerate(header):
        key = names.get(header_key(title))
        if key is None:
            continue
        if key in positions:
            duplicates.append(key)
            continue
        positions[key] = index
    missing = tuple(c.key for c in columns if c.required and c.key not in positions)
    return HeaderMap(positions, missing, tuple(duplicates))
