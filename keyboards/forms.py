"""The buttons every form shares: ✅ Confirm / ✏️ Edit / ❌ Cancel, the fields to change, ⏭ Skip.

Every form button carries the form's key and the run of the form that showed it: a button
of a finished form, of another form than the one open, or of an earlier run of the same form
(an old summary's ✅) is out of date however it was pressed.
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
    run: str = ""  # set by the engine when it shows the button (`stamped`)


FORM_PREFIX = f"{FormCb.__prefix__}{FormCb.__separator__}"
Rows = list[list[InlineKeyboardButton]]


def form_button(
    text: str, form: str, action: str, value: str = "", step: str = ""
) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=FormCb(form=form, action=action, step=step, value=value).pack()
    )


def pick_button(text: str, form: str, step: str, value: str) -> InlineKeyboardButton:
    return form_button(text, form, "pick", value, step)


def pick_data(form: str, step: str, value: str) -> FormCb:
    return FormCb(form=form, action="pick", step=step, value=value)


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


def stamped(markup: InlineKeyboardMarkup, form: str, run: str) -> InlineKeyboardMarkup:
    """The markup with `run` in each button of `form` (the others as they are)."""
    rows = [[_stamped(button, form, run) for button in row] for row in markup.inline_keyboard]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _stamped(button: InlineKeyboardButton, form: str, run: str) -> InlineKeyboardButton:
    data = button.callback_data or ""
    if not data.startswith(FORM_PREFIX):
        return button
    pressed = FormCb.unpack(data)
    if pressed.form != form or pressed.run:
        return button
    stamped_data = pressed.model_copy(update={"run": run}).pack()
    return button.model_copy(update={"callback_data": stamped_data})
