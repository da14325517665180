"""The buttons every form shares: ✅ Confirm / ✏️ Edit / ❌ Cancel, the fields to change, ⏭ Skip.

Every form button carries the form's key: a button of a finished form, or of another form
than the one open, is out of date however it was pressed.
"""

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import _


class FormCb(CallbackData, prefix="fm"):
    form: str  # the form's key
    action: str  # ok, edit, field, summary, no; skip and pick at a step
    step: str = ""  # the step a skip or pick belongs to
    value: str = ""


Rows = list[list[InlineKeyboardButton]]


def form_button(
    text: str, form: str, action: str, value: str = "", step: str = ""
) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=FormCb(form=form, action=action, step=step, value=value).pack()
    )


def pick_button(text: str, form: str, step: str, value: str) -> InlineKeyboardButton:
    return form_button(text, form, "pick", value, step)


def summary_keyboard(
    form: str,
    confirm_label: str | None = None,
    keep_label: str | None = None,
    editable: bool = True,
) -> InlineKeyboardMarkup:
    """✅ Confirm, then ✏️ Edit and ❌ Cancel. A danger names its action (`confirm_label`)
    and its way out (`keep_label`): "Yes" next to "Cancel" is how things go wrong."""
    second = [form_button(_("✏️ Edit"), form, "edit")] if editable else []
    second.append(form_button(keep_label or _("❌ Cancel"), form, "no"))
    return InlineKeyboardMarkup(
        inline_keyboard=[[form_button(confirm_label or _("✅ Confirm"), form, "ok")], second]
    )


def fields_keyboard(
    form: str, fields: Sequence[tuple[str, str]], width: int = 3
) -> InlineKeyboardMarkup:
    """The steps that can be changed (step name, ✏️ label), then ⬅ Back to the summary."""
    buttons = [form_button(label, form, "field", name) for name, label in fields]
    rows = [buttons[i : i + width] for i in range(0, len(buttons), width)]
    rows.append([form_button(_("⬅ Back"), form, "summary")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def skip_row(form: str, step: str, text: str | None = None) -> list[InlineKeyboardButton]:
    return [form_button(text or _("⏭ Skip"), form, "skip", step=step)]


def markup_of(rows: Rows) -> InlineKeyboardMarkup | None:
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
