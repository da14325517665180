"""The student's /schedule, /attendance, /grades and /homework (the parent's child views
render with the same functions, see handlers/parent/children.py).

A view is a read: one session (the update's), a fixed handful of queries, nothing
written; the read transaction is closed before anything is sent to Telegram.
"""

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters.menu import MenuButton
from bot.formatting import format_datetime
from bot.i18n import _
from bot.services import student_views as service
from bot.services.access import Actor
from bot.services.student_views import (
    AttachmentKind,
    GroupAttendance,
    GroupGrades,
    GroupRef,
    HomeworkFiles,
    HomeworkItem,
    HomeworkList,
    LessonItem,
    Relative,
    Schedule,
)
from bot.telegram import edit_or_send, split_message
from db.base import utcnow
from handlers.fallback import stale_button_text
from keyboards.labels import attendance_labels, grade_kind_labels
from keyboards.student import StudentViewCb, View, homework_files

FILES_ACTION = "homework.files"


# --- labels ---------------------------------------------------------------------------------


def titles(name: str | None) -> dict[View, str]:
    """Each view's first line: the student's own, or a child's (name escaped here)."""
    if name is None:
        return {
            View.SCHEDULE: _("📅 <b>My schedule</b>"),
            View.ATTENDANCE: _("📋 <b>My attendance</b>"),
            View.GRADES: _("📝 <b>My grades</b>"),
            View.HOMEWORK: _("📚 <b>My homework</b>"),
        }
    name = escape(name)
    return {
        View.SCHEDULE: _("📅 <b>Schedule of {name}</b>").format(name=name),
        View.ATTENDANCE: _("📋 <b>Attendance of {name}</b>").format(name=name),
        View.GRADES: _("📝 <b>Grades of {name}</b>").format(name=name),
        View.HOMEWORK: _("📚 <b>Homework of {name}</b>").format(name=name),
    }


def split_when(moment: datetime, tz: ZoneInfo) -> tuple[str, str]:
    """`Mon, 3 Mar · 14:00` → (`Mon, 3 Mar`, `14:00`), in the centre's time zone."""
    day, _separator, clock = format_datetime(moment, tz).rpartition(" · ")
    return day, clock


def group_title(group: GroupRef) -> str:
    return _("<b>{group}</b> ({course})").format(
        group=escape(group.name), course=escape(group.course)
    )


# --- schedule -------------------------------------------------------------------------------


def lesson_line(lesson: LessonItem, tz: ZoneInfo) -> str:
    _day, start = split_when(lesson.starts_at, tz)
    _day, end = split_when(lesson.ends_at, tz)
    text = _("{start}–{end} · {group} ({course})").format(
        start=start, end=end, group=escape(lesson.group.name), course=escape(lesson.group.course)
    )
    if lesson.room:
        text += " · " + _("room {room}").format(room=escape(lesson.room))
    if lesson.topic:
        text += " · " + escape(lesson.topic)
    if lesson.cancelled:
        return "• ❌ <s>" + text + "</s> · " + _("cancelled")
    if lesson.moved:
        return "• 🔁 " + text + " · <i>" + _("moved to this time") + "</i>"
    return "• " + text


def render_schedule(schedule: Schedule, tz: ZoneInfo, title: str) -> str:
    if not schedule.days:
        return title + "\n\n" + _("No lessons this week or next.")
    relative = {Relative.TODAY: _("Today"), Relative.TOMORROW: _("Tomorrow")}
    blocks = [title]
    next_week_shown = False
    for day in schedule.days:
        if day.next_week and not next_week_shown:
            blocks.append(_("<b>— Next week —</b>"))
            next_week_shown = True
        date_label, _clock = split_when(day.lessons[0].starts_at, tz)
        header = (
            f"<b>{relative[day.relative]}, {date_label}</b>"
            if day.relative
            else f"<b>{date_label}</b>"
        )
        blocks.append("\n".join([header, *(lesson_line(lesson, tz) for lesson in day.lessons)]))
    return "\n\n".join(blocks)


# --- attendance -----------------------------------------------------------------------------


def render_attendance(groups: list[GroupAttendance], tz: ZoneInfo, title: str) -> str:
    if not groups:
        return title + "\n\n" + _("No attendance marks.")
    labels = attendance_labels()
    blocks = [title]
    for entry in groups:
        lines = [group_title(entry.group)]
        if entry.percent is None:
            lines.append(_("No marks yet."))
        else:
            lines.append(
                " · ".join(
                    f"{label}: {entry.counts.get(status, 0)}" for status, label in labels.items()
                )
            )
            lines.append(
                _("Attended (present or late): {percent}%, marked lessons: {count}").format(
                    percent=entry.percent, count=entry.marked
                )
            )
            lines.append(_("Last lessons:"))
            lines += [
                f"• {format_datetime(mark.starts_at, tz)} — {labels.get(mark.status, mark.status)}"
                for mark in entry.recent
            ]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


# --- grades ---------------------------------------------------------------------------------


def render_grades(groups: list[GroupGrades], tz: ZoneInfo, title: str) -> str:
    if not groups:
        return title + "\n\n" + _("No grades.")
    kinds = grade_kind_labels()
    blocks = [title]
    for entry in groups:
        lines = [group_title(entry.group)]
        for grade in entry.grades:
            day, _clock = split_when(grade.given_at, tz)
            line = _("• {date} · <b>{score}/{max}</b> · {kind}").format(
                date=day,
                score=grade.score,
                max=grade.max_score,
                kind=kinds.get(grade.kind, grade.kind),
            )
            if grade.comment:
                line += " — <i>" + escape(grade.comment) + "</i>"
            lines.append(line)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


# --- homework -------------------------------------------------------------------------------


def homework_block(number: int, item: HomeworkItem, tz: ZoneInfo, *, overdue: bool) -> str:
    head = f"{number}. " + _("<b>{group}</b> ({course})").format(
        group=escape(item.group), course=escape(item.course)
    )
    if item.due_at is None:
        due = _("no due date")
    elif overdue:
        due = _("was due {when}").format(when=format_datetime(item.due_at, tz))
    else:
        due = _("due {when}").format(when=format_datetime(item.due_at, tz))
    lines = [f"{head} · {due}", escape(item.text)]
    if item.attachments:
        lines.append(_("📎 Files: {count}").format(count=item.attachments))
    return "\n".join(lines)


def render_homework(
    homework: HomeworkList, tz: ZoneInfo, title: str
) -> tuple[str, list[tuple[int, int]]]:
    """The text, and (number, homework id) of each homework with files (for the buttons)."""
    if not homework.items:
        return title + "\n\n" + _("No homework for now."), []
    blocks = [title]
    files: list[tuple[int, int]] = []
    number = 0
    for heading, items, overdue in (
        (_("<b>Current</b>"), homework.current, False),
        (_("<b>Recent</b>"), homework.recent, True),
    ):
        if not items:
            continue
        blocks.append(heading)
        for item in items:
            number += 1
            blocks.append(homework_block(number, item, tz, overdue=overdue))
            if item.attachments:
                files.append((number, item.id))
    return "\n\n".join(blocks), files


# --- building and sending -------------------------------------------------------------------


async def build_view(
    session: AsyncSession,
    view: View,
    student_id: int,
    tz: ZoneInfo,
    title: str,
    now: datetime | None = None,
) -> tuple[str, list[tuple[int, int]]]:
    """A view's text and its homework-file buttons (none but for homework)."""
    now = now or utcnow()
    if view is View.SCHEDULE:
        schedule = await service.schedule(session, student_id, now=now, tz=tz)
        return render_schedule(schedule, tz, title), []
    if view is View.ATTENDANCE:
        return render_attendance(await service.attendance(session, student_id), tz, title), []
    if view is View.GRADES:
        return render_grades(await service.grades(session, student_id), tz, title), []
    return render_homework(await service.homework(session, student_id, now=now), tz, title)


async def end_read(session: AsyncSession) -> None:
    """Close the read transaction before talking to Telegram (nothing was written)."""
    await session.rollback()


async def send_parts(
    bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """A long view goes as several messages, split between blocks; the buttons go last."""
    parts = split_message(text)
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        await bot.send_message(chat_id, part, reply_markup=markup if last else None)


async def show_in_place(
    callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Edit the pressed message when the view fits in one; otherwise send it anew."""
    if len(split_message(text)) == 1:
        await edit_or_send(callback, text, markup)
    else:
        await send_parts(callback.bot, callback.from_user.id, text, markup)


async def deliver_files(bot: Bot, chat_id: int, files: HomeworkFiles) -> None:
    """Re-send the stored Telegram files (no download, no upload)."""
    caption = _("📚 Homework · {group}").format(group=escape(files.group))
    missing = 0
    for index, attachment in enumerate(files.attachments):
        text = caption if index == 0 else None
        try:
            if attachment.kind is AttachmentKind.PHOTO:
                await bot.send_photo(chat_id, attachment.file_id, caption=text)
            else:
                await bot.send_document(chat_id, attachment.file_id, caption=text)
            continue
        except TelegramBadRequest as error:
            if attachment.kind is not None:
                logger.warning("homework file not sent: {}", error.message)
                missing += 1
                continue
        try:  # a bare file id that was a photo
            await bot.send_photo(chat_id, attachment.file_id, caption=text)
        except TelegramBadRequest as error:
            logger.warning("homework file not sent: {}", error.message)
            missing += 1
    if missing or not files.attachments:
        await bot.send_message(
            chat_id,
            _("⚠️ Some files of this homework are no longer available. Ask the teacher."),
        )


# --- handlers -------------------------------------------------------------------------------


async def send_own_view(
    view: View, message: Message, actor: Actor, session: AsyncSession, settings: Settings
) -> None:
    text, files = await build_view(
        session, view, actor.user_id, settings.centre.tz, titles(None)[view]
    )
    await end_read(session)
    await send_parts(message.bot, message.chat.id, text, homework_files(files))


async def show_schedule(
    message: Message, actor: Actor, session: AsyncSession, settings: Settings
) -> None:
    await send_own_view(View.SCHEDULE, message, actor, session, settings)


async def show_attendance(
    message: Message, actor: Actor, session: AsyncSession, settings: Settings
) -> None:
    await send_own_view(View.ATTENDANCE, message, actor, session, settings)


async def show_grades(
    message: Message, actor: Actor, session: AsyncSession, settings: Settings
) -> None:
    await send_own_view(View.GRADES, message, actor, session, settings)


async def show_homework(
    message: Message, actor: Actor, session: AsyncSession, settings: Settings
) -> None:
    await send_own_view(View.HOMEWORK, message, actor, session, settings)


async def send_homework_files(
    callback: CallbackQuery, callback_data: StudentViewCb, actor: Actor, session: AsyncSession
) -> None:
    files = await service.homework_files(session, actor.user_id, callback_data.item)
    if files is None:
        await service.refuse(session, actor.user_id, FILES_ACTION, {"homework": callback_data.item})
        await callback.answer(stale_button_text())
        return
    await end_read(session)
    await callback.answer(_("📎 Sending the files…"))
    await deliver_files(callback.bot, actor.telegram_id, files)


def create_router() -> Router:
    router = Router(name="student.views")
    for handler, command, key in (
        (show_schedule, "schedule", "student.schedule"),
        (show_attendance, "attendance", "student.attendance"),
        (show_grades, "grades", "student.grades"),
        (show_homework, "homework", "student.homework"),
    ):
        router.message.register(handler, Command(command))
        router.message.register(handler, MenuButton(key))
    router.callback_query.register(send_homework_files, StudentViewCb.filter(F.action == "file"))
    return router
