"""Grades for a lesson or a named assessment, all students in one message.

Step 1 picks what is graded (a recent lesson, or a homework / test / exam / classwork),
step 2 names the assessment (skipped for a lesson), then the maximum (1-1000), then one
message of "name score" or "number score" lines, then a summary with ✅ Confirm.
Nothing is stored before ✅; an invalid line is reported with its number and the step
repeats. The students and their parents who allow reminders are told afterwards.

The form (`GradeForm`, on the form engine) checks on every answer and at ✅ that the
group is still the teacher's own: another teacher's group is refused (a `grades.denied`
audit entry) and a lesson of another group is an out-of-date button.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial, wraps
from html import escape
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from pydantic import Field

from bot.config import Settings
from bot.delivery import Sender
from bot.formatting import format_datetime
from bot.forms import Advance, Form, FormContext, FormData, Refusal, Retry, Step
from bot.forms.engine import reply
from bot.i18n import _
from bot.services import attendance as attendance_service
from bot.services import grades as service
from bot.services import parsing
from bot.services.attendance import Student
from bot.services.grades import GradeNotice, GradeTarget, SaveProblem
from bot.wording import (
    score_max_problem,
    scores_problem,
    stale_button_text,
    text_only_text,
    title_problem,
)
from db.base import utcnow
from db.ids import parse_row_id
from db.models import GradeKind
from handlers.teacher.lessons import group_form_start, own_group
from handlers.teacher.notice_wording import title_and_pointer
from keyboards.forms import Rows
from keyboards.teacher import GradeCb, grade_kind_labels, grade_target_rows


def kind_label(kind: str) -> str:
    return grade_kind_labels().get(kind, kind)


def steps(target: GradeTarget) -> int:
    return 4 if target.lesson_id else 5


def what_text(target: GradeTarget, tz: ZoneInfo) -> str:
    if target.lesson_at is not None:
        return _("lesson {when}").format(when=format_datetime(target.lesson_at, tz))
    return f"{kind_label(target.kind)} «{escape(target.title or '')}»"


def header(group_name: str) -> str:
    return _("📝 <b>Grades</b> · {group}").format(group=escape(group_name))


def choose_hint() -> str:
    return _("ℹ️ Use the buttons under the message above, or /cancel.")


class GradeData(FormData):
    group_id: int = 0
    group_name: str = ""
    tz: str = "UTC"  # the centre's time zone (a lesson's time in the texts)
    kind: str = ""
    lesson_id: int | None = None
    lesson_at: datetime | None = None
    title: str | None = None
    max: int = 0
    students: list[tuple[int, str]] = Field(default_factory=list)  # the numbered list
    scores: dict[int, int] = Field(default_factory=dict)  # student id → score

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def target(self) -> GradeTarget:
        return GradeTarget(
            group_id=self.group_id,
            group_name=self.group_name,
            kind=GradeKind(self.kind),
            lesson_id=self.lesson_id,
            lesson_at=self.lesson_at,
            title=self.title,
        )

    def roster(self) -> list[Student]:
        return [Student(sid, name, False) for sid, name in self.students]


def target_prompt(data: GradeData) -> str:
    return _(
        "Step 1 — what are you grading? A recent lesson, or a homework, test, exam "
        "or classwork you will name."
    )


def title_prompt(data: GradeData) -> str:
    return _("Step 2/5 — name it (up to {limit} characters).").format(limit=parsing.TITLE_MAX)


def maximum_prompt(data: GradeData) -> str:
    total = steps(data.target())
    return "\n".join(
        [
            _("Step {step}/{total} — the maximum score, a whole number from 1 to 1000.").format(
                step=total - 2, total=total
            ),
            _("Example: <i>100</i>"),
        ]
    )


def scores_prompt(data: GradeData) -> str:
    total, maximum, students = steps(data.target()), data.max, data.roster()
    lines = [
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
    return "\n".join(lines)


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


# --- the steps ------------------------------------------------------------------------------


async def target_buttons(data: GradeData, form: str, context: FormContext) -> Rows:
    group = await attendance_service.managed_group(context.session, context.actor, data.group_id)
    lessons = await service.recent_lessons(context.session, group, utcnow()) if group else []
    return grade_target_rows(form, "target", data.group_id, lessons, data.zone)


async def pick_target(data: GradeData, value: str, context: FormContext) -> Advance | None:
    if await own_group(context, data.group_id, service.deny) is None:
        return Advance.CLOSE
    if value in {kind.value for kind in service.ASSESSMENT_KINDS}:
        data.kind, data.lesson_id, data.lesson_at = value, None, None
        return Advance.NEXT
    lesson_id = parse_row_id(value)  # an id no INTEGER column holds is refused before the query
    lesson = None
    if lesson_id is not None:
        lesson = await service.lesson_of_group(context.session, data.group_id, lesson_id, utcnow())
    if lesson is None:  # another group's lesson, a cancelled one, or forged
        context.toast = stale_button_text()
        return Advance.KEEP
    data.kind, data.lesson_id, data.lesson_at = (
        GradeKind.CLASSWORK.value,
        lesson.id,
        lesson.starts_at,
    )
    return Advance.NEXT


TextReader = Callable[[GradeData, str, FormContext], Awaitable[Advance]]
StepReader = Callable[[GradeData, str | None, FormContext], Awaitable[Advance]]


def typed_while_own(read: TextReader) -> StepReader:
    """A step that reads typed text while the group is still the teacher's own: another
    teacher's group ends the form (own_group), anything but text is refused."""

    @wraps(read)
    async def step(data: GradeData, text: str | None, context: FormContext) -> Advance:
        if await own_group(context, data.group_id, service.deny) is None:
            return Advance.CLOSE
        if text is None:
            raise Refusal(text_only_text())
        return await read(data, text, context)

    return step


@typed_while_own
async def read_title(data: GradeData, text: str, context: FormContext) -> Advance:
    data.title = parsing.clean_title(text)
    return Advance.NEXT


@typed_while_own
async def read_maximum(data: GradeData, text: str, context: FormContext) -> Advance:
    maximum = parsing.parse_max(text)
    students = await service.gradable_students(context.session, data.group_id)
    if not students:
        await reply(
            context,
            _("ℹ️ Nobody is actively enrolled in this group, so there is nobody to grade."),
            None,
        )
        return Advance.CLOSE
    data.max, data.students = maximum, [(s.id, s.name) for s in students]
    return Advance.NEXT


@typed_while_own
async def read_scores(data: GradeData, text: str, context: FormContext) -> Advance:
    students = await service.gradable_students(context.session, data.group_id)
    data.students = [(s.id, s.name) for s in students]
    data.scores = parsing.parse_scores(text, students, data.max)
    return Advance.NEXT


class GradeForm(Form[GradeData], state="grade_form"):
    """What is graded, its name (an assessment), the maximum, the scores; the summary."""

    key = "gr"
    data_type = GradeData
    steps = (
        Step(
            "target",
            target_prompt,
            choices=target_buttons,
            pick=pick_target,
            typed_hint=choose_hint,
        ),
        Step(
            "title",
            title_prompt,
            read=read_title,
            problem=title_problem,
            when=lambda data: data.lesson_id is None,
            example=lambda: _("Example: <i>Unit 3 test</i>"),
        ),
        Step(
            "max",
            maximum_prompt,
            read=read_maximum,
            problem=score_max_problem,
        ),
        Step(
            "scores",
            scores_prompt,
            read=read_scores,
            problem=scores_problem,
            label=lambda: _("✏️ Edit"),  # the only step ✏️ Edit asks again
        ),
    )

    def title(self, data: GradeData) -> str:
        if data.lesson_id is not None or data.title is not None:
            return header(data.group_name) + " · " + what_text(data.target(), data.zone)
        if data.kind:
            return header(data.group_name) + " · " + kind_label(data.kind)
        return header(data.group_name)

    def reask_text(self, problem: str, step: Step[GradeData], data: GradeData) -> str:
        """The lines' problems, a button's hint and a message that is not text come alone."""
        if step.name in {"target", "scores"} or problem == text_only_text():
            return problem
        return super().reask_text(problem, step, data)

    def summary_text(self, data: GradeData) -> str:
        return summary_text(data.target(), data.roster(), data.scores, data.max, data.zone)

    def while_confirming_text(self) -> str:
        return choose_hint()

    async def save(self, data: GradeData, context: FormContext) -> Retry | None:
        settings: Settings = context.settings
        target = data.target()
        result = await service.save(
            context.session,
            context.actor,
            target,
            data.max,
            data.scores,
            policy_version=settings.centre.policy_version,
            now=utcnow(),
        )
        if result.problem is SaveProblem.FOREIGN:
            await service.deny(context.session, context.actor, data.group_id, "foreign")
            context.toast = stale_button_text()
            return None
        if result.problem is not None:  # the roster changed since the scores were typed
            students = await service.gradable_students(context.session, data.group_id)
            data.students = [(s.id, s.name) for s in students]
            return Retry(
                "scores",
                _("⚠️ The group has changed since you typed the scores. Please send them again."),
            )
        await reply(
            context,
            _("✅ {count} grades saved · {what}").format(
                count=result.count, what=what_text(target, data.zone)
            ),
            None,
        )
        context.toast = _("✅ Saved.")
        bot: Bot = context.bot
        sender: Sender = context.sender
        sender.in_background(send_grades(bot, sender, result.notices, settings))
        return None


start = group_form_start(GradeForm, GradeData, service.deny)


async def send_grades(
    bot: Bot, sender: Sender, notices: list[GradeNotice], settings: Settings
) -> None:
    for notice in notices:
        await sender.notify(bot, notice.recipient, partial(grade_notice_text, notice, settings))


def grade_notice_text(notice: GradeNotice, settings: Settings) -> str:
    tz = settings.centre.tz
    if notice.lesson_at is not None:
        what = _("lesson {when}").format(when=format_datetime(notice.lesson_at, tz))
    else:
        what = f"{kind_label(notice.kind)} «{escape(notice.title or '')}»"
    title, more = title_and_pointer(
        notice,
        (_("📝 <b>New grade</b> · {group}"), _("/grades — all your grades")),
        (_("📝 <b>New grade for {student}</b> · {group}"), _("/children — your children's grades")),
    )
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
    router.callback_query.register(start, GradeCb.filter(F.action == "start"))
    router.include_router(GradeForm.as_router())
    return router
