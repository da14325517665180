"""The group form's steps answered with its buttons: the course and the teacher (a page of
the database's records to pick one from, ◀ n/m ▶ turns the page) and the status."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.forms import Advance, FormContext, Step
from bot.forms.engine import Picker
from bot.i18n import _
from bot.services import academic as academic_service
from bot.services.academic import CourseInfo, Page
from bot.wording import stale_button_text
from db.models import GroupStatus, Role
from handlers.admin.groups.data import GroupData, label, step_header
from keyboards.academic import PAGE_PREFIX, choice_rows
from keyboards.forms import Rows
from keyboards.group_form import no_teacher_row, status_rows


def buttons_only() -> str:
    return _("ℹ️ Please choose with the buttons below.")


def stale(context: FormContext) -> Advance:
    """A choice that is gone or forged: the same step, and the shared out-of-date toast."""
    context.toast = stale_button_text()
    return Advance.STAY


def picked_step(
    name: str,
    prompt: Callable[[GroupData], str],
    pick: Picker[GroupData],
    buttons: Callable[[GroupData, str], Rows],
    **more: Any,
) -> Step[GroupData]:
    """A choice among the step's buttons (a typed answer is told to use them)."""
    return Step(
        name,
        prompt,
        pick=pick,
        buttons=buttons,
        label=label(name),
        typed_hint=buttons_only,
        **more,
    )


def page_of(value: str) -> int | None:
    number = value.removeprefix(PAGE_PREFIX)
    return int(number) if value.startswith(PAGE_PREFIX) and number.isdigit() else None


@dataclass(frozen=True, slots=True)
class Choices:
    """The records of step `name` to pick from, a page at a time: `fetch` reads a page of
    them (each with an `id` and a `name`), `question` asks (its `{step}` is the step's
    header), `none_yet` is said when there is none."""

    name: str
    fetch: Callable[[AsyncSession, int], Awaitable[Page[Any]]]
    question: Callable[[], str]
    none_yet: Callable[[], str]

    def page(self, data: GroupData) -> int:
        return data.pages_at.get(self.name, 1)

    async def load(self, data: GroupData, context: FormContext) -> None:
        page = await self.fetch(context.session, self.page(data))
        data.pages_at[self.name], data.pages, data.total = page.page, page.pages, page.total
        data.choices = [(item.id, item.name) for item in page.items]

    def prompt(self, data: GroupData) -> str:
        lines = [self.question().format(step=step_header(self.name))]
        if data.total == 0:
            lines.append(self.none_yet())
        return "\n".join(lines)

    def rows(self, data: GroupData, form: str) -> Rows:
        return choice_rows(form, self.name, data.choices, self.page(data), data.pages)

    def turned(self, data: GroupData, value: str) -> bool:
        """A ◀ n/m ▶ button: the page it names is the one shown next."""
        page = page_of(value)
        if page is not None:
            data.pages_at[self.name] = page
        return page is not None

    def step(
        self, pick: Picker[GroupData], buttons: Callable[[GroupData, str], Rows] | None = None
    ) -> Step[GroupData]:
        return picked_step(self.name, self.prompt, pick, buttons or self.rows, load=self.load)


# --- course ---------------------------------------------------------------------------------

COURSES = Choices(
    "course",
    lambda session, page: academic_service.courses(session, page, only_active=True),
    lambda: _("{step} — choose the course:"),
    lambda: _("⚠️ There is no active course yet. Add a course first: /courses"),
)


async def take_course(data: GroupData, course: CourseInfo, context: FormContext) -> None:
    """The course, and for a new group the suggestions that follow from it (once)."""
    data.course_id, data.course_name, data.course_price = (
        course.id,
        course.name,
        course.monthly_price,
    )
    if data.group_id is not None or data.defaults_taken:
        return
    defaults = await academic_service.group_defaults(context.session, course.id)
    if defaults.teacher is not None:
        data.teacher_id, data.teacher_name = defaults.teacher.id, defaults.teacher.name
    data.room, data.capacity, data.minutes = defaults.room, defaults.capacity, defaults.minutes
    data.defaults_taken, data.suggested = True, defaults.from_group


async def pick_course(data: GroupData, value: str, context: FormContext) -> Advance | None:
    if COURSES.turned(data, value):
        return Advance.STAY
    course = await academic_service.course(context.session, int(value)) if value.isdigit() else None
    if course is None or not course.is_active:
        return stale(context)
    await take_course(data, course, context)
    return None


COURSE_STEP = COURSES.step(pick_course)


# --- teacher --------------------------------------------------------------------------------

TEACHERS = Choices(
    "teacher",
    lambda session, page: academic_service.people_with_role(session, Role.TEACHER, page),
    lambda: _("{step} — choose the teacher:"),
    lambda: _("ℹ️ Nobody has the teacher role yet; you can add one later."),
)


def teacher_buttons(data: GroupData, form: str) -> Rows:
    return [*TEACHERS.rows(data, form), no_teacher_row(form)]


async def pick_teacher(data: GroupData, value: str, context: FormContext) -> Advance | None:
    if TEACHERS.turned(data, value):
        return Advance.STAY
    if value == "0":
        data.teacher_id, data.teacher_name = None, ""
        return None
    teacher = (
        await academic_service.person_with_role(context.session, int(value), Role.TEACHER)
        if value.isdigit()
        else None
    )
    if teacher is None:
        return stale(context)
    data.teacher_id, data.teacher_name = teacher.id, teacher.name
    return None


TEACHER_STEP = TEACHERS.step(pick_teacher, teacher_buttons)


# --- status (an existing group only) ----------------------------------------------------------


async def pick_status(data: GroupData, value: str, context: FormContext) -> Advance | None:
    if value not in set(GroupStatus):
        return stale(context)
    data.status = GroupStatus(value)
    return None


STATUS_STEP = picked_step(
    "status",
    lambda data: _("Choose the group's status:"),
    pick_status,
    lambda data, form: status_rows(form),
    when=lambda data: data.group_id is not None,
)
