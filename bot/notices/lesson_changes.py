"""The notice of a cancelled or moved lesson to its students, their parents and the teacher
(essential), each in their own language. Sent after the change is committed, by whoever
made it: the chat's lesson card and the Mini App's."""

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from aiogram import Bot
from loguru import logger

from bot.delivery import Outcome as Delivered
from bot.delivery import Sender
from bot.formatting import format_datetime
from bot.i18n import _
from bot.services.lessons import Audience, LessonChange, LessonInfo


def children_line(audience: Audience, user_id: int) -> list[str]:
    names = audience.children.get(user_id)
    if not names:
        return []
    return [_("👤 For: {names}").format(names=", ".join(escape(name) for name in names))]


def cancelled_notice(info: LessonInfo, audience: Audience, user_id: int, tz: ZoneInfo) -> str:
    return "\n".join(
        [
            _("❌ <b>Lesson cancelled</b>: {group} ({course}), {when}").format(
                group=escape(info.group_name),
                course=escape(info.course_name),
                when=format_datetime(info.starts_at, tz),
            ),
            *children_line(audience, user_id),
            _("The other lessons go ahead as planned: /schedule"),
        ]
    )


def moved_notice(
    info: LessonInfo, old: datetime, audience: Audience, user_id: int, tz: ZoneInfo
) -> str:
    return "\n".join(
        [
            _("🕘 <b>Lesson moved</b>: {group} ({course})").format(
                group=escape(info.group_name), course=escape(info.course_name)
            ),
            _("Was: {when}").format(when=format_datetime(old, tz)),
            _("Now: {when}").format(when=format_datetime(info.starts_at, tz)),
            *children_line(audience, user_id),
        ]
    )


async def tell(bot: Bot, sender: Sender, change: LessonChange, tz: ZoneInfo) -> tuple[int, int]:
    """Send the notice of a change to everyone concerned; (sent, audience size)."""
    assert change.audience is not None and change.lesson is not None
    audience, info = change.audience, change.lesson
    old = change.old_starts_at
    sent = 0
    for recipient in audience.recipients:

        def render(user_id: int = recipient.user_id) -> str:
            if old is None:
                return cancelled_notice(info, audience, user_id, tz)
            return moved_notice(info, old, audience, user_id, tz)

        delivered = await sender.notify(bot, recipient, render)
        sent += delivered.outcome is Delivered.SENT
    logger.info("lesson {}: notice sent to {} of {}", info.id, sent, len(audience.recipients))
    return sent, len(audience.recipients)
