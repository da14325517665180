"""Enrolment from a group's card (permission `academic`): the group's students, adding one
(a paged picker, or a part of the name typed), a discount, freeze / unfreeze, moving to
another group, leaving.

Adding and moving show a confirmation first that names what the admin should know: a
full group (the button then reads "Add over capacity"), or the student being in another
group of the same course. Nothing is written before that button. After each change the
student and their linked parents are told in their own language (essential).

A person's card elsewhere can offer "add to a group" with `EnrolCb(action="for",
student=<id>)`: it opens a picker of the active groups and the same confirmation.
"""

from collections.abc import Callable
from datetime import date
from html import escape
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery import Outcome as Delivered
from bot.delivery import Sender
from bot.formatting import format_date, format_money
from bot.i18n import _
from bot.services import academic as academic_service
from bot.services import enrolment as enrolment_service
from bot.services import parsing
from bot.services.academic import GroupInfo
from bot.services.access import Actor
from bot.services.enrolment import Change, EnrolmentInfo, Outcome, Preview
from bot.services.parsing import Invalid
from bot.telegram import edit_or_send
from bot.wording import cancel_hint, number_problem, stale_button_text, while_confirming_text
from db.base import utcnow
from db.models import Role
from handlers.admin.courses import ACADEMIC
from handlers.forms import in_state, not_a_command
from keyboards.academic import (
    EnrolCb,
    discount_summary,
    enrol_confirm,
    enrolment_card,
    enrolment_status_labels,
    enrolments_list,
    group_target_picker,
    leave_confirm,
    move_confirm,
    student_picker,
)


class EnrolForm(StatesGroup):
    search = State()
    discount = State()
    discount_confirm = State()


def today(settings: Settings) -> date:
    return utcnow().astimezone(settings.centre.tz).date()


def discounted(price: int, percent: int) -> int:
    return price * (100 - percent) // 100


# --- texts --------------------------------------------------------------------------------


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
    lines.append(_("％ Discount: {percent}%").format(percent=item.discount_percent))
    lines.append(
        _("💰 Monthly price: {price}").format(
            price=format_money(discounted(group.price, item.discount_percent))
        )
    )
    return "\n".join(lines)


def picker_text(group: GroupInfo, total: int, query: str) -> str:
    lines = [
        _("➕ <b>Add a student to {group}</b> ({seated}/{capacity})").format(
            group=escape(group.name), seated=group.seated, capacity=group.capacity
        ),
        "",
    ]
    if query:
        lines.append(
            _("Students matching “{query}”: {total}").format(query=escape(query), total=total)
        )
    if total == 0:
        lines.append(
            _("No student found. Register the person as a student first, or try another spelling.")
            if query
            else _("Nobody has the student role yet. Register students first.")
        )
    lines += [
        _("Tap a student, or type a part of the name to search."),
        "",
        cancel_hint(),
    ]
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


def enrol_text(checked: Preview) -> str:
    lines = [
        _("➕ <b>Add {student} to {group}</b> ({course})?").format(
            student=escape(checked.student_name),
            group=escape(checked.group_name),
            course=escape(checked.course_name),
        ),
        _("👤 Students: {seated}/{capacity}").format(
            seated=checked.seated, capacity=checked.capacity
        ),
    ]
    warnings = preview_warnings(checked)
    if warnings:
        lines += ["", *warnings]
    lines += ["", _("The student and their parents will be told.")]
    return "\n".join(lines)


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


# --- notices to the student and the parents ----------------------------------------------


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


# --- the group's students -----------------------------------------------------------------


async def list_pressed(
    callback: CallbackQuery, callback_data: EnrolCb, session: AsyncSession, state: FSMContext
) -> None:
    group = await academic_service.group(session, callback_data.group)
    if group is None:
        await callback.answer(stale_button_text())
        return
    if await state.get_state() in ALL_STATES:
        await state.clear()
    page = await enrolment_service.of_group(session, group.id, callback_data.page)
    await edit_or_send(callback, list_text(group, page.total), enrolments_list(page, group.id))
    await callback.answer()


async def load(session: AsyncSession, enrolment_id: int) -> tuple[EnrolmentInfo, GroupInfo] | None:
    item = await enrolment_service.enrolment(session, enrolment_id)
    if item is None:
        return None
    group = await academic_service.group(session, item.group_id)
    return None if group is None else (item, group)


async def card_pressed(
    callback: CallbackQuery, callback_data: EnrolCb, session: AsyncSession, state: FSMContext
) -> None:
    found = await load(session, callback_data.id)
    if found is None:
        await callback.answer(stale_button_text())
        return
    if await state.get_state() in ALL_STATES:
        await state.clear()
    item, group = found
    await edit_or_send(callback, card_text(item, group), enrolment_card(item, callback_data.page))
    await callback.answer()


# --- adding -------------------------------------------------------------------------------


async def show_picker(
    target: Message | CallbackQuery,
    session: AsyncSession,
    group: GroupInfo,
    query: str,
    page: int,
) -> None:
    try:
        found = (
            await academic_service.find_with_role(session, Role.STUDENT, query, page)
            if query
            else await academic_service.people_with_role(session, Role.STUDENT, page)
        )
    except Invalid:
        # Only a typed query can be too short (search_received checks before storing it).
        query = ""
        found = await academic_service.people_with_role(session, Role.STUDENT, page)
    text = picker_text(group, found.total, query)
    markup = student_picker(found, group.id, query)
    if isinstance(target, Message):
        await target.answer(text, reply_markup=markup)
    else:
        await edit_or_send(target, text, markup)


async def add_pressed(
    callback: CallbackQuery, callback_data: EnrolCb, session: AsyncSession, state: FSMContext
) -> None:
    group = await academic_service.group(session, callback_data.group)
    if group is None:
        await callback.answer(stale_button_text())
        return
    await state.set_state(EnrolForm.search)
    await state.set_data({"group_id": group.id, "query": ""})
    await show_picker(callback, session, group, "", 1)
    await callback.answer()


async def picker_page(
    callback: CallbackQuery, callback_data: EnrolCb, session: AsyncSession, state: FSMContext
) -> None:
    group = await academic_service.group(session, callback_data.group)
    if group is None:
        await callback.answer(stale_button_text())
        return
    query = ""
    if callback_data.value == "q" and await state.get_state() == EnrolForm.search.state:
        data = await state.get_data()
        if data.get("group_id") == group.id:
            query = str(data.get("query") or "")
    await show_picker(callback, session, group, query, callback_data.page)
    await callback.answer()


async def search_received(message: Message, state: FSMContext, session: AsyncSession) -> None:
    data = await state.get_data()
    group = await academic_service.group(session, int(data.get("group_id") or 0))
    if group is None:
        await state.clear()
        await message.answer(_("⚠️ This group no longer exists. Nothing was changed."))
        return
    query = " ".join((message.text or "").split())[:64]
    if len(academic_service.fold(query).replace(" ", "")) < 2:
        await message.answer(_("⚠️ Type at least 2 letters of the name."))
        return
    await state.update_data(query=query)
    await show_picker(message, session, group, query, 1)


async def pick_pressed(
    callback: CallbackQuery, callback_data: EnrolCb, session: AsyncSession
) -> None:
    checked = await enrolment_service.preview(session, callback_data.student, callback_data.group)
    if checked.outcome in (Outcome.MISSING, Outcome.NOT_A_STUDENT):
        await callback.answer(stale_button_text())
        return
    if checked.outcome is not Outcome.DONE:
        await callback.answer(refusal_text(checked.outcome, checked), show_alert=True)
        return
    await edit_or_send(
        callback,
        enrol_text(checked),
        enrol_confirm(callback_data.group, callback_data.student, full=checked.full),
    )
    await callback.answer()


async def enrol_confirmed(
    callback: CallbackQuery,
    callback_data: EnrolCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
    sender: Sender,
) -> None:
    change = await enrolment_service.enrol(
        session,
        actor.user_id,
        callback_data.student,
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
            enrol_text(change.preview),
            enrol_confirm(callback_data.group, callback_data.student, full=True),
        )
        await callback.answer(refusal_text(Outcome.FULL), show_alert=True)
        return
    if change.outcome is not Outcome.DONE:
        await callback.answer(refusal_text(change.outcome, change.preview), show_alert=True)
        return
    if await state.get_state() in ALL_STATES:
        await state.clear()
    assert change.enrolment is not None
    group = await academic_service.group(session, callback_data.group)
    assert group is not None
    sent = await tell(bot, sender, "added", change, group)
    await edit_or_send(
        callback,
        "\n".join(
            [_("✅ Added to the group."), told_text(sent), "", card_text(change.enrolment, group)]
        ),
        enrolment_card(change.enrolment, 1),
    )
    await callback.answer(_("✅ Added."))


# --- "add to a group" from a person's card -----------------------------------------------


async def for_student_pressed(
    callback: CallbackQuery, callback_data: EnrolCb, session: AsyncSession
) -> None:
    student = await academic_service.person_with_role(session, callback_data.student, Role.STUDENT)
    if student is None:
        await callback.answer(stale_button_text())
        return
    page = await academic_service.groups(session, callback_data.page, only_active=True)
    text = "\n".join(
        [
            _("➕ <b>Add {student} to a group</b>").format(student=escape(student.name)),
            _("Choose one of the active groups:")
            if page.total
            else _("There is no active group yet."),
        ]
    )
    markup = group_target_picker(
        page,
        lambda p: EnrolCb(action="for", student=student.id, page=p),
        lambda group_id: EnrolCb(action="pick", group=group_id, student=student.id),
        EnrolCb(action="for", student=student.id, page=page.page),
    )
    await edit_or_send(callback, text, markup)
    await callback.answer()


# --- status changes -----------------------------------------------------------------------


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
        change = await enrolment_service.leave(
            session, actor.user_id, callback_data.id, today=today(settings), policy_version=version
        )
        event, done = "left", _("🚪 Left the group.")
    if change.outcome is Outcome.MISSING:
        await callback.answer(stale_button_text())
        return
    if change.outcome is not Outcome.DONE:
        await callback.answer(refusal_text(change.outcome), show_alert=True)
        return
    assert change.enrolment is not None
    group = await academic_service.group(session, change.enrolment.group_id)
    assert group is not None
    sent = await tell(bot, sender, event, change, group)
    await edit_or_send(
        callback,
        "\n".join([done, told_text(sent), "", card_text(change.enrolment, group)]),
        enrolment_card(change.enrolment, callback_data.page),
    )
    await callback.answer(done)


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
        ]
    )
    await edit_or_send(callback, text, leave_confirm(item.id, callback_data.page))
    await callback.answer()


# --- discount -----------------------------------------------------------------------------


def discount_step_text(item: EnrolmentInfo, group: GroupInfo) -> str:
    return "\n".join(
        [
            _("％ <b>Discount for {student}</b> in {group}").format(
                student=escape(item.student_name), group=escape(group.name)
            ),
            _("Now: {percent}%, {price} a month.").format(
                percent=item.discount_percent,
                price=format_money(discounted(group.price, item.discount_percent)),
            ),
            "",
            _("Step 1/1 — the discount in per cent, 0 to 100."),
            _("Example: <i>15</i>"),
            "",
            cancel_hint(),
        ]
    )


async def discount_pressed(
    callback: CallbackQuery, callback_data: EnrolCb, session: AsyncSession, state: FSMContext
) -> None:
    found = await load(session, callback_data.id)
    if found is None:
        await callback.answer(stale_button_text())
        return
    item, group = found
    await state.set_state(EnrolForm.discount)
    await state.set_data({"enrolment_id": item.id})
    await edit_or_send(callback, discount_step_text(item, group), None)
    await callback.answer()


async def discount_received(message: Message, state: FSMContext, session: AsyncSession) -> None:
    data = await state.get_data()
    found = await load(session, int(data.get("enrolment_id") or 0))
    if found is None:
        await state.clear()
        await message.answer(_("⚠️ This place no longer exists. Nothing was changed."))
        return
    item, group = found
    try:
        percent = parsing.parse_whole(message.text, 0, 100)
    except Invalid as error:
        await message.answer(f"{number_problem(error)}\n\n{discount_step_text(item, group)}")
        return
    await state.update_data(percent=percent)
    await state.set_state(EnrolForm.discount_confirm)
    await message.answer(
        "\n".join(
            [
                _("％ <b>Discount for {student}</b> in {group}").format(
                    student=escape(item.student_name), group=escape(group.name)
                ),
                _("{old}% → {new}%").format(old=item.discount_percent, new=percent),
                _("Monthly price: {old} → {new}").format(
                    old=format_money(discounted(group.price, item.discount_percent)),
                    new=format_money(discounted(group.price, percent)),
                ),
            ]
        ),
        reply_markup=discount_summary(item.id),
    )


async def confirming_text(message: Message) -> None:
    await message.answer(while_confirming_text())


async def discount_saved(
    callback: CallbackQuery,
    callback_data: EnrolCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
    sender: Sender,
) -> None:
    data = await in_state(state, EnrolForm.discount_confirm)
    if data is None or data.get("enrolment_id") != callback_data.id:
        await callback.answer(stale_button_text())
        return
    change = await enrolment_service.set_discount(
        session,
        actor.user_id,
        callback_data.id,
        int(data["percent"]),
        policy_version=settings.centre.policy_version,
    )
    await state.clear()
    found = await load(session, callback_data.id)
    if change.outcome is Outcome.MISSING or found is None:
        await edit_or_send(callback, stale_button_text(), None)
        await callback.answer()
        return
    item, group = found
    lines = [card_text(item, group)]
    if change.outcome is Outcome.DONE:
        sent = await tell(bot, sender, "discount", change, group)
        lines = [_("✅ Saved."), told_text(sent), "", *lines]
    else:
        lines = [refusal_text(change.outcome), "", *lines]
    await edit_or_send(callback, "\n".join(lines), enrolment_card(item, 1))
    await callback.answer()


# --- moving -------------------------------------------------------------------------------


async def move_pick_pressed(
    callback: CallbackQuery, callback_data: EnrolCb, session: AsyncSession
) -> None:
    found = await load(session, callback_data.id)
    if found is None:
        await callback.answer(stale_button_text())
        return
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
    await edit_or_send(callback, text, markup)
    await callback.answer()


async def move_to_pressed(
    callback: CallbackQuery, callback_data: EnrolCb, session: AsyncSession
) -> None:
    found = await load(session, callback_data.id)
    if found is None:
        await callback.answer(stale_button_text())
        return
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
    await edit_or_send(
        callback,
        move_text(item, group.name, checked),
        move_confirm(item.id, callback_data.group, full=checked.full),
    )
    await callback.answer()


async def move_confirmed(
    callback: CallbackQuery,
    callback_data: EnrolCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
    sender: Sender,
) -> None:
    found = await load(session, callback_data.id)
    if found is None:
        await callback.answer(stale_button_text())
        return
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
    group = await academic_service.group(session, change.enrolment.group_id)
    assert group is not None
    sent = await tell(bot, sender, "moved", change, group, old_group)
    await edit_or_send(
        callback,
        "\n".join([_("✅ Moved."), told_text(sent), "", card_text(change.enrolment, group)]),
        enrolment_card(change.enrolment, 1),
    )
    await callback.answer(_("✅ Moved."))


ALL_STATES = {EnrolForm.search.state, EnrolForm.discount.state, EnrolForm.discount_confirm.state}


def create_router() -> Router:
    router = Router(name="admin.enrolment")
    for handler, form_state in (
        (search_received, EnrolForm.search),
        (discount_received, EnrolForm.discount),
        (confirming_text, EnrolForm.discount_confirm),
    ):
        router.message.register(handler, StateFilter(form_state), not_a_command, flags=ACADEMIC)
    callbacks = router.callback_query
    handlers: list[tuple[Any, str]] = [
        (list_pressed, "list"),
        (card_pressed, "card"),
        (add_pressed, "add"),
        (picker_page, "spage"),
        (pick_pressed, "pick"),
        (enrol_confirmed, "yes"),
        (for_student_pressed, "for"),
        (status_pressed, "freeze"),
        (status_pressed, "unfreeze"),
        (status_pressed, "leave_yes"),
        (leave_pressed, "leave"),
        (discount_pressed, "discount"),
        (discount_saved, "dsave"),
        (move_pick_pressed, "mvpick"),
        (move_to_pressed, "mvto"),
        (move_confirmed, "mvyes"),
    ]
    for handler, action in handlers:
        callbacks.register(handler, EnrolCb.filter(F.action == action), flags=ACADEMIC)
    return router
