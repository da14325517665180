"""Keyboards of /broadcast, /broadcasts and /incident."""

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import _
from db.models import AudienceType, BroadcastCategory
from keyboards.ids import Id, Number

# the name handlers/admin/broadcasts.py imports from here
from keyboards.labels import role_plurals as role_labels


class BroadcastCb(CallbackData, prefix="bc"):
    action: str
    id: Id = 0
    page: Number = 1
    value: str = ""


def _button(text: str, action: str, **values: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text,
        callback_data=BroadcastCb(action=action, **values).pack(),  # type: ignore[arg-type]
    )


def cancel_row() -> list[InlineKeyboardButton]:
    return [_button(_("❌ Cancel"), "drop")]


def audience_labels() -> dict[AudienceType, str]:
    return {
        AudienceType.ALL: _("👥 Everyone"),
        AudienceType.ROLE: _("🎭 By role"),
        AudienceType.COURSE: _("📚 A course's students"),
        AudienceType.GROUP: _("👥 A group's students"),
        AudienceType.DEBTORS: _("💸 Debtors"),
        AudienceType.TODAY: _("📅 Students with a lesson today"),
    }


def audience_menu() -> InlineKeyboardMarkup:
    rows = [[_button(label, "aud", value=kind.value)] for kind, label in audience_labels().items()]
    return InlineKeyboardMarkup(inline_keyboard=[*rows, cancel_row()])


def roles_menu() -> InlineKeyboardMarkup:
    rows = [[_button(label, "role", value=role.value)] for role, label in role_labels().items()]
    return InlineKeyboardMarkup(inline_keyboard=[*rows, [_button(_("⬅ Back"), "back")]])


def picker(
    items: Sequence[tuple[int, str]], page: int, pages: int, action: str
) -> InlineKeyboardMarkup:
    """Courses or groups, 10 a page; `action` is "course" or "group"."""
    rows = [[_button(name, action, id=item_id)] for item_id, name in items]
    navigation = []
    if page > 1:
        navigation.append(_button("◀", f"{action}s", page=page - 1))
    if pages > 1:
        navigation.append(_button(f"{page}/{pages}", f"{action}s", page=page))
    if page < pages:
        navigation.append(_button("▶", f"{action}s", page=page + 1))
    if navigation:
        rows.append(navigation)
    rows.append([_button(_("⬅ Back"), "back")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def category_menu() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("📢 Announcement"), "cat", value=BroadcastCategory.ANNOUNCEMENT.value)],
            [_button(_("❗ Essential"), "cat", value=BroadcastCategory.ESSENTIAL.value)],
            [_button(_("⬅ Back"), "back")],
        ]
    )


def essential_confirm() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("❗ Send as essential"), "ess")],
            [_button(_("📢 Send as an announcement"), "cat", value="announcement")],
            cancel_row(),
        ]
    )


def preview_menu(count: int) -> InlineKeyboardMarkup:
    rows = []
    if count:
        rows.append([_button(_("✅ Send to {count} now").format(count=count), "send")])
        rows.append([_button(_("🕘 Schedule"), "sched")])
    rows.append([_button(_("✏️ Change the audience"), "back")])
    rows.append(cancel_row())
    return InlineKeyboardMarkup(inline_keyboard=rows)


def schedule_confirm() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(_("✅ Confirm the time"), "when")], cancel_row()]
    )


def progress_markup(broadcast_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(_("⛔ Stop sending"), "stop", id=broadcast_id)]]
    )


def report_markup(broadcast_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(_("📊 Report (XLSX)"), "xlsx", id=broadcast_id)]]
    )


def broadcasts_list(
    items: Sequence[tuple[int, str]], page: int, pages: int
) -> InlineKeyboardMarkup:
    rows = [[_button(label, "card", id=item_id, page=page)] for item_id, label in items]
    navigation = []
    if page > 1:
        navigation.append(_button("◀", "list", page=page - 1))
    navigation.append(_button(f"{page}/{pages}", "list", page=page))
    if page < pages:
        navigation.append(_button("▶", "list", page=page + 1))
    rows.append(navigation)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def broadcast_card(
    broadcast_id: int, page: int, *, can_cancel: bool, has_report: bool
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if has_report:
        builder.button(
            text=_("📊 Report (XLSX)"), callback_data=BroadcastCb(action="xlsx", id=broadcast_id)
        )
    if can_cancel:
        builder.button(
            text=_("❌ Cancel the broadcast"),
            callback_data=BroadcastCb(action="cancel", id=broadcast_id, page=page),
        )
    builder.button(text=_("⬅ Back"), callback_data=BroadcastCb(action="list", page=page))
    builder.adjust(1)
    return builder.as_markup()


def incident_confirm(count: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("🚨 Send to {count} now").format(count=count), "isend")],
            [_button(_("Do not send"), "drop")],
        ]
    )
