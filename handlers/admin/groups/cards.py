"""👥 The groups list (all, or one course's), a group's card, and the buttons that open the
group form: ➕ New group (with the course when it comes from a course's card) and a card's
✏️ (one step)."""

from aiogram import Router
from aiogram.fsm.scene import ScenesManager
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters.access import ACADEMIC
from bot.forms import FormContext
from bot.services import academic as academic_service
from bot.services.academic import GroupInfo
from bot.wording import stale_button_text
from db.base import utcnow
from handlers.admin.groups.data import GroupData
from handlers.admin.groups.form import GroupForm
from handlers.admin.groups.pickers import take_course
from handlers.admin.groups.texts import card_text, list_text
from handlers.buttons import show_screen
from handlers.registry import Registry
from keyboards.academic import GroupCb, group_card, groups_list

on = Registry(GroupCb, flags=ACADEMIC)


@on.command("groups")
async def show_groups(message: Message, session: AsyncSession) -> None:
    page = await academic_service.groups(session, 1)
    await message.answer(list_text(page.total, None), reply_markup=groups_list(page, 0))


@on.button("list")
async def list_pressed(
    callback: CallbackQuery, callback_data: GroupCb, session: AsyncSession
) -> None:
    course_name = None
    if callback_data.id:
        course = await academic_service.course(session, callback_data.id)
        if course is None:
            await callback.answer(stale_button_text())
            return
        course_name = course.name
    page = await academic_service.groups(session, callback_data.page, callback_data.id or None)
    await show_screen(
        callback, list_text(page.total, course_name), groups_list(page, callback_data.id)
    )


@on.button("card", group=academic_service.group)
async def card_pressed(
    callback: CallbackQuery,
    callback_data: GroupCb,
    session: AsyncSession,
    settings: Settings,
    group: GroupInfo,
) -> None:
    await show_screen(
        callback,
        card_text(group, settings),
        group_card(group, callback_data.page, callback_data.value),
    )


@on.button("new")
async def new_pressed(
    callback: CallbackQuery,
    callback_data: GroupCb,
    session: AsyncSession,
    settings: Settings,
    scenes: ScenesManager,
) -> None:
    """The form at the course, or at the name when the course's card chose it."""
    today = utcnow().astimezone(settings.centre.tz).date()
    data = GroupData(
        zone=settings.centre.timezone, start_date=academic_service.suggested_start(today)
    )
    step = None
    if callback_data.id:
        course = await academic_service.course(session, callback_data.id)
        if course is None or not course.is_active:
            await callback.answer(stale_button_text())
            return
        await take_course(data, course, FormContext(callback, {"session": session}))
        step = "name"
    await GroupForm.open(scenes, data, step=step)  # the form answers the button


@on.button("edit")
async def edit_pressed(
    callback: CallbackQuery,
    callback_data: GroupCb,
    session: AsyncSession,
    settings: Settings,
    scenes: ScenesManager,
) -> None:
    group = await academic_service.group(session, callback_data.id)
    if group is None or callback_data.value not in {step.name for step in GroupForm.steps}:
        await callback.answer(stale_button_text())
        return
    data = GroupData(
        group_id=group.id,
        original_name=group.name,
        course_id=group.course_id,
        course_name=group.course_name,
        course_price=group.course_price,
        name=group.name,
        teacher_id=group.teacher_id,
        teacher_name=group.teacher_name or "",
        room=group.room,
        capacity=group.capacity,
        start_date=group.start_date,
        end_date=group.end_date,
        price_override=group.price_override,
        slots=[slot.as_data() for slot in group.slots],
        status=group.status,
        zone=settings.centre.timezone,
    )
    await GroupForm.open(scenes, data, step=callback_data.value, single=True)


def create_router() -> Router:
    return on.router("admin.groups.cards")
