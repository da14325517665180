"""Homework for a group: text, an optional photo or document, an optional due date.

Step 1 takes the text (or a photo / document with the text as its caption), step 2 an
optional file, step 3 the due date (a typed date, the group's next lesson, or none),
step 4 a summary with ✅ Confirm. Nothing is stored before ✅. The students and their
linked parents who allow reminders get the homework as a notice, the file after it.

The form (`HomeworkForm`, on the form engine) checks on every answer and at ✅ that the
group is still the teacher's own: another teacher's group is refused (a
`homework.denied` audit entry).
"""

from datetime import datetime
from functools import partial
from html import escape
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.types import Message

from bot.config import Settings
from bot.delivery import Outcome, Sender
from bot.formatting import format_datetime
from bot.forms import Advance, Form, FormContext, FormData, Refusal, Step
from bot.forms.engine import reply
from bot.i18n import _, use_language
from bot.services import homework as service
from bot.services import parsing
from bot.services.homework import HomeworkNotice, InvalidHomework, Problem
from bot.services.student_views import AttachmentKind, parse_attachment
from bot.wording import due_problem, stale_button_text, task_problem
from db.base import utcnow
from handlers.teacher.lessons import group_form_start, own_group
from handlers.teacher.notice_wording import title_and_pointer
from keyboards.forms import Rows
from keyboards.teacher import (
    NEXT_LESSON,
    HomeworkCb,
    homework_due_rows,
    homework_file_rows,
)


def header(group_name: str) -> str:
    return _("📚 <b>Homework</b> · {group}").format(group=escape(group_name))


def file_problem(problem: Problem) -> str:
    if problem is Problem.FILE_SIZE:
        return _("⚠️ The file is larger than 20 MB. Send a smaller one.")
    return _(
        "⚠️ This kind of file is not taken. Send a photo, or a PDF, Word, Excel, "
        "PowerPoint, text, image or ZIP file."
    )


def text_prompt(data: "HomeworkData") -> str:
    return "\n".join(
        [
            _(
                "Step 1/4 — send the task as text, up to {maximum} characters. You may also "
                "send a photo or a document with the task as its caption."
            ).format(maximum=parsing.TASK_MAX),
            _("Example: <i>Exercises 3–5 on page 42, and learn the new words.</i>"),
        ]
    )


def file_prompt(data: "HomeworkData") -> str:
    return _("Step 2/4 — attach a photo or a document, or tap ⏭ No file.")


def due_prompt(data: "HomeworkData") -> str:
    return _(
        "Step 3/4 — when is it due? Send a date like <i>25.03.2026</i> "
        "(or <i>25.03.2026 14:00</i>), or choose below."
    )


def due_text(due_at: datetime | None, tz: ZoneInfo) -> str:
    if due_at is None:
        return _("no due date")
    return _("due {when}").format(when=format_datetime(due_at, tz))


def file_label(attachment: str | None) -> str:
    if attachment is None:
        return _("no file")
    kind = parse_attachment(attachment).kind
    return _("📷 a photo") if kind is AttachmentKind.PHOTO else _("📎 a document")


class HomeworkData(FormData):
    group_id: int = 0
    group_name: str = ""
    tz: str = "UTC"  # the centre's time zone (dates typed and shown)
    text: str = ""
    attachment: str | None = None  # "photo:<file id>" / "document:<file id>"
    due_at: datetime | None = None
    lesson_id: int | None = None  # due at the start of this lesson

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)


def summary_text(data: HomeworkData) -> str:
    return "\n".join(
        [
            header(data.group_name),
            "",
            _("Step 4/4 — check the homework:"),
            _("<b>Due:</b> {due}").format(due=due_text(data.due_at, data.zone)),
            _("<b>File:</b> {file}").format(file=file_label(data.attachment)),
            "",
            escape(data.text),
            "",
            _("Post it? The students and their parents will be told."),
        ]
    )


def attachment_of(message: Message) -> str | None:
    """The photo's or the document's stored form; a bad file raises Refusal with its problem."""
    try:
        if message.photo:
            return service.photo_attachment(message.photo[-1].file_id)
        if message.document:
            document = message.document
            return service.document_attachment(
                document.file_id, document.file_name, document.file_size
            )
    except InvalidHomework as invalid:
        raise Refusal(file_problem(invalid.problem)) from None
    return None


# --- the steps ------------------------------------------------------------------------------


async def receive_text(data: HomeworkData, message: Message, context: FormContext) -> Advance:
    if await own_group(context, data.group_id, service.deny) is None:
        return Advance.CLOSE
    attachment = attachment_of(message)
    if attachment is not None and not message.caption:
        raise Refusal(_("⚠️ Add the task as the caption of the file, or send the text first."))
    data.text = parsing.clean_task(message.caption if attachment else message.text)
    data.attachment = attachment
    return Advance.NEXT


async def receive_file(data: HomeworkData, message: Message, context: FormContext) -> Advance:
    if await own_group(context, data.group_id, service.deny) is None:
        return Advance.CLOSE
    attachment = attachment_of(message)
    if attachment is None:
        raise Refusal(_("⚠️ Only a photo or a document can be attached here; or tap ⏭ No file."))
    data.attachment = attachment
    return Advance.NEXT


async def pick_no_file(data: HomeworkData, value: str, context: FormContext) -> Advance:
    if await own_group(context, data.group_id, service.deny) is None:
        return Advance.CLOSE
    data.attachment = None
    return Advance.NEXT


async def due_buttons(data: HomeworkData, form: str, context: FormContext) -> Rows:
    lesson = await service.next_lesson(context.session, data.group_id, utcnow())
    when = format_datetime(lesson.starts_at, data.zone) if lesson else None
    return homework_due_rows(form, "due", when)


async def read_due(data: HomeworkData, text: str | None, context: FormContext) -> Advance:
    if await own_group(context, data.group_id, service.deny) is None:
        return Advance.CLOSE
    data.due_at, data.lesson_id = parsing.parse_due(text, utcnow(), data.zone), None
    return Advance.NEXT


async def pick_due(data: HomeworkData, value: str, context: FormContext) -> Advance:
    if await own_group(context, data.group_id, service.deny) is None:
        return Advance.CLOSE
    data.due_at, data.lesson_id = None, None
    if value == NEXT_LESSON:
        lesson = await service.next_lesson(context.session, data.group_id, utcnow())
        if lesson is None:
            context.toast, context.alert = _("ℹ️ The group has no lesson ahead."), True
            return Advance.KEEP
        data.due_at, data.lesson_id = lesson.starts_at, lesson.id
    return Advance.NEXT


class HomeworkForm(Form[HomeworkData], state="homework_form"):
    """The task (with a file as its caption, or the file next), the due date; the summary.
    ✏️ Edit asks from the task on again, as a new task may bring its own file."""

    key = "hw"
    data_type = HomeworkData
    edit_from = "text"  # a new task may bring its own file, or ask for one
    steps = (
        Step(
            "text",
            text_prompt,
            receive=receive_text,
            problem=task_problem,
            label=lambda: _("✏️ Edit"),
        ),
        Step(
            "file",
            file_prompt,
            receive=receive_file,
            pick=pick_no_file,
            buttons=lambda data, form: homework_file_rows(form, "file"),
            when=lambda data: data.attachment is None,
        ),
        Step(
            "due",
            due_prompt,
            read=read_due,
            choices=due_buttons,
            pick=pick_due,
            problem=due_problem,
        ),
    )

    def title(self, data: HomeworkData) -> str:
        return header(data.group_name)

    def step_text(self, step: Step[HomeworkData], data: HomeworkData) -> str:
        lines = [self.title(data), "", step.question(data), ""]
        return "\n".join([*lines, _("/cancel — leave without posting.")])

    def reask_text(self, problem: str, step: Step[HomeworkData], data: HomeworkData) -> str:
        """A wrong file or date comes alone (the buttons stay under it); the task's
        problems above the step."""
        return super().reask_text(problem, step, data) if step.name == "text" else problem

    def summary_text(self, data: HomeworkData) -> str:
        return summary_text(data)

    def cancelled_text(self) -> str:
        return _("❌ Cancelled. Nothing was posted.")

    def while_confirming_text(self) -> str:
        return _("ℹ️ Use the buttons under the message above: ✅ Confirm, ✏️ Edit or ❌ Cancel.")

    async def save(self, data: HomeworkData, context: FormContext) -> None:
        settings: Settings = context.settings
        posted = await service.post(
            context.session,
            context.actor,
            data.group_id,
            data.text,
            attachment=data.attachment,
            lesson_id=data.lesson_id,
            due_at=data.due_at,
            now=utcnow(),
            policy_version=settings.centre.policy_version,
        )
        if posted.homework_id is None:  # no longer the teacher's group, or the lesson went
            await service.deny(context.session, context.actor, data.group_id, "foreign")
            context.toast = stale_button_text()
            return
        text = _("✅ Homework posted for {group}.").format(group=escape(data.group_name))
        await reply(context, text, None)
        context.toast = _("✅ Posted.")
        bot: Bot = context.bot
        sender: Sender = context.sender
        sender.in_background(send_homework(bot, sender, posted.notices, data.zone))


start = group_form_start(HomeworkForm, HomeworkData, service.deny)


def homework_notice_text(notice: HomeworkNotice, tz: ZoneInfo) -> str:
    title, more = title_and_pointer(
        notice,
        (_("📚 <b>New homework</b> · {group}"), _("/homework — all your homework")),
        (
            _("📚 <b>New homework for {student}</b> · {group}"),
            _("/children — your children's lessons and homework"),
        ),
    )
    lines = [title, "⏰ " + due_text(notice.due_at, tz)]
    if notice.attachment:
        lines.append(_("📎 The file follows."))
    lines += ["", escape(notice.text), "", more, _("To stop these reminders: /settings")]
    return "\n".join(lines)


def file_caption(notice: HomeworkNotice) -> str:
    return _("📎 Homework · {group}").format(group=escape(notice.group_name))


async def send_homework(
    bot: Bot, sender: Sender, notices: list[HomeworkNotice], tz: ZoneInfo
) -> None:
    """The notice, then the file to those the notice reached (both through the sender)."""
    for notice in notices:
        delivered = await sender.notify(
            bot, notice.recipient, partial(homework_notice_text, notice, tz)
        )
        if delivered.outcome is not Outcome.SENT or not notice.attachment:
            continue
        attachment = parse_attachment(notice.attachment)
        with use_language(notice.recipient.language):
            caption = file_caption(notice)
        photo = attachment.kind is AttachmentKind.PHOTO
        await sender.send_file(
            bot, notice.recipient, attachment.file_id, photo=photo, caption=caption
        )


def create_router() -> Router:
    router = Router(name="teacher.homework")
    router.callback_query.register(start, HomeworkCb.filter(F.action == "start"))
    router.include_router(HomeworkForm.as_router())
    return router
