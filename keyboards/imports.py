"""📥 /import: the kinds of template, ✅ Apply / ❌ Cancel under a dry run, ↩️ Undo under
an applied import (for 24 hours; the batch's id in the button)."""

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import _
from keyboards.ids import Id


class ImportCb(CallbackData, prefix="im"):
    action: str  # tpl (a template), apply, drop (cancel the dry run), undo
    kind: str = "people"
    id: Id = 0  # undo: the batch


def _row(text: str, data: ImportCb) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(text=text, callback_data=data.pack())]


def import_menu(kinds: list[str]) -> InlineKeyboardMarkup:
    """A template button per kind the admin may import."""
    labels = {
        "people": _("📄 Template: students and parents"),
        "teachers": _("📄 Template: teachers"),
        "courses": _("📄 Template: courses"),
        "groups": _("📄 Template: groups and timetables"),
        "enrolments": _("📄 Template: enrolments"),
        "balances": _("📄 Template: opening balances"),
    }
    return InlineKeyboardMarkup(
        inline_keyboard=[_row(labels[kind], ImportCb(action="tpl", kind=kind)) for kind in kinds]
    )


def dry_run_keyboard(changes: bool) -> InlineKeyboardMarkup:
    rows = [_row(_("✅ Apply"), ImportCb(action="apply"))] if changes else []
    rows.append(_row(_("❌ Cancel"), ImportCb(action="drop")))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def undo_keyboard(batch_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[_row(_("↩️ Undo this import"), ImportCb(action="undo", id=batch_id))]
    )


def undo_confirmation(batch_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            _row(_("↩️ Yes, remove what it created"), ImportCb(action="undoy", id=batch_id)),
            _row(_("⬅ Keep it"), ImportCb(action="keep", id=batch_id)),
        ]
    )
