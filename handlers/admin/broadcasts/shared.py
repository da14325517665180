"""What the broadcast form, the incident form and the cards share: the words for an
audience and a kind, and the start of a sending."""

from html import escape

from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot.forms import FormContext
from bot.i18n import _
from bot.notices.broadcast import launcher_for, title_text
from bot.services import broadcasts as service
from bot.services.broadcasts import Audience, Draft
from bot.telegram import edit_or_send
from db.base import utcnow
from db.models import AudienceType, BroadcastCategory
from keyboards.broadcasts import audience_labels, role_labels

PAGE_SIZE = 10


async def audience_text(session: AsyncSession, audience: Audience) -> str:
    label = audience_labels()[audience.type]
    if audience.type is AudienceType.ROLE and audience.role is not None:
        return f"{label}: {role_labels()[audience.role]}"
    if audience.type in (AudienceType.COURSE, AudienceType.GROUP) and audience.id is not None:
        name = await service.audience_name(session, audience.type, audience.id)
        return f"{label}: {escape(name or '—')}"
    return label


def buttons_hint() -> str:
    """The answer to a message typed where a form waits for a button."""
    return _("ℹ️ Use the buttons above, or /cancel to leave without sending.")


def nothing_sent_text() -> str:
    return _("❌ Cancelled. Nothing was sent.")


def category_label(category: str) -> str:
    if category == BroadcastCategory.ESSENTIAL:
        return _("❗ Essential")
    return _("📢 Announcement")


async def start_sending(context: FormContext, draft: Draft, *, incident: bool = False) -> None:
    """Store the broadcast with its deliveries, then send it in the background; the author
    follows it in a progress message."""
    bot, actor, settings = context.bot, context.actor, context.settings
    sender = context.sender
    progress = await bot.send_message(actor.telegram_id, _("⏳ Preparing the recipients…"))
    broadcast = await service.send_now(
        context.session,
        actor.user_id,
        draft,
        settings,
        utcnow(),
        progress=(actor.telegram_id, progress.message_id),
        incident=incident,
    )
    callback: CallbackQuery = context.event  # type: ignore[assignment]
    await edit_or_send(
        callback,
        _("🚀 {title} is going to {count} people: the progress is below.").format(
            title=title_text(broadcast), count=broadcast.total
        ),
        None,
    )
    launcher_for(sender).launch(
        broadcast.id,
        bot=bot,
        session_factory=context.data["session_factory"],
        sender=sender,
        settings=settings,
    )
    context.toast = _("✅ Sending has started.")
