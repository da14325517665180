"""The audit log viewer's keyboards."""

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import _
from keyboards.ids import Id, Number


class AuditCb(CallbackData, prefix="au"):
    page: Number
    action: str = ""
    user: Id = 0
    view: str = "list"  # list, groups, verify (owners)


def audit_page(
    page: int, pages: int, action: str, user: int, *, owner: bool = False
) -> InlineKeyboardMarkup:
    def to(target: int) -> str:
        return AuditCb(page=target, action=action, user=user).pack()

    navigation = []
    if page > 1:
        navigation.append(InlineKeyboardButton(text="◀", callback_data=to(page - 1)))
    navigation.append(InlineKeyboardButton(text=f"{page}/{pages}", callback_data=to(page)))
    if page < pages:
        navigation.append(InlineKeyboardButton(text="▶", callback_data=to(page + 1)))
    rows = [navigation]
    rows.append(
        [
            InlineKeyboardButton(
                text=_("🔎 Filter by action"),
                callback_data=AuditCb(page=1, action=action, user=user, view="groups").pack(),
            )
        ]
    )
    if action or user:
        rows.append(
            [InlineKeyboardButton(text=_("✖ Clear filters"), callback_data=AuditCb(page=1).pack())]
        )
    if owner:
        verify = AuditCb(page=page, action=action, user=user, view="verify").pack()
        rows.append([InlineKeyboardButton(text=_("🔗 Verify the chain"), callback_data=verify)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def back_to_log(page: int, action: str, user: int) -> InlineKeyboardMarkup:
    back = AuditCb(page=page, action=action, user=user).pack()
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=_("⬅ Back"), callback_data=back)]]
    )


def action_groups(groups: list[str], user: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for group in groups:
        builder.button(text=group, callback_data=AuditCb(page=1, action=group, user=user))
    builder.button(text=_("⬅ Back"), callback_data=AuditCb(page=1, user=user))
    builder.adjust(2)
    return builder.as_markup()
