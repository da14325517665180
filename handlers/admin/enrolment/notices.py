"""What the student and their linked parents are told after a change of the place
(essential), each in their own language, and what the admin then sees."""

from html import escape

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import Outcome as Delivered
from bot.delivery import Sender
from bot.formatting import format_money
from bot.i18n import _
from bot.services import academic as academic_service
from bot.services.academic import GroupInfo
from bot.services.enrolment import Change
from handlers.admin.enrolment.common import card_text, discounted


def notice_text(
    event: str, change: Change, group: GroupInfo, old_group: GroupInfo | None, for_student: bool
) -> str:
    assert change.enrolment is not None
    item = change.enrolment
    name = escape(item.student_name)
    values = {
        "child": name,
        "group": escape(group.name),
        "course": escape(group.course_name),
        "old": escape(old_group.name) if old_group else "",
        "percent": item.discount_percent,
        "price": format_money(discounted(group.price, item.discount_percent)),
    }
    student_texts = {
        "added": _(
            "✅ <b>You are enrolled</b> in the group {group} ({course}). Your lessons: /schedule"
        ),
        "frozen": _(
            "❄️ <b>Your place is frozen</b> in the group {group} ({course}): no lessons "
            "until it is unfrozen."
        ),
        "unfrozen": _("▶️ <b>Your place is active again</b> in the group {group} ({course})."),
        "left": _("🚪 <b>You have left</b> the group {group} ({course})."),
        "moved": _(
            "🔀 <b>You moved</b> from the group {old} to {group} ({course}). "
            "Your lessons: /schedule"
        ),
        "discount": _(
            "％ <b>Your discount</b> in the group {group} is now {percent}%: {price} a month."
        ),
    }
    parent_texts = {
        "added": _("✅ <b>{child} is enrolled</b> in the group {group} ({course})."),
        "frozen": _(
            "❄️ <b>{child}'s place is frozen</b> in the group {group} ({course}): no lessons "
            "until it is unfrozen."
        ),
        "unfrozen": _("▶️ <b>{child}'s place is active again</b> in the group {group} ({course})."),
        "left": _("🚪 <b>{child} has left</b> the group {group} ({course})."),
        "moved": _("🔀 <b>{child} moved</b> from the group {old} to {group} ({course})."),
        "discount": _(
            "％ <b>{child}'s discount</b> in the group {group} is now {percent}%: {price} a month."
        ),
    }
    texts = student_texts if for_student else parent_texts
    return texts[event].format(**values)


async def tell(
    bot: Bot,
    sender: Sender,
    event: str,
    change: Change,
    group: GroupInfo,
    old_group: GroupInfo | None = None,
) -> int:
    sent = 0
    for recipient in change.notify:
        for_student = recipient.user_id == change.student_id

        def render(for_student: bool = for_student) -> str:
            return notice_text(event, change, group, old_group, for_student)

        sent += (await sender.notify(bot, recipient, render)).outcome is Delivered.SENT
    return sent


def told_text(sent: int) -> str:
    return _("📨 Notices sent: {sent}.").format(sent=sent)


async def done_card_text(
    session: AsyncSession,
    bot: Bot,
    sender: Sender,
    event: str,
    change: Change,
    done: str,
    old_group: GroupInfo | None = None,
) -> str:
    """A change that is done: the student and their parents are told, and the admin sees
    `done`, how many were told, and the place's card as it is now."""
    assert change.enrolment is not None
    group = await academic_service.group(session, change.enrolment.group_id)
    assert group is not None
    sent = await tell(bot, sender, event, change, group, old_group)
    return "\n".join([done, told_text(sent), "", card_text(change.enrolment, group)])
