"""Courses ("co"), groups ("gr"), lessons ("ls") and enrolment ("en") keyboards."""

from collections.abc import Callable, Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from babel.dates import get_day_names

from bot.formatting import babel_locale
from bot.i18n import _
from bot.services.academic import CourseInfo, GroupInfo, Page, SlotSpec
from bot.services.enrolment import CHOSEN_REASONS, EnrolmentInfo, EnrolmentPage
from bot.services.lessons import LessonPage
from db.models import EnrolmentStatus, GroupStatus
from keyboards.attendance import attendance_button
from keyboards.forms import Rows, form_button, pick_button, pick_data
from keyboards.ids import Id, Number
from keyboards.labels import leave_reason_labels
from keyboards.paging import page_row


class CourseCb(CallbackData, prefix="co"):
    action: str
    id: Id = 0
    page: Number = 1
    value: str = ""


class GroupCb(CallbackData, prefix="gr"):
    action: str
    id: Id = 0
    page: Number = 1
    value: str = ""


class LessonCb(CallbackData, prefix="ls"):
    action: str
    id: Id = 0
    page: Number = 1


class EnrolCb(CallbackData, prefix="en"):
    action: str
    id: Id = 0  # an enrolment
    group: Id = 0
    student: Id = 0
    page: Number = 1
    value: str = ""


# Fields of the group form, in step order (the card's and the summary's edit buttons).
GROUP_FIELDS = (
    "course",
    "name",
    "teacher",
    "room",
    "capacity",
    "start",
    "end",
    "price",
    "slots",
)


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _confirm(yes: InlineKeyboardButton, back: InlineKeyboardButton) -> InlineKeyboardMarkup:
    """A confirmation: the button that does it, and below it the way back."""
    return InlineKeyboardMarkup(inline_keyboard=[[yes], [back]])


def _rows(buttons: Sequence[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


def shorten(label: str, limit: int = 60) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


PAGE_PREFIX = "p"  # a pick value "p2": page 2 of the choices


def choice_rows(
    form: str, step: str, choices: Sequence[tuple[int, str]], page: int, pages: int
) -> Rows:
    """One button per choice, then `◀ 1/5 ▶` (nothing for a single page)."""
    rows = [[pick_button(shorten(name), form, step, str(item))] for item, name in choices]
    nav = page_row(page, pages, lambda number: pick_data(form, step, f"{PAGE_PREFIX}{number}"))
    if nav:
        rows.append(nav)
    return rows


def weekday_names() -> dict[int, str]:
    """Monday=0 … Sunday=6, abbreviated, in the current language."""
    names = get_day_names("abbreviated", locale=babel_locale())
    return {day: str(names[day]).capitalize() for day in range(7)}


def slot_label(slot: SlotSpec) -> str:
    return "{day} {start}–{end}".format(
        day=weekday_names()[slot.weekday],
        start=slot.start.strftime("%H:%M"),
        end=slot.end.strftime("%H:%M"),
    )


def group_status_labels() -> dict[GroupStatus, str]:
    return {
        GroupStatus.ACTIVE: _("🟢 active"),
        GroupStatus.FINISHED: _("🏁 finished"),
        GroupStatus.ARCHIVED: _("🗄 archived"),
    }


def enrolment_status_labels() -> dict[EnrolmentStatus, str]:
    return {
        EnrolmentStatus.ACTIVE: _("🟢 active"),
        EnrolmentStatus.FROZEN: _("❄️ frozen"),
        EnrolmentStatus.LEFT: _("🚪 left"),
    }


# --- courses ------------------------------------------------------------------------------


def courses_list(page: Page[CourseInfo], price: Callable[[int], str]) -> InlineKeyboardMarkup:
    rows = []
    for course in page.items:
        mark = "" if course.is_active else "🗄 "
        label = shorten(f"{mark}{course.name} · {price(course.monthly_price)}")
        rows.append([_button(label, CourseCb(action="card", id=course.id, page=page.page))])
    nav = page_row(page.page, page.pages, lambda p: CourseCb(action="list", page=p))
    if nav:
        rows.append(nav)
    rows.append(
        [
            _button(_("➕ New course"), CourseCb(action="new")),
            _button(_("👥 All groups"), GroupCb(action="list")),
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def thing_name_label() -> str:
    """ "✏️ Name" of a course or a group: its own msgid, since a person's "✏️ Name" is a first
    name in Uzbek and Russian (Ism, Имя) and a course's is not (Nom, Название)."""
    return _("✏️ Name of a course or group")


def course_card(course: CourseInfo, page: int) -> InlineKeyboardMarkup:
    edits = [
        _button(thing_name_label(), CourseCb(action="edit", id=course.id, value="name")),
        _button(_("✏️ Description"), CourseCb(action="edit", id=course.id, value="description")),
        _button(_("✏️ Price"), CourseCb(action="edit", id=course.id, value="price")),
    ]
    rows = _rows(edits, 3)
    groups = [
        _button(
            _("👥 Groups ({count})").format(count=course.groups),
            GroupCb(action="list", id=course.id),
        )
    ]
    if course.is_active:
        groups.append(_button(_("➕ New group"), GroupCb(action="new", id=course.id)))
        archive = _button(_("🗄 Archive"), CourseCb(action="archive", id=course.id, page=page))
    else:
        archive = _button(_("♻️ Restore"), CourseCb(action="restore", id=course.id, page=page))
    rows += [groups, [archive]]
    rows.append([_button(_("⬅ Back"), CourseCb(action="list", page=page))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


# --- groups -------------------------------------------------------------------------------


def groups_list(page: Page[GroupInfo], course_id: int) -> InlineKeyboardMarkup:
    statuses = group_status_labels()
    rows = []
    for group in page.items:
        mark = (
            "" if group.status is GroupStatus.ACTIVE else statuses[group.status].split(" ")[0] + " "
        )
        label = shorten(
            f"{mark}{group.name} · {group.course_name} · {group.seated}/{group.capacity}"
        )
        rows.append(
            [
                _button(
                    label,
                    GroupCb(action="card", id=group.id, page=page.page, value=str(course_id or "")),
                )
            ]
        )
    nav = page_row(page.page, page.pages, lambda p: GroupCb(action="list", id=course_id, page=p))
    if nav:
        rows.append(nav)
    rows.append([_button(_("➕ New group"), GroupCb(action="new", id=course_id))])
    back = CourseCb(action="card", id=course_id) if course_id else CourseCb(action="list")
    rows.append([_button(_("⬅ Back"), back)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def group_card(group: GroupInfo, page: int, course_filter: str) -> InlineKeyboardMarkup:
    labels = group_field_labels()
    edits = [
        _button(labels[name], GroupCb(action="edit", id=group.id, value=name))
        for name in GROUP_FIELDS
        if name != "course"
    ]
    edits.append(_button(_("✏️ Status"), GroupCb(action="edit", id=group.id, value="status")))
    rows = _rows(edits, 3)
    rows.append(
        [
            _button(
                _("👥 Students ({count})").format(count=group.seated),
                EnrolCb(action="list", group=group.id),
            ),
            _button(_("➕ Add student"), EnrolCb(action="add", group=group.id)),
        ]
    )
    rows.append([_button(_("📅 Lessons"), LessonCb(action="list", id=group.id))])
    course_id = int(course_filter) if course_filter.isdigit() else 0
    rows.append([_button(_("⬅ Back"), GroupCb(action="list", id=course_id, page=page))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def group_field_labels() -> dict[str, str]:
    return {
        "course": _("✏️ Course"),
        "name": thing_name_label(),
        "teacher": _("✏️ Teacher"),
        "room": _("✏️ Room"),
        "capacity": _("✏️ Capacity"),
        "start": _("✏️ Start date"),
        "end": _("✏️ End date"),
        "price": _("✏️ Price"),
        "slots": _("✏️ Timetable"),
        "status": _("✏️ Status"),
    }


# --- lessons ------------------------------------------------------------------------------


def lessons_list(
    page: LessonPage, group_id: int, label: Callable[[object], str]
) -> InlineKeyboardMarkup:
    rows = [
        [_button(shorten(label(lesson)), LessonCb(action="card", id=lesson.id, page=page.page))]
        for lesson in page.items
    ]
    nav = page_row(page.page, page.pages, lambda p: LessonCb(action="list", id=group_id, page=p))
    if nav:
        rows.append(nav)
    rows.append([_button(_("⬅ Back"), GroupCb(action="card", id=group_id))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def lesson_card(lesson_id: int, group_id: int, page: int, changeable: bool) -> InlineKeyboardMarkup:
    rows = []
    if changeable:
        rows.append(
            [
                _button(_("🕘 Move"), LessonCb(action="move", id=lesson_id, page=page)),
                _button(_("❌ Cancel lesson"), LessonCb(action="cancel", id=lesson_id, page=page)),
            ]
        )
    # The sheet itself decides who may mark and when (an admin with `academic` at any time).
    rows.append([attendance_button(lesson_id)])
    rows.append([_button(_("⬅ Back"), LessonCb(action="list", id=group_id, page=page))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def lesson_cancel_confirm(lesson_id: int, page: int) -> InlineKeyboardMarkup:
    return _confirm(
        _button(_("❌ Cancel the lesson"), LessonCb(action="cancel_yes", id=lesson_id, page=page)),
        _button(_("Keep the lesson"), LessonCb(action="card", id=lesson_id, page=page)),
    )


def lesson_move_summary(lesson_id: int, form: str) -> InlineKeyboardMarkup:
    """The move form's summary: ✏️ starts the form again from the date."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [form_button(_("✅ Confirm"), form, "ok")],
            [
                _button(_("✏️ Edit"), LessonCb(action="move", id=lesson_id)),
                form_button(_("❌ Cancel"), form, "no"),
            ],
        ]
    )


# --- enrolment ----------------------------------------------------------------------------


def enrolments_list(page: EnrolmentPage, group_id: int) -> InlineKeyboardMarkup:
    statuses = enrolment_status_labels()
    rows = []
    for item in page.items:
        mark = (
            ""
            if item.status is EnrolmentStatus.ACTIVE
            else statuses[item.status].split(" ")[0] + " "
        )
        discount = f" · −{item.discount_percent}%" if item.discount_percent else ""
        rows.append(
            [
                _button(
                    shorten(f"{mark}{item.student_name}{discount}"),
                    EnrolCb(action="card", id=item.id, page=page.page),
                )
            ]
        )
    nav = page_row(page.page, page.pages, lambda p: EnrolCb(action="list", group=group_id, page=p))
    if nav:
        rows.append(nav)
    rows.append([_button(_("➕ Add student"), EnrolCb(action="add", group=group_id))])
    rows.append([_button(_("⬅ Back"), GroupCb(action="card", id=group_id))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def enrolment_card(item: EnrolmentInfo, page: int) -> InlineKeyboardMarkup:
    rows = []
    if item.status is EnrolmentStatus.ACTIVE:
        rows.append(
            [
                _button(_("％ Discount"), EnrolCb(action="discount", id=item.id)),
                _button(_("❄️ Freeze"), EnrolCb(action="freeze", id=item.id, page=page)),
            ]
        )
    elif item.status is EnrolmentStatus.FROZEN:
        rows.append(
            [
                _button(_("％ Discount"), EnrolCb(action="discount", id=item.id)),
                _button(_("▶️ Unfreeze"), EnrolCb(action="unfreeze", id=item.id, page=page)),
            ]
        )
    if item.status is not EnrolmentStatus.LEFT:
        rows.append(
            [
                _button(_("🔀 Move"), EnrolCb(action="mvpick", id=item.id)),
                _button(_("🚪 Leave the group"), EnrolCb(action="leave", id=item.id, page=page)),
            ]
        )
    rows.append([_button(_("⬅ Back"), EnrolCb(action="list", group=item.group_id, page=page))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def student_picker(
    people: Sequence[tuple[int, str]], group_id: int, form: str, page: int, pages: int
) -> list[list[InlineKeyboardButton]]:
    """The add form's step: a student each row (the value is their id), `◀ 1/5 ▶` (the value
    is `p<page>`), then ⬅ Back to the group's card."""
    back = _button(_("⬅ Back"), GroupCb(action="card", id=group_id))
    return [*choice_rows(form, "student", people, page, pages), [back]]


def enrol_confirm(group_id: int, form: str, *, full: bool) -> InlineKeyboardMarkup:
    """The add form's summary; ❌ goes back to a fresh picker of the group."""
    text = _("⚠️ Add over capacity") if full else _("✅ Confirm")
    return _confirm(
        form_button(text, form, "ok"),
        _button(_("❌ Cancel"), EnrolCb(action="add", group=group_id)),
    )


def group_target_picker(
    page: Page[GroupInfo],
    make: Callable[[int], CallbackData],
    pick: Callable[[int], CallbackData],
    back: CallbackData,
) -> InlineKeyboardMarkup:
    rows = [
        [_button(shorten(f"{g.name} · {g.course_name} · {g.seated}/{g.capacity}"), pick(g.id))]
        for g in page.items
    ]
    nav = page_row(page.page, page.pages, make)
    if nav:
        rows.append(nav)
    rows.append([_button(_("⬅ Back"), back)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def move_confirm(enrolment_id: int, group_id: int, *, full: bool) -> InlineKeyboardMarkup:
    save = EnrolCb(action="mvyes", id=enrolment_id, group=group_id, value="over" if full else "")
    text = _("⚠️ Move over capacity") if full else _("✅ Confirm")
    return _confirm(
        _button(text, save), _button(_("❌ Cancel"), EnrolCb(action="card", id=enrolment_id))
    )


def leave_confirm(enrolment_id: int, page: int) -> InlineKeyboardMarkup:
    """The reasons (a tap removes the student with it, two a row), then removing without
    one, then the way back."""
    labels = leave_reason_labels()
    reasons = [
        _button(
            labels[reason],
            EnrolCb(action="leave_yes", id=enrolment_id, page=page, value=reason.value),
        )
        for reason in CHOSEN_REASONS
    ]
    markup = _confirm(
        _button(
            _("🚪 Remove without a reason"),
            EnrolCb(action="leave_yes", id=enrolment_id, page=page),
        ),
        _button(_("Keep in the group"), EnrolCb(action="card", id=enrolment_id, page=page)),
    )
    pairs = [reasons[index : index + 2] for index in range(0, len(reasons), 2)]
    return InlineKeyboardMarkup(inline_keyboard=[*pairs, *markup.inline_keyboard])
