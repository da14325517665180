"""/today and /groups: the teacher's own lessons today and own groups, edited in place."""

from collections.abc import Awaitable, Callable
from datetime import time
from html import escape
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.fsm.scene import ScenesManager
from aiogram.types import CallbackQuery, Message
from babel.dates import get_day_names
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.formatting import babel_locale, format_date, format_datetime
from bot.forms import Form, FormContext, FormData
from bot.i18n import _
from bot.services import attendance as service
from bot.services.access import Actor
from bot.services.attendance import GroupCard, LessonRef
from bot.wording import refusal_text, stale_button_text
from db.base import utcnow
from db.models import Group
from handlers.buttons import show_screen
from handlers.registry import Registry
from keyboards.attendance import FROZEN_ICON, LESSON_ICONS, lessons_keyboard, today_keyboard
from keyboards.labels import lesson_status_words
from keyboards.teacher import TeacherCb, group_keyboard, groups_keyboard

ROSTER_TEXT_LIMIT = 2500  # characters of names on the group card; the rest is counted

on = Registry(TeacherCb)


async def own_group(
    context: FormContext, group_id: int, deny: Callable[..., Awaitable[None]]
) -> Group | None:
    """A form's group while it is the teacher's own. Else a refusal: `deny` writes the
    `denied` audit entry, a button gets the out-of-date toast, a message the refusal, and
    the step ends the form (`Advance.CLOSE`)."""
    group = await service.managed_group(context.session, context.actor, group_id)
    if group is None:
        await deny(context.session, context.actor, group_id, "foreign")
        if isinstance(context.event, CallbackQuery):
            context.toast = stale_button_text()
        else:
            await context.event.answer(refusal_text())
    return group


class GroupPressed(Protocol):
    group: int


def group_form_start(
    form: type[Form[Any]], data_type: type[FormData], deny: Callable[..., Awaitable[None]]
) -> Callable[..., Awaitable[None]]:
    """The handler of a group card's button that opens `form` for the group (its data:
    the group's id and name, the centre's time zone); another teacher's group is refused:
    `deny` writes the `denied` audit entry, the button gets the out-of-date toast."""

    async def start(
        callback: CallbackQuery,
        callback_data: GroupPressed,
        actor: Actor,
        session: AsyncSession,
        settings: Settings,
        scenes: ScenesManager,
    ) -> None:
        group = await service.managed_group(session, actor, callback_data.group)
        if group is None:
            await deny(session, actor, callback_data.group, "foreign")
            await callback.answer(stale_button_text())
            return
        data = data_type(group_id=group.id, group_name=group.name, tz=settings.centre.tz.key)
        await form.open(scenes, data)

    return start


def lesson_line(lesson: LessonRef, tz: ZoneInfo) -> str:
    start, end = lesson.starts_at.astimezone(tz), lesson.ends_at.astimezone(tz)
    parts = [f"{start:%H:%M}–{end:%H:%M}", f"<b>{escape(lesson.group_name)}</b>"]
    if lesson.room:
        parts.append(_("room {room}").format(room=escape(lesson.room)))
    parts.append(lesson_status_words().get(lesson.status, lesson.status))
    icon = LESSON_ICONS.get(lesson.status, "🕘")
    text = f"{icon} " + " · ".join(parts)
    return f"<s>{text}</s>" if lesson.cancelled else text


def today_text(day, lessons: list[LessonRef], tz: ZoneInfo) -> str:
    lines = [_("📅 <b>Today</b>, {date}").format(date=format_date(day)), ""]
    if not lessons:
        lines.append(_("ℹ️ You have no lessons today."))
    else:
        lines += [lesson_line(lesson, tz) for lesson in lessons]
        lines += ["", _("Tap a lesson to mark attendance.")]
    return "\n".join(lines)


@on.command("today", menu="teacher.today")
async def show_today(
    message: Message, actor: Actor, session: AsyncSession, settings: Settings
) -> None:
    tz = settings.centre.tz
    day, lessons = await service.today(session, actor, utcnow(), tz)
    markup = today_keyboard(lessons, tz, settings.webapp.webapp_url)
    await message.answer(today_text(day, lessons, tz), reply_markup=markup)


@on.button("today")
async def today_pressed(
    callback: CallbackQuery, actor: Actor, session: AsyncSession, settings: Settings
) -> None:
    tz = settings.centre.tz
    day, lessons = await service.today(session, actor, utcnow(), tz)
    markup = today_keyboard(lessons, tz, settings.webapp.webapp_url)
    await show_screen(callback, today_text(day, lessons, tz), markup)


def groups_text(count: int) -> str:
    if not count:
        return "\n".join([_("👥 <b>My groups</b>"), "", _("ℹ️ You do not teach any group yet.")])
    return "\n".join([_("👥 <b>My groups</b>"), "", _("Choose a group:")])


@on.command("groups", menu="teacher.groups")
async def show_groups(message: Message, actor: Actor, session: AsyncSession) -> None:
    items, page, pages = await service.my_groups(session, actor, 1)
    await message.answer(groups_text(len(items)), reply_markup=groups_keyboard(items, page, pages))


@on.button("groups")
async def groups_pressed(
    callback: CallbackQuery, callback_data: TeacherCb, actor: Actor, session: AsyncSession
) -> None:
    items, page, pages = await service.my_groups(session, actor, callback_data.page)
    await show_screen(callback, groups_text(len(items)), groups_keyboard(items, page, pages))


def slot_text(weekday: int, start: time, duration: int) -> str:
    day = get_day_names("abbreviated", locale=babel_locale())[weekday]
    return _("{day} {time} ({minutes} min)").format(
        day=day, time=start.strftime("%H:%M"), minutes=duration
    )


def group_text(card: GroupCard, tz: ZoneInfo) -> str:
    active = [s for s in card.students if not s.frozen]
    lines = [
        _("👥 <b>{group}</b> · {course}").format(
            group=escape(card.name), course=escape(card.course)
        ),
    ]
    if card.room:
        lines.append(_("🚪 Room: {room}").format(room=escape(card.room)))
    if card.slots:
        lines.append(
            _("🗓 Weekly: {slots}").format(
                slots=", ".join(
                    slot_text(s.weekday, s.start, s.duration_minutes) for s in card.slots
                )
            )
        )
    if card.next_lesson:
        lines.append(_("⏭ Next lesson: {when}").format(when=format_datetime(card.next_lesson, tz)))
    lines += [
        _("👤 Students: {count} of {capacity}").format(count=len(active), capacity=card.capacity),
        "",
    ]
    if not card.students:
        lines.append(_("ℹ️ Nobody is enrolled yet."))
    used = 0
    for number, student in enumerate(card.students, start=1):
        line = f"{number}. {escape(student.name)}"
        if student.frozen:
            line += " " + _("{icon} frozen").format(icon=FROZEN_ICON)
        used += len(line)
        if used > ROSTER_TEXT_LIMIT:
            lines.append(_("… and {count} more").format(count=len(card.students) - number + 1))
            break
        lines.append(line)
    return "\n".join(lines)


@on.button("group")
async def group_pressed(
    callback: CallbackQuery,
    callback_data: TeacherCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
) -> None:
    card = await service.group_card(session, actor, callback_data.id, utcnow())
    if card is None:
        await refuse(callback, actor, session, callback_data.id)
        return
    await show_screen(callback, group_text(card, settings.centre.tz), group_keyboard(card.id))


@on.button("lessons")
async def lessons_pressed(
    callback: CallbackQuery,
    callback_data: TeacherCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
) -> None:
    tz = settings.centre.tz
    found = await service.group_lessons(
        session, actor, callback_data.id, callback_data.page, utcnow(), tz
    )
    if found is None:
        await refuse(callback, actor, session, callback_data.id)
        return
    group, lessons, page, pages = found
    lines = [_("📋 <b>{group}</b> · lessons").format(group=escape(group.name)), ""]
    if lessons:
        lines.append(_("Choose a lesson to see or mark its attendance:"))
    else:
        lines.append(_("ℹ️ This group has had no lessons yet."))
    await show_screen(
        callback, "\n".join(lines), lessons_keyboard(group.id, lessons, page, pages, tz)
    )


async def refuse(callback: CallbackQuery, actor: Actor, session: AsyncSession, group_id: int):
    """Another teacher's group, or none: a stale answer and a `denied` audit entry."""
    await service.deny_group(session, actor, group_id)
    await callback.answer(stale_button_text())


def create_router() -> Router:
    return on.router("teacher.lessons")
