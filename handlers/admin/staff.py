"""Staff rights from a person's card: administrator with chosen permissions, teacher,
taking a role away; the staff list; the invitation of a new administrator.

Every handler needs the `users` permission (owners hold it). The rules (owners cannot
be changed, nobody changes their own rights, only held permissions are handed out) are
the service's; a change holds from the person's next update, and they are told.
"""

from html import escape

from aiogram import Bot, Router
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands_menu import set_chat_commands
from bot.config import Settings
from bot.delivery import Sender, recipients
from bot.filters.access import USERS
from bot.i18n import _
from bot.services import invites as invites_service
from bot.services import staff as staff_service
from bot.services.access import Actor
from bot.services.consent import Category
from bot.services.staff import Change, Outcome, from_bits
from bot.wording import stale_button_text
from db.base import utcnow
from db.models import InviteKind, Role, User
from handlers.admin.people.card import render_card, send_invite
from handlers.buttons import parsed_or_stale, show_screen
from handlers.registry import Registry
from keyboards.labels import permission_labels, role_names
from keyboards.people import (
    StaffCb,
    permission_editor,
    removal_confirmation,
    staff_list,
)

on = Registry(StaffCb, flags=USERS)


def refusals() -> dict[Outcome, str]:
    """What each refused outcome of a rights change answers (an alert)."""
    return {
        Outcome.OWNER: _(
            "⚠️ This person is an owner of the bot (set in the configuration): their rights "
            "cannot be changed or taken away here."
        ),
        Outcome.SELF: _("⚠️ You cannot change your own administrator rights. Ask the owner."),
        Outcome.NOT_HELD: _("⚠️ You can grant or take away only the permissions you hold."),
    }


def refusal_text(outcome: Outcome) -> str:
    return refusals().get(outcome) or stale_button_text()


def editor_text(name: str | None) -> str:
    if name is None:
        title = _("🛡 <b>Invitation for a new administrator</b>")
        hint = _("Choose the permissions, then create the link.")
    else:
        title = _("🛡 <b>Administrator rights of {name}</b>").format(
            name=escape(name or _("No name"))
        )
        hint = _("Tap a permission to switch it on or off, then ✅ Save.")
    return "\n".join(
        [title, "", hint, _("🔒 marks the permissions you do not hold and cannot grant.")]
    )


def staff_list_text(total: int) -> str:
    return "\n".join(
        [
            _("👔 <b>Staff: {total}</b>").format(total=total),
            _("Administrators 🛡 and teachers 🧑‍🏫. Tap a person to open the card."),
        ]
    )


def change_notice(change: Change) -> str:
    """What the person whose rights changed is told (rendered in their language)."""
    labels = permission_labels()
    lines = [_("🛡 <b>Your rights at the centre have changed</b>")]
    names = role_names()
    held = [names[role] for role in Role if role in change.roles]
    lines.append(_("Your roles: {roles}").format(roles=", ".join(held) if held else _("none")))
    if change.granted:
        lines.append(_("Granted: {list}").format(list=", ".join(labels[p] for p in change.granted)))
    if change.revoked:
        lines.append(
            _("Taken away: {list}").format(list=", ".join(labels[p] for p in change.revoked))
        )
    lines.append(_("Send /start to see your menu."))
    return "\n".join(lines)


async def after_change(
    bot: Bot,
    sender: Sender,
    session: AsyncSession,
    settings: Settings,
    target_id: int,
    change: Change,
) -> None:
    """Refresh the person's `/` menu and tell them (after the commit)."""
    if change.telegram_id is None:
        return
    # reset: the menu button opens the Mini App only while they are staff
    await set_chat_commands(
        bot, change.telegram_id, change.language, change.roles, settings.webapp, reset=True
    )
    for recipient in await recipients(
        session, [target_id], Category.ESSENTIAL, settings.centre.policy_version
    ):
        await sender.notify(bot, recipient, lambda: change_notice(change))


async def refused_target(
    callback: CallbackQuery, target: User, settings: Settings, actor: Actor
) -> bool:
    """Owners and one's own administrator rights are not changed here: an alert says so."""
    if target.telegram_id in settings.telegram.owner_ids:
        outcome = Outcome.OWNER
    elif target.id == actor.user_id and not actor.is_owner:
        outcome = Outcome.SELF
    else:
        return False
    await callback.answer(refusal_text(outcome), show_alert=True)
    return True


async def answer_change(
    callback: CallbackQuery,
    callback_data: StaffCb,
    change: Change,
    done: str,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    bot: Bot,
    sender: Sender,
) -> None:
    """A refusal as an alert, a stale button, or the card again with `done` (or "nothing has
    changed") as its toast; the person is told after a change."""
    if change.outcome in refusals():
        await callback.answer(refusal_text(change.outcome), show_alert=True)
        return
    if change.outcome is Outcome.MISSING:
        await callback.answer(stale_button_text())
        return
    toast = done if change.outcome is Outcome.DONE else _("ℹ️ Nothing has changed.")
    await render_card(callback, session, settings, actor, callback_data.id, toast=toast)
    if change.outcome is Outcome.DONE:
        await after_change(bot, sender, session, settings, callback_data.id, change)


@on.button("list")
async def show_staff(
    callback: CallbackQuery, callback_data: StaffCb, session: AsyncSession
) -> None:
    page = await staff_service.staff_page(session, callback_data.page)
    await show_screen(callback, staff_list_text(page.total), staff_list(page))


@on.button("adm", "tg")
async def editor_pressed(
    callback: CallbackQuery,
    callback_data: StaffCb,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
) -> None:
    """Open (adm) or refresh after a toggle (tg) the permission editor."""
    chosen = await parsed_or_stale(callback, from_bits, callback_data.bits)
    if chosen is None:
        return
    name = None
    if callback_data.id:
        target = await staff_service.target(session, callback_data.id)
        if target is None:
            await callback.answer(stale_button_text())
            return
        if await refused_target(callback, target, settings, actor):
            return
        name = target.full_name or ""
    await show_screen(
        callback, editor_text(name), permission_editor(actor, callback_data.id, chosen)
    )


@on.button("save")
async def save_pressed(
    callback: CallbackQuery,
    callback_data: StaffCb,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    bot: Bot,
    sender: Sender,
) -> None:
    chosen = await parsed_or_stale(callback, from_bits, callback_data.bits)
    if chosen is None:
        return
    change = await staff_service.set_admin(
        session, actor, callback_data.id, chosen, settings.telegram.owner_ids
    )
    await answer_change(
        callback, callback_data, change, _("✅ Saved."), session, settings, actor, bot, sender
    )


@on.button("lock")
async def locked_pressed(callback: CallbackQuery) -> None:
    await callback.answer(refusal_text(Outcome.NOT_HELD), show_alert=True)


@on.button("mkinv")
async def make_admin_invite_pressed(
    callback: CallbackQuery,
    callback_data: StaffCb,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    bot: Bot,
) -> None:
    chosen = await parsed_or_stale(callback, from_bits, callback_data.bits)
    if chosen is None:
        return
    created = await invites_service.create(
        session, actor, InviteKind.ADMIN, now=utcnow(), permissions=chosen
    )
    await send_invite(callback, bot, created, settings)


@on.button("teach")
async def teacher_pressed(
    callback: CallbackQuery,
    callback_data: StaffCb,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    bot: Bot,
    sender: Sender,
) -> None:
    change = await staff_service.make_teacher(
        session, actor, callback_data.id, settings.telegram.owner_ids
    )
    await answer_change(
        callback, callback_data, change, _("✅ Saved."), session, settings, actor, bot, sender
    )


def _role(value: str) -> Role | None:
    return Role(value) if value in (Role.ADMIN, Role.TEACHER) else None


@on.button("rm")
async def remove_pressed(
    callback: CallbackQuery,
    callback_data: StaffCb,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
) -> None:
    role = _role(callback_data.role)
    target = await staff_service.target(session, callback_data.id)
    if role is None or target is None:
        await callback.answer(stale_button_text())
        return
    if role is Role.ADMIN:
        if await refused_target(callback, target, settings, actor):
            return
        question = _(
            "➖ <b>Take the administrator role from {name}?</b>\n\n"
            "They lose every administrator permission at their next message."
        )
    else:
        question = _(
            "➖ <b>Take the teacher role from {name}?</b>\n\n"
            "They no longer see their groups or mark attendance from their next message."
        )
    name = escape(target.full_name or _("No name"))
    await show_screen(callback, question.format(name=name), removal_confirmation(target.id, role))


@on.button("rmy")
async def remove_confirmed(
    callback: CallbackQuery,
    callback_data: StaffCb,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    bot: Bot,
    sender: Sender,
) -> None:
    role = _role(callback_data.role)
    if role is None:
        await callback.answer(stale_button_text())
        return
    change = await staff_service.remove_role(
        session, actor, callback_data.id, role, settings.telegram.owner_ids
    )
    await answer_change(
        callback, callback_data, change, _("✅ Done."), session, settings, actor, bot, sender
    )


def create_router() -> Router:
    return on.router("admin.staff")
