"""Adding a student to a group: the add form (a paged picker of the students, or a part of
the name typed, then the confirmation that names a full group or another group of the same
course), and "add to a group" from a person's card (a picker of the active groups that opens
the same confirmation)."""

from html import escape

from aiogram import Router
from aiogram.fsm.scene import ScenesManager
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters.access import ACADEMIC
from bot.forms import Advance, Form, FormContext, FormData, Refusal, Step
from bot.forms.engine import reply
from bot.i18n import _
from bot.services import academic as academic_service
from bot.services import enrolment as enrolment_service
from bot.services.academic import GroupInfo
from bot.services.enrolment import Outcome, Preview
from bot.services.parsing import Invalid
from bot.wording import stale_button_text
from db.models import Role
from handlers.admin.enrolment.common import preview_warnings, refusal_text, today
from handlers.admin.enrolment.notices import done_card_text
from handlers.buttons import show_screen
from handlers.registry import Registry
from keyboards.academic import (
    EnrolCb,
    enrol_confirm,
    enrolment_card,
    group_target_picker,
    student_picker,
)

on = Registry(EnrolCb, flags=ACADEMIC)


class Checked(BaseModel, from_attributes=True):
    """The service's preview when the student was picked (what the confirmation names)."""

    student_name: str
    group_name: str
    course_name: str
    seated: int
    capacity: int
    same_course: list[str] = Field(default_factory=list)

    def preview(self) -> Preview:
        return Preview(Outcome.DONE, **self.model_dump())


class AddData(FormData):
    group_id: int = 0
    group_name: str = ""
    seated: int = 0
    capacity: int = 0
    # the picker's page: what was typed, and the students shown (id, name)
    query: str = ""
    page: int = 1
    pages: int = 1
    total: int = 0
    people: list[tuple[int, str]] = Field(default_factory=list)
    # the one picked, and what the confirmation names
    student_id: int | None = None
    checked: Checked | None = None
    over: bool = False  # the group is full: ✅ reads "Add over capacity"


async def fill_picker(data: AddData, session: AsyncSession, page: int) -> None:
    try:
        found = (
            await academic_service.find_with_role(session, Role.STUDENT, data.query, page)
            if data.query
            else await academic_service.people_with_role(session, Role.STUDENT, page)
        )
    except Invalid:
        # Only a typed query can be too short (read_search checks before storing it).
        data.query = ""
        found = await academic_service.people_with_role(session, Role.STUDENT, page)
    data.people = [(person.id, person.name) for person in found.items]
    data.total, data.page, data.pages = found.total, found.page, found.pages


async def read_search(data: AddData, text: str | None, context: FormContext) -> Advance:
    query = " ".join((text or "").split())[:64]
    if len(academic_service.fold(query).replace(" ", "")) < 2:
        raise Refusal(_("⚠️ Type at least 2 letters of the name."))
    data.query = query
    await fill_picker(data, context.session, 1)
    return Advance.STAY


async def pick_student(data: AddData, value: str, context: FormContext) -> Advance:
    """`p<page>` turns the picker's page; a student's id goes on to the confirmation."""
    if value.startswith("p") and value[1:].isdigit():
        await fill_picker(data, context.session, int(value[1:]))
        return Advance.STAY
    if not value.isdigit():
        context.toast = stale_button_text()
        return Advance.STAY
    checked = await enrolment_service.preview(context.session, int(value), data.group_id)
    if checked.outcome in (Outcome.MISSING, Outcome.NOT_A_STUDENT):
        context.toast = stale_button_text()
        return Advance.STAY
    if checked.outcome is not Outcome.DONE:
        context.toast, context.alert = refusal_text(checked.outcome, checked), True
        return Advance.STAY
    confirm(data, int(value), checked)
    return Advance.NEXT


def confirm(data: AddData, student_id: int, checked: Preview) -> None:
    data.student_id, data.over = student_id, checked.full
    data.checked = Checked.model_validate(checked)


def picker_prompt(data: AddData) -> str:
    lines = []
    if data.query:
        lines.append(
            _("Students matching “{query}”: {total}").format(
                query=escape(data.query), total=data.total
            )
        )
    if data.total == 0:
        lines.append(
            _("No student found. Register the person as a student first, or try another spelling.")
            if data.query
            else _("Nobody has the student role yet. Register students first.")
        )
    lines.append(_("Tap a student, or type a part of the name to search."))
    return "\n".join(lines)


def enrol_text(checked: Preview) -> str:
    lines = [
        _("➕ <b>Add {student} to {group}</b> ({course})?").format(
            student=escape(checked.student_name),
            group=escape(checked.group_name),
            course=escape(checked.course_name),
        ),
        _("👤 Students: {seated}/{capacity}").format(
            seated=checked.seated, capacity=checked.capacity
        ),
    ]
    warnings = preview_warnings(checked)
    if warnings:
        lines += ["", *warnings]
    lines += ["", _("The student and their parents will be told.")]
    return "\n".join(lines)


class AddForm(Form[AddData], state="enrol_form"):
    """The student (picked from pages or found by a typed part of the name), then the
    confirmation. Opened with a student already chosen, it shows the confirmation at once."""

    key = "ea"
    data_type = AddData
    flags = ACADEMIC
    steps = (
        Step(
            "student",
            picker_prompt,
            read=read_search,
            pick=pick_student,
            buttons=lambda data, form: student_picker(
                data.people, data.group_id, form, data.page, data.pages
            ),
            when=lambda data: data.student_id is None,
        ),
    )

    def title(self, data: AddData) -> str:
        return _("➕ <b>Add a student to {group}</b> ({seated}/{capacity})").format(
            group=escape(data.group_name), seated=data.seated, capacity=data.capacity
        )

    def summary_text(self, data: AddData) -> str:
        assert data.checked is not None
        return enrol_text(data.checked.preview())

    def summary_markup(self, data: AddData) -> InlineKeyboardMarkup:
        return enrol_confirm(data.group_id, self.key, full=data.over)

    async def save(self, data: AddData, context: FormContext) -> Advance | None:
        settings = context.settings
        assert data.student_id is not None
        change = await enrolment_service.enrol(
            context.session,
            context.actor.user_id,
            data.student_id,
            data.group_id,
            today=today(settings),
            policy_version=settings.centre.policy_version,
            over_capacity=data.over,
            settings=settings,
        )
        if change.outcome in (Outcome.MISSING, Outcome.NOT_A_STUDENT):
            context.toast = stale_button_text()
            return None
        if change.outcome is Outcome.FULL:  # filled meanwhile: ask for the over-capacity add
            assert change.preview is not None
            confirm(data, data.student_id, change.preview)
            data.over = True
            context.toast, context.alert = refusal_text(Outcome.FULL), True
            return Advance.STAY
        if change.outcome is not Outcome.DONE:
            context.toast, context.alert = refusal_text(change.outcome, change.preview), True
            return Advance.STAY
        assert change.enrolment is not None
        done = _("✅ Added to the group.")
        text = await done_card_text(
            context.session, context.bot, context.sender, "added", change, done
        )
        await reply(context, text, enrolment_card(change.enrolment, 1))
        context.toast = _("✅ Added.")
        return None


def form_data(group: GroupInfo) -> AddData:
    return AddData(
        group_id=group.id, group_name=group.name, seated=group.seated, capacity=group.capacity
    )


@on.button("add")
async def add_pressed(
    callback: CallbackQuery, callback_data: EnrolCb, session: AsyncSession, scenes: ScenesManager
) -> None:
    group = await academic_service.group(session, callback_data.group)
    if group is None:
        await callback.answer(stale_button_text())
        return
    data = form_data(group)
    await fill_picker(data, session, 1)
    await AddForm.open(scenes, data)


@on.button("pick")
async def pick_pressed(
    callback: CallbackQuery, callback_data: EnrolCb, session: AsyncSession, scenes: ScenesManager
) -> None:
    """A group picked for a student (from a person's card): the confirmation at once."""
    checked = await enrolment_service.preview(session, callback_data.student, callback_data.group)
    group = await academic_service.group(session, callback_data.group)
    if checked.outcome in (Outcome.MISSING, Outcome.NOT_A_STUDENT) or group is None:
        await callback.answer(stale_button_text())
        return
    if checked.outcome is not Outcome.DONE:
        await callback.answer(refusal_text(checked.outcome, checked), show_alert=True)
        return
    data = form_data(group)
    confirm(data, callback_data.student, checked)
    await AddForm.open(scenes, data)


@on.button("for")
async def for_student_pressed(
    callback: CallbackQuery, callback_data: EnrolCb, session: AsyncSession
) -> None:
    student = await academic_service.person_with_role(session, callback_data.student, Role.STUDENT)
    if student is None:
        await callback.answer(stale_button_text())
        return
    page = await academic_service.groups(session, callback_data.page, only_active=True)
    text = "\n".join(
        [
            _("➕ <b>Add {student} to a group</b>").format(student=escape(student.name)),
            _("Choose one of the active groups:")
            if page.total
            else _("There is no active group yet."),
        ]
    )
    markup = group_target_picker(
        page,
        lambda p: EnrolCb(action="for", student=student.id, page=p),
        lambda group_id: EnrolCb(action="pick", group=group_id, student=student.id),
        EnrolCb(action="for", student=student.id, page=page.page),
    )
    await show_screen(callback, text, markup)


def create_router() -> Router:
    router = on.router("admin.enrolment.adding")
    router.include_router(AddForm.as_router())
    return router
