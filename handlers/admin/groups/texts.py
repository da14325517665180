"""What the group screens say: the list, a group's card, dates, price, timetable, and the
warning about slots that clash with other groups."""

from collections.abc import Sequence
from datetime import date
from html import escape

from bot.config import Settings
from bot.formatting import format_date, format_money
from bot.i18n import _
from bot.services.academic import GroupInfo, Overlap, SlotSpec
from keyboards.academic import group_status_labels, slot_label


def list_text(total: int, course_name: str | None) -> str:
    if course_name is not None:
        title = _("👥 <b>Groups of {course}: {total}</b>").format(
            course=escape(course_name), total=total
        )
    else:
        title = _("👥 <b>Groups: {total}</b>").format(total=total)
    if total == 0:
        return "\n".join([title, "", _("No groups yet. Tap ➕ New group to open one.")])
    return "\n".join([title, _("Tap a group to open its card.")])


def dates_text(start: date, end: date | None) -> str:
    if end is None:
        return _("from {start}, no end date").format(start=format_date(start))
    return f"{format_date(start)} – {format_date(end)}"


def price_text(price_override: int | None, course_price: int) -> str:
    if price_override is None:
        return _("{price} (the course price)").format(price=format_money(course_price))
    return _("{price} (the course price is {course})").format(
        price=format_money(price_override), course=format_money(course_price)
    )


def slots_text(slots: Sequence[SlotSpec]) -> list[str]:
    if not slots:
        return ["  —"]
    return [f"  • {slot_label(slot)}" for slot in slots]


def card_text(group: GroupInfo, settings: Settings) -> str:
    seats = _("👤 Students: {seated}/{capacity}").format(
        seated=group.seated, capacity=group.capacity
    )
    if group.is_full:
        seats += " " + _("(full)")
    return "\n".join(
        [
            f"👥 <b>{escape(group.name)}</b> · {escape(group.course_name)}",
            _("Status: {status}").format(status=group_status_labels()[group.status]),
            "",
            _("👩‍🏫 Teacher: {name}").format(
                name=escape(group.teacher_name) if group.teacher_name else "—"
            ),
            _("🚪 Room: {room}").format(room=escape(group.room) if group.room else "—"),
            seats,
            _("📆 Dates: {dates}").format(dates=dates_text(group.start_date, group.end_date)),
            _("💰 Monthly price: {price}").format(
                price=price_text(group.price_override, group.course_price)
            ),
            _("🗓 Timetable ({zone}):").format(zone=settings.centre.timezone),
            *slots_text(group.slots),
        ]
    )


def overlap_line(overlap: Overlap) -> str:
    if overlap.same_teacher and overlap.same_room:
        reason = _("same teacher and room")
    elif overlap.same_teacher:
        reason = _("same teacher")
    else:
        reason = _("same room")
    return _("• {slot} overlaps {other} of group {group} ({reason})").format(
        slot=slot_label(overlap.slot),
        other=slot_label(overlap.other_slot),
        group=escape(overlap.other_group),
        reason=reason,
    )


def overlap_text(overlaps: list[Overlap]) -> str:
    return "\n".join(
        [
            _("⚠️ <b>The timetable overlaps other groups</b>"),
            "",
            *[overlap_line(overlap) for overlap in overlaps[:10]],
            "",
            _("Save anyway, or ✏️ Edit the timetable, teacher or room?"),
        ]
    )
