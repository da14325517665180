"""What the lesson screens share: the card, the refusals, a moment in the centre's time."""

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot.formatting import format_datetime
from bot.i18n import _
from bot.services import lessons as lessons_service
from bot.services.lessons import LessonInfo, Refusal
from bot.wording import lesson_refusal_text, lesson_status_labels
from db.base import utcnow


def when(moment: datetime, tz: ZoneInfo) -> str:
    return format_datetime(moment, tz)


def title_of(group_name: str, course_name: str) -> str:
    return f"📅 <b>{escape(group_name)}</b> · {escape(course_name)}"


def lesson_title(info: LessonInfo) -> str:
    return title_of(info.group_name, info.course_name)


def card_text(info: LessonInfo, tz: ZoneInfo) -> str:
    lines = [
        lesson_title(info),
        "",
        _("🕘 {when}, {minutes} min").format(
            when=when(info.starts_at, tz), minutes=info.duration_minutes
        ),
        _("Status: {status}").format(status=lesson_status_labels()[info.status]),
    ]
    if info.room:
        lines.append(_("🚪 Room: {room}").format(room=escape(info.room)))
    if info.topic:
        lines.append(_("📖 Topic: {topic}").format(topic=escape(info.topic)))
    if info.marked:
        lines.append(_("📋 Attendance has been taken."))
    return "\n".join(lines)


def refusal_text(refusal: Refusal) -> str:
    return lesson_refusal_text(refusal)


async def answer_refusal(callback: CallbackQuery, refusal: Refusal) -> None:
    """An alert, but for a lesson that is gone: that is the out-of-date button's toast."""
    await callback.answer(refusal_text(refusal), show_alert=refusal is not Refusal.MISSING)


async def changeable_lesson(
    callback: CallbackQuery, session: AsyncSession, lesson_id: int
) -> LessonInfo | None:
    """The lesson, if it may still be cancelled or moved; else None, the refusal answered."""
    info = await lessons_service.lesson(session, lesson_id)
    refusal = lessons_service.check_changeable(info, utcnow())
    if refusal is not None:
        await answer_refusal(callback, refusal)
        return None
    return info


def told_text(sent: int) -> str:
    return _("📨 Notices sent: {sent}.").format(sent=sent)
