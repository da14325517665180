"""A group's students and one place's card: freeze / unfreeze, leaving the group."""

from html import escape

from aiogram import Bot, Router
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery import Sender
from bot.filters.access import ACADEMIC
from bot.i18n import _
from bot.services import academic as academic_service
from bot.services import enrolment as enrolment_service
from bot.services.academic import GroupInfo
from bot.services.access import Actor
from bot.services.enrolment import CHOSEN_REASONS, Outcome
from bot.telegram import edit_or_send
from bot.wording import stale_button_text
from handlers.admin.enrolment.common import card_text, load, refusal_text, today
from handlers.admin.enrolment.notices import done_card_text
from handlers.buttons import show_screen
from handlers.registry import Registry
from keyboards.academic import EnrolCb, enrolment_card, enrolments_list, leave_confirm

on = Registry(EnrolCb, flags=ACADEMIC)


def list_text(group: GroupInfo, total: int) -> str:
    title = _("👥 <b>{group}</b> · {course} — students: {seated}/{capacity}").format(
        group=escape(group.name),
        course=escape(group.course_name),
        seated=group.seated,
        capacity=group.capacity,
    )
    if total == 0:
        return "\n".join([title, "", _("No students in this group yet. Tap ➕ Add student.")])
    return "\n".join([title, _("Tap a student to open their place in the group.")])


@on.button("list")
async def list_pressed(
    callback: CallbackQuery, callback_data: EnrolCb, session: AsyncSession
) -> None:
    group = await academic_service.group(session, callback_data.group)
    if group is None:
        await callback.answer(stale_button_text())
        return
    page = await enrolment_service.of_group(session, group.id, callback_data.page)
    await show_screen(callback, list_text(group, page.total), enrolments_list(page, group.id))


@on.button("card")
async def card_pressed(
    callback: CallbackQuery, callback_data: EnrolCb, session: AsyncSession
) -> None:
    found = await load(session, callback_data.id)
    if found is None:
        await callback.answer(stale_button_text())
        return
    item, group = found
    await show_screen(callback, card_text(item, group), enrolment_card(item, callback_data.page))


@on.button("freeze", "unfreeze", "leave_yes")
async def status_pressed(
    callback: CallbackQuery,
    callback_data: EnrolCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
    sender: Sender,
) -> None:
    version = settings.centre.policy_version
    if callback_data.action == "freeze":
        change = await enrolment_service.freeze(
            session, actor.user_id, callback_data.id, policy_version=version, today=today(settings)
        )
        event, done = "frozen", _("❄️ Frozen.")
    elif callback_data.action == "unfreeze":
        change = await enrolment_service.unfreeze(
            session,
            actor.user_id,
            callback_data.id,
            policy_version=version,
            today=today(settings),
            settings=settings,
        )
        event, done = "unfrozen", _("▶️ Unfrozen.")
    else:
        reasons = {reason.value: reason for reason in CHOSEN_REASONS}
        if callback_data.value and callback_data.value not in reasons:
            await callback.answer(stale_button_text())
            return
        change = await enrolment_service.leave(
            session,
            actor.user_id,
            callback_data.id,
            today=today(settings),
            policy_version=version,
            reason=reasons.get(callback_data.value),
        )
        event, done = "left", _("🚪 Left the group.")
    if change.outcome is Outcome.MISSING:
        await callback.answer(stale_button_text())
        return
    if change.outcome is not Outcome.DONE:
        await callback.answer(refusal_text(change.outcome), show_alert=True)
        return
    assert change.enrolment is not None
    text = await done_card_text(session, bot, sender, event, change, done)
    await edit_or_send(callback, text, enrolment_card(change.enrolment, callback_data.page))
    await callback.answer(done)


@on.button("leave")
async def leave_pressed(
    callback: CallbackQuery, callback_data: EnrolCb, session: AsyncSession
) -> None:
    found = await load(session, callback_data.id)
    if found is None:
        await callback.answer(stale_button_text())
        return
    item, group = found
    text = "\n".join(
        [
            _("🚪 <b>{student} leaves the group {group}?</b>").format(
                student=escape(item.student_name), group=escape(group.name)
            ),
            "",
            _(
                "The place ends today and stays in the history. "
                "The student and their parents will be told."
            ),
            "",
            _("Why does the student leave? Tap the reason, or remove without one."),
        ]
    )
    await show_screen(callback, text, leave_confirm(item.id, callback_data.page))


def create_router() -> Router:
    return on.router("admin.enrolment.places")
