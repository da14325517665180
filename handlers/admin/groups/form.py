"""The group form: a new group is asked its course, its name and its weekly timetable; the
teacher, room, capacity and start come from the groups opened last (of the course, else of
the centre), the price from the course, and the summary shows them all, each changeable
through ✏️ Edit. A card's ✏️ opens one step (the status too) and returns to the summary.
Slots that clash with another active group of the same teacher or room are a warning the
admin may confirm (⚠️ Save anyway)."""

from collections.abc import Callable
from datetime import date
from html import escape

from aiogram.types import CallbackQuery

from bot.config import Settings
from bot.filters.access import ACADEMIC
from bot.formatting import format_date, format_money
from bot.forms import Advance, Form, FormContext, Refusal, Retry, Step
from bot.forms.engine import Reader
from bot.i18n import _
from bot.services import academic as academic_service
from bot.services import parsing
from bot.services.academic import (
    CAPACITY_MAX,
    GROUP_NAME_MAX,
    ROOM_MAX,
    GroupDraft,
    GroupResult,
    Outcome,
)
from bot.services.parsing import Invalid, Problem
from bot.telegram import edit_or_send
from bot.wording import date_problem, money_problem, number_problem, text_problem
from db.base import utcnow
from handlers.admin.groups.data import FLOW, GroupData, asked, label
from handlers.admin.groups.pickers import COURSE_STEP, STATUS_STEP, TEACHER_STEP
from handlers.admin.groups.slots import SLOTS_STEP, no_slots_text
from handlers.admin.groups.texts import card_text, dates_text, overlap_text, price_text, slots_text
from keyboards.academic import group_card, group_status_labels
from keyboards.forms import skip_row
from keyboards.group_form import overlap_keyboard

KEY = "gr"


def typed_step(
    name: str,
    prompt: Callable[[GroupData], str],
    read: Reader[GroupData],
    problem: Callable[[Invalid, str | None], str],
    skip: Callable[[GroupData], None] | None = None,
) -> Step[GroupData]:
    """A typed answer, a bad one worded by `problem`; with `skip`, a ⏭ Skip button."""
    return Step(
        name,
        prompt,
        read=read,
        skip=skip,
        buttons=None if skip is None else lambda data, form: [skip_row(form, name)],
        problem=problem,
        label=label(name),
    )


# --- name -----------------------------------------------------------------------------------


def name_taken_text(name: str) -> str:
    return _("⚠️ This course already has a group named “{name}”.").format(name=escape(name))


def name_prompt(data: GroupData) -> str:
    return asked(
        "name",
        _("{step} — the group name, up to {maximum} characters."),
        _("Example: <i>A1 Morning</i>"),
        maximum=GROUP_NAME_MAX,
    )


async def read_name(data: GroupData, text: str | None, context: FormContext) -> None:
    name = parsing.clean_text(text, 1, GROUP_NAME_MAX)
    if "\n" in name:
        raise Invalid(Problem.TOO_LONG, maximum=GROUP_NAME_MAX, length=len(name))
    if not await academic_service.group_name_free(
        context.session, data.course_id, name, data.group_id
    ):
        raise Refusal(name_taken_text(name))
    data.name = name


# --- room, capacity, dates, price -------------------------------------------------------------


def room_prompt(data: GroupData) -> str:
    return asked(
        "room",
        _("{step} — the room, up to {maximum} characters, or ⏭ Skip."),
        _("Example: <i>Room 12</i>"),
        maximum=ROOM_MAX,
    )


async def read_room(data: GroupData, text: str | None, context: FormContext) -> None:
    data.room = None if parsing.is_skip(text) else parsing.clean_text(text, 1, ROOM_MAX)


def skip_room(data: GroupData) -> None:
    data.room = None


def capacity_prompt(data: GroupData) -> str:
    return asked(
        "capacity",
        _("{step} — how many students fit in the group, 1 to {maximum}."),
        _("Example: <i>12</i>"),
        maximum=CAPACITY_MAX,
    )


def below_seated_text(seated: int) -> str:
    return _(
        "⚠️ {seated} students are in the group now, so the capacity cannot be smaller. "
        "Move some students first, or type at least {seated}."
    ).format(seated=seated)


async def read_capacity(data: GroupData, text: str | None, context: FormContext) -> None:
    capacity = parsing.parse_whole(text, 1, CAPACITY_MAX)
    if data.group_id:
        seated = await academic_service.seated(context.session, data.group_id)
        if capacity < seated:
            raise Refusal(below_seated_text(seated))
    data.capacity = capacity


def start_prompt(data: GroupData) -> str:
    return asked(
        "start", _("{step} — the start date, DD.MM.YYYY."), _("Example: <i>01.09.2025</i>")
    )


async def read_start(data: GroupData, text: str | None, context: FormContext) -> None:
    start = parsing.parse_date(text)
    if data.end_date and data.end_date < start:
        raise Refusal(
            _("⚠️ The group ends on {end}: it cannot start later than that.").format(
                end=format_date(data.end_date)
            )
        )
    data.start_date = start


def end_prompt(data: GroupData) -> str:
    return asked(
        "end",
        _("{step} — the end date, DD.MM.YYYY, or ⏭ Skip if the group has none."),
        _("Example: <i>31.05.2026</i>"),
    )


async def read_end(data: GroupData, text: str | None, context: FormContext) -> None:
    if parsing.is_skip(text):
        data.end_date = None
        return
    end = parsing.parse_date(text)
    start: date = data.start_date  # type: ignore[assignment]
    if end < start:
        raise Refusal(
            _("⚠️ The end date cannot be before the start date ({start}).").format(
                start=format_date(start)
            )
        )
    data.end_date = end


def skip_end(data: GroupData) -> None:
    data.end_date = None


def price_prompt(data: GroupData) -> str:
    return asked(
        "price",
        _(
            "{step} — the monthly price in soʻm, if this group pays differently from "
            "the course ({price}); or tap ⏭ Use the course price."
        ),
        _("Example: <i>1 100 000</i>"),
        price=format_money(data.course_price),
    )


async def read_price(data: GroupData, text: str | None, context: FormContext) -> None:
    data.price_override = None if parsing.is_skip(text) else parsing.parse_money(text)


def skip_price(data: GroupData) -> None:
    data.price_override = None


# --- saving -----------------------------------------------------------------------------------

REFUSAL_STEPS = {
    Outcome.NAME_TAKEN: "name",
    Outcome.COURSE_ARCHIVED: "course",
    Outcome.NOT_A_TEACHER: "teacher",
    Outcome.BELOW_SEATED: "capacity",
    Outcome.NO_SLOTS: "slots",
    Outcome.END_BEFORE_START: "end",
}


def refusal_text(result: GroupResult, draft: GroupDraft) -> str:
    texts = {
        Outcome.NAME_TAKEN: lambda: name_taken_text(draft.name),
        Outcome.COURSE_ARCHIVED: lambda: _(
            "⚠️ That course was archived meanwhile. Choose an active course."
        ),
        Outcome.NOT_A_TEACHER: lambda: _(
            "⚠️ That person is no longer a teacher. Choose another teacher."
        ),
        Outcome.BELOW_SEATED: lambda: below_seated_text(result.seated),
        Outcome.NO_SLOTS: no_slots_text,
        Outcome.END_BEFORE_START: lambda: _("⚠️ The end date cannot be before the start date."),
    }
    return texts[result.outcome]()


class GroupForm(Form[GroupData], state="group_form"):
    key = KEY
    data_type = GroupData
    flags = ACADEMIC
    steps = (
        COURSE_STEP,
        typed_step("name", name_prompt, read_name, text_problem),
        TEACHER_STEP,
        typed_step("room", room_prompt, read_room, text_problem, skip=skip_room),
        typed_step("capacity", capacity_prompt, read_capacity, number_problem),
        typed_step("start", start_prompt, read_start, date_problem),
        typed_step("end", end_prompt, read_end, date_problem, skip=skip_end),
        Step(
            "price",
            price_prompt,
            read=read_price,
            skip=skip_price,
            buttons=lambda data, form: [skip_row(form, "price", _("⏭ Use the course price"))],
            problem=money_problem,
            label=label("price"),
        ),
        SLOTS_STEP,
        STATUS_STEP,
    )

    def next_step(self, data: GroupData, after: str | None) -> Step[GroupData] | None:
        """A new group goes course → name → timetable → summary; the other fields are
        suggestions there (every step stays in the summary's ✏️ Edit list)."""
        names = [name for name in FLOW if self.step_named(name).when(data)]
        start = 0 if after is None else names.index(after) + 1 if after in names else len(names)
        return self.step_named(names[start]) if start < len(names) else None

    def title(self, data: GroupData) -> str:
        if data.group_id:
            return _("👥 <b>Group: {name}</b>").format(name=escape(data.original_name))
        return _("👥 <b>New group</b>")

    def summary_text(self, data: GroupData) -> str:
        draft = data.draft()
        lines = [
            self.title(data),
            "",
            _("Check and confirm:"),
            _("<b>Course:</b> {course}").format(course=escape(data.course_name) or "—"),
            _("<b>Name:</b> {name}").format(name=escape(draft.name)),
            _("<b>Teacher:</b> {name}").format(name=escape(data.teacher_name) or "—"),
            _("<b>Room:</b> {room}").format(room=escape(draft.room) if draft.room else "—"),
            _("<b>Capacity:</b> {capacity}").format(capacity=draft.capacity),
            _("<b>Dates:</b> {dates}").format(dates=dates_text(draft.start_date, draft.end_date)),
            _("<b>Monthly price:</b> {price}").format(
                price=price_text(draft.price_override, data.course_price)
            ),
            _("<b>Timetable</b> ({zone}):").format(zone=data.zone),
            *slots_text(draft.slots),
        ]
        if data.group_id:
            lines.append(
                _("<b>Status:</b> {status}").format(status=group_status_labels()[draft.status])
            )
        elif data.suggested:
            lines += [
                "",
                _(
                    "ℹ️ The teacher, room and capacity are those of the last group, the start "
                    "is the next Monday: ✏️ Edit changes any of them."
                ),
            ]
        return "\n".join(lines)

    async def save(self, data: GroupData, context: FormContext) -> Retry | Advance | None:
        settings: Settings = context.settings
        callback: CallbackQuery = context.event  # type: ignore[assignment]
        draft = data.draft()
        result = await academic_service.save_group(
            context.session,
            context.actor.user_id,
            data.group_id,
            draft,
            now=utcnow(),
            tz=settings.centre.tz,
            confirm_overlaps=context.button is not None and context.button.value == "force",
        )
        if result.outcome is Outcome.OVERLAP:
            await edit_or_send(callback, overlap_text(result.overlaps), overlap_keyboard(self.key))
            return Advance.SHOWN
        if result.outcome in REFUSAL_STEPS:
            return Retry(REFUSAL_STEPS[result.outcome], refusal_text(result, draft))
        if result.group is None:
            await edit_or_send(callback, _("⚠️ This group no longer exists."), None)
            return None
        text = card_text(result.group, settings)
        if result.outcome is Outcome.DONE:
            added = _("✅ Saved. Lessons added: {added}, removed: {removed}.").format(
                added=result.lessons_added, removed=result.lessons_removed
            )
            text = f"{added}\n\n{text}"
        await edit_or_send(callback, text, group_card(result.group, 1, ""))
        context.toast = (
            _("✅ Saved.") if result.outcome is Outcome.DONE else _("ℹ️ Nothing has changed.")
        )
        return None
