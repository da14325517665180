"""What the enrolment screens share: the place's card, the warnings of a confirmation, the
refusals, loading a place with its group."""

from collections.abc import Callable
from datetime import date
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.formatting import format_date, format_money
from bot.i18n import _
from bot.services import academic as academic_service
from bot.services import enrolment as enrolment_service
from bot.services.academic import GroupInfo
from bot.services.enrolment import EnrolmentInfo, Outcome, Preview
from bot.wording import stale_button_text
from db.base import utcnow
from keyboards.academic import enrolment_status_labels
from keyboards.labels import leave_reason_labels


def today(settings: Settings) -> date:
    return utcnow().astimezone(settings.centre.tz).date()


def discounted(price: int, percent: int) -> int:
    return price * (100 - percent) // 100


def card_text(item: EnrolmentInfo, group: GroupInfo) -> str:
    lines = [
        f"🎓 <b>{escape(item.student_name)}</b>",
        _("👥 Group: {group} ({course})").format(
            group=escape(group.name), course=escape(group.course_name)
        ),
        _("Status: {status}").format(status=enrolment_status_labels()[item.status]),
        _("📆 Joined: {date}").format(date=format_date(item.joined_on)),
    ]
    if item.left_on:
        lines.append(_("🚪 Left: {date}").format(date=format_date(item.left_on)))
    if item.leave_reason:
        lines.append(_("Reason: {reason}").format(reason=leave_reason_labels()[item.leave_reason]))
    lines.append(_("％ Discount: {percent}%").format(percent=item.discount_percent))
    lines.append(
        _("💰 Monthly price: {price}").format(
            price=format_money(discounted(group.price, item.discount_percent))
        )
    )
    return "\n".join(lines)


def preview_warnings(checked: Preview) -> list[str]:
    lines = []
    if checked.same_course:
        lines.append(
            _(
                "⚠️ {student} is already in another group of this course: {groups}. "
                "Confirming keeps both places."
            ).format(
                student=escape(checked.student_name),
                groups=", ".join(escape(name) for name in checked.same_course),
            )
        )
    if checked.full:
        lines.append(
            _(
                "⚠️ The group is full ({seated}/{capacity}). Adding makes it {after}/{capacity}."
            ).format(seated=checked.seated, capacity=checked.capacity, after=checked.seated + 1)
        )
    return lines


def refusal_text(outcome: Outcome, checked: Preview | None = None) -> str:
    student = escape(checked.student_name) if checked else ""
    group = escape(checked.group_name) if checked else ""
    texts: dict[Outcome, Callable[[], str]] = {
        Outcome.ALREADY: lambda: _("⚠️ {student} is already in the group {group}.").format(
            student=student, group=group
        ),
        Outcome.GROUP_CLOSED: lambda: _(
            "⚠️ The group {group} is not active: students are added to active groups only."
        ).format(group=group),
        Outcome.FULL: lambda: _(
            "⚠️ The group is full. Nothing was changed; confirm the over-capacity add to go on."
        ),
        Outcome.NOT_ACTIVE: lambda: _("⚠️ This place has changed meanwhile: nothing was changed."),
        Outcome.NOT_FROZEN: lambda: _("⚠️ This place is not frozen: nothing was changed."),
        Outcome.SAME_GROUP: lambda: _("⚠️ The student is already in this group."),
        Outcome.UNCHANGED: lambda: _("ℹ️ Nothing has changed."),
    }
    return texts.get(outcome, stale_button_text)()


Found = tuple[EnrolmentInfo, GroupInfo]  # a place and its group


async def load(session: AsyncSession, enrolment_id: int) -> Found | None:
    item = await enrolment_service.enrolment(session, enrolment_id)
    if item is None:
        return None
    group = await academic_service.group(session, item.group_id)
    return None if group is None else (item, group)
