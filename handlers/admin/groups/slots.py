"""The group form's weekly timetable: tap one or more weekdays, send a start time and a
length ("14:00 90", "14:00-15:30", or "14:00" alone when the centre has a usual length),
🗑 a lesson, ✅ Done."""

import re
from datetime import time

from bot.forms import Advance, FormContext, Refusal, Step
from bot.i18n import _
from bot.services import academic as academic_service
from bot.services import parsing
from bot.services.academic import SlotConflict, SlotProblem, SlotSpec
from bot.wording import stale_button_text, time_problem
from handlers.admin.groups.data import GroupData, step_header
from handlers.admin.groups.texts import slots_text
from keyboards.academic import slot_label, weekday_names
from keyboards.forms import Rows
from keyboards.group_form import slots_rows

_DASH = re.compile(r"[-–—]")


def slots_prompt(data: GroupData) -> str:
    lines = [
        _("{step} — the weekly timetable, in the centre's time ({zone}).").format(
            step=step_header("slots"), zone=data.zone
        ),
        _(
            "Tap one or more weekdays, then send the start time and the length in minutes. "
            "Add as many lessons as the week has, then tap ✅ Done."
        ),
        _("Example: <i>14:00 90</i> or <i>14:00-15:30</i>"),
    ]
    if data.minutes:
        lines.append(
            _(
                "A time alone, like <i>14:00</i>, makes a lesson of {minutes} minutes, "
                "as in the last group."
            ).format(minutes=data.minutes)
        )
    lines += ["", _("This week's lessons:"), *slots_text(data.slot_specs())]
    if data.picked:
        names = weekday_names()
        lines += [
            "",
            _("👉 {day}: send the start time and the length.").format(
                day=", ".join(names[day] for day in sorted(data.picked))
            ),
        ]
    return "\n".join(lines)


def slots_buttons(data: GroupData, form: str) -> Rows:
    return slots_rows(form, data.slot_specs(), data.picked)


def parse_slot(text: str | None, usual_minutes: int | None) -> tuple[time, int]:
    raw = " ".join((text or "").split())
    if usual_minutes and " " not in raw and not _DASH.search(raw):
        return parsing.parse_time(raw), usual_minutes
    return parsing.parse_slot_time(raw)


def slot_conflict_text(conflict: SlotConflict) -> str:
    if conflict.problem is SlotProblem.TOO_MANY:
        return _("⚠️ A group has at most {maximum} lessons a week.").format(
            maximum=academic_service.SLOTS_MAX
        )
    assert conflict.slot is not None
    if conflict.problem is SlotProblem.DUPLICATE:
        return _("⚠️ {slot} is already in the timetable.").format(slot=slot_label(conflict.slot))
    return _("⚠️ That overlaps {slot} of this group.").format(slot=slot_label(conflict.slot))


def no_slots_text() -> str:
    return _("⚠️ Add at least one weekly lesson: tap a weekday, then send e.g. 14:00 90.")


async def read_slot(data: GroupData, text: str | None, context: FormContext) -> Advance:
    """A time for every weekday tapped."""
    if not data.picked:
        raise Refusal(_("⚠️ Tap a weekday first."))
    start, minutes = parse_slot(text, data.minutes)
    slots = data.slot_specs()
    try:
        for day in sorted(data.picked):
            slots = academic_service.add_slot(slots, SlotSpec(day, start, minutes))
    except SlotConflict as conflict:
        raise Refusal(slot_conflict_text(conflict)) from None
    data.slots = [slot.as_data() for slot in slots]
    data.picked = []
    context.notice = _("✅ Added.")
    return Advance.STAY


async def pick_slot(data: GroupData, value: str, context: FormContext) -> Advance:
    """d0…d6 toggles a weekday, r<n> removes a lesson, done goes on."""
    kind, number = value[:1], value[1:]
    slots = list(data.slot_specs())
    if kind == "d" and number in {str(day) for day in range(7)}:
        day = int(number)
        data.picked = (
            [d for d in data.picked if d != day] if day in data.picked else [*data.picked, day]
        )
    elif kind == "r" and number.isdigit() and int(number) < len(slots):
        slots.pop(int(number))
        data.slots = [slot.as_data() for slot in slots]
        context.toast = _("🗑 Removed.")
    elif value == "done" and slots:
        data.picked = []
        return Advance.NEXT
    elif value == "done":
        context.toast, context.alert = no_slots_text(), True
    else:
        context.toast = stale_button_text()
    return Advance.STAY


SLOTS_STEP: Step[GroupData] = Step(
    "slots",
    slots_prompt,
    read=read_slot,
    pick=pick_slot,
    buttons=slots_buttons,
    problem=time_problem,
    label=lambda: _("✏️ Timetable"),
)
