"""The student's views and the parent's children: keyboards and callback data."""

from collections.abc import Sequence
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import _
from bot.services.mydata import PersonRef
from keyboards.ids import Id, Number
from keyboards.paging import page_row
from keyboards.person_buttons import add_person_buttons


class View(StrEnum):
    SCHEDULE = "s"
    ATTENDANCE = "a"
    GRADES = "g"
    HOMEWORK = "h"


class StudentViewCb(CallbackData, prefix="sv"):
    action: str  # file: re-send a homework's attachments
    item: Id = 0  # the homework id (re-checked on every press)


class ParentChildCb(CallbackData, prefix="pc"):
    action: str  # list, card, view, file, balance
    child: Id = 0  # whose data (re-checked on every press)
    view: str = ""  # a View, for action view
    item: Id = 0  # the homework id, for action file


def view_labels() -> dict[View, str]:
    # The same words as the student's main menu.
    return {
        View.SCHEDULE: _("📅 Schedule"),
        View.ATTENDANCE: _("📋 Attendance"),
        View.GRADES: _("📝 Grades"),
        View.HOMEWORK: _("📚 Homework"),
    }


def files_label(number: int) -> str:
    return _("📎 Files of #{number}").format(number=number)


def homework_files(files: Sequence[tuple[int, int]]) -> InlineKeyboardMarkup | None:
    """One button per homework with attachments: (its number in the list, homework id)."""
    if not files:
        return None
    builder = InlineKeyboardBuilder()
    for number, homework_id in files:
        builder.button(
            text=files_label(number), callback_data=StudentViewCb(action="file", item=homework_id)
        )
    builder.adjust(2)
    return builder.as_markup()


def children_list(children: Sequence[PersonRef]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    add_person_buttons(
        builder,
        children,
        _("👤 {name}"),
        lambda child_id: ParentChildCb(action="card", child=child_id),
    )
    builder.adjust(1)
    return builder.as_markup()


def child_card(child_id: int, *, back: bool) -> InlineKeyboardMarkup:
    """The four views of one child and the balance; ⬅ Back to the list when there is more
    than one child."""
    builder = InlineKeyboardBuilder()
    for view, label in view_labels().items():
        builder.button(
            text=label, callback_data=ParentChildCb(action="view", child=child_id, view=view)
        )
    builder.button(
        text=_("💰 Balance"), callback_data=ParentChildCb(action="balance", child=child_id)
    )
    if back:
        builder.button(text=_("⬅ Back"), callback_data=ParentChildCb(action="list"))
    builder.adjust(2, 2, 1, 1)
    return builder.as_markup()


def back_to_child(child_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=_("⬅ Back"), callback_data=ParentChildCb(action="card", child=child_id).pack()
    )


def child_view(child_id: int, files: Sequence[tuple[int, int]] = ()) -> InlineKeyboardMarkup:
    """Under a child's view: the homework files, if any, and ⬅ Back to the child's card."""
    builder = InlineKeyboardBuilder()
    for number, homework_id in files:
        builder.button(
            text=files_label(number),
            callback_data=ParentChildCb(action="file", child=child_id, item=homework_id),
        )
    builder.button(text=_("⬅ Back"), callback_data=ParentChildCb(action="card", child=child_id))
    builder.adjust(*([2] * (len(files) // 2)), *([1] * (len(files) % 2)), 1)
    return builder.as_markup()


# --- pages of a long view -------------------------------------------------------------


class StudentPageCb(CallbackData, prefix="sp"):
    """A page of the student's own view (whose: always the one who presses)."""

    view: str  # a View
    page: Number  # from 1; re-checked against the pages there are


class ChildPageCb(CallbackData, prefix="cp"):
    """A page of a child's view for a parent (the child re-checked on every press)."""

    child: Id
    view: str  # a View
    page: Number


def own_view(
    view: View, page: int, pages: int, files: Sequence[tuple[int, int]] = ()
) -> InlineKeyboardMarkup | None:
    """Under a page of the student's own view: the page's homework files, then ◀ 1/5 ▶."""
    buttons = homework_files(files)
    rows = list(buttons.inline_keyboard) if buttons else []
    navigation = page_row(page, pages, lambda number: StudentPageCb(view=view, page=number))
    if navigation:
        rows.append(navigation)
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def child_view_page(
    child_id: int, view: View, page: int, pages: int, files: Sequence[tuple[int, int]] = ()
) -> InlineKeyboardMarkup:
    """Under a page of a child's view: its files, ◀ 1/5 ▶, then ⬅ Back to the child's card."""
    rows = list(child_view(child_id, files).inline_keyboard)
    navigation = page_row(
        page, pages, lambda number: ChildPageCb(child=child_id, view=view, page=number)
    )
    if navigation:
        rows.insert(len(rows) - 1, navigation)
    return InlineKeyboardMarkup(inline_keyboard=rows)
