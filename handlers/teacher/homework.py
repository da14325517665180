"""Homework for a group: text, an optional photo or document, an optional due date.

Step 1 takes the text (or a photo / document with the text as its caption), step 2 an
optional file, step 3 the due date (a typed date, the group's next lesson, or none),
step 4 a summary with ✅ Confirm. Nothing is stored before ✅. The students and their
linked parents who allow reminders get the homework as a notice, the file after it.
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
from bot.delivery import Outcome, Sender
from bot.formatting import format_datetime
from bot.i18n import _, use_language
from bot.services import attendance as attendance_service
from bot.services import homework as service
from bot.services.access import Actor
from bot.services.homework import HomeworkNotice, InvalidHomework, Problem
from bot.services.student_views import AttachmentKind, parse_attachment
from bot.telegram import edit_or_send
from bot.wording import stale_button_text
from db.base import utcnow
from handlers.forms import not_a_command
from handlers.teacher.lessons import end_form, group_form_data
from keyboards.teacher import (
    HomeworkCb,
    confirm_keyboard,
    homework_due_keyboard,
    homework_file_keyboard,
)

FORM = "homework"  # FSM data key of this form


class HomeworkForm(StatesGroup):
    text = State()
    file = State()
    due = State()
    confirm = State()


def header(group_name: str) -> str:
    return _("📚 <b>Homework</b> · {group}").format(group=escape(group_name))


def problem_text(problem: Problem) -> str:
    texts = {
        Problem.NOT_TEXT: _(
            "⚠️ Send the task as text, or a photo or a document with the task as its caption. "
            "Other kinds of message are not taken here."
        ),
        Problem.TOO_SHORT: _("⚠️ That is too short: write at least {minimum} characters."),
        Problem.TOO_LONG: _(
            "⚠️ That is too long: the limit is {maximum} characters. Please shorten it."
        ),
        Problem.FILE_TYPE: _(
            "⚠️ This kind of file is not taken. Send a photo, or a PDF, Word, Excel, "
            "PowerPoint, text, image or ZIP file."
        ),
        Problem.FILE_SIZE: _("⚠️ The file is larger than 20 MB. Send a smaller one."),
        Problem.DATE: _(
            "⚠️ That is not a date. Write it like <i>25.03.2026</i> or <i>25.03.2026 14:00</i>."
        ),
        Problem.PAST: _("⚠️ That moment has passed already. Choose a later date."),
        Problem.TOO_FAR: _("⚠️ That is more than a year ahead. Choose an earlier date."),
    }
    return texts[problem].format(minimum=service.TEXT_MIN, maximum=service.TEXT_MAX)


def text_prompt(group_name: str) -> str:
    return "\n".join(
        [
            header(group_name),
            "",
            _(
                "Step 1/4 — send the task as text, up to {maximum} characters. You may also "
                "send a photo or a document with the task as its caption."
            ).format(maximum=service.TEXT_MAX),
            _("Example: <i>Exercises 3–5 on page 42, and learn the new words.</i>"),
            "",
            _("/cancel — leave without posting."),
        ]
    )


def file_prompt(group_name: str) -> str:
    return "\n".join(
        [
            header(group_name),
            "",
            _("Step 2/4 — attach a photo or a document, or tap ⏭ No file."),
            "",
            _("/cancel — leave without posting."),
        ]
    )


def due_prompt(group_name: str) -> str:
    return "\n".join(
        [
            header(group_name),
            "",
            _(
                "Step 3/4 — when is it due? Send a date like <i>25.03.2026</i> "
                "(or <i>25.03.2026 14:00</i>), or choose below."
            ),
            "",
            _("/cancel — leave without posting."),
        ]
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


def summary_text(form: dict, tz: ZoneInfo) -> str:
    due_at = datetime.fromisoformat(form["due_at"]) if form.get("due_at") else None
    return "\n".join(
        [
            header(form["group_name"]),
            "",
            _("Step 4/4 — check the homework:"),
            _("<b>Due:</b> {due}").format(due=due_text(due_at, tz)),
            _("<b>File:</b> {file}").format(file=file_label(form.get("attachment"))),
            "",
            escape(form["text"]),
            "",
            _("Post it? The students and their parents will be told."),
        ]
    )


async def refuse(callback: CallbackQuery, actor: Actor, session: AsyncSession, group_id: int):
    await service.deny(session, actor, group_id, "foreign")
    await callback.answer(stale_button_text())


async def start(
    callback: CallbackQuery,
    callback_data: HomeworkCb,
    actor: Actor,
    session: AsyncSession,
    state: FSMContext,
) -> None:
    group = await attendance_service.managed_group(session, actor, callback_data.group)
    if group is None:
        await refuse(callback, actor, session, callback_data.group)
        return
    await state.set_state(HomeworkForm.text)
    await state.update_data({FORM: {"group_id": group.id, "group_name": group.name}})
    await edit_or_send(callback, text_prompt(group.name), None)
    await callback.answer()


def attachment_of(message: Message) -> str | None:
    """The photo's or the document's stored form; raises InvalidHomework for a bad file."""
    if message.photo:
        return service.photo_attachment(message.photo[-1].file_id)
    if message.document:
        document = message.document
        return service.document_attachment(document.file_id, document.file_name, document.file_size)
    return None


async def ask_due(form: dict, session: AsyncSession, settings: Settings):
    lesson = await service.next_lesson(session, form["group_id"], utcnow())
    when = format_datetime(lesson.starts_at, settings.centre.tz) if lesson else None
    return due_prompt(form["group_name"]), homework_due_keyboard(form["group_id"], when)


async def text_received(
    message: Message, state: FSMContext, session: AsyncSession, settings: Settings
) -> None:
    data = await state.get_data()
    form = data[FORM]
    try:
        attachment = attachment_of(message)
        if attachment is not None and not message.caption:
            await message.answer(
                _("⚠️ Add the task as the caption of the file, or send the text first.")
                + "\n\n"
                + text_prompt(form["group_name"])
            )
            return
        text = service.clean_text(message.caption if attachment else message.text)
    except InvalidHomework as invalid:
        await message.answer(
            problem_text(invalid.problem) + "\n\n" + text_prompt(form["group_name"])
        )
        return
    form |= {"text": text, "attachment": attachment}
    await state.set_data(data)
    if attachment is None:
        await state.set_state(HomeworkForm.file)
        await message.answer(
            file_prompt(form["group_name"]), reply_markup=homework_file_keyboard(form["group_id"])
        )
        return
    await state.set_state(HomeworkForm.due)
    text, markup = await ask_due(form, session, settings)
    await message.answer(text, reply_markup=markup)


async def file_received(
    message: Message, state: FSMContext, session: AsyncSession, settings: Settings
) -> None:
    data = await state.get_data()
    form = data[FORM]
    try:
        attachment = attachment_of(message)
    except InvalidHomework as invalid:
        await message.answer(problem_text(invalid.problem))
        return
    if attachment is None:
        await message.answer(
            _("⚠️ Only a photo or a document can be attached here; or tap ⏭ No file."),
            reply_markup=homework_file_keyboard(form["group_id"]),
        )
        return
    form["attachment"] = attachment
    await state.set_data(data)
    await state.set_state(HomeworkForm.due)
    text, markup = await ask_due(form, session, settings)
    await message.answer(text, reply_markup=markup)


async def no_file(
    callback: CallbackQuery,
    callback_data: HomeworkCb,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
) -> None:
    data = await group_form_data(state, FORM, callback_data.group, HomeworkForm.file)
    if data is None:
        await callback.answer(stale_button_text())
        return
    await state.set_state(HomeworkForm.due)
    lesson = await service.next_lesson(session, callback_data.group, utcnow())
    when = format_datetime(lesson.starts_at, settings.centre.tz) if lesson else None
    await edit_or_send(
        callback,
        due_prompt(data[FORM]["group_name"]),
        homework_due_keyboard(callback_data.group, when),
    )
    await callback.answer()


async def due_received(message: Message, state: FSMContext, settings: Settings) -> None:
    data = await state.get_data()
    form = data[FORM]
    tz = settings.centre.tz
    try:
        due_at = service.parse_due(message.text, utcnow(), tz)
    except InvalidHomework as invalid:
        await message.answer(problem_text(invalid.problem))
        return
    form |= {"due_at": due_at.isoformat(), "lesson_id": None}
    await state.set_data(data)
    await state.set_state(HomeworkForm.confirm)
    await message.answer(
        summary_text(form, tz), reply_markup=confirm_keyboard(HomeworkCb, form["group_id"])
    )


async def due_picked(
    callback: CallbackQuery,
    callback_data: HomeworkCb,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
) -> None:
    data = await group_form_data(state, FORM, callback_data.group, HomeworkForm.due)
    if data is None:
        await callback.answer(stale_button_text())
        return
    form = data[FORM]
    form |= {"due_at": None, "lesson_id": None}
    if callback_data.action == "next":
        lesson = await service.next_lesson(session, callback_data.group, utcnow())
        if lesson is None:
            await callback.answer(_("ℹ️ The group has no lesson ahead."), show_alert=True)
            return
        form |= {"due_at": lesson.starts_at.isoformat(), "lesson_id": lesson.id}
    await state.set_data(data)
    await state.set_state(HomeworkForm.confirm)
    await edit_or_send(
        callback,
        summary_text(form, settings.centre.tz),
        confirm_keyboard(HomeworkCb, callback_data.group),
    )
    await callback.answer()


async def edit_pressed(
    callback: CallbackQuery, callback_data: HomeworkCb, state: FSMContext
) -> None:
    data = await group_form_data(state, FORM, callback_data.group, HomeworkForm.confirm)
    if data is None:
        await callback.answer(stale_button_text())
        return
    form = data[FORM]
    data[FORM] = {"group_id": form["group_id"], "group_name": form["group_name"]}
    await state.set_data(data)
    await state.set_state(HomeworkForm.text)
    await edit_or_send(callback, text_prompt(form["group_name"]), None)
    await callback.answer()


async def cancel_pressed(
    callback: CallbackQuery, callback_data: HomeworkCb, state: FSMContext
) -> None:
    data = await group_form_data(
        state, FORM, callback_data.group, HomeworkForm.file, HomeworkForm.due, HomeworkForm.confirm
    )
    if data is None:
        await callback.answer(stale_button_text())
        return
    await end_form(state, FORM)
    await edit_or_send(callback, _("❌ Cancelled. Nothing was posted."), None)
    await callback.answer()


async def post_pressed(
    callback: CallbackQuery,
    callback_data: HomeworkCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
    sender: Sender,
) -> None:
    data = await group_form_data(state, FORM, callback_data.group, HomeworkForm.confirm)
    if data is None:
        await callback.answer(stale_button_text())  # a second tap, or an old summary
        return
    form = data[FORM]
    posted = await service.post(
        session,
        actor,
        form["group_id"],
        form["text"],
        attachment=form.get("attachment"),
        lesson_id=form.get("lesson_id"),
        due_at=datetime.fromisoformat(form["due_at"]) if form.get("due_at") else None,
        now=utcnow(),
        policy_version=settings.centre.policy_version,
    )
    await end_form(state, FORM)
    if posted.homework_id is None:
        await refuse(callback, actor, session, form["group_id"])
        return
    await edit_or_send(
        callback,
        _("✅ Homework posted for {group}.").format(group=escape(form["group_name"])),
        None,
    )
    await callback.answer(_("✅ Posted."))
    await send_homework(bot, sender, posted.notices, settings.centre.tz)


def homework_notice_text(notice: HomeworkNotice, tz: ZoneInfo) -> str:
    if notice.about_self:
        title = _("📚 <b>New homework</b> · {group}").format(group=escape(notice.group_name))
        more = _("/homework — all your homework")
    else:
        title = _("📚 <b>New homework for {student}</b> · {group}").format(
            student=escape(notice.student_name), group=escape(notice.group_name)
        )
        more = _("/children — your children's lessons and homework")
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
    messages = router.message
    messages.register(text_received, StateFilter(HomeworkForm.text), not_a_command)
    messages.register(file_received, StateFilter(HomeworkForm.file), not_a_command)
    messages.register(due_received, StateFilter(HomeworkForm.due), F.text, not_a_command)
    messages.register(due_not_text, StateFilter(HomeworkForm.due), ~F.text)
    messages.register(text_while_confirming, StateFilter(HomeworkForm.confirm), not_a_command)
    callbacks = router.callback_query
    callbacks.register(start, HomeworkCb.filter(F.action == "start"))
    callbacks.register(no_file, HomeworkCb.filter(F.action == "nofile"))
    callbacks.register(due_picked, HomeworkCb.filter(F.action.in_({"next", "nodue"})))
    callbacks.register(edit_pressed, HomeworkCb.filter(F.action == "edit"))
    callbacks.register(cancel_pressed, HomeworkCb.filter(F.action == "cancel"))
    callbacks.register(post_pressed, HomeworkCb.filter(F.action == "post"))
    return router


async def due_not_text(message: Message) -> None:
    await message.answer(problem_text(Problem.DATE))


async def text_while_confirming(message: Message) -> None:
    await message.answer(
        _("ℹ️ Use the buttons under the message above: ✅ Confirm, ✏️ Edit or ❌ Cancel.")
    )
