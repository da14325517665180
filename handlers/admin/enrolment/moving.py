"""Moving a place to another group: a picker of the active groups, then a confirmation
that carries the place and the group in its button (nothing is written before it)."""

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
from bot.services.access import Actor
from bot.services.enrolment import EnrolmentInfo, Outcome, Preview
from bot.telegram import edit_or_send
from bot.wording import stale_button_text
from handlers.admin.enrolment.common import (
    Found,
    load,
    preview_warnings,
    refusal_text,
    today,
)
from handlers.admin.enrolment.notices import done_card_text
from handlers.buttons import show_screen
from handlers.registry import Registry
from keyboards.academic import EnrolCb, enrolment_card, group_target_picker, move_confirm

on = Registry(EnrolCb, flags=ACADEMIC)


def move_text(item: EnrolmentInfo, from_group: str, checked: Preview) -> str:
    lines = [
        _("🔀 <b>Move {student}</b>").format(student=escape(item.student_name)),
        _("From: {group}").format(group=escape(from_group)),
        _("To: {group} ({course}), {seated}/{capacity}").format(
            group=escape(checked.group_name),
            course=escape(checked.course_name),
            seated=checked.seated,
            capacity=checked.capacity,
        ),
    ]
    warnings = preview_warnings(checked)
    if warnings:
        lines += ["", *warnings]
    lines += [
        "",
        _("The old place ends today and stays in the history; the discount carries over."),
        _("The student and their parents will be told."),
    ]
    return "\n".join(lines)


@on.button("mvpick", found=load)
async def move_pick_pressed(
    callback: CallbackQuery, callback_data: EnrolCb, session: AsyncSession, found: Found
) -> None:
    item, group = found
    page = await academic_service.groups(
        session, callback_data.page, only_active=True, exclude_id=group.id
    )
    text = "\n".join(
        [
            _("🔀 <b>Move {student}</b> from {group}").format(
                student=escape(item.student_name), group=escape(group.name)
            ),
            _("Choose the new group:") if page.total else _("There is no other active group."),
        ]
    )
    markup = group_target_picker(
        page,
        lambda p: EnrolCb(action="mvpick", id=item.id, page=p),
        lambda group_id: EnrolCb(action="mvto", id=item.id, group=group_id),
        EnrolCb(action="card", id=item.id),
    )
    await show_screen(callback, text, markup)


@on.button("mvto", found=load)
async def move_to_pressed(
    callback: CallbackQuery, callback_data: EnrolCb, session: AsyncSession, found: Found
) -> None:
    item, group = found
    checked = await enrolment_service.preview(
        session, item.student_id, callback_data.group, leaving_group_id=group.id
    )
    if checked.outcome in (Outcome.MISSING, Outcome.NOT_A_STUDENT):
        await callback.answer(stale_button_text())
        return
    if checked.outcome is not Outcome.DONE:
        await callback.answer(refusal_text(checked.outcome, checked), show_alert=True)
        return
    await show_screen(
        callback,
        move_text(item, group.name, checked),
        move_confirm(item.id, callback_data.group, full=checked.full),
    )


@on.button("mvyes", found=load)
async def move_confirmed(
    callback: CallbackQuery,
    callback_data: EnrolCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
    sender: Sender,
    found: Found,
) -> None:
    item, old_group = found
    change = await enrolment_service.move(
        session,
        actor.user_id,
        callback_data.id,
        callback_data.group,
        today=today(settings),
        policy_version=settings.centre.policy_version,
        over_capacity=callback_data.value == "over",
        settings=settings,
    )
    if change.outcome in (Outcome.MISSING, Outcome.NOT_A_STUDENT):
        await callback.answer(stale_button_text())
        return
    if change.outcome is Outcome.FULL:
        assert change.preview is not None
        await edit_or_send(
            callback,
            move_text(item, old_group.name, change.preview),
            move_confirm(item.id, callback_data.group, full=True),
        )
        await callback.answer(refusal_text(Outcome.FULL), show_alert=True)
        return
    if change.outcome is not Outcome.DONE:
        await callback.answer(refusal_text(change.outcome, change.preview), show_alert=True)
        return
    assert change.enrolment is not None
    done = _("✅ Moved.")
    text = await done_card_text(session, bot, sender, "moved", change, done, old_group)
    await edit_or_send(callback, text, enrolment_card(change.enrolment, 1))
    await callback.answer(done)


def create_router() -> Router:
    return on.router("admin.enrolment.moving")
