"""Opening an invitation link: `/start <code>` after consent (also right after accepting
the policy, for a link opened before). The link is carried out before the greeting, which
then says what it gave (or why it was refused) in the same message; the staff member who
made the link is told. A bad code changes nothing."""

from dataclasses import dataclass
from html import escape

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands_menu import set_chat_commands
from bot.config import Settings
from bot.delivery import Sender, recipients
from bot.i18n import _
from bot.services import invites as invites_service
from bot.services.access import ROLE_ORDER, Actor
from bot.services.consent import Category
from bot.services.invites import Opened, Redemption
from db.base import utcnow
from db.models import InviteKind, Role
from keyboards.labels import permission_labels, role_names


def refusal_text(outcome: Opened) -> str:
    return {
        Opened.INVALID: _("⚠️ This link is not valid or has expired. Ask the centre for a new one."),
        Opened.EXPIRED: _("⚠️ This invitation has expired. Ask the centre for a new link."),
        Opened.USED: _(
            "⚠️ This invitation has already been used: each link works once. "
            "Ask the centre for a new one."
        ),
        Opened.REVOKED: _(
            "⚠️ This invitation was cancelled by the centre. Ask the centre for a new link."
        ),
        Opened.TAKEN: _(
            "⚠️ The person this invitation is for is already connected to another Telegram "
            "account. If that is a mistake, tell the centre."
        ),
        Opened.CONFLICT: _(
            "⚠️ Your Telegram account already belongs to someone registered at the centre, so "
            "this invitation cannot be joined to it. Ask the centre for help."
        ),
        Opened.SELF: _("⚠️ This invitation is for your parent: please send the link to them."),
    }[outcome]


def welcome_text(result: Redemption, settings: Settings) -> str:
    centre = escape(settings.centre.centre_name)
    if result.kind is InviteKind.STUDENT:
        text = _(
            "✅ Welcome, {name}! Your Telegram account is now linked to your record at "
            "{centre}: you are a student."
        ).format(name=escape(result.full_name or ""), centre=centre)
    elif result.kind is InviteKind.PARENT:
        text = _(
            "✅ You are now linked to {child} as a parent: their schedule, attendance and "
            "grades are here for you."
        ).format(child=escape(result.child_name or ""))
    elif result.kind is InviteKind.TEACHER:
        text = _("✅ You are now a teacher at {centre}.").format(centre=centre)
    else:
        text = _("✅ You are now an administrator at {centre}.").format(centre=centre)
        if result.permissions:
            labels = permission_labels()
            text += "\n" + _("Permissions: {list}").format(
                list=", ".join(labels[p] for p in result.permissions)
            )
    return text


def creator_notice(result: Redemption) -> str:
    name = escape(result.full_name or _("No name"))
    if result.kind is InviteKind.PARENT:
        return _(
            "🔗 {name} opened your invitation and is now linked to {child} as a parent."
        ).format(name=name, child=escape(result.child_name or ""))
    assert result.kind is not None
    return _("🔗 {name} opened your invitation and is now connected as a {kind}.").format(
        name=name, kind=role_names()[Role(result.kind.value)]
    )


@dataclass(frozen=True, slots=True)
class InviteOpened:
    """What opening a link did: a line for the greeting, and the roles held afterwards."""

    text: str
    roles: tuple[Role, ...]
    done: bool


async def open_invite(
    bot: Bot,
    sender: Sender,
    session: AsyncSession,
    chat_id: int,
    actor: Actor,
    settings: Settings,
    payload: str,
) -> InviteOpened:
    result = await invites_service.redeem(session, actor.user_id, payload, utcnow())
    if result.outcome is not Opened.DONE:
        return InviteOpened(refusal_text(result.outcome), actor.effective_roles, done=False)
    held = set(result.roles) | ({Role.ADMIN} if actor.is_owner else set())
    roles = tuple(role for role in ROLE_ORDER if role in held)
    await set_chat_commands(bot, chat_id, actor.language, roles, settings.webapp)
    if result.creator_id is not None and result.creator_id != result.user_id:
        for recipient in await recipients(
            session, [result.creator_id], Category.ESSENTIAL, settings.centre.policy_version
        ):
            await sender.notify(bot, recipient, lambda: creator_notice(result))
    return InviteOpened(welcome_text(result, settings), roles, done=True)
