"""👥 Groups (permission `academic`): the list, a group's card, the group form.

The form has nine steps — course, name, teacher, room, capacity, start date, end date,
price override, weekly timetable — then a summary with ✅ Confirm / ✏️ Edit / ❌ Cancel;
nothing is written before ✅. The card's ✏️ buttons open one step of the same form
(plus the status) and return to the summary. Slots that clash with another active group
of the same teacher or room are shown as a warning the admin may confirm
(⚠️ Save anyway). The form's data is JSON-safe (ids, ISO dates, "HH:MM").
"""

from datetime import date
from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.formatting import format_date, format_money
from bot.i18n import _
from bot.services import academic as academic_service
from bot.services import parsing
from bot.services.academic import (
    CAPACITY_MAX,
    GROUP_NAME_MAX,
    ROOM_MAX,
    GroupDraft,
    GroupInfo,
    GroupResult,
    Outcome,
    Overlap,
    SlotConflict,
    SlotProblem,
    SlotSpec,
)
from bot.services.access import Actor
from bot.services.parsing import Invalid
from bot.telegram import edit_or_send
from bot.wording import (
    cancel_hint,
    date_problem,
    money_problem,
    number_problem,
    stale_button_text,
    text_problem,
    time_problem,
    while_confirming_text,
)
from db.base import utcnow
from db.models import GroupStatus, Role
from handlers.admin.courses import ACADEMIC
from handlers.forms import in_state, not_a_command
from keyboards.academic import (
    GROUP_FIELDS,
    GroupCb,
    course_picker,
    group_card,
    group_fields,
    group_overlap_confirm,
    group_status_labels,
    group_summary,
    groups_list,
    skip_button,
    slot_label,
    slots_editor,
    status_picker,
    teacher_picker,
    weekday_names,
)

TOTAL_STEPS = len(GROUP_FIELDS)


class GroupForm(StatesGroup):
    course = State()
    name = State()
    teacher = State()
    room = State()
    capacity = State()
    start = State()
    end = State()
    price = State()
    slots = State()
    status = State()
    confirm = State()


STEP_STATES = {
    "course": GroupForm.course,
    "name": GroupForm.name,
    "teacher": GroupForm.teacher,
    "room": GroupForm.room,
    "capacity": GroupForm.capacity,
    "start": GroupForm.start,
    "end": GroupForm.end,
    "price": GroupForm.price,
    "slots": GroupForm.slots,
    "status": GroupForm.status,
}
FORM_STATES = {s.state for s in STEP_STATES.values()} | {GroupForm.confirm.state}


# --- texts --------------------------------------------------------------------------------


def list_text(total: int, course_name: str | None) -> str:
    if course_name is not None:
        title = _("👥 <b>Groups of {course}: {total}</b>").format(
            course=escape(course_name), total=total
        )
    else:
        title = _("👥 <b>Groups: {total}</b>").format(total=total)
    if total == 0:
        return "\n".join([title, "", _("No groups yet. Tap ➕ New group to open one.")])
    return "\n".join([title, _("Tap a group to open its card.")])


def dates_text(start: date, end: date | None) -> str:
    if end is None:
        return _("from {start}, no end date").format(start=format_date(start))
    return f"{format_date(start)} – {format_date(end)}"


def price_text(price_override: int | None, course_price: int) -> str:
    if price_override is None:
        return _("{price} (the course price)").format(price=format_money(course_price))
    return _("{price} (the course price is {course})").format(
        price=format_money(price_override), course=format_money(course_price)
    )


def slots_text(slots: tuple[SlotSpec, ...] | list[SlotSpec]) -> list[str]:
    if not slots:
        return ["  —"]
    return [f"  • {slot_label(slot)}" for slot in slots]


def card_text(group: GroupInfo, settings: Settings) -> str:
    seats = _("👤 Students: {seated}/{capacity}").format(
        seated=group.seated, capacity=group.capacity
    )
    if group.is_full:
        seats += " " + _("(full)")
    return "\n".join(
        [
            f"👥 <b>{escape(group.name)}</b> · {escape(group.course_name)}",
            _("Status: {status}").format(status=group_status_labels()[group.status]),
            "",
            _("👩‍🏫 Teacher: {name}").format(
                name=escape(group.teacher_name) if group.teacher_name else "—"
            ),
            _("🚪 Room: {room}").format(room=escape(group.room) if group.room else "—"),
            seats,
            _("📆 Dates: {dates}").format(dates=dates_text(group.start_date, group.end_date)),
            _("💰 Monthly price: {price}").format(
                price=price_text(group.price_override, group.course_price)
            ),
            _("🗓 Timetable ({zone}):").format(zone=settings.centre.timezone),
            *slots_text(group.slots),
        ]
    )


def overlap_line(overlap: Overlap) -> str:
    if overlap.same_teacher and overlap.same_room:
        reason = _("same teacher and room")
    elif overlap.same_teacher:
        reason = _("same teacher")
    else:
        reason = _("same room")
    return _("• {slot} overlaps {other} of group {group} ({reason})").format(
        slot=slot_label(overlap.slot),
        other=slot_label(overlap.other_slot),
        group=escape(overlap.other_group),
        reason=reason,
    )


def overlap_text(overlaps: list[Overlap]) -> str:
    return "\n".join(
        [
            _("⚠️ <b>The timetable overlaps other groups</b>"),
            "",
            *[overlap_line(overlap) for overlap in overlaps[:10]],
            "",
            _("Save anyway, or ✏️ Edit the timetable, teacher or room?"),
        ]
    )


# --- the form -----------------------------------------------------------------------------


def form_title(data: dict[str, Any]) -> str:
    if data.get("group_id"):
        return _("👥 <b>Group: {name}</b>").format(name=escape(data.get("original_name", "")))
    return _("👥 <b>New group</b>")


def draft_of(data: dict[str, Any]) -> dict[str, Any]:
    return dict(data.get("draft") or {})


def slots_of(data: dict[str, Any]) -> tuple[SlotSpec, ...]:
    return academic_service.sorted_slots(
        SlotSpec.from_data(slot) for slot in draft_of(data).get("slots", [])
    )


def step_header(step: str) -> str:
    if step == "status":
        return _("Choose the group's status:")
    number = GROUP_FIELDS.index(step) + 1
    return _("Step {number}/{total}").format(number=number, total=TOTAL_STEPS)


async def render_step(
    step: str, data: dict[str, Any], session: AsyncSession, settings: Settings, page: int = 1
) -> tuple[str, InlineKeyboardMarkup | None]:
    draft = draft_of(data)
    header = step_header(step)
    lines = [form_title(data), ""]
    markup: InlineKeyboardMarkup | None = None
    if step == "course":
        courses = await academic_service.courses(session, page, only_active=True)
        lines.append(_("{step} — choose the course:").format(step=header))
        if courses.total == 0:
            lines.append(_("⚠️ There is no active course yet. Add a course first: /courses"))
        markup = course_picker(courses)
    elif step == "name":
        lines += [
            _("{step} — the group name, up to {maximum} characters.").format(
                step=header, maximum=GROUP_NAME_MAX
            ),
            _("Example: <i>A1 Morning</i>"),
        ]
    elif step == "teacher":
        teachers = await academic_service.people_with_role(session, Role.TEACHER, page)
        lines.append(_("{step} — choose the teacher:").format(step=header))
        if teachers.total == 0:
            lines.append(_("ℹ️ Nobody has the teacher role yet; you can add one later."))
        markup = teacher_picker(teachers)
    elif step == "room":
        lines += [
            _("{step} — the room, up to {maximum} characters, or ⏭ Skip.").format(
                step=header, maximum=ROOM_MAX
            ),
            _("Example: <i>Room 12</i>"),
        ]
        markup = skip_button(GroupCb(action="skip"))
    elif step == "capacity":
        lines += [
            _("{step} — how many students fit in the group, 1 to {maximum}.").format(
                step=header, maximum=CAPACITY_MAX
            ),
            _("Example: <i>12</i>"),
        ]
    elif step == "start":
        lines += [
            _("{step} — the start date, DD.MM.YYYY.").format(step=header),
            _("Example: <i>01.09.2025</i>"),
        ]
    elif step == "end":
        lines += [
            _("{step} — the end date, DD.MM.YYYY, or ⏭ Skip if the group has none.").format(
                step=header
            ),
            _("Example: <i>31.05.2026</i>"),
        ]
        markup = skip_button(GroupCb(action="skip"))
    elif step == "price":
        course = await academic_service.course(session, int(draft.get("course_id") or 0))
        course_price = format_money(course.monthly_price if course else 0)
        lines += [
            _(
                "{step} — the monthly price in soʻm, if this group pays differently from "
                "the course ({price}); or tap ⏭ Use the course price."
            ).format(step=header, price=course_price),
            _("Example: <i>1 100 000</i>"),
        ]
        markup = skip_button(GroupCb(action="skip"), _("⏭ Use the course price"))
    elif step == "slots":
        slots = slots_of(data)
        picked = data.get("weekday")
        lines += [
            _("{step} — the weekly timetable, in the centre's time ({zone}).").format(
                step=header, zone=settings.centre.timezone
            ),
            _(
                "Tap a weekday, then send the start time and the length in minutes. "
                "Add as many lessons as the week has, then tap ✅ Done."
            ),
            _("Example: <i>14:00 90</i> or <i>14:00-15:30</i>"),
            "",
            _("This week's lessons:"),
            *slots_text(list(slots)),
        ]
        if picked is not None:
            lines += [
                "",
                _("👉 {day}: send the start time and the length.").format(
                    day=weekday_names()[int(picked)]
                ),
            ]
        markup = slots_editor(slots, None if picked is None else int(picked))
    elif step == "status":
        lines.append(header)
        markup = status_picker()
    lines += ["", cancel_hint()]
    return "\n".join(lines), markup


async def summary_text(data: dict[str, Any], session: AsyncSession, settings: Settings) -> str:
    draft = GroupDraft.from_data(draft_of(data))
    course = await academic_service.course(session, draft.course_id)
    teacher = (
        await academic_service.person_with_role(session, draft.teacher_id, Role.TEACHER)
        if draft.teacher_id
        else None
    )
    lines = [
        form_title(data),
        "",
        _("Check and confirm:"),
        _("<b>Course:</b> {course}").format(course=escape(course.name) if course else "—"),
        _("<b>Name:</b> {name}").format(name=escape(draft.name)),
        _("<b>Teacher:</b> {name}").format(name=escape(teacher.name) if teacher else "—"),
        _("<b>Room:</b> {room}").format(room=escape(draft.room) if draft.room else "—"),
        _("<b>Capacity:</b> {capacity}").format(capacity=draft.capacity),
        _("<b>Dates:</b> {dates}").format(dates=dates_text(draft.start_date, draft.end_date)),
        _("<b>Monthly price:</b> {price}").format(
            price=price_text(draft.price_override, course.monthly_price if course else 0)
        ),
        _("<b>Timetable</b> ({zone}):").format(zone=settings.centre.timezone),
        *slots_text(draft.slots),
    ]
    if data.get("group_id"):
        lines.append(
            _("<b>Status:</b> {status}").format(status=group_status_labels()[draft.status])
        )
    return "\n".join(lines)


async def show_step(
    target: Message | CallbackQuery,
    state: FSMContext,
    step: str,
    session: AsyncSession,
    settings: Settings,
    *,
    prefix: str = "",
    page: int = 1,
) -> None:
    await state.set_state(STEP_STATES[step])
    text, markup = await render_step(step, await state.get_data(), session, settings, page)
    if prefix:
        text = f"{prefix}\n\n{text}"
    if isinstance(target, Message):
        await target.answer(text, reply_markup=markup)
    else:
        await edit_or_send(target, text, markup)


async def show_summary(
    target: Message | CallbackQuery, state: FSMContext, session: AsyncSession, settings: Settings
) -> None:
    await state.set_state(GroupForm.confirm)
    text = await summary_text(await state.get_data(), session, settings)
    if isinstance(target, Message):
        await target.answer(text, reply_markup=group_summary())
    else:
        await edit_or_send(target, text, group_summary())


async def advance(
    target: Message | CallbackQuery,
    state: FSMContext,
    step: str,
    session: AsyncSession,
    settings: Settings,
) -> None:
    """After a valid answer to `step`: the next step of a new group, or the summary."""
    data = await state.get_data()
    following = None
    if not data.get("single") and step in GROUP_FIELDS:
        index = GROUP_FIELDS.index(step) + 1
        following = GROUP_FIELDS[index] if index < len(GROUP_FIELDS) else None
    if following is None:
        await show_summary(target, state, session, settings)
    else:
        await show_step(target, state, following, session, settings)


async def set_value(state: FSMContext, **values: Any) -> None:
    data = await state.get_data()
    draft = draft_of(data)
    draft.update(values)
    await state.update_data(draft=draft)


async def current_step(state: FSMContext) -> str | None:
    current = await state.get_state()
    return next((name for name, s in STEP_STATES.items() if s.state == current), None)


# --- lists and cards ----------------------------------------------------------------------


async def show_groups(message: Message, session: AsyncSession) -> None:
    page = await academic_service.groups(session, 1)
    await message.answer(list_text(page.total, None), reply_markup=groups_list(page, 0))


async def list_pressed(
    callback: CallbackQuery, callback_data: GroupCb, session: AsyncSession
) -> None:
    course_name = None
    if callback_data.id:
        course = await academic_service.course(session, callback_data.id)
        if course is None:
            await callback.answer(stale_button_text())
            return
        course_name = course.name
    page = await academic_service.groups(session, callback_data.page, callback_data.id or None)
    await edit_or_send(
        callback, list_text(page.total, course_name), groups_list(page, callback_data.id)
    )
    await callback.answer()


async def card_pressed(
    callback: CallbackQuery, callback_data: GroupCb, session: AsyncSession, settings: Settings
) -> None:
    group = await academic_service.group(session, callback_data.id)
    if group is None:
        await callback.answer(stale_button_text())
        return
    await edit_or_send(
        callback,
        card_text(group, settings),
        group_card(group, callback_data.page, callback_data.value),
    )
    await callback.answer()


# --- starting the form --------------------------------------------------------------------


async def new_pressed(
    callback: CallbackQuery,
    callback_data: GroupCb,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    await state.set_state(GroupForm.course)
    await state.set_data({"group_id": None, "single": False, "draft": {"slots": []}})
    step = "course"
    if callback_data.id:
        course = await academic_service.course(session, callback_data.id)
        if course is None or not course.is_active:
            await state.clear()
            await callback.answer(stale_button_text())
            return
        await set_value(state, course_id=course.id)
        step = "name"
    await show_step(callback, state, step, session, settings)
    await callback.answer()


async def edit_pressed(
    callback: CallbackQuery,
    callback_data: GroupCb,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    group = await academic_service.group(session, callback_data.id)
    if group is None or callback_data.value not in STEP_STATES:
        await callback.answer(stale_button_text())
        return
    await state.set_data(
        {
            "group_id": group.id,
            "original_name": group.name,
            "single": True,
            "draft": group.draft().as_data(),
        }
    )
    await show_step(callback, state, callback_data.value, session, settings)
    await callback.answer()


# --- answers ------------------------------------------------------------------------------


async def course_picked(
    callback: CallbackQuery,
    callback_data: GroupCb,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    course = await academic_service.course(session, callback_data.id)
    if await current_step(state) != "course" or course is None or not course.is_active:
        await callback.answer(stale_button_text())
        return
    await set_value(state, course_id=course.id)
    await advance(callback, state, "course", session, settings)
    await callback.answer()


async def course_page(
    callback: CallbackQuery,
    callback_data: GroupCb,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    if await current_step(state) != "course":
        await callback.answer(stale_button_text())
        return
    await show_step(callback, state, "course", session, settings, page=callback_data.page)
    await callback.answer()


async def name_received(
    message: Message, state: FSMContext, session: AsyncSession, settings: Settings
) -> None:
    data = await state.get_data()
    try:
        name = parsing.clean_text(message.text, 1, GROUP_NAME_MAX)
        if "\n" in name:
            raise Invalid(parsing.Problem.TOO_LONG, maximum=GROUP_NAME_MAX, length=len(name))
    except Invalid as error:
        await show_step(message, state, "name", session, settings, prefix=text_problem(error))
        return
    course_id = int(draft_of(data).get("course_id") or 0)
    if not await academic_service.group_name_free(session, course_id, name, data.get("group_id")):
        await show_step(
            message,
            state,
            "name",
            session,
            settings,
            prefix=_("⚠️ This course already has a group named “{name}”.").format(name=escape(name)),
        )
        return
    await set_value(state, name=name)
    await advance(message, state, "name", session, settings)


async def teacher_picked(
    callback: CallbackQuery,
    callback_data: GroupCb,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    if await current_step(state) != "teacher":
        await callback.answer(stale_button_text())
        return
    teacher_id = None
    if callback_data.id:
        teacher = await academic_service.person_with_role(session, callback_data.id, Role.TEACHER)
        if teacher is None:
            await callback.answer(stale_button_text())
            return
        teacher_id = teacher.id
    await set_value(state, teacher_id=teacher_id)
    await advance(callback, state, "teacher", session, settings)
    await callback.answer()


async def teacher_page(
    callback: CallbackQuery,
    callback_data: GroupCb,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    if await current_step(state) != "teacher":
        await callback.answer(stale_button_text())
        return
    await show_step(callback, state, "teacher", session, settings, page=callback_data.page)
    await callback.answer()


async def skip_pressed(
    callback: CallbackQuery, session: AsyncSession, settings: Settings, state: FSMContext
) -> None:
    step = await current_step(state)
    fields = {"room": "room", "end": "end_date", "price": "price_override"}
    if step not in fields:
        await callback.answer(stale_button_text())
        return
    await set_value(state, **{fields[step]: None})
    await advance(callback, state, step, session, settings)
    await callback.answer()


async def room_received(
    message: Message, state: FSMContext, session: AsyncSession, settings: Settings
) -> None:
    if parsing.is_skip(message.text):
        room = None
    else:
        try:
            room = parsing.clean_text(message.text, 1, ROOM_MAX)
        except Invalid as error:
            await show_step(message, state, "room", session, settings, prefix=text_problem(error))
            return
    await set_value(state, room=room)
    await advance(message, state, "room", session, settings)


async def capacity_received(
    message: Message, state: FSMContext, session: AsyncSession, settings: Settings
) -> None:
    data = await state.get_data()
    try:
        capacity = parsing.parse_whole(message.text, 1, CAPACITY_MAX)
    except Invalid as error:
        await show_step(message, state, "capacity", session, settings, prefix=number_problem(error))
        return
    if data.get("group_id"):
        seated = await academic_service.seated(session, int(data["group_id"]))
        if capacity < seated:
            await show_step(
                message, state, "capacity", session, settings, prefix=below_seated_text(seated)
            )
            return
    await set_value(state, capacity=capacity)
    await advance(message, state, "capacity", session, settings)


def below_seated_text(seated: int) -> str:
    return _(
        "⚠️ {seated} students are in the group now, so the capacity cannot be smaller. "
        "Move some students first, or type at least {seated}."
    ).format(seated=seated)


async def start_received(
    message: Message, state: FSMContext, session: AsyncSession, settings: Settings
) -> None:
    try:
        start = parsing.parse_date(message.text)
    except Invalid as error:
        await show_step(message, state, "start", session, settings, prefix=date_problem(error))
        return
    end = draft_of(await state.get_data()).get("end_date")
    if end and date.fromisoformat(end) < start:
        await show_step(
            message,
            state,
            "start",
            session,
            settings,
            prefix=_("⚠️ The group ends on {end}: it cannot start later than that.").format(
                end=format_date(date.fromisoformat(end))
            ),
        )
        return
    await set_value(state, start_date=start.isoformat())
    await advance(message, state, "start", session, settings)


async def end_received(
    message: Message, state: FSMContext, session: AsyncSession, settings: Settings
) -> None:
    if parsing.is_skip(message.text):
        await set_value(state, end_date=None)
        await advance(message, state, "end", session, settings)
        return
    try:
        end = parsing.parse_date(message.text)
    except Invalid as error:
        await show_step(message, state, "end", session, settings, prefix=date_problem(error))
        return
    start = date.fromisoformat(draft_of(await state.get_data())["start_date"])
    if end < start:
        await show_step(
            message,
            state,
            "end",
            session,
            settings,
            prefix=_("⚠️ The end date cannot be before the start date ({start}).").format(
                start=format_date(start)
            ),
        )
        return
    await set_value(state, end_date=end.isoformat())
    await advance(message, state, "end", session, settings)


async def price_received(
    message: Message, state: FSMContext, session: AsyncSession, settings: Settings
) -> None:
    if parsing.is_skip(message.text):
        price = None
    else:
        try:
            price = parsing.parse_money(message.text)
        except Invalid as error:
            await show_step(
                message,
                state,
                "price",
                session,
                settings,
                prefix=money_problem(error, message.text),
            )
            return
    await set_value(state, price_override=price)
    await advance(message, state, "price", session, settings)


async def weekday_picked(
    callback: CallbackQuery,
    callback_data: GroupCb,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    if await current_step(state) != "slots" or callback_data.value not in {
        str(d) for d in range(7)
    }:
        await callback.answer(stale_button_text())
        return
    await state.update_data(weekday=int(callback_data.value))
    await show_step(callback, state, "slots", session, settings)
    await callback.answer()


def slot_conflict_text(conflict: SlotConflict) -> str:
    if conflict.problem is SlotProblem.TOO_MANY:
        return _("⚠️ A group has at most {maximum} lessons a week.").format(
            maximum=academic_service.SLOTS_MAX
        )
    assert conflict.slot is not None
    if conflict.problem is SlotProblem.DUPLICATE:
        return _("⚠️ {slot} is already in the timetable.").format(slot=slot_label(conflict.slot))
    return _("⚠️ That overlaps {slot} of this group.").format(slot=slot_label(conflict.slot))


async def slot_received(
    message: Message, state: FSMContext, session: AsyncSession, settings: Settings
) -> None:
    data = await state.get_data()
    weekday = data.get("weekday")
    if weekday is None:
        await show_step(
            message, state, "slots", session, settings, prefix=_("⚠️ Tap a weekday first.")
        )
        return
    try:
        start, minutes = parsing.parse_slot_time(message.text)
        slots = academic_service.add_slot(slots_of(data), SlotSpec(int(weekday), start, minutes))
    except Invalid as error:
        await show_step(message, state, "slots", session, settings, prefix=time_problem(error))
        return
    except SlotConflict as conflict:
        await show_step(
            message, state, "slots", session, settings, prefix=slot_conflict_text(conflict)
        )
        return
    await set_value(state, slots=[slot.as_data() for slot in slots])
    await state.update_data(weekday=None)
    await show_step(message, state, "slots", session, settings, prefix=_("✅ Added."))


async def slot_removed(
    callback: CallbackQuery,
    callback_data: GroupCb,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    slots = list(slots_of(await state.get_data()))
    if await current_step(state) != "slots" or not callback_data.value.isdigit():
        await callback.answer(stale_button_text())
        return
    index = int(callback_data.value)
    if not 0 <= index < len(slots):
        await callback.answer(stale_button_text())
        return
    slots.pop(index)
    await set_value(state, slots=[slot.as_data() for slot in slots])
    await show_step(callback, state, "slots", session, settings)
    await callback.answer(_("🗑 Removed."))


async def slots_done(
    callback: CallbackQuery, session: AsyncSession, settings: Settings, state: FSMContext
) -> None:
    if await current_step(state) != "slots":
        await callback.answer(stale_button_text())
        return
    if not slots_of(await state.get_data()):
        await callback.answer(no_slots_text(), show_alert=True)
        return
    await state.update_data(weekday=None)
    await advance(callback, state, "slots", session, settings)
    await callback.answer()


def no_slots_text() -> str:
    return _("⚠️ Add at least one weekly lesson: tap a weekday, then send e.g. 14:00 90.")


async def status_picked(
    callback: CallbackQuery,
    callback_data: GroupCb,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    if await current_step(state) != "status" or callback_data.value not in set(GroupStatus):
        await callback.answer(stale_button_text())
        return
    await set_value(state, status=callback_data.value)
    await advance(callback, state, "status", session, settings)
    await callback.answer()


async def button_step_text(
    message: Message, state: FSMContext, session: AsyncSession, settings: Settings
) -> None:
    """Text typed where the step wants a button (course, teacher, status)."""
    step = await current_step(state)
    assert step is not None
    await show_step(
        message,
        state,
        step,
        session,
        settings,
        prefix=_("ℹ️ Please choose with the buttons below."),
    )


async def confirming_text(message: Message) -> None:
    await message.answer(while_confirming_text())


# --- the summary --------------------------------------------------------------------------


async def fields_pressed(callback: CallbackQuery, state: FSMContext) -> None:
    data = await in_state(state, GroupForm.confirm)
    if data is None:
        await callback.answer(stale_button_text())
        return
    await edit_or_send(
        callback, _("✏️ What would you like to change?"), group_fields(bool(data.get("group_id")))
    )
    await callback.answer()


async def field_pressed(
    callback: CallbackQuery,
    callback_data: GroupCb,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    data = await in_state(state, GroupForm.confirm)
    if data is None or callback_data.value not in STEP_STATES:
        await callback.answer(stale_button_text())
        return
    await state.update_data(single=True)
    await show_step(callback, state, callback_data.value, session, settings)
    await callback.answer()


async def summary_pressed(
    callback: CallbackQuery, session: AsyncSession, settings: Settings, state: FSMContext
) -> None:
    if await in_state(state, GroupForm.confirm) is None:
        await callback.answer(stale_button_text())
        return
    await show_summary(callback, state, session, settings)
    await callback.answer()


async def drop_pressed(callback: CallbackQuery, state: FSMContext) -> None:
    if await state.get_state() not in FORM_STATES:
        await callback.answer(stale_button_text())
        return
    await state.clear()
    await edit_or_send(callback, _("❌ Cancelled. Nothing was saved."), None)
    await callback.answer()


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
        Outcome.NAME_TAKEN: lambda: _("⚠️ This course already has a group named “{name}”.").format(
            name=escape(draft.name)
        ),
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


async def save(
    callback: CallbackQuery,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    *,
    confirm_overlaps: bool,
) -> None:
    data = await in_state(state, GroupForm.confirm)
    if data is None:
        await callback.answer(stale_button_text())
        return
    draft = GroupDraft.from_data(draft_of(data))
    group_id = data.get("group_id")
    result = await academic_service.save_group(
        session,
        actor.user_id,
        group_id,
        draft,
        now=utcnow(),
        tz=settings.centre.tz,
        confirm_overlaps=confirm_overlaps,
    )
    if result.outcome is Outcome.OVERLAP:
        await edit_or_send(callback, overlap_text(result.overlaps), group_overlap_confirm())
        await callback.answer()
        return
    if result.outcome in REFUSAL_STEPS:
        await state.update_data(single=True)
        step = REFUSAL_STEPS[result.outcome]
        await show_step(
            callback, state, step, session, settings, prefix=refusal_text(result, draft)
        )
        await callback.answer()
        return
    await state.clear()
    if result.group is None:
        await edit_or_send(callback, _("⚠️ This group no longer exists."), None)
        await callback.answer()
        return
    text = card_text(result.group, settings)
    if result.outcome is Outcome.DONE:
        text = "\n".join(
            [
                _("✅ Saved. Lessons added: {added}, removed: {removed}.").format(
                    added=result.lessons_added, removed=result.lessons_removed
                ),
                "",
                text,
            ]
        )
    await edit_or_send(callback, text, group_card(result.group, 1, ""))
    await callback.answer(
        _("✅ Saved.") if result.outcome is Outcome.DONE else _("ℹ️ Nothing has changed.")
    )


async def save_pressed(
    callback: CallbackQuery,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    await save(callback, actor, session, settings, state, confirm_overlaps=False)


async def force_pressed(
    callback: CallbackQuery,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    await save(callback, actor, session, settings, state, confirm_overlaps=True)


def create_router() -> Router:
    router = Router(name="admin.groups")
    router.message.register(show_groups, Command("groups"), flags=ACADEMIC)
    texts = (
        (name_received, GroupForm.name),
        (room_received, GroupForm.room),
        (capacity_received, GroupForm.capacity),
        (start_received, GroupForm.start),
        (end_received, GroupForm.end),
        (price_received, GroupForm.price),
        (slot_received, GroupForm.slots),
        (button_step_text, StateFilter(GroupForm.course, GroupForm.teacher, GroupForm.status)),
        (confirming_text, GroupForm.confirm),
    )
    for handler, form_state in texts:
        state_filter = (
            form_state if isinstance(form_state, StateFilter) else StateFilter(form_state)
        )
        router.message.register(handler, state_filter, not_a_command, flags=ACADEMIC)
    callbacks = router.callback_query
    for handler, action in (
        (list_pressed, "list"),
        (card_pressed, "card"),
        (new_pressed, "new"),
        (edit_pressed, "edit"),
        (course_picked, "course"),
        (course_page, "cpage"),
        (teacher_picked, "teacher"),
        (teacher_page, "tpage"),
        (skip_pressed, "skip"),
        (weekday_picked, "wd"),
        (slot_removed, "rmslot"),
        (slots_done, "slotsdone"),
        (status_picked, "status"),
        (fields_pressed, "fields"),
        (field_pressed, "field"),
        (summary_pressed, "summary"),
        (drop_pressed, "drop"),
        (save_pressed, "save"),
        (force_pressed, "force"),
    ):
        callbacks.register(handler, GroupCb.filter(F.action == action), flags=ACADEMIC)
    return router
