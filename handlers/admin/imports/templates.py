"""The import templates' sheets in the reader's language: a template, or a sheet of the
centre's export in the same format (so it imports again)."""

from bot.services.imports import KINDS, sheets
from handlers.admin.imports import texts

TEXT_COLUMNS = (
    "student_phone",
    "birth_date",
    "parent_phone",
    "teacher_phone",
    "teacher",
    "start_date",
    "start_time",
    "joined_on",
    "balance_date",
)


def _choices(keys: tuple[str, ...]) -> dict[int, list[str]]:
    choices = {}
    if "language" in keys:
        choices[keys.index("language")] = ["uz", "ru", "en"]
    if "weekdays" in keys:
        choices[keys.index("weekdays")] = texts.weekday_choices()
    return choices


def template_table(kind: str, rows: list[list[object]]) -> sheets.Table:
    """A kind's sheet in the reader's language: the template's, or the export's."""
    keys = KINDS[kind].keys
    return sheets.Table(
        title=texts.kind_title(kind),
        header=texts.template_header(kind),
        rows=rows,
        widths=[column.width for column in KINDS[kind].columns],
        choices=_choices(keys),
        text_columns=[keys.index(k) for k in TEXT_COLUMNS if k in keys],
        example=None if rows else texts.template_example(kind),
    )


def template_bytes(kind: str) -> bytes:
    """A template in the reader's language (words here, drawn in a thread)."""
    return sheets.workbook([template_table(kind, [])], texts.instructions(kind))
