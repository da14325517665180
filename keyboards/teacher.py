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
from db.models import GradeKind
from keyboards.ids import Id, Number

NAME_IN_BUTTON = 32


class TeacherCb(CallbackData, prefix="tl"):
    action: str  # today, groups, group, lessons
    id: Id = 0
    page: Number = 1


class GradeCb(CallbackData, prefix="tg"):
    action: str  # start, lesson, kind, save, edit, cancel
    group: Id
    value: str = ""


class HomeworkCb(CallbackData, prefix="hw"):
    action: str  # start, nofile, next, nodue, post, edit, cancel
    group: Id


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


def grade_target_keyboard(
    group_id: int, lessons: Sequence[LessonRef], tz: ZoneInfo
) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=_("🗓 Lesson {when}").format(when=format_datetime(lesson.starts_at, tz)),
                callback_data=GradeCb(action="lesson", group=group_id, value=str(lesson.id)).pack(),
            )
        ]
        for lesson in lessons
    ]
    kinds = [
        InlineKeyboardButton(
            text=label, callback_data=GradeCb(action="kind", group=group_id, value=kind).pack()
        )
        for kind, label in grade_kind_labels().items()
    ]
    rows += [kinds[:2], kinds[2:]]
    rows.append([back_button(TeacherCb(action="group", id=group_id))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def confirm_keyboard(data: type[GradeCb] | type[HomeworkCb], group_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    confirm = "save" if data is GradeCb else "post"
    builder.button(text=_("✅ Confirm"), callback_data=data(action=confirm, group=group_id))
    builder.button(text=_("✏️ Edit"), callback_data=data(action="edit", group=group_id))
    builder.button(text=_("❌ Cancel"), callback_data=data(action="cancel", group=group_id))
    builder.adjust(1, 2)
    return builder.as_markup()


def homework_file_keyboard(group_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⏭ No file"), callback_data=HomeworkCb(action="nofile", group=group_id))
    return builder.as_markup()


def homework_due_keyboard(group_id: int, next_lesson: str | None) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if next_lesson:
        builder.button(
            text=_("🗓 Next lesson: {when}").format(when=next_lesson),
            callback_data=HomeworkCb(action="next", group=group_id),
        )
    builder.button(
        text=_("⏭ No due date"), callback_data=HomeworkCb(action="nodue", group=group_id)
    )
    builder.adjust(1)
    return builder.as_markup()
