"""The student's /schedule, /attendance, /grades and /homework (the parent's child views
render with the same functions, see handlers/parent/children.py).

A view is a read: one session (the update's), a fixed handful of queries, nothing
written; the read transaction is closed before anything is sent to Telegram.

A view is one message: a long one is paged (10 items a page, ◀ 1/5 ▶ edits it in place;
an item is a lesson day, a group's attendance, a grade or a homework). Every page tap
builds the view again for the one who presses (a parent: for a child re-checked against
the links), so a forged or stale page number is refused. A 429 on the first page is
waited out and the page sent again (`Sender.reply_text`), never lost.
"""

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery import Outcome, Recipient, Sender
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
from bot.telegram import Page, PageItem, paginate
from bot.wording import stale_button_text
from db.base import utcnow
from handlers.buttons import show_screen
from keyboards.labels import attendance_labels, grade_kind_labels
from keyboards.student import StudentPageCb, StudentViewCb, View, own_view

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


def render_schedule(schedule: Schedule, tz: ZoneInfo, title: str) -> list[Page]:
    """A day is an item: its lessons stay together on one page."""
    if not schedule.days:
        return [Page(title + "\n\n" + _("No lessons this week or next."))]
    relative = {Relative.TODAY: _("Today"), Relative.TOMORROW: _("Tomorrow")}
    next_week = _("<b>— Next week —</b>")
    items = []
    for day in schedule.days:
        date_label, _clock = split_when(day.lessons[0].starts_at, tz)
        header = (
            f"<b>{relative[day.relative]}, {date_label}</b>"
            if day.relative
            else f"<b>{date_label}</b>"
        )
        block = "\n".join([header, *(lesson_line(lesson, tz) for lesson in day.lessons)])
        items.append(PageItem(block, heading=next_week if day.next_week else None))
    return paginate(title, items, joiner="\n\n")


# --- attendance -----------------------------------------------------------------------------


def render_attendance(groups: list[GroupAttendance], tz: ZoneInfo, title: str) -> list[Page]:
    """A group is an item."""
    if not groups:
        return [Page(title + "\n\n" + _("No attendance marks."))]
    labels = attendance_labels()
    items = []
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
        items.append(PageItem("\n".join(lines)))
    return paginate(title, items)


# --- grades ---------------------------------------------------------------------------------


def render_grades(groups: list[GroupGrades], tz: ZoneInfo, title: str) -> list[Page]:
    """A grade is an item, under its group's title."""
    if not groups:
        return [Page(title + "\n\n" + _("No grades."))]
    kinds = grade_kind_labels()
    items = []
    for entry in groups:
        heading = group_title(entry.group)
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
            items.append(PageItem(line, heading=heading, section=entry.group.id))
    return paginate(title, items)


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


def render_homework(homework: HomeworkList, tz: ZoneInfo, title: str) -> list[Page]:
    """A homework is an item, numbered through the pages; the tags of a page are
    (number, homework id) of its homework with files (for the buttons)."""
    if not homework.items:
        return [Page(title + "\n\n" + _("No homework for now."))]
    items = []
    number = 0
    for section, heading, entries, overdue in (
        ("current", _("<b>Current</b>"), homework.current, False),
        ("recent", _("<b>Recent</b>"), homework.recent, True),
    ):
        for item in entries:
            number += 1
            items.append(
                PageItem(
                    homework_block(number, item, tz, overdue=overdue),
                    heading=heading,
                    section=section,
                    tag=(number, item.id) if item.attachments else None,
                )
            )
    return paginate(title, items, joiner="\n\n")


# --- building and sending -------------------------------------------------------------------


async def build_view(
    session: AsyncSession,
    view: View,
    student_id: int,
    tz: ZoneInfo,
    title: str,
    now: datetime | None = None,
) -> list[Page]:
    """A view's pages (one at least), each with the homework-file tags of its items."""
    now = now or utcnow()
    if view is View.SCHEDULE:
        schedule = await service.schedule(session, student_id, now=now, tz=tz)
        return render_schedule(schedule, tz, title)
    if view is View.ATTENDANCE:
        return render_attendance(await service.attendance(session, student_id), tz, title)
    if view is View.GRADES:
        return render_grades(await service.grades(session, student_id), tz, title)
    return render_homework(await service.homework(session, student_id, now=now), tz, title)


def page_of(pages: list[Page], number: int) -> Page | None:
    """Page `number` (from 1), or None for a number no page has (forged, or stale)."""
    return pages[number - 1] if 1 <= number <= len(pages) else None


async def end_read(session: AsyncSession) -> None:
    """Close the read transaction before talking to Telegram (nothing was written)."""
    await session.rollback()


async def deliver_files(
    bot: Bot, sender: Sender, recipient: Recipient, files: HomeworkFiles
) -> None:
    """Re-send the stored Telegram files (no download, no upload), through the sender:
    several messages, paced like everything the bot sends, a 429 waited out."""
    caption = _("📚 Homework · {group}").format(group=escape(files.group))
    missing = 0
    for index, attachment in enumerate(files.attachments):
        text = caption if index == 0 else None
        photo = attachment.kind is AttachmentKind.PHOTO
        sent = await sender.send_file(bot, recipient, attachment.file_id, photo=photo, caption=text)
        if attachment.kind is None and sent.error == TelegramBadRequest.__name__:
            # a bare file id that was a photo
            sent = await sender.send_file(
                bot, recipient, attachment.file_id, photo=True, caption=text
            )
        if sent.outcome is Outcome.BLOCKED:
            return
        if sent.outcome is not Outcome.SENT:
            missing += 1
    if missing or not files.attachments:
        await sender.send_text(
            bot,
            recipient,
            _("⚠️ Some files of this homework are no longer available. Ask the teacher."),
        )


async def edit_to_page(
    callback: CallbackQuery,
    session: AsyncSession,
    pages: list[Page],
    number: int,
    keyboard: Callable[[int, Sequence[tuple[int, int]]], InlineKeyboardMarkup | None],
) -> None:
    """◀ ▶ under a view: page `number` edited in place, `keyboard(pages, tags)` below it; a
    page there is not (forged, or the list got shorter) is a stale button."""
    await end_read(session)
    page = page_of(pages, number)
    if page is None:
        await callback.answer(stale_button_text())
        return
    await show_screen(callback, page.text, keyboard(len(pages), page.tags))


async def send_files_asked(
    callback: CallbackQuery,
    actor: Actor,
    session: AsyncSession,
    sender: Sender,
    student_id: int,
    homework_id: int,
    details: dict[str, int],
) -> None:
    """📎 under a homework: its files to the one who asked, or (not theirs to see: refused
    and audited with `details`) a stale answer."""
    files = await service.homework_files(session, student_id, homework_id)
    if files is None:
        await service.refuse(session, actor.user_id, FILES_ACTION, details)
        await callback.answer(stale_button_text())
        return
    await end_read(session)
    await callback.answer(_("📎 Sending the files…"))
    recipient = Recipient(actor.user_id, actor.telegram_id, actor.language)
    await deliver_files(callback.bot, sender, recipient, files)


# --- handlers -------------------------------------------------------------------------------


async def send_own_view(
    view: View,
    message: Message,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    sender: Sender,
) -> None:
    """The first page: a reply, sent at once; a 429 is waited out and it goes again."""
    pages = await build_view(session, view, actor.user_id, settings.centre.tz, titles(None)[view])
    await end_read(session)
    first = pages[0]
    recipient = Recipient(actor.user_id, message.chat.id, actor.language)
    markup = own_view(view, 1, len(pages), first.tags)
    await sender.reply_text(message.bot, recipient, first.text, markup)


async def turn_own_page(
    callback: CallbackQuery,
    callback_data: StudentPageCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
) -> None:
    """◀ ▶ under the student's own view: the page is edited in place."""
    view = View(callback_data.view)
    number = callback_data.page
    pages = await build_view(session, view, actor.user_id, settings.centre.tz, titles(None)[view])
    await edit_to_page(
        callback, session, pages, number, lambda total, tags: own_view(view, number, total, tags)
    )


COMMANDS = {
    View.SCHEDULE: "schedule",
    View.ATTENDANCE: "attendance",
    View.GRADES: "grades",
    View.HOMEWORK: "homework",
}


def own_view_handler(view: View) -> Callable[..., Awaitable[None]]:
    """The command (and menu button) that sends the first page of one of the student's views."""

    async def show(
        message: Message, actor: Actor, session: AsyncSession, settings: Settings, sender: Sender
    ) -> None:
        await send_own_view(view, message, actor, session, settings, sender)

    show.__name__ = f"show_{COMMANDS[view]}"
    return show


async def send_homework_files(
    callback: CallbackQuery,
    callback_data: StudentViewCb,
    actor: Actor,
    session: AsyncSession,
    sender: Sender,
) -> None:
    item = callback_data.item
    await send_files_asked(
        callback, actor, session, sender, actor.user_id, item, {"homework": item}
    )


def create_router() -> Router:
    router = Router(name="student.views")
    for view, name in COMMANDS.items():  # /schedule and the menu's "student.schedule", …
        handler = own_view_handler(view)
        router.message.register(handler, Command(name))
        router.message.register(handler, MenuButton(f"student.{name}"))
    router.callback_query.register(send_homework_files, StudentViewCb.filter(F.action == "file"))
    router.callback_query.register(
        turn_own_page, StudentPageCb.filter(F.view.in_([view.value for view in View]))
    )
    return router
