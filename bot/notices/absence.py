"""The absence notice: to a student marked absent, or about them to each linked parent.

Shared by the chat's attendance sheet (handlers/teacher/attendance.py) and the Mini App's
(bot/webapp/api/teacher.py). `bot.services.attendance.save` claims the notices in its
transaction, once per student and lesson (a unique key), so saving a sheet again claims
nothing new; this module sends what was claimed, after the commit, and records how each
one ended.
"""

from functools import partial
from html import escape
from zoneinfo import ZoneInfo

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery import Sender
from bot.formatting import format_datetime
from bot.i18n import _
from bot.services import notifications
from bot.services.attendance import AbsenceNotice


def absence_text(notice: AbsenceNotice, tz: ZoneInfo) -> str:
    when = format_datetime(notice.starts_at, tz)
    if notice.about_self:
        return "\n".join(
            [
                _("❌ You were marked absent at the <b>{group}</b> lesson on {when}.").format(
                    group=escape(notice.group_name), when=when
                ),
                "",
                _("If this is a mistake, tell your teacher or write to the centre: /support"),
            ]
        )
    return "\n".join(
        [
            _(
                "❌ <b>{student}</b> was marked absent at the <b>{group}</b> lesson on {when}."
            ).format(
                student=escape(notice.student_name), group=escape(notice.group_name), when=when
            ),
            "",
            _("If you know the reason, please tell the centre: /support"),
        ]
    )


async def send_absence_notices(
    bot: Bot,
    sender: Sender,
    session_factory: async_sessionmaker[AsyncSession],
    notices: list[AbsenceNotice],
    tz: ZoneInfo,
) -> None:
    """Send the claimed notices (after the commit) and record how each one ended."""
    outcomes = {}
    for notice in notices:
        delivered = await sender.notify(bot, notice.recipient, partial(absence_text, notice, tz))
        outcomes[notice.claim_id] = delivered.outcome
    await notifications.settle_many(session_factory, outcomes)
