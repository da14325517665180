"""Keyboards of /broadcast, /broadcasts and /incident."""

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import _
from db.models import AudienceType, BroadcastCategory
from keyboards.forms import Rows, form_button, pick_button, pick_data
from keyboards.ids import Id, Number

# the name handlers/admin/broadcasts.py imports from here
from keyboards.labels import role_plurals as role_labels
from keyboards.paging import page_row


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


def audience_labels() -> dict[AudienceType, str]:
    return {
        AudienceType.ALL: _("👥 Everyone"),
        AudienceType.ROLE: _("🎭 By role"),
        AudienceType.COURSE: _("📚 A course's students"),
        AudienceType.GROUP: _("👥 A group's students"),
        AudienceType.DEBTORS: _("💸 Debtors"),
        AudienceType.TODAY: _("📅 Students with a lesson today"),
    }


# --- the broadcast form's own screens (form buttons: `keyboards.forms`) ---------------------


def audience_rows(form: str, step: str) -> Rows:
    rows = [
        [pick_button(label, form, step, kind.value)] for kind, label in audience_labels().items()
    ]
    return [*rows, [form_button(_("❌ Cancel"), form, "no")]]


def back_row(form: str, step: str) -> list[InlineKeyboardButton]:
    return [pick_button(_("⬅ Back"), form, step, "back")]


def role_rows(form: str, step: str) -> Rows:
    rows = [
        [pick_button(label, form, step, f"role.{role.value}")]
        for role, label in role_labels().items()
    ]
    return [*rows, back_row(form, step)]


def picker_rows(
    form: str, step: str, kind: str, items: Sequence[tuple[int, str]], page: int, pages: int
) -> Rows:
    """Courses or groups (`kind`), 10 a page."""
    rows = [[pick_button(name, form, step, f"{kind}.{item_id}")] for item_id, name in items]
    navigation = page_row(page, pages, lambda number: pick_data(form, step, f"page.{number}"))
    if navigation:
        rows.append(navigation)
    return [*rows, back_row(form, step)]


def category_rows(form: str, step: str) -> Rows:
    return [
        [pick_button(_("📢 Announcement"), form, step, BroadcastCategory.ANNOUNCEMENT.value)],
        [pick_button(_("❗ Essential"), form, step, BroadcastCategory.ESSENTIAL.value)],
        back_row(form, step),
    ]


def essential_rows(form: str, step: str) -> Rows:
    """The danger names its action; the other way out is the announcement it may really be."""
    return [
        [pick_button(_("❗ Send as essential"), form, step, "sure")],
        [pick_button(_("📢 Send as an announcement"), form, step, "announcement")],
        [form_button(_("❌ Cancel"), form, "no")],
    ]


def preview_menu(form: str, count: int, when: str, audience: str) -> InlineKeyboardMarkup:
    """The form's summary: ✅ Send now or 🕘 Schedule (the `when` step), ✏️ another audience
    (the `audience` step), ❌ Cancel; nobody to send to leaves only the last two."""
    rows = []
    if count:
        send = _("✅ Send to {count} now").format(count=count)
        rows.append([form_button(send, form, "ok")])
        rows.append([form_button(_("🕘 Schedule"), form, "field", when)])
    rows.append([form_button(_("✏️ Change the audience"), form, "field", audience)])
    rows.append([form_button(_("❌ Cancel"), form, "no")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


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
    navigation = page_row(page, pages, lambda number: BroadcastCb(action="list", page=number))
    if navigation:
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
