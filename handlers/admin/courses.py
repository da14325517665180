"""📚 Courses (permission `academic`): the list, a course's card, the course form, archiving.

The form asks the name, a description and the monthly price, then shows a summary with
✅ Confirm / ✏️ Edit / ❌ Cancel; nothing is written before ✅. A card's ✏️ buttons open
the same form at one step and come back to the summary. The helpers that word a bad
answer (`money_problem`, `date_problem`, …) serve the group and lesson forms too.
"""

from html import escape

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.scene import ScenesManager
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters.menu import MenuButton
from bot.formatting import format_money
from bot.forms import Form, FormContext, FormData, Refusal, Retry, Step
from bot.forms.texts import stale_button_text
from bot.i18n import _
from bot.services import academic as academic_service
from bot.services.academic import (
    COURSE_NAME_MAX,
    COURSE_NAME_MIN,
    DESCRIPTION_MAX,
    CourseDraft,
    CourseInfo,
    Invalid,
    Outcome,
    Problem,
)
from bot.services.access import Actor
from bot.telegram import edit_or_send
from db.models import Permission
from keyboards.academic import (
    CourseCb,
    course_card,
    courses_list,
    thing_name_label,
)
from keyboards.forms import skip_row

ACADEMIC = {"permission": Permission.ACADEMIC}


# --- wording of bad answers (shared by the academic forms) ---------------------------------


def money_problem(error: Invalid, typed: str | None) -> str:
    if error.problem is Problem.NEGATIVE:
        return _("⚠️ A price cannot be negative. Type 0 for a free course.")
    if error.problem is Problem.TOO_LARGE:
        return _("⚠️ That is too large: the most is {maximum}.").format(
            maximum=format_money(error.facts["maximum"])
        )
    return _(
        "⚠️ “{typed}” is not an amount. Type whole soʻm in digits, for example 1 250 000."
    ).format(typed=escape((typed or "").strip()[:40]))


def number_problem(error: Invalid) -> str:
    if error.problem is Problem.NOT_A_NUMBER:
        return _("⚠️ Type a whole number from {minimum} to {maximum}, digits only.").format(
            **error.facts
        )
    return _("⚠️ The number must be from {minimum} to {maximum}.").format(**error.facts)


def date_problem(error: Invalid) -> str:
    facts = error.facts
    if error.problem is Problem.NO_SUCH_DAY:
        return _(
            "⚠️ {day}.{month}.{year} does not exist: that month has {days} days. "
            "Check the day and type the date again."
        ).format(
            day=f"{facts['day']:02d}",
            month=f"{facts['month']:02d}",
            year=facts["year"],
            days=facts["days"],
        )
    if error.problem is Problem.NO_SUCH_MONTH:
        return _("⚠️ There is no month {month}: months go from 01 to 12.").format(
            month=facts["month"]
        )
    if error.problem is Problem.YEAR_RANGE:
        return _("⚠️ The year must be between {minimum} and {maximum}.").format(**facts)
    return _("⚠️ Type the date as DD.MM.YYYY, for example 01.09.2025.")


def time_problem(error: Invalid) -> str:
    if error.problem is Problem.NO_SUCH_TIME:
        return _(
            "⚠️ {typed} is not a time of day: hours go from 00 to 23 and minutes from 00 to 59."
        ).format(typed=escape(error.facts.get("text", "")[:20]))
    if error.problem is Problem.SLOT_FORMAT:
        return _(
            "⚠️ Send the start time and the length in minutes, for example 14:00 90 "
            "(or 14:00-15:30)."
        )
    if error.problem is Problem.END_BEFORE_START:
        return _("⚠️ The end must be later than the start.")
    if error.problem in (
        Problem.TOO_SMALL,
        Problem.TOO_LARGE,
        Problem.NOT_A_NUMBER,
        Problem.NEGATIVE,
    ):
        return _("⚠️ A lesson lasts from {minimum} to {maximum} minutes.").format(
            minimum=academic_service.DURATION_MIN, maximum=academic_service.DURATION_MAX
        )
    return _("⚠️ Type the time as HH:MM, for example 14:00.")


def text_problem(error: Invalid) -> str:
    if error.problem is Problem.EMPTY:
        return _("⚠️ This cannot be empty: please type it.")
    if error.problem is Problem.TOO_SHORT:
        return _("⚠️ That is too short: at least {minimum} characters.").format(
            minimum=error.facts["minimum"]
        )
    return _("⚠️ That is too long: {length} characters, and the limit is {maximum}.").format(
        length=error.facts.get("length", 0), maximum=error.facts["maximum"]
    )


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
    name = academic_service.clean_text(text, COURSE_NAME_MIN, COURSE_NAME_MAX)
    if "\n" in name:
        raise Invalid(Problem.TOO_LONG, maximum=COURSE_NAME_MAX, length=len(name))
    if not await academic_service.course_name_free(context.session, name, data.course_id):
        raise Refusal(name_taken_text(name))
    data.name = name


async def read_description(data: CourseData, text: str | None, context: FormContext) -> None:
    if academic_service.is_skip(text):
        data.description = None
    else:
        data.description = academic_service.clean_text(text, 1, DESCRIPTION_MAX)


async def read_price(data: CourseData, text: str | None, context: FormContext) -> None:
    data.price = academic_service.parse_money(text)


def skip_description(data: CourseData) -> None:
    data.description = None


def name_prompt(data: CourseData) -> str:
    return "\n".join(
        [
            _("Step 1/3 — the course name, {minimum} to {maximum} characters.").format(
                minimum=COURSE_NAME_MIN, maximum=COURSE_NAME_MAX
            ),
            _("Example: <i>General English</i>"),
        ]
    )


def description_prompt(data: CourseData) -> str:
    return "\n".join(
        [
            _("Step 2/3 — a short description, up to {maximum} characters, or ⏭ Skip.").format(
                maximum=DESCRIPTION_MAX
            ),
            _("Example: <i>Grammar and speaking for beginners, three times a week.</i>"),
        ]
    )


def price_prompt(data: CourseData) -> str:
    return "\n".join(
        [
            _("Step 3/3 — the monthly price in soʻm (0 for a free course)."),
            _("Example: <i>1 250 000</i>"),
        ]
    )


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
            problem=lambda e, t: text_problem(e),
            label=thing_name_label,
        ),
        Step(
            "description",
            description_prompt,
            read=read_description,
            skip=skip_description,
            buttons=lambda data, form: [skip_row(form, "description")],
            problem=lambda e, t: text_problem(e),
            label=lambda: _("✏️ Description"),
        ),
        Step(
            "price",
            price_prompt,
            read=read_price,
            problem=money_problem,
            label=lambda: _("✏️ Price"),
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


async def new_pressed(callback: CallbackQuery, scenes: ScenesManager) -> None:
    await CourseForm.open(scenes, CourseData())


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
    callbacks = router.callback_query
    for handler, action in (
        (list_pressed, "list"),
        (card_pressed, "card"),
        (new_pressed, "new"),
        (edit_pressed, "edit"),
        (archive_pressed, "archive"),
        (archive_pressed, "restore"),
    ):
        callbacks.register(handler, CourseCb.filter(F.action == action), flags=ACADEMIC)
    router.include_router(CourseForm.as_router())
    return router
