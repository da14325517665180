"""The teacher's keyboards: groups ("tl"), grades ("tg"), homework ("hw"); the day, the
lessons and the attendance sheets are in keyboards.attendance."""

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.formatting import format_datetime
from bot.i18n import _
from bot.services.attendance import GroupItem, LessonRef
from keyboards.forms import Rows, pick_button
from keyboards.ids import Id, Number

# the name handlers/teacher/grades.py imports from here
from keyboards.labels import grade_kind_buttons as grade_kind_labels
from keyboards.paging import page_row

NAME_IN_BUTTON = 32
NO_VALUE, NEXT_LESSON = "none", "next"  # homework's ⏭ No file / No due date, 🗓 Next lesson


class TeacherCb(CallbackData, prefix="tl"):
    action: str  # today, groups, group, lessons
    id: Id = 0
    page: Number = 1


class GradeCb(CallbackData, prefix="tg"):
    action: str  # start (the form's own buttons are FormCb)
    group: Id
    value: str = ""


class HomeworkCb(CallbackData, prefix="hw"):
    action: str  # start (the form's own buttons are FormCb)
    group: Id


def short(name: str, limit: int = NAME_IN_BUTTON) -> str:
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def back_button(data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("⬅ Back"), callback_data=data.pack())


def pager(action: str, item_id: int, page: int, pages: int) -> list[InlineKeyboardButton]:
    return page_row(page, pages, lambda number: TeacherCb(action=action, id=item_id, page=number))


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
