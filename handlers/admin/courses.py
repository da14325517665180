"""📚 Courses (permission `academic`): the list, a course's card, the course form, archiving.

The form asks the name, a description and the monthly price, then shows a summary with
✅ Confirm / ✏️ Edit / ❌ Cancel; nothing is written before ✅. A card's ✏️ buttons open
the same form at one step and come back to the summary. The helpers that word a bad
answer (`money_problem`, `date_problem`, …) serve the group and lesson forms too.
"""

from html import escape

from aiogram import Router
from aiogram.fsm.scene import ScenesManager
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters.access import ACADEMIC
from bot.formatting import format_money
from bot.forms import Form, FormContext, FormData, Refusal, Retry, Step
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
    money_problem,
    stale_button_text,
    text_problem,
)
from handlers.buttons import show_screen
from handlers.registry import Registry
from keyboards.academic import (
    CourseCb,
    course_card,
    courses_list,
    thing_name_label,
)
from keyboards.forms import skip_row

on = Registry(CourseCb, flags=ACADEMIC)


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


class CourseData(FormData):
    course_id: int | None = None  # None: a new course
    original_name: str = ""
    name: str = ""
    description: str | None = None
    price: int = 0


async def read_name(data: CourseData, text: str | None, context: FormContext) -> None:
    name = parsing.clean_text(text, COURSE_NAME_MIN, COURSE_NAME_MAX)
    if "\n" in name:
        raise Invalid(Problem.TOO_LONG, maximum=COURSE_NAME_MAX, length=len(name))
    if not await academic_service.course_name_free(context.session, name, data.course_id):
        raise Refusal(name_taken_text(name))
    data.name = name


async def read_description(data: CourseData, text: str | None, context: FormContext) -> None:
    if parsing.is_skip(text):
        data.description = None
    else:
        data.description = parsing.clean_text(text, 1, DESCRIPTION_MAX)


async def read_price(data: CourseData, text: str | None, context: FormContext) -> None:
    data.price = parsing.parse_money(text)


def skip_description(data: CourseData) -> None:
    data.description = None


def name_prompt(data: CourseData) -> str:
    return _("Step 1/3 — the course name, {minimum} to {maximum} characters.").format(
        minimum=COURSE_NAME_MIN, maximum=COURSE_NAME_MAX
    )


def description_prompt(data: CourseData) -> str:
    return _("Step 2/3 — a short description, up to {maximum} characters, or ⏭ Skip.").format(
        maximum=DESCRIPTION_MAX
    )


def price_prompt(data: CourseData) -> str:
    return _("Step 3/3 — the monthly price in soʻm (0 for a free course).")


def name_taken_text(name: str) -> str:
    return _("⚠️ A course named “{name}” already exists. Choose another name.").format(
        name=escape(name)
    )


class CourseForm(Form[CourseData], state="course_form"):
    """The name, a description and the monthly price, then the summary."""

    key = "co"
    data_type = CourseData
    flags = ACADEMIC
    steps = (
        Step(
            "name",
            name_prompt,
            read=read_name,
            problem=text_problem,
            label=thing_name_label,
            example=lambda: _("Example: <i>General English</i>"),
        ),
        Step(
            "description",
            description_prompt,
            read=read_description,
            skip=skip_description,
            buttons=lambda data, form: [skip_row(form, "description")],
            problem=text_problem,
            label=lambda: _("✏️ Description"),
            example=lambda: _(
                "Example: <i>Grammar and speaking for beginners, three times a week.</i>"
            ),
        ),
        Step(
            "price",
            price_prompt,
            read=read_price,
            problem=money_problem,
            label=lambda: _("✏️ Price"),
            example=lambda: _("Example: <i>1 250 000</i>"),
        ),
    )

    def title(self, data: CourseData) -> str:
        if data.course_id:
            return _("📚 <b>Course: {name}</b>").format(name=escape(data.original_name))
        return _("📚 <b>New course</b>")

    def summary_text(self, data: CourseData) -> str:
        return "\n".join(
            [
                self.title(data),
                "",
                _("Check and confirm:"),
                _("<b>Name:</b> {name}").format(name=escape(data.name)),
                _("<b>Description:</b> {description}").format(
                    description=escape(data.description) if data.description else "—"
                ),
                _("<b>Monthly price:</b> {price}").format(price=format_money(data.price)),
            ]
        )

    async def save(self, data: CourseData, context: FormContext) -> Retry | None:
        draft = CourseDraft(data.name, data.description, data.price)
        result = await academic_service.save_course(
            context.session, context.actor.user_id, data.course_id, draft
        )
        if result.outcome is Outcome.NAME_TAKEN:
            return Retry("name", name_taken_text(draft.name))
        callback: CallbackQuery = context.event  # type: ignore[assignment]
        if result.outcome is Outcome.MISSING or result.course is None:
            await edit_or_send(callback, _("⚠️ This course no longer exists."), None)
            return None
        await edit_or_send(callback, card_text(result.course), course_card(result.course, 1))
        context.toast = (
            _("ℹ️ Nothing has changed.") if result.outcome is Outcome.UNCHANGED else _("✅ Saved.")
        )
        return None


@on.pages("courses", menu="admin.courses")
async def courses_screen(page: int, session: AsyncSession) -> tuple[str, InlineKeyboardMarkup]:
    found = await academic_service.courses(session, page)
    return list_text(found.total), courses_list(found, format_money)


@on.button("card", course=academic_service.course)
async def card_pressed(
    callback: CallbackQuery, callback_data: CourseCb, session: AsyncSession, course: CourseInfo
) -> None:
    await show_screen(callback, card_text(course), course_card(course, callback_data.page))


@on.button("new")
async def new_pressed(callback: CallbackQuery, scenes: ScenesManager) -> None:
    await CourseForm.open(scenes, CourseData())


@on.button("edit")
async def edit_pressed(
    callback: CallbackQuery, callback_data: CourseCb, session: AsyncSession, scenes: ScenesManager
) -> None:
    course = await academic_service.course(session, callback_data.id)
    if course is None or callback_data.value not in {step.name for step in CourseForm.steps}:
        await callback.answer(stale_button_text())
        return
    data = CourseData(
        course_id=course.id,
        original_name=course.name,
        name=course.name,
        description=course.description,
        price=course.monthly_price,
    )
    await CourseForm.open(scenes, data, step=callback_data.value, single=True)


@on.button("archive", "restore")
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
    router = on.router("admin.courses")
    router.include_router(CourseForm.as_router())
    return router
