"""📅 A group's lessons (permission `academic`): the list, a lesson's card, cancelling or
moving one lesson.

Only a scheduled lesson that has not begun and has no attendance can be cancelled or
moved. Cancelling asks for a second tap that names who will be told; moving is a short
form (new date, new time, summary). After the commit the group's students, their
linked parents and the teacher get a notice in their own language (essential).
"""

from datetime import date, datetime
from html import escape
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery import Outcome as Delivered
from bot.delivery import Sender
from bot.formatting import format_datetime
from bot.i18n import _
from bot.services import academic as academic_service
from bot.services import lessons as lessons_service
from bot.services import parsing
from bot.services.access import Actor
from bot.services.lessons import Audience, LessonChange, LessonInfo, Refusal
from bot.services.parsing import Invalid
from bot.telegram import edit_or_send
from bot.wording import (
    cancel_hint,
    date_problem,
    stale_button_text,
    time_problem,
    while_confirming_text,
)
from db.base import utcnow
from db.models import LessonStatus
from handlers.admin.courses import ACADEMIC
from handlers.forms import in_state, not_a_command
from keyboards.academic import (
    LessonCb,
    lesson_cancel_confirm,
    lesson_card,
    lesson_move_summary,
    lesson_status_labels,
    lessons_list,
)


class MoveForm(StatesGroup):
    day = State()
    time = State()
    confirm = State()


def when(moment: datetime, settings: Settings) -> str:
    return format_datetime(moment, settings.centre.tz)


def lesson_title(info: LessonInfo) -> str:
    return f"📅 <b>{escape(info.group_name)}</b> · {escape(info.course_name)}"


def card_text(info: LessonInfo, settings: Settings) -> str:
    lines = [
        lesson_title(info),
        "",
        _("🕘 {when}, {minutes} min").format(
            when=when(info.starts_at, settings), minutes=info.duration_minutes
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
    texts = {
        Refusal.MISSING: stale_button_text,
        Refusal.NOT_SCHEDULED: lambda: _(
            "⚠️ This lesson is not scheduled any more (cancelled or held): nothing was changed."
        ),
        Refusal.STARTED: lambda: _(
            "⚠️ This lesson has already begun or is over; past lessons are not changed."
        ),
        Refusal.MARKED: lambda: _(
            "⚠️ Attendance was already taken for this lesson, so it cannot be cancelled or moved."
        ),
        Refusal.IN_THE_PAST: lambda: _(
            "⚠️ That time has already passed. Choose a time in the future."
        ),
        Refusal.TAKEN: lambda: _("⚠️ The group already has a lesson at that time."),
        Refusal.SAME_TIME: lambda: _("⚠️ That is the lesson's current time."),
    }
    return texts[refusal]()


# --- notices ------------------------------------------------------------------------------


def children_line(audience: Audience, user_id: int) -> list[str]:
    names = audience.children.get(user_id)
    if not names:
        return []
    return [_("👤 For: {names}").format(names=", ".join(escape(name) for name in names))]


def cancelled_notice(info: LessonInfo, audience: Audience, user_id: int, settings: Settings) -> str:
    return "\n".join(
        [
            _("❌ <b>Lesson cancelled</b>: {group} ({course}), {when}").format(
                group=escape(info.group_name),
                course=escape(info.course_name),
                when=when(info.starts_at, settings),
            ),
            *children_line(audience, user_id),
            _("The other lessons go ahead as planned: /schedule"),
        ]
    )


def moved_notice(
    info: LessonInfo, old: datetime, audience: Audience, user_id: int, settings: Settings
) -> str:
    return "\n".join(
        [
            _("🕘 <b>Lesson moved</b>: {group} ({course})").format(
                group=escape(info.group_name), course=escape(info.course_name)
            ),
            _("Was: {when}").format(when=when(old, settings)),
            _("Now: {when}").format(when=when(info.starts_at, settings)),
            *children_line(audience, user_id),
        ]
    )


async def tell(
    bot: Bot, sender: Sender, change: LessonChange, settings: Settings
) -> tuple[int, int]:
    """Send the notice of a change to everyone concerned; (sent, audience size)."""
    assert change.audience is not None and change.lesson is not None
    audience, info = change.audience, change.lesson
    old = change.old_starts_at
    sent = 0
    for recipient in audience.recipients:

        def render(user_id: int = recipient.user_id) -> str:
            if old is None:
                return cancelled_notice(info, audience, user_id, settings)
            return moved_notice(info, old, audience, user_id, settings)

        delivered = await sender.notify(bot, recipient, render)
        sent += delivered.outcome is Delivered.SENT
    logger.info("lesson {}: notice sent to {} of {}", info.id, sent, len(audience.recipients))
    return sent, len(audience.recipients)


def told_text(sent: int) -> str:
    return _("📨 Notices sent: {sent}.").format(sent=sent)


# --- lists and the card -------------------------------------------------------------------


def list_text(group_name: str, total: int, settings: Settings) -> str:
    title = _("📅 <b>Lessons of {group}</b>").format(group=escape(group_name))
    if total == 0:
        return "\n".join(
            [title, "", _("No lessons from today on. Lessons come from the group's timetable.")]
        )
    return "\n".join(
        [
            title,
            _(
                "From today on, in the centre's time ({zone}). Tap a lesson to cancel or move it."
            ).format(zone=settings.centre.timezone),
        ]
    )


def list_label(settings: Settings):
    marks = {
        LessonStatus.SCHEDULED: "",
        LessonStatus.HELD: "✅ ",
        LessonStatus.CANCELLED: "❌ ",
    }

    def label(info: Any) -> str:
        return f"{marks[info.status]}{when(info.starts_at, settings)}"

    return label


async def list_pressed(
    callback: CallbackQuery, callback_data: LessonCb, session: AsyncSession, settings: Settings
) -> None:
    group = await academic_service.group(session, callback_data.id)
    if group is None:
        await callback.answer(stale_button_text())
        return
    page = await lessons_service.upcoming(
        session, group.id, callback_data.page, now=utcnow(), tz=settings.centre.tz
    )
    await edit_or_send(
        callback,
        list_text(group.name, page.total, settings),
        lessons_list(page, group.id, list_label(settings)),
    )
    await callback.answer()


def changeable(info: LessonInfo) -> bool:
    return lessons_service.check_changeable(info, utcnow()) is None


async def card_pressed(
    callback: CallbackQuery, callback_data: LessonCb, session: AsyncSession, settings: Settings
) -> None:
    info = await lessons_service.lesson(session, callback_data.id)
    if info is None:
        await callback.answer(stale_button_text())
        return
    await edit_or_send(
        callback,
        card_text(info, settings),
        lesson_card(info.id, info.group_id, callback_data.page, changeable(info)),
    )
    await callback.answer()


# --- cancel -------------------------------------------------------------------------------


async def cancel_pressed(
    callback: CallbackQuery, callback_data: LessonCb, session: AsyncSession, settings: Settings
) -> None:
    info = await lessons_service.lesson(session, callback_data.id)
    refusal = lessons_service.check_changeable(info, utcnow())
    if refusal is not None:
        await callback.answer(refusal_text(refusal), show_alert=refusal is not Refusal.MISSING)
        return
    assert info is not None
    text = "\n".join(
        [
            _("❌ <b>Cancel this lesson?</b>"),
            "",
            card_text(info, settings),
            "",
            _("Its students, their parents and the teacher will be told at once."),
        ]
    )
    await edit_or_send(callback, text, lesson_cancel_confirm(info.id, callback_data.page))
    await callback.answer()


async def cancel_confirmed(
    callback: CallbackQuery,
    callback_data: LessonCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
    sender: Sender,
) -> None:
    change = await lessons_service.cancel(
        session,
        actor.user_id,
        callback_data.id,
        now=utcnow(),
        policy_version=settings.centre.policy_version,
    )
    if change.refusal is not None:
        await callback.answer(
            refusal_text(change.refusal), show_alert=change.refusal is not Refusal.MISSING
        )
        return
    assert change.lesson is not None
    sent, _total = await tell(bot, sender, change, settings)
    info = change.lesson
    await edit_or_send(
        callback,
        "\n".join(
            [_("✅ The lesson is cancelled."), told_text(sent), "", card_text(info, settings)]
        ),
        lesson_card(info.id, info.group_id, callback_data.page, False),
    )
    await callback.answer(_("✅ Cancelled."))


# --- move ---------------------------------------------------------------------------------


def move_step_text(step: str, info: LessonInfo, settings: Settings) -> str:
    lines = [
        _("🕘 <b>Move the lesson</b>"),
        lesson_title(info),
        _("Now: {when}").format(when=when(info.starts_at, settings)),
        "",
    ]
    if step == "day":
        lines += [
            _("Step 1/2 — the new date, DD.MM.YYYY."),
            _("Example: <i>14.03.2026</i>"),
        ]
    else:
        lines += [
            _("Step 2/2 — the new start time, HH:MM, in the centre's time ({zone}).").format(
                zone=settings.centre.timezone
            ),
            _("Example: <i>15:30</i>"),
        ]
    lines += ["", cancel_hint()]
    return "\n".join(lines)


async def moving(state: FSMContext, lesson_id: int | None = None) -> dict[str, Any] | None:
    data = await in_state(state, MoveForm.day, MoveForm.time, MoveForm.confirm)
    if data is None or (lesson_id is not None and data.get("lesson_id") != lesson_id):
        return None
    return data


async def move_pressed(
    callback: CallbackQuery,
    callback_data: LessonCb,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    info = await lessons_service.lesson(session, callback_data.id)
    refusal = lessons_service.check_changeable(info, utcnow())
    if refusal is not None:
        await callback.answer(refusal_text(refusal), show_alert=refusal is not Refusal.MISSING)
        return
    assert info is not None
    await state.set_state(MoveForm.day)
    await state.set_data({"lesson_id": info.id, "page": callback_data.page})
    await edit_or_send(callback, move_step_text("day", info, settings), None)
    await callback.answer()


async def form_lesson(
    message: Message, state: FSMContext, session: AsyncSession
) -> tuple[dict[str, Any], LessonInfo] | None:
    data = await state.get_data()
    info = await lessons_service.lesson(session, int(data.get("lesson_id") or 0))
    if info is None:
        await state.clear()
        await message.answer(_("⚠️ This lesson no longer exists. Nothing was changed."))
        return None
    return data, info


async def day_received(
    message: Message, state: FSMContext, session: AsyncSession, settings: Settings
) -> None:
    found = await form_lesson(message, state, session)
    if found is None:
        return
    _data, info = found
    try:
        day = parsing.parse_date(message.text)
    except Invalid as error:
        await message.answer(f"{date_problem(error)}\n\n{move_step_text('day', info, settings)}")
        return
    if day < utcnow().astimezone(settings.centre.tz).date():
        await message.answer(
            f"{refusal_text(Refusal.IN_THE_PAST)}\n\n{move_step_text('day', info, settings)}"
        )
        return
    await state.update_data(day=day.isoformat())
    await state.set_state(MoveForm.time)
    await message.answer(move_step_text("time", info, settings))


async def time_received(
    message: Message, state: FSMContext, session: AsyncSession, settings: Settings
) -> None:
    found = await form_lesson(message, state, session)
    if found is None:
        return
    data, info = found
    try:
        start = parsing.parse_time(message.text)
    except Invalid as error:
        await message.answer(f"{time_problem(error)}\n\n{move_step_text('time', info, settings)}")
        return
    new_start = lessons_service.local_start(
        date.fromisoformat(data["day"]), start, settings.centre.tz
    )
    refusal = await lessons_service.check_move(session, info.id, new_start, now=utcnow())
    if refusal in (Refusal.IN_THE_PAST, Refusal.TAKEN, Refusal.SAME_TIME):
        await message.answer(f"{refusal_text(refusal)}\n\n{move_step_text('day', info, settings)}")
        await state.set_state(MoveForm.day)
        return
    if refusal is not None:
        await state.clear()
        await message.answer(refusal_text(refusal))
        return
    await state.update_data(new_start=new_start.isoformat())
    await state.set_state(MoveForm.confirm)
    await message.answer(
        "\n".join(
            [
                _("🕘 <b>Move the lesson</b>"),
                lesson_title(info),
                "",
                _("Was: {when}").format(when=when(info.starts_at, settings)),
                _("Now: {when}").format(when=when(new_start, settings)),
                "",
                _("Its students, their parents and the teacher will be told at once."),
            ]
        ),
        reply_markup=lesson_move_summary(info.id),
    )


async def confirming_text(message: Message) -> None:
    await message.answer(while_confirming_text())


async def move_saved(
    callback: CallbackQuery,
    callback_data: LessonCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
    sender: Sender,
) -> None:
    data = await in_state(state, MoveForm.confirm)
    if data is None or data.get("lesson_id") != callback_data.id:
        await callback.answer(stale_button_text())
        return
    change = await lessons_service.move(
        session,
        actor.user_id,
        callback_data.id,
        datetime.fromisoformat(data["new_start"]),
        now=utcnow(),
        tz=settings.centre.tz,
        policy_version=settings.centre.policy_version,
    )
    await state.clear()
    if change.refusal is not None:
        await edit_or_send(callback, refusal_text(change.refusal), None)
        await callback.answer()
        return
    assert change.lesson is not None
    sent, _total = await tell(bot, sender, change, settings)
    info = change.lesson
    await edit_or_send(
        callback,
        "\n".join([_("✅ The lesson is moved."), told_text(sent), "", card_text(info, settings)]),
        lesson_card(info.id, info.group_id, int(data.get("page") or 1), True),
    )
    await callback.answer(_("✅ Saved."))


async def move_dropped(callback: CallbackQuery, callback_data: LessonCb, state: FSMContext) -> None:
    if await moving(state, callback_data.id) is None:
        await callback.answer(stale_button_text())
        return
    await state.clear()
    await edit_or_send(callback, _("❌ Cancelled. Nothing was saved."), None)
    await callback.answer()


def create_router() -> Router:
    router = Router(name="admin.lessons")
    for handler, form_state in (
        (day_received, MoveForm.day),
        (time_received, MoveForm.time),
        (confirming_text, MoveForm.confirm),
    ):
        router.message.register(handler, StateFilter(form_state), not_a_command, flags=ACADEMIC)
    callbacks = router.callback_query
    for handler, action in (
        (list_pressed, "list"),
        (card_pressed, "card"),
        (cancel_pressed, "cancel"),
        (cancel_confirmed, "cancel_yes"),
        (move_pressed, "move"),
        (move_saved, "move_save"),
        (move_dropped, "move_drop"),
    ):
        callbacks.register(handler, LessonCb.filter(F.action == action), flags=ACADEMIC)
    return router
