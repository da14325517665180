"""Attendance keyboards ("at"): the teacher's day and a group's lessons (each opens its
sheet), the sheet itself (tap a student to change the mark, then save)."""

from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.formatting import format_datetime
from bot.i18n import _
from bot.services.attendance import LessonRef, Sheet
from db.models import LessonStatus
from keyboards.ids import Id
from keyboards.teacher import TeacherCb, back_button, pager, short
from keyboards.webapp import open_app_button


class AttendanceCb(CallbackData, prefix="at"):
    action: str  # open, tap, save
    lesson: Id
    student: Id = 0


STATUS_ICONS = {"present": "✅", "absent": "❌", "late": "⏰", "excused": "📝"}
FROZEN_ICON = "❄️"
LESSON_ICONS = {LessonStatus.SCHEDULED: "🕘", LessonStatus.HELD: "✅", LessonStatus.CANCELLED: "❌"}


def attendance_button(lesson_id: int) -> InlineKeyboardButton:
    """Opens a lesson's attendance sheet (the admin's lesson card may show it too)."""
    return InlineKeyboardButton(
        text=_("📋 Attendance"),
        callback_data=AttendanceCb(action="open", lesson=lesson_id).pack(),
    )


def _sheet_row(lesson: LessonRef, title: str) -> list[InlineKeyboardButton]:
    """A lesson of a list, opening its sheet: its status icon, then `title`."""
    return [
        InlineKeyboardButton(
            text=f"{LESSON_ICONS.get(lesson.status, '🕘')} {title}",
            callback_data=AttendanceCb(action="open", lesson=lesson.id).pack(),
        )
    ]


def today_keyboard(
    lessons: Sequence[LessonRef], tz: ZoneInfo, app_url: str | None = None
) -> InlineKeyboardMarkup:
    """A sheet button per lesson not cancelled, 👥 My groups; 📱 Open app (the sheet as a
    grid) when the Mini App is on (`app_url`: WEBAPP_URL)."""
    rows = [
        _sheet_row(lesson, f"{lesson.starts_at.astimezone(tz):%H:%M} · {short(lesson.group_name)}")
        for lesson in lessons
        if not lesson.cancelled
    ]
    rows.append(
        [
            InlineKeyboardButton(
                text=_("👥 My groups"), callback_data=TeacherCb(action="groups").pack()
            )
        ]
    )
    if app_url is not None:
        rows.append([open_app_button(app_url)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def lessons_keyboard(
    group_id: int, lessons: Sequence[LessonRef], page: int, pages: int, tz: ZoneInfo
) -> InlineKeyboardMarkup:
    rows = [_sheet_row(lesson, format_datetime(lesson.starts_at, tz)) for lesson in lessons]
    navigation = pager("lessons", group_id, page, pages)
    if navigation:
        rows.append(navigation)
    rows.append([back_button(TeacherCb(action="group", id=group_id))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def sheet_keyboard(
    sheet: Sheet, marks: Mapping[int, str], *, markable: bool
) -> InlineKeyboardMarkup | None:
    """One button per student (tap to change the mark) and 💾 Save; only Back when the
    sheet cannot be marked now."""
    rows: list[list[InlineKeyboardButton]] = []
    if markable:
        for number, student in enumerate(sheet.students, start=1):
            icon = FROZEN_ICON if student.frozen else STATUS_ICONS[marks[student.id]]
            rows.append(
                [
                    InlineKeyboardButton(
                        text=f"{icon} {number}. {short(student.name)}",
                        callback_data=AttendanceCb(
                            action="tap", lesson=sheet.lesson.id, student=student.id
                        ).pack(),
                    )
                ]
            )
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("💾 Save"),
                    callback_data=AttendanceCb(action="save", lesson=sheet.lesson.id).pack(),
                )
            ]
        )
    if sheet.own_group:
        rows.append([back_button(TeacherCb(action="lessons", id=sheet.lesson.group_id))])
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
