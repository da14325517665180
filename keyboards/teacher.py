"""The teacher's keyboards: day and groups ("tl"), attendance sheets ("at"), grades ("tg"),
homework ("hw")."""

from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.formatting import format_datetime
from bot.i18n import _
from bot.services.attendance import GroupItem, LessonRef, Sheet
from db.models import GradeKind, LessonStatus
from keyboards.forms import Rows, pick_button
from keyboards.ids import Id, Number

NAME_IN_BUTTON = 32
NO_VALUE, NEXT_LESSON = "none", "next"  # homework's ⏭ No file / No due date, 🗓 Next lesson


class TeacherCb(CallbackData, prefix="tl"):
    action: str  # today, groups, group, lessons
    id: Id = 0
    page: Number = 1


class AttendanceCb(CallbackData, prefix="at"):
    action: str  # open, tap, save
    lesson: Id
    student: Id = 0


class GradeCb(CallbackData, prefix="tg"):
    action: str  # start (the form's own buttons are FormCb)
    group: Id
    value: str = ""


class HomeworkCb(CallbackData, prefix="hw"):
    action: str  # start (the form's own buttons are FormCb)
    group: Id


STATUS_ICONS = {"present": "✅", "absent": "❌", "late": "⏰", "excused": "📝"}
FROZEN_ICON = "❄️"
LESSON_ICONS = {LessonStatus.SCHEDULED: "🕘", LessonStatus.HELD: "✅", LessonStatus.CANCELLED: "❌"}


def short(name: str, limit: int = NAME_IN_BUTTON) -> str:
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def grade_kind_labels() -> dict[str, str]:
    return {
        GradeKind.HOMEWORK: _("🏠 Homework"),
        GradeKind.TEST: _("🧪 Test"),
        GradeKind.EXAM: _("🎓 Exam"),
        GradeKind.CLASSWORK: _("✏️ Classwork"),
    }


def back_button(data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("⬅ Back"), callback_data=data.pack())


def pager(action: str, item_id: int, page: int, pages: int) -> list[InlineKeyboardButton]:
    if pages <= 1:
        return []
    row = []
    if page > 1:
        row.append(
            InlineKeyboardButton(
                text="◀", callback_data=TeacherCb(action=action, id=item_id, page=page - 1).pack()
            )
        )
    row.append(
        InlineKeyboardButton(
            text=f"{page}/{pages}",
            callback_data=TeacherCb(action=action, id=item_id, page=page).pack(),
        )
    )
    if page < pages:
        row.append(
            InlineKeyboardButton(
                text="▶", callback_data=TeacherCb(action=action, id=item_id, page=page + 1).pack()
            )
        )
    return row


def attendance_button(lesson_id: int) -> InlineKeyboardButton:
    """Opens a lesson's attendance sheet (the admin's lesson card may show it too)."""
    return InlineKeyboardButton(
        text=_("📋 Attendance"),
        callback_data=AttendanceCb(action="open", lesson=lesson_id).pack(),
    )


def today_keyboard(lessons: Sequence[LessonRef], tz: ZoneInfo) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=f"{LESSON_ICONS.get(lesson.status, '🕘')} "
                f"{lesson.starts_at.astimezone(tz):%H:%M} · {short(lesson.group_name)}",
                callback_data=AttendanceCb(action="open", lesson=lesson.id).pack(),
            )
        ]
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
    return InlineKeyboardMarkup(inline_keyboard=rows)


def groups_keyboard(items: Sequence[GroupItem], page: int, pages: int) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=f"{short(item.name, 24)} · {short(item.course, 24)}",
                callback_data=TeacherCb(action="group", id=item.id).pack(),
            )
        ]
        for item in items
    ]
    navigation = pager("groups", 0, page, pages)
    if navigation:
        rows.append(navigation)
    rows.append(
        [InlineKeyboardButton(text=_("📅 Today"), callback_data=TeacherCb(action="today").pack())]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def group_keyboard(group_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("📋 Lessons and attendance"),
        callback_data=TeacherCb(action="lessons", id=group_id),
    )
    builder.button(text=_("📝 Grades"), callback_data=GradeCb(action="start", group=group_id))
    builder.button(text=_("📚 Homework"), callback_data=HomeworkCb(action="start", group=group_id))
    builder.button(text=_("⬅ Back"), callback_data=TeacherCb(action="groups"))
    builder.adjust(1, 2, 1)
    return builder.as_markup()


def lessons_keyboard(
    group_id: int, lessons: Sequence[LessonRef], page: int, pages: int, tz: ZoneInfo
) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=f"{LESSON_ICONS.get(lesson.status, '🕘')} "
                f"{format_datetime(lesson.starts_at, tz)}",
                callback_data=AttendanceCb(action="open", lesson=lesson.id).pack(),
            )
        ]
        for lesson in lessons
    ]
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


def grade_target_rows(
    form: str, step: str, group_id: int, lessons: Sequence[LessonRef], tz: ZoneInfo
) -> Rows:
    """A recent lesson each, the kinds of a named assessment, ⬅ Back to the group."""
    rows = [
        [
            pick_button(
                _("🗓 Lesson {when}").format(when=format_datetime(lesson.starts_at, tz)),
                form,
                step,
                str(lesson.id),
            )
        ]
        for lesson in lessons
    ]
    kinds = [pick_button(label, form, step, kind) for kind, label in grade_kind_labels().items()]
    rows += [kinds[:2], kinds[2:]]
    rows.append([back_button(TeacherCb(action="group", id=group_id))])
    return rows


def homework_file_rows(form: str, step: str) -> Rows:
    return [[pick_button(_("⏭ No file"), form, step, NO_VALUE)]]


def homework_due_rows(form: str, step: str, next_lesson: str | None) -> Rows:
    rows = []
    if next_lesson:
        text = _("🗓 Next lesson: {when}").format(when=next_lesson)
        rows.append([pick_button(text, form, step, NEXT_LESSON)])
    rows.append([pick_button(_("⏭ No due date"), form, step, NO_VALUE)])
    return rows
