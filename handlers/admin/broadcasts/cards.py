"""/broadcasts (permission `broadcast`): the list, a broadcast's card, ❌ cancel and ⛔ stop
(the progress message's button), the XLSX report of its deliveries."""

from html import escape
from typing import Any

from aiogram import Bot, Router
from aiogram.types import BufferedInputFile, CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters.access import BROADCAST
from bot.formatting import format_datetime
from bot.i18n import _
from bot.notices.broadcast import counts_lines as delivery_counts
from bot.notices.broadcast import left_of, report_text, title_text
from bot.services import broadcasts as service
from bot.services.access import Actor
from bot.services.broadcasts import Audience, CancelOutcome
from bot.telegram import edit_or_send
from bot.wording import stale_button_text
from db.base import utcnow
from db.ids import is_row_id
from db.models import Broadcast, BroadcastStatus
from handlers.admin.broadcasts.shared import (
    PAGE_SIZE,
    audience_text,
    category_label,
)
from handlers.registry import Registry
from keyboards.broadcasts import BroadcastCb, broadcast_card, broadcasts_list, report_markup
from keyboards.labels import broadcast_status_labels


async def card_text(session: AsyncSession, broadcast: Broadcast, settings: Settings) -> str:
    tz = settings.centre.tz
    audience = await audience_text(session, Audience.from_json(broadcast.audience))
    status = broadcast_status_labels().get(broadcast.status, broadcast.status)
    lines = [
        f"<b>{title_text(broadcast)}</b> · {status}",
        "",
        _("👥 Audience: {audience}").format(audience=audience),
        _("🏷 Kind: {category}").format(category=category_label(broadcast.category)),
        _("🗓 Created: {when}").format(when=format_datetime(broadcast.created_at, tz)),
    ]
    if broadcast.scheduled_at:
        lines.append(
            _("🕘 Scheduled for: {when}").format(when=format_datetime(broadcast.scheduled_at, tz))
        )
    if broadcast.started_at:
        lines.append(_("🚀 Started: {when}").format(when=format_datetime(broadcast.started_at, tz)))
    if broadcast.finished_at:
        lines.append(_("🏁 Ended: {when}").format(when=format_datetime(broadcast.finished_at, tz)))
    if broadcast.status != BroadcastStatus.SCHEDULED:
        lines += ["", *delivery_counts(broadcast)]
        if broadcast.status == BroadcastStatus.SENDING:
            lines.append(_("📬 Left: {left}").format(left=left_of(broadcast)))
    if broadcast.preview_text:
        lines += ["", f"<i>{escape(broadcast.preview_text)}</i>"]
    return "\n".join(lines)


def list_label(broadcast: Broadcast, settings: Settings) -> str:
    icon = {
        BroadcastStatus.SCHEDULED: "🕘",
        BroadcastStatus.SENDING: "⏳",
        BroadcastStatus.DONE: "✅",
        BroadcastStatus.CANCELLED: "❌",
    }.get(BroadcastStatus(broadcast.status), "📝")
    if broadcast.incident:
        icon = "🚨" + icon
    when = broadcast.scheduled_at if broadcast.status == BroadcastStatus.SCHEDULED else None
    when = when or broadcast.started_at or broadcast.created_at
    stamp = format_datetime(when, settings.centre.tz)
    preview = (broadcast.preview_text or _("(media)"))[:24]
    return f"{icon} #{broadcast.id} · {stamp} · {preview}"


on = Registry(BroadcastCb, flags=BROADCAST)


@on.pages("broadcasts")
async def list_view(page: int, session: AsyncSession, settings: Settings) -> tuple[str, Any]:
    rows, number, pages = await service.page(session, page, PAGE_SIZE)
    if not rows:
        return _("📣 <b>Broadcasts</b>\n\nNone yet. Send /broadcast to write the first."), None
    items = [(row.id, list_label(row, settings)) for row in rows]
    text = _("📣 <b>Broadcasts</b> · newest first. Tap one for its report.")
    return text, broadcasts_list(items, number, pages)


async def render_card(
    callback: CallbackQuery,
    session: AsyncSession,
    settings: Settings,
    broadcast: Broadcast,
    page: int,
) -> None:
    markup = broadcast_card(
        broadcast.id,
        page,
        can_cancel=broadcast.status in (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING),
        has_report=broadcast.status != BroadcastStatus.SCHEDULED and broadcast.total > 0,
    )
    await edit_or_send(callback, await card_text(session, broadcast, settings), markup)


@on.button("card")
async def card_pressed(
    callback: CallbackQuery, callback_data: BroadcastCb, session: AsyncSession, settings: Settings
) -> None:
    broadcast = (
        await service.get(session, callback_data.id) if is_row_id(callback_data.id) else None
    )
    if broadcast is None:
        await callback.answer(stale_button_text())
        return
    await render_card(callback, session, settings, broadcast, callback_data.page)
    await callback.answer()


@on.button("cancel", "stop")
async def cancel_pressed(
    callback: CallbackQuery,
    callback_data: BroadcastCb,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
) -> None:
    if not is_row_id(callback_data.id):
        await callback.answer(stale_button_text())
        return
    outcome = await service.cancel(session, actor.user_id, callback_data.id, utcnow())
    if outcome is CancelOutcome.MISSING:
        await callback.answer(stale_button_text())
        return
    broadcast = await service.get(session, callback_data.id)
    assert broadcast is not None
    if callback_data.action == "stop":
        await edit_or_send(callback, report_text(broadcast), report_markup(broadcast.id))
    else:
        await render_card(callback, session, settings, broadcast, callback_data.page)
    if outcome is CancelOutcome.CANCELLED:
        await callback.answer(_("❌ Cancelled: nothing more will be sent."))
    else:
        await callback.answer(_("ℹ️ It has already ended."))


@on.button("xlsx")
async def report_pressed(
    callback: CallbackQuery,
    callback_data: BroadcastCb,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    bot: Bot,
) -> None:
    if not is_row_id(callback_data.id):
        await callback.answer(stale_button_text())
        return
    data = await service.report(session, actor.user_id, callback_data.id, settings.centre.tz)
    if data is None:
        await callback.answer(stale_button_text())
        return
    name = f"broadcast-{callback_data.id}.xlsx"
    await bot.send_document(
        actor.telegram_id,
        BufferedInputFile(data, name),
        caption=_("📊 Recipients of broadcast #{id} and what happened to each message.").format(
            id=callback_data.id
        ),
    )
    await callback.answer()


@on.callback(BroadcastCb.filter())
async def retired_pressed(callback: CallbackQuery) -> None:
    """A 📣 button this bot no longer makes (the form's buttons before it moved onto the
    form engine, still under old messages) or a forged action: out of date for people
    with `broadcast`; the access guard refuses the others."""
    await callback.answer(stale_button_text())


def create_router() -> Router:
    return on.router("admin.broadcasts.cards")
