"""📚 Courses (permission `academic`): the list, a course's card, the course form, archiving.

The form asks the name, a description and the monthly price, then shows a summary with
✅ Confirm / ✏️ Edit / ❌ Cancel; nothing is written before ✅. A card's ✏️ buttons open
the same form at one step and come back to the summary. The helpers that word a bad
answer (`money_problem`, `date_problem`, …) serve the group and lesson forms too.
"""

from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters.menu import MenuButton
from bot.formatting import format_money
from bot.i18n import _
from bot.services import academic as academic_service
from bot.services import parsing
from bot.services.academic import (
    COURSE_NAME_MAX,
    COURSE_NAME_MIN,
    DESCRIPTION_MAX,
    CourseDraft,
    CourseInfo,
    Outcome,
)
from bot.services.access import Actor
from bot.services.parsing import Invalid, Problem
from bot.telegram import edit_or_send
from bot.wording import (
    cancel_hint,
    money_problem,
    stale_button_text,
    text_problem,
    while_confirming_text,
)
from db.models import Permission
from handlers.forms import in_state, not_a_command
from keyboards.academic import (
    CourseCb,
    course_card,
    course_fields,
    course_summary,
    courses_list,
    skip_button,
)

ACADEMIC = {"permission": Permission.ACADEMIC}


class CourseForm(StatesGroup):
    name = State()
    description = State()
    price = State()
    confirm = State()


# --- screens ------------------------------------------------------------------------------


def list_text(total: int) -> str:
    if total == 0:
        return "\n".join(
            [_("📚 <b>Courses</b>"), "", _("No courses yet. Tap ➕ New course to add the first.")]
        )
    return "\n".join(
        [
            _("📚 <b>Courses: {total}</b>").format(total=total),
            _("Tap a course to open its card."),
        ]
    )


def card_text(course: CourseInfo) -> str:
    lines = [f"📚 <b>{escape(course.name)}</b>"]
    if not course.is_active:
        lines.append(_("🗄 Archived: no new groups can be opened."))
    lines += [
        "",
        _("💰 Monthly price: {price}").format(price=format_money(course.monthly_price)),
        _("👥 Groups: {groups} (active: {active})").format(
            groups=course.groups, active=course.active_groups
        ),
    ]
    if course.description:
        lines += ["", escape(course.description)]
    return "\n".join(lines)


def form_title(data: dict[str, Any]) -> str:
    if data.get("course_id"):
        return _("📚 <b>Course: {name}</b>").format(name=escape(data.get("original_name", "")))
    return _("📚 <b>New course</b>")


def step_text(step: str, data: dict[str, Any]) -> str:
    lines = [form_title(data), ""]
    if step == "name":
        lines += [
            _("Step 1/3 — the course name, {minimum} to {maximum} characters.").format(
                minimum=COURSE_NAME_MIN, maximum=COURSE_NAME_MAX
            ),
            _("Example: <i>General English</i>"),
        ]
    elif step == "description":
        lines += [
            _("Step 2/3 — a short description, up to {maximum} characters, or ⏭ Skip.").format(
                maximum=DESCRIPTION_MAX
            ),
            _("Example: <i>Grammar and speaking for beginners, three times a week.</i>"),
        ]
    else:
        lines += [
            _("Step 3/3 — the monthly price in soʻm (0 for a free course)."),
            _("Example: <i>1 250 000</i>"),
        ]
    lines += ["", cancel_hint()]
    return "\n".join(lines)


def step_markup(step: str) -> Any:
    return skip_button(CourseCb(action="skip")) if step == "description" else None


def summary_text(data: dict[str, Any]) -> str:
    description = data.get("description")
    return "\n".join(
        [
            form_title(data),
            "",
            _("Check and confirm:"),
            _("<b>Name:</b> {name}").format(name=escape(data["name"])),
            _("<b>Description:</b> {description}").format(
                description=escape(description) if description else "—"
            ),
            _("<b>Monthly price:</b> {price}").format(price=format_money(int(data["price"]))),
        ]
    )


STEP_STATES = {
    "name": CourseForm.name,
    "description": CourseForm.description,
    "price": CourseForm.price,
}
NEXT_STEP = {"name": "description", "description": "price", "price": None}


async def show_courses(message: Message, session: AsyncSession) -> None:
    page = await academic_service.courses(session, 1)
    await message.answer(list_text(page.total), reply_markup=courses_list(page, format_money))


async def list_pressed(
    callback: CallbackQuery, callback_data: CourseCb, session: AsyncSession
) -> None:
    page = await academic_service.courses(session, callback_data.page)
    await edit_or_send(callback, list_text(page.total), courses_list(page, format_money))
    await callback.answer()


async def card_pressed(
    callback: CallbackQuery, callback_data: CourseCb, session: AsyncSession
) -> None:
    course = await academic_service.course(session, callback_data.id)
    if course is None:
        await callback.answer(stale_button_text())
        return
    await edit_or_send(callback, card_text(course), course_card(course, callback_data.page))
    await callback.answer()


async def new_pressed(callback: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(CourseForm.name)
    await state.set_data({"course_id": None, "single": False})
    await edit_or_send(callback, step_text("name", {}), None)
    await callback.answer()


async def edit_pressed(
    callback: CallbackQuery, callback_data: CourseCb, session: AsyncSession, state: FSMContext
) -> None:
    course = await academic_service.course(session, callback_data.id)
    if course is None or callback_data.value not in STEP_STATES:
        await callback.answer(stale_button_text())
        return
    data = {
        "course_id": course.id,
        "original_name": course.name,
        "name": course.name,
        "description": course.description,
        "price": course.monthly_price,
        "single": True,
    }
    await state.set_state(STEP_STATES[callback_data.value])
    await state.set_data(data)
    await edit_or_send(
        callback, step_text(callback_data.value, data), step_markup(callback_data.value)
    )
    await callback.answer()


async def advance(target: Message | CallbackQuery, state: FSMContext, step: str) -> None:
    """After a valid answer to `step`: the next step, or the summary."""
    data = await state.get_data()
    following = None if data.get("single") else NEXT_STEP[step]
    if following is None:
        await state.set_state(CourseForm.confirm)
        text, markup = summary_text(data), course_summary()
    else:
        await state.set_state(STEP_STATES[following])
        text, markup = step_text(following, data), step_markup(following)
    if isinstance(target, Message):
        await target.answer(text, reply_markup=markup)
    else:
        await edit_or_send(target, text, markup)


async def name_received(message: Message, state: FSMContext, session: AsyncSession) -> None:
    data = await state.get_data()
    try:
        name = parsing.clean_text(message.text, COURSE_NAME_MIN, COURSE_NAME_MAX)
        if "\n" in name:
            raise Invalid(Problem.TOO_LONG, maximum=COURSE_NAME_MAX, length=len(name))
    except Invalid as error:
        await message.answer(f"{text_problem(error)}\n\n{step_text('name', data)}")
        return
    if not await academic_service.course_name_free(session, name, data.get("course_id")):
        await message.answer(
            _("⚠️ A course named “{name}” already exists. Choose another name.").format(
                name=escape(name)
            )
            + "\n\n"
            + step_text("name", data)
        )
        return
    await state.update_data(name=name)
    await advance(message, state, "name")


async def description_received(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    if parsing.is_skip(message.text):
        description = None
    else:
        try:
            description = parsing.clean_text(message.text, 1, DESCRIPTION_MAX)
        except Invalid as error:
            await message.answer(
                f"{text_problem(error)}\n\n{step_text('description', data)}",
                reply_markup=step_markup("description"),
            )
            return
    await state.update_data(description=description)
    await advance(message, state, "description")


async def description_skipped(callback: CallbackQuery, state: FSMContext) -> None:
    if await state.get_state() != CourseForm.description.state:
        await callback.answer(stale_button_text())
        return
    await state.update_data(description=None)
    await advance(callback, state, "description")
    await callback.answer()


async def price_received(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    try:
        price = parsing.parse_money(message.text)
    except Invalid as error:
        await message.answer(f"{money_problem(error, message.text)}\n\n{step_text('price', data)}")
        return
    await state.update_data(price=price)
    await advance(message, state, "price")


async def confirming_text(message: Message) -> None:
    await message.answer(while_confirming_text())


async def fields_pressed(callback: CallbackQuery, state: FSMContext) -> None:
    if await in_state(state, CourseForm.confirm) is None:
        await callback.answer(stale_button_text())
        return
    await edit_or_send(callback, _("✏️ What would you like to change?"), course_fields())
    await callback.answer()


async def field_pressed(
    callback: CallbackQuery, callback_data: CourseCb, state: FSMContext
) -> None:
    data = await in_state(state, CourseForm.confirm)
    if data is None or callback_data.value not in STEP_STATES:
        await callback.answer(stale_button_text())
        return
    await state.update_data(single=True)
    await state.set_state(STEP_STATES[callback_data.value])
    await edit_or_send(
        callback, step_text(callback_data.value, data), step_markup(callback_data.value)
    )
    await callback.answer()


async def summary_pressed(callback: CallbackQuery, state: FSMContext) -> None:
    data = await in_state(state, CourseForm.confirm)
    if data is None:
        await callback.answer(stale_button_text())
        return
    await edit_or_send(callback, summary_text(data), course_summary())
    await callback.answer()


async def drop_pressed(callback: CallbackQuery, state: FSMContext) -> None:
    if await state.get_state() not in {s.state for s in STEP_STATES.values()} | {
        CourseForm.confirm.state
    }:
        await callback.answer(stale_button_text())
        return
    await state.clear()
    await edit_or_send(callback, _("❌ Cancelled. Nothing was saved."), None)
    await callback.answer()


async def save_pressed(
    callback: CallbackQuery, actor: Actor, session: AsyncSession, state: FSMContext
) -> None:
    data = await in_state(state, CourseForm.confirm)
    if data is None:
        await callback.answer(stale_button_text())
        return
    draft = CourseDraft(data["name"], data.get("description"), int(data["price"]))
    result = await academic_service.save_course(
        session, actor.user_id, data.get("course_id"), draft
    )
    if result.outcome is Outcome.NAME_TAKEN:
        await state.update_data(single=True)
        await state.set_state(CourseForm.name)
        await edit_or_send(
            callback,
            _("⚠️ A course named “{name}” already exists. Choose another name.").format(
                name=escape(draft.name)
            )
            + "\n\n"
            + step_text("name", data),
            None,
        )
        await callback.answer()
        return
    await state.clear()
    if result.outcome is Outcome.MISSING or result.course is None:
        await edit_or_send(callback, _("⚠️ This course no longer exists."), None)
        await callback.answer()
        return
    await edit_or_send(callback, card_text(result.course), course_card(result.course, 1))
    if result.outcome is Outcome.UNCHANGED:
        await callback.answer(_("ℹ️ Nothing has changed."))
    else:
        await callback.answer(_("✅ Saved."))


async def archive_pressed(
    callback: CallbackQuery, callback_data: CourseCb, actor: Actor, session: AsyncSession
) -> None:
    active = callback_data.action == "restore"
    result = await academic_service.set_course_active(
        session, actor.user_id, callback_data.id, active
    )
    if result.outcome is Outcome.MISSING or result.course is None:
        await callback.answer(stale_button_text())
        return
    if result.outcome is Outcome.HAS_ACTIVE_GROUPS:
        await callback.answer(
            _(
                "⚠️ The course has {count} active groups. Finish or archive them first, "
                "then archive the course."
            ).format(count=result.course.active_groups),
            show_alert=True,
        )
        return
    await edit_or_send(
        callback, card_text(result.course), course_card(result.course, callback_data.page)
    )
    if result.outcome is Outcome.UNCHANGED:
        await callback.answer(_("ℹ️ Nothing has changed."))
    elif active:
        await callback.answer(_("♻️ The course is active again."))
    else:
        await callback.answer(_("🗄 The course is archived."))


def create_router() -> Router:
    router = Router(name="admin.courses")
    router.message.register(show_courses, Command("courses"), flags=ACADEMIC)
    router.message.register(show_courses, MenuButton("admin.courses"), flags=ACADEMIC)
    texts = (
        (name_received, CourseForm.name),
        (description_received, CourseForm.description),
        (price_received, CourseForm.price),
        (confirming_text, CourseForm.confirm),
    )
    for handler, form_state in texts:
        router.message.register(handler, StateFilter(form_state), not_a_command, flags=ACADEMIC)
    callbacks = router.callback_query
    for handler, action in (
        (list_pressed, "list"),
        (card_pressed, "card"),
        (new_pressed, "new"),
        (edit_pressed, "edit"),
        (description_skipped, "skip"),
        (fields_pressed, "fields"),
        (field_pressed, "field"),
        (summary_pressed, "summary"),
        (drop_pressed, "drop"),
        (save_pressed, "save"),
        (archive_pressed, "archive"),
        (archive_pressed, "restore"),
    ):
        callbacks.register(handler, CourseCb.filter(F.action == action), flags=ACADEMIC)
    return router
