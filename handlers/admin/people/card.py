"""A person's card (/people): who they are, roles, groups, family; invitation links.

Cards are one message edited in place; a new invitation link is a message of its own, so
it can be forwarded. Every handler needs the `users` permission (owners hold it).
"""

from html import escape

from aiogram import Bot, Router
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters.access import USERS
from bot.formatting import format_date, format_datetime, format_phone
from bot.i18n import _
from bot.services import invites as invites_service
from bot.services import people as people_service
from bot.services.access import Actor
from bot.services.invites import Created, Made, Revoked
from bot.services.people import PersonCard
from bot.telegram import edit_or_send
from bot.wording import stale_button_text
from db.base import utcnow
from db.models import InviteKind, Permission, Role
from handlers.registry import Registry
from keyboards.labels import (
    attendance_labels,
    enrolment_status_words,
    permission_labels,
    role_names,
)
from keyboards.people import (
    FROM_ELSEWHERE,
    InviteCb,
    PeopleCb,
    invite_message,
    person_card,
)

CARD_LIST_MAX = 10  # groups shown on a card

on = Registry(PeopleCb, flags=USERS)


def card_text(card: PersonCard, settings: Settings) -> str:
    data = card.data
    profile = data.profile
    missing = _("not given")
    lines = [_("👤 <b>{name}</b>").format(name=escape(profile.full_name or _("No name")))]
    lines.append(
        _("📱 Phone: {value}").format(
            value=escape(format_phone(profile.phone)) if profile.phone else missing
        )
    )
    if profile.birth_date:
        lines.append(_("🎂 Birth date: {value}").format(value=format_date(profile.birth_date)))
    if card.on_telegram:
        lines.append(_("💬 Telegram: connected"))
    else:
        lines.append(_("💬 Telegram: not connected yet"))
    if card.open_invites:
        lines.append(_("🔗 Open invitation links: {count}").format(count=card.open_invites))
    names = role_names()
    held = [names[role] for role in Role if role in card.roles]
    lines.append(_("🎭 Roles: {roles}").format(roles=", ".join(held) if held else _("none")))
    if card.is_owner:
        lines.append(_("👑 Owner: holds every right (set in the configuration)."))
    elif Role.ADMIN in card.roles:
        labels = permission_labels()
        granted = [labels[p] for p in Permission if p in card.permissions]
        lines.append(
            _("🛡 Permissions: {list}").format(list=", ".join(granted) if granted else _("none"))
        )
    if data.enrolments or Role.STUDENT in card.roles:
        lines += ["", _("👥 <b>Groups</b>")]
        statuses = enrolment_status_words()
        for row in data.enrolments[:CARD_LIST_MAX]:
            lines.append(
                _("• {course} — {group}: {status}").format(
                    course=escape(row.course),
                    group=escape(row.group),
                    status=statuses.get(row.status, row.status),
                )
            )
        if len(data.enrolments) > CARD_LIST_MAX:
            lines.append(
                _("… and {count} more.").format(count=len(data.enrolments) - CARD_LIST_MAX)
            )
        if not data.enrolments:
            lines.append(_("No groups."))
        counts = data.attendance_counts
        if sum(counts.values()):
            labels = attendance_labels()
            lines.append(
                _("📋 Attendance: {counts}").format(
                    counts=" · ".join(
                        f"{label}: {counts.get(status, 0)}" for status, label in labels.items()
                    )
                )
            )
        else:
            lines.append(_("📋 No attendance marks yet."))
    nameless = _("No name")
    if data.parents:
        lines.append(
            _("👪 Parents: {names}").format(
                names=", ".join(escape(p.full_name or nameless) for p in data.parents)
            )
        )
    if data.children:
        lines.append(
            _("🧒 Children: {names}").format(
                names=", ".join(escape(c.full_name or nameless) for c in data.children)
            )
        )
    lines += [
        "",
        _("🕘 Registered: {when}").format(
            when=format_datetime(profile.created_at, settings.centre.tz)
        ),
    ]
    return "\n".join(lines)


def invite_text(created: Created, url: str, settings: Settings) -> str:
    assert created.kind is not None and created.expires_at is not None
    if created.name:
        title = _("🔗 <b>Invitation for {name}</b> ({kind})").format(
            name=escape(created.name), kind=role_names()[Role(created.kind.value)]
        )
    elif created.kind is InviteKind.PARENT:
        title = _("👪 <b>Invitation for a parent of {child}</b>").format(
            child=escape(created.child_name or _("No name"))
        )
    elif created.kind is InviteKind.TEACHER:
        title = _("🧑‍🏫 <b>Invitation for a new teacher</b>")
    else:
        title = _("🛡 <b>Invitation for a new administrator</b>")
    lines = [title, "", escape(url), ""]
    if created.kind is InviteKind.ADMIN:
        labels = permission_labels()
        granted = ", ".join(labels[p] for p in created.permissions) or _("none")
        lines.append(_("Permissions: {list}").format(list=granted))
    lines.append(
        _("Valid until {when}. It works once. Forward this message to the person.").format(
            when=format_datetime(created.expires_at, settings.centre.tz)
        )
    )
    if created.name:
        lines.append(_("A new link for the same person replaces this one."))
    return "\n".join(lines)


def made_refusal(outcome: Made) -> str:
    if outcome is Made.BOUND:
        return _("ℹ️ This person is already connected to Telegram: no invitation is needed.")
    if outcome is Made.NOT_HELD:
        return _("⚠️ You can grant only the permissions you hold.")
    return stale_button_text()


async def send_invite(
    callback: CallbackQuery, bot: Bot, created: Created, settings: Settings
) -> None:
    """The link as a message of its own (forwardable), with a revoke button."""
    if created.outcome is not Made.DONE:
        await callback.answer(made_refusal(created.outcome), show_alert=True)
        return
    assert created.code is not None and created.invite_id is not None
    me = await bot.me()
    url = invites_service.link(me.username or "", created.code)
    await callback.answer(_("🔗 Link created."))
    await bot.send_message(
        callback.from_user.id,
        invite_text(created, url, settings),
        reply_markup=invite_message(created.invite_id),
    )


# --- the card ------------------------------------------------------------------------------------


async def show_card(
    callback: CallbackQuery,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    user_id: int,
    *,
    origin: int = FROM_ELSEWHERE,
    page: int = 0,
) -> bool:
    """The card in place of the pressed message; False when the person is gone."""
    card = await people_service.card(session, user_id, settings.telegram.owner_ids)
    if card is None:
        return False
    await edit_or_send(
        callback, card_text(card, settings), person_card(card, actor, origin=origin, page=page)
    )
    return True


async def render_card(
    callback: CallbackQuery,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    user_id: int,
    *,
    origin: int = FROM_ELSEWHERE,
    page: int = 0,
    toast: str | None = None,
) -> None:
    if not await show_card(callback, session, settings, actor, user_id, origin=origin, page=page):
        await callback.answer(stale_button_text())
        return
    await callback.answer(toast)


@on.button("card")
async def card_pressed(
    callback: CallbackQuery,
    callback_data: PeopleCb,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
) -> None:
    await render_card(
        callback,
        session,
        settings,
        actor,
        callback_data.id,
        origin=callback_data.other,
        page=callback_data.page,
    )


# --- invitations ---------------------------------------------------------------------------


@on.button("inv")
async def invite_pressed(
    callback: CallbackQuery,
    callback_data: PeopleCb,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    bot: Bot,
) -> None:
    """The link that binds a registered person's Telegram account to their record."""
    card = await people_service.card(session, callback_data.id, settings.telegram.owner_ids)
    if card is None:
        await callback.answer(stale_button_text())
        return
    kind = invites_service.binding_kind(card.roles, bool(card.data.children))
    if kind is None:
        await callback.answer(stale_button_text())
        return
    child = (
        await people_service.first_child(session, card.id) if kind is InviteKind.PARENT else None
    )
    created = await invites_service.create(
        session,
        actor,
        kind,
        now=utcnow(),
        user_id=card.id,
        student_id=child,
    )
    await send_invite(callback, bot, created, settings)


@on.button("pinv")
async def parent_invite_pressed(
    callback: CallbackQuery,
    callback_data: PeopleCb,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    bot: Bot,
) -> None:
    created = await invites_service.create(
        session, actor, InviteKind.PARENT, now=utcnow(), student_id=callback_data.id
    )
    await send_invite(callback, bot, created, settings)


@on.button("teacher", data=InviteCb)
async def teacher_invite_pressed(
    callback: CallbackQuery, session: AsyncSession, settings: Settings, actor: Actor, bot: Bot
) -> None:
    created = await invites_service.create(session, actor, InviteKind.TEACHER, now=utcnow())
    await send_invite(callback, bot, created, settings)


@on.button("rv", data=InviteCb)
async def revoke_pressed(
    callback: CallbackQuery, callback_data: InviteCb, session: AsyncSession, actor: Actor
) -> None:
    outcome = await invites_service.revoke(session, actor.user_id, callback_data.id, utcnow())
    if outcome is Revoked.MISSING:
        await callback.answer(stale_button_text())
        return
    if outcome is Revoked.USED:
        await callback.answer(
            _("⚠️ This invitation has already been used: there is nothing to revoke."),
            show_alert=True,
        )
        return
    await edit_or_send(
        callback, _("🚫 This invitation was revoked: the link no longer works."), None
    )
    await callback.answer(_("🚫 Revoked."))


def create_router() -> Router:
    return on.router("admin.people.card")
