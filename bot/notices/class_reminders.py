"""The class reminder's text, in the recipient's language: the lesson, its time and room."""

import math
from datetime import datetime
from html import escape

from bot.config import Settings
from bot.formatting import format_datetime
from bot.i18n import _, ngettext
from bot.notices.payment_reminders import student_name
from bot.services.reminders import LessonNotice


def lesson_text(notice: LessonNotice, at: datetime, settings: Settings) -> str:
    minutes = max(1, math.ceil((notice.starts_at - at).total_seconds() / 60))
    when = format_datetime(notice.starts_at, settings.centre.tz)
    lines = [
        ngettext(
            "🔔 <b>Lesson in {minutes} minute</b> · {when}",
            "🔔 <b>Lesson in {minutes} minutes</b> · {when}",
            minutes,
        ).format(minutes=minutes, when=when)
    ]
    if notice.to_parent:
        lines.append(_("👤 Student: {name}").format(name=student_name(notice.student_name)))
    lines.append(
        _("📚 {course} · {group}").format(
            course=escape(notice.course_name), group=escape(notice.group_name)
        )
    )
    if notice.room:
        lines.append(_("🚪 Room: {room}").format(room=escape(notice.room)))
    lines += ["", _("To stop these reminders: /settings")]
    return "\n".join(lines)
