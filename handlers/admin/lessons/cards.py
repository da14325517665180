"""A group's lessons from today on, one lesson's card, and cancelling it (a second tap
that names who will be told)."""

from html import escape
from typing import Any

from aiogram import Bot, Router
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery import Sender
from bot.filters.access import ACADEMIC
from bot.i18n import _
from bot.services import academic as academic_service
from bot.services import lessons as lessons_service
from bot.services.academic import GroupInfo
from bot.services.access import Actor
from bot.services.lessons import LessonInfo
from bot.telegram import edit_or_send
from db.base import utcnow
from db.models import LessonStatus
from handlers.admin.lessons.common import answer_refusal, card_text, changeable_lesson, when
from handlers.admin.lessons.notices import done_card_text
from handlers.buttons import show_screen
from handlers.registry import Registry
from keyboards.academic import LessonCb, lesson_cancel_confirm, lesson_card, lessons_list

on = Registry(LessonCb, flags=ACADEMIC)


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
        return f"{marks[info.status]}{when(info.starts_at, settings.centre.tz)}"

    return label


@on.button("list", group=academic_service.group)
async def list_pressed(
    callback: CallbackQuery,
    callback_data: LessonCb,
    session: AsyncSession,
    settings: Settings,
    group: GroupInfo,
) -> None:
    page = await lessons_service.upcoming(
        session, group.id, callback_data.page, now=utcnow(), tz=settings.centre.tz
    )
    await show_screen(
        callback,
        list_text(group.name, page.total, settings),
        lessons_list(page, group.id, list_label(settings)),
    )


def changeable(info: LessonInfo) -> bool:
    return lessons_service.check_changeable(info, utcnow()) is None


@on.button("card", info=lessons_service.lesson)
async def card_pressed(
    callback: CallbackQuery,
    callback_data: LessonCb,
    session: AsyncSession,
    settings: Settings,
    info: LessonInfo,
) -> None:
    await show_screen(
        callback,
        card_text(info, settings.centre.tz),
        lesson_card(info.id, info.group_id, callback_data.page, changeable(info)),
    )


@on.button("cancel")
async def cancel_pressed(
    callback: CallbackQuery, callback_data: LessonCb, session: AsyncSession, settings: Settings
) -> None:
    info = await changeable_lesson(callback, session, callback_data.id)
    if info is None:
        return
    text = "\n".join(
        [
            _("❌ <b>Cancel this lesson?</b>"),
            "",
            card_text(info, settings.centre.tz),
            "",
            _("Its students, their parents and the teacher will be told at once."),
        ]
    )
    await show_screen(callback, text, lesson_cancel_confirm(info.id, callback_data.page))


@on.button("cancel_yes")
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
        await answer_refusal(callback, change.refusal)
        return
    assert change.lesson is not None
    done = _("✅ The lesson is cancelled.")
    text = await done_card_text(bot, sender, change, done, settings.centre.tz)
    info = change.lesson
    await edit_or_send(
        callback, text, lesson_card(info.id, info.group_id, callback_data.page, False)
    )
    await callback.answer(_("✅ Cancelled."))


def create_router() -> Router:
    return on.router("admin.lessons.cards")
