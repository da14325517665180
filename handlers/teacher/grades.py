"""Grades for a lesson or a named assessment, all students in one message.

Step 1 picks what is graded (a recent lesson, or a homework / test / exam / classwork),
step 2 names the assessment (skipped for a lesson), then the maximum (1-1000), then one
message of "name score" or "number score" lines, then a summary with ✅ Confirm.
Nothing is stored before ✅; an invalid line is reported with its number and the step
repeats. The students and their parents who allow reminders are told afterwards.
"""

from datetime import datetime
from functools import partial
from html import escape
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery import Sender
from bot.formatting import format_datetime
from bot.i18n import _
from bot.services import attendance as attendance_service
from bot.services import grades as service
from bot.services.access import Actor
from bot.services.attendance import Student
from bot.services.grades import GradeNotice, GradeTarget, LineError, Problem, SaveProblem
from bot.telegram import edit_or_send
from bot.wording import cancel_hint, stale_button_text
from db.base import utcnow
from db.ids import parse_row_id
from db.models import GradeKind
from handlers.forms import not_a_command
from handlers.teacher.lessons import end_form, group_form_data
from keyboards.teacher import GradeCb, confirm_keyboard, grade_kind_labels, grade_target_keyboard

FORM = "grade"  # FSM data key of this form


class GradeForm(StatesGroup):
    target = State()
    title = State()
    maximum = State()
    scores = State()
    confirm = State()


def kind_label(kind: str) -> str:
    return grade_kind_labels().get(kind, kind)


def target_of(data: dict) -> GradeTarget:
    form = data[FORM]
    return GradeTarget(
        group_id=form["group_id"],
        group_name=form["group_name"],
        kind=GradeKind(form["kind"]),
        lesson_id=form.get("lesson_id"),
        lesson_at=datetime.fromisoformat(form["lesson_at"]) if form.get("lesson_at") else None,
        title=form.get("title"),
    )


def steps(target: GradeTarget) -> int:
    return 4 if target.lesson_id else 5


def what_text(target: GradeTarget, tz: ZoneInfo) -> str:
    if target.lesson_at is not None:
        return _("lesson {when}").format(when=format_datetime(target.lesson_at, tz))
    return f"{kind_label(target.kind)} «{escape(target.title or '')}»"


def header(group_name: str) -> str:
    return _("📝 <b>Grades</b> · {group}").format(group=escape(group_name))


def maximum_prompt(target: GradeTarget, tz: ZoneInfo) -> str:
    total = steps(target)
    return "\n".join(
        [
            header(target.group_name) + " · " + what_text(target, tz),
            "",
            _("Step {step}/{total} — the maximum score, a whole number from 1 to 1000.").format(
                step=total - 2, total=total
            ),
            _("Example: <i>100</i>"),
            "",
            cancel_hint(),
        ]
    )


def scores_prompt(target: GradeTarget, students: list[Student], maximum: int, tz) -> str:
    total = steps(target)
    lines = [
        header(target.group_name) + " · " + what_text(target, tz),
        "",
        _(
            "Step {step}/{total} — send the scores in one message, one line per student: "
            "the name or the number from the list, then the score (0–{maximum}). "
            "Students you leave out get no grade."
        ).format(step=total - 1, total=total, maximum=maximum),
        _("Example:"),
        "<code>1 {score}\n{name} {score}</code>".format(
            score=min(maximum, 9), name=escape(students[-1].name)
        ),
        "",
    ]
    lines += [f"{n}. {escape(s.name)}" for n, s in enumerate(students, start=1)]
    lines += ["", cancel_hint()]
    return "\n".join(lines)


def line_error_text(error: LineError) -> str:
    what = escape(error.text)
    texts = {
        Problem.FORMAT: _("Line {line}: write a name or a number, a space, then the score."),
        Problem.SCORE: _("Line {line}: «{text}» is not a whole number."),
        Problem.RANGE: _("Line {line}: {text} is more than the maximum."),
        Problem.NUMBER: _("Line {line}: there is no student number {text} in the list."),
        Problem.UNKNOWN: _("Line {line}: no student in this group is called «{text}»."),
        Problem.AMBIGUOUS: _(
            "Line {line}: «{text}» matches several students; use the number from the list."
        ),
        Problem.DUPLICATE: _("Line {line}: «{text}» already has a score on an earlier line."),
        Problem.EMPTY: _("There is no score in your message."),
    }
    return texts[error.problem].format(line=error.line, text=what)


async def refuse(callback: CallbackQuery, actor: Actor, session: AsyncSession, group_id: int):
    await service.deny(session, actor, group_id, "foreign")
    await callback.answer(stale_button_text())


async def start(
    callback: CallbackQuery,
    callback_data: GradeCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    group = await attendance_service.managed_group(session, actor, callback_data.group)
    if group is None:
        await refuse(callback, actor, session, callback_data.group)
        return
    tz = settings.centre.tz
    refs = await service.recent_lessons(session, group, utcnow())
    await state.set_state(GradeForm.target)
    await state.update_data({FORM: {"group_id": group.id, "group_name": group.name}})
    text = "\n".join(
        [
            header(group.name),
            "",
            _(
                "Step 1 — what are you grading? A recent lesson, or a homework, test, exam "
                "or classwork you will name."
            ),
            "",
            cancel_hint(),
        ]
    )
    await edit_or_send(callback, text, grade_target_keyboard(group.id, refs, tz))
    await callback.answer()


async def lesson_picked(
    callback: CallbackQuery,
    callback_data: GradeCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    data = await group_form_data(state, FORM, callback_data.group, GradeForm.target)
    group = await attendance_service.managed_group(session, actor, callback_data.group)
    if group is None:
        await refuse(callback, actor, session, callback_data.group)
        return
    lesson, lesson_id = None, parse_row_id(callback_data.value)
    if data is not None and lesson_id is not None:
        lesson = await service.lesson_of_group(session, group.id, lesson_id, utcnow())
    if data is None or lesson is None:
        await callback.answer(stale_button_text())
        return
    data[FORM] |= {
        "kind": GradeKind.CLASSWORK.value,
        "lesson_id": lesson.id,
        "lesson_at": lesson.starts_at.isoformat(),
    }
    await state.set_data(data)
    await state.set_state(GradeForm.maximum)
    await edit_or_send(callback, maximum_prompt(target_of(data), settings.centre.tz), None)
    await callback.answer()


async def kind_picked(callback: CallbackQuery, callback_data: GradeCb, state: FSMContext) -> None:
    data = await group_form_data(state, FORM, callback_data.group, GradeForm.target)
    if data is None or callback_data.value not in {k.value for k in service.ASSESSMENT_KINDS}:
        await callback.answer(stale_button_text())
        return
    data[FORM] |= {"kind": callback_data.value, "lesson_id": None, "lesson_at": None}
    await state.set_data(data)
    await state.set_state(GradeForm.title)
    await edit_or_send(callback, title_prompt(data[FORM]), None)
    await callback.answer()


def title_prompt(form: dict) -> str:
    return "\n".join(
        [
            header(form["group_name"]) + " · " + kind_label(form["kind"]),
            "",
            _("Step 2/5 — name it (up to {limit} characters).").format(limit=service.TITLE_MAX),
            _("Example: <i>Unit 3 test</i>"),
            "",
            cancel_hint(),
        ]
    )


async def title_received(message: Message, state: FSMContext, settings: Settings) -> None:
    data = await state.get_data()
    try:
        title = service.clean_title(message.text)
    except service.InvalidTitle:
        await message.answer(
            _("⚠️ The name must be from 1 to {limit} characters of text.").format(
                limit=service.TITLE_MAX
            )
            + "\n\n"
            + title_prompt(data[FORM])
        )
        return
    data[FORM]["title"] = title
    await state.set_data(data)
    await state.set_state(GradeForm.maximum)
    await message.answer(maximum_prompt(target_of(data), settings.centre.tz))


async def maximum_received(
    message: Message, state: FSMContext, session: AsyncSession, settings: Settings
) -> None:
    data = await state.get_data()
    target = target_of(data)
    tz = settings.centre.tz
    try:
        maximum = service.parse_max(message.text)
    except service.InvalidMax:
        await message.answer(
            _("⚠️ The maximum must be a whole number from 1 to 1000.")
            + "\n\n"
            + maximum_prompt(target, tz)
        )
        return
    students = await service.gradable_students(session, target.group_id)
    if not students:
        await end_form(state, FORM)
        await message.answer(
            _("ℹ️ Nobody is actively enrolled in this group, so there is nobody to grade.")
        )
        return
    data[FORM]["max"] = maximum
    await state.set_data(data)
    await state.set_state(GradeForm.scores)
    await message.answer(scores_prompt(target, students, maximum, tz))


async def scores_received(
    message: Message, state: FSMContext, session: AsyncSession, settings: Settings
) -> None:
    data = await state.get_data()
    target, maximum = target_of(data), data[FORM]["max"]
    tz = settings.centre.tz
    students = await service.gradable_students(session, target.group_id)
    try:
        scores = service.parse_scores(message.text, students, maximum)
    except service.InvalidScores as invalid:
        lines = [_("⚠️ Nothing was saved. Correct these lines and send all the scores again:")]
        lines += [line_error_text(error) for error in invalid.errors[:20]]
        if len(invalid.errors) > 20:
            lines.append(_("… and {count} more.").format(count=len(invalid.errors) - 20))
        await message.answer("\n".join(lines))
        return
    data[FORM]["scores"] = {str(sid): score for sid, score in scores.items()}
    await state.set_data(data)
    await state.set_state(GradeForm.confirm)
    await message.answer(
        summary_text(target, students, scores, maximum, tz),
        reply_markup=confirm_keyboard(GradeCb, target.group_id),
    )


def summary_text(
    target: GradeTarget, students: list[Student], scores: dict[int, int], maximum: int, tz
) -> str:
    total = steps(target)
    lines = [
        header(target.group_name) + " · " + what_text(target, tz),
        "",
        _("Step {step}/{total} — check the grades:").format(step=total, total=total),
        "",
    ]
    missing = []
    for number, student in enumerate(students, start=1):
        if student.id in scores:
            lines.append(
                f"{number}. {escape(student.name)} — <b>{scores[student.id]}/{maximum}</b>"
            )
        else:
            missing.append(escape(student.name))
    if missing:
        lines += ["", _("No grade: {names}").format(names=", ".join(missing))]
    lines += ["", _("Save them? The students and their parents will be told.")]
    return "\n".join(lines)


async def text_while_choosing(message: Message) -> None:
    await message.answer(_("ℹ️ Use the buttons under the message above, or /cancel."))


async def not_text(message: Message) -> None:
    await message.answer(_("⚠️ Please send it as a text message."))


async def edit_pressed(
    callback: CallbackQuery,
    callback_data: GradeCb,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
) -> None:
    data = await group_form_data(state, FORM, callback_data.group, GradeForm.confirm)
    if data is None:
        await callback.answer(stale_button_text())
        return
    target = target_of(data)
    students = await service.gradable_students(session, target.group_id)
    await state.set_state(GradeForm.scores)
    await edit_or_send(
        callback, scores_prompt(target, students, data[FORM]["max"], settings.centre.tz), None
    )
    await callback.answer()


async def cancel_pressed(
    callback: CallbackQuery, callback_data: GradeCb, state: FSMContext
) -> None:
    data = await group_form_data(
        state, FORM, callback_data.group, GradeForm.target, GradeForm.confirm
    )
    if data is None:
        await callback.answer(stale_button_text())
        return
    await end_form(state, FORM)
    await edit_or_send(callback, _("❌ Cancelled. Nothing was saved."), None)
    await callback.answer()


async def save_pressed(
    callback: CallbackQuery,
    callback_data: GradeCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
    sender: Sender,
) -> None:
    data = await group_form_data(state, FORM, callback_data.group, GradeForm.confirm)
    if data is None:
        await callback.answer(stale_button_text())  # a second tap, or an old summary
        return
    target = target_of(data)
    scores = {int(sid): int(score) for sid, score in data[FORM]["scores"].items()}
    result = await service.save(
        session,
        actor,
        target,
        data[FORM]["max"],
        scores,
        policy_version=settings.centre.policy_version,
        now=utcnow(),
    )
    if result.problem is SaveProblem.FOREIGN:
        await end_form(state, FORM)
        await refuse(callback, actor, session, target.group_id)
        return
    if result.problem is not None:
        await state.set_state(GradeForm.scores)
        await edit_or_send(
            callback,
            _("⚠️ The group has changed since you typed the scores. Please send them again."),
            None,
        )
        await callback.answer()
        return
    await end_form(state, FORM)
    await edit_or_send(
        callback,
        _("✅ {count} grades saved · {what}").format(
            count=result.count, what=what_text(target, settings.centre.tz)
        ),
        None,
    )
    await callback.answer(_("✅ Saved."))
    for notice in result.notices:
        await sender.notify(bot, notice.recipient, partial(grade_notice_text, notice, settings))


def grade_notice_text(notice: GradeNotice, settings: Settings) -> str:
    tz = settings.centre.tz
    if notice.lesson_at is not None:
        what = _("lesson {when}").format(when=format_datetime(notice.lesson_at, tz))
    else:
        what = f"{kind_label(notice.kind)} «{escape(notice.title or '')}»"
    if notice.about_self:
        title = _("📝 <b>New grade</b> · {group}").format(group=escape(notice.group_name))
        more = _("/grades — all your grades")
    else:
        title = _("📝 <b>New grade for {student}</b> · {group}").format(
            student=escape(notice.student_name), group=escape(notice.group_name)
        )
        more = _("/children — your children's grades")
    return "\n".join(
        [
            title,
            f"{what}: <b>{notice.score}/{notice.max_score}</b>",
            "",
            more,
            _("To stop these reminders: /settings"),
        ]
    )


def create_router() -> Router:
    router = Router(name="teacher.grades")
    messages = router.message
    for step, handler in (
        (GradeForm.title, title_received),
        (GradeForm.maximum, maximum_received),
        (GradeForm.scores, scores_received),
    ):
        messages.register(handler, StateFilter(step), F.text, not_a_command)
        messages.register(not_text, StateFilter(step), ~F.text)
    messages.register(
        text_while_choosing, StateFilter(GradeForm.target, GradeForm.confirm), not_a_command
    )
    callbacks = router.callback_query
    callbacks.register(start, GradeCb.filter(F.action == "start"))
    callbacks.register(lesson_picked, GradeCb.filter(F.action == "lesson"))
    callbacks.register(kind_picked, GradeCb.filter(F.action == "kind"))
    callbacks.register(edit_pressed, GradeCb.filter(F.action == "edit"))
    callbacks.register(cancel_pressed, GradeCb.filter(F.action == "cancel"))
    callbacks.register(save_pressed, GradeCb.filter(F.action == "save"))
    return router
