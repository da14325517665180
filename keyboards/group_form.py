"""The group form's own buttons (all `FormCb` of the form): no teacher, the weekly timetable,
the status, and the overlap warning's ⚠️ Save anyway (a page of courses or teachers to pick
from is `keyboards.academic.choice_rows`)."""

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import _
from bot.services.academic import SlotSpec
from keyboards.academic import group_status_labels, slot_label, weekday_names
from keyboards.forms import Rows, form_button, pick_button


def no_teacher_row(form: str) -> list[InlineKeyboardButton]:
    return [pick_button(_("🚫 No teacher yet"), form, "teacher", "0")]


def slots_rows(form: str, slots: Sequence[SlotSpec], picked: Sequence[int]) -> Rows:
    """The weekdays (👉 on the chosen ones), 🗑 per lesson, ✅ Done once there is one."""
    names = weekday_names()
    days = [
        pick_button(("👉 " if day in picked else "") + names[day], form, "slots", f"d{day}")
        for day in range(7)
    ]
    rows = [days[:4], days[4:]]
    for index, slot in enumerate(slots):
        rows.append([pick_button("🗑 " + slot_label(slot), form, "slots", f"r{index}")])
    if slots:
        rows.append([pick_button(_("✅ Done"), form, "slots", "done")])
    return rows


def status_rows(form: str) -> Rows:
    return [
        [pick_button(label, form, "status", status.value)]
        for status, label in group_status_labels().items()
    ]


def overlap_keyboard(form: str) -> InlineKeyboardMarkup:
    """⚠️ Save anyway (the summary's ✅ with the value "force"), ✏️ Edit, ❌ Cancel."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [form_button(_("⚠️ Save anyway"), form, "ok", "force")],
            [form_button(_("✏️ Edit"), form, "edit"), form_button(_("❌ Cancel"), form, "no")],
        ]
    )
