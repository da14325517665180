"""/audit: the latest audit entries, paged, filtered by user and by action (POLICY 14);
owners can verify the log's hash chain from it."""

import re

from aiogram import F, Router, html
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters.access import OWNER_ONLY
from bot.formatting import format_datetime
from bot.i18n import _, ngettext
from bot.services import audit, audit_log
from bot.services.access import Actor
from bot.services.audit_chain import ChainReport, Problem
from bot.services.audit_log import AuditFilter, AuditPage
from bot.telegram import edit_or_send
from bot.wording import stale_button_text
from db.models import AuditEntry, AuditOutcome, Permission
from handlers.buttons import show_screen
from keyboards.audit import AuditCb, action_groups, audit_page, back_to_log

ACTION_PATTERN = re.compile(r"^[a-z_]{1,24}(\.[a-z_]{1,24})?$")
OUTCOME_ICONS = {AuditOutcome.OK: "✅", AuditOutcome.DENIED: "⛔", AuditOutcome.FAILED: "❌"}
NEEDS_AUDIT = {"permission": Permission.AUDIT}


def render_entry(entry: AuditEntry, actor_name: str | None, settings: Settings) -> str:
    when = format_datetime(entry.at, settings.centre.tz)
    icon = OUTCOME_ICONS.get(AuditOutcome(entry.outcome), "•")
    if entry.actor_id is None:
        actor = _("system")
    elif actor_name:
        actor = f"{html.quote(actor_name)} (#{entry.actor_id})"
    else:
        actor = f"#{entry.actor_id}"
    target = (
        f" → {html.quote(entry.object_type)} #{html.quote(entry.object_id or '')}"
        if entry.object_type
        else ""
    )
    return f"{when} · {icon} <code>{html.quote(entry.action)}</code>\n👤 {actor}{target}"


def render_page(result: AuditPage, audit_filter: AuditFilter, settings: Settings) -> str:
    lines = [_("🗂 <b>Audit log</b> · entries: {total}").format(total=result.total)]
    if audit_filter.action:
        lines.append(_("Action: {action}").format(action=html.quote(audit_filter.action)))
    if audit_filter.user_id:
        lines.append(_("User: #{user}").format(user=audit_filter.user_id))
    lines.append("")
    if not result.entries:
        lines.append(_("No entries."))
    lines.extend(render_entry(entry, name, settings) + "\n" for entry, name in result.entries)
    return "\n".join(lines).rstrip()


def problem_text(problem: Problem) -> str:
    if problem is Problem.CONTENT:
        return _("Its content no longer gives its hash: it was changed after it was written.")
    return _(
        "It does not link to the entry before it: an entry before it was removed or slipped in."
    )


def render_report(report: ChainReport) -> str:
    if report.intact:
        return "\n".join(
            [
                ngettext(
                    "✅ The audit chain is intact: {count} entry.",
                    "✅ The audit chain is intact: {count} entries.",
                    report.entries,
                ).format(count=report.entries),
                _("Newest hash: <code>{head}</code>").format(head=report.head),
            ]
        )
    return "\n".join(
        [
            _("⚠️ <b>The audit chain is broken at entry #{entry}.</b>").format(
                entry=report.broken_id
            ),
            problem_text(report.problem),
            ngettext(
                "The {count} entry before it is intact.",
                "The {count} entries before it are intact.",
                report.entries,
            ).format(count=report.entries),
        ]
    )


def usage() -> str:
    return _(
        "⚠️ Use /audit, or narrow it down: /audit action consent, /audit user 123456789 "
        "(a Telegram id) or /audit user #12 (a person's number in the log)."
    )


async def parse_filter(session: AsyncSession, args: str | None) -> AuditFilter | None:
    """`action <prefix>` and/or `user <ref>`, in any order; None when malformed."""
    words = (args or "").split()
    if len(words) % 2:
        return None
    action, user_id = "", 0
    for key, value in zip(words[::2], words[1::2], strict=True):
        if key == "action" and ACTION_PATTERN.match(value):
            action = value
        elif key == "user":
            found = await audit_log.find_actor(session, value)
            if found is None:
                return None
            user_id = found
        else:
            return None
    return AuditFilter(action=action, user_id=user_id)


async def show_audit(
    message: Message,
    command: CommandObject,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
) -> None:
    audit_filter = await parse_filter(session, command.args)
    if audit_filter is None:
        await message.answer(usage())
        return
    result = await audit_log.read_page(session, 1, audit_filter)
    await message.answer(
        render_page(result, audit_filter, settings),
        reply_markup=audit_page(
            result.page,
            result.pages,
            audit_filter.action,
            audit_filter.user_id,
            owner=actor.is_owner,
        ),
    )


async def turn_page(
    callback: CallbackQuery,
    callback_data: AuditCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
) -> None:
    if callback_data.action and not ACTION_PATTERN.match(callback_data.action):
        await callback.answer(stale_button_text())
        return
    audit_filter = AuditFilter(action=callback_data.action, user_id=callback_data.user)
    result = await audit_log.read_page(session, callback_data.page, audit_filter)
    await show_screen(
        callback,
        render_page(result, audit_filter, settings),
        audit_page(
            result.page,
            result.pages,
            audit_filter.action,
            audit_filter.user_id,
            owner=actor.is_owner,
        ),
    )


async def choose_action(
    callback: CallbackQuery, callback_data: AuditCb, session: AsyncSession
) -> None:
    groups = await audit_log.action_groups(session)
    await show_screen(
        callback, _("🔎 Show only the actions of:"), action_groups(groups, callback_data.user)
    )


async def verify_chain(
    callback: CallbackQuery, callback_data: AuditCb, session: AsyncSession
) -> None:
    """Owners only: walk the whole hash chain and name its first broken entry."""
    if callback_data.action and not ACTION_PATTERN.match(callback_data.action):
        await callback.answer(stale_button_text())
        return
    # answered first: on a long log the walk takes seconds, longer than a button may wait
    await callback.answer(_("⏳ Checking the chain…"))
    report = await audit.verify(session)
    await edit_or_send(
        callback,
        render_report(report),
        back_to_log(callback_data.page, callback_data.action, callback_data.user),
    )


def create_router() -> Router:
    router = Router(name="admin.audit")
    router.message.register(show_audit, Command("audit"), flags=NEEDS_AUDIT)
    router.callback_query.register(turn_page, AuditCb.filter(F.view == "list"), flags=NEEDS_AUDIT)
    router.callback_query.register(
        choose_action, AuditCb.filter(F.view == "groups"), flags=NEEDS_AUDIT
    )
    router.callback_query.register(
        verify_chain, AuditCb.filter(F.view == "verify"), flags=NEEDS_AUDIT | OWNER_ONLY
    )
    return router
