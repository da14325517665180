"""/children: the parent's linked children, and for each the student's four views.

The child named in a button is re-checked against the parent's links on every press,
page taps (◀ ▶ of a long view) included; a forged or stale id gets the stale-button
answer and a `denied` audit entry, a page there is not the stale-button answer.
"""

from html import escape

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery import Sender
from bot.i18n import _
from bot.services import student_views as service
from bot.services.access import Actor
from bot.services.mydata import PersonRef
from bot.telegram import edit_or_send
from bot.wording import stale_button_text
from handlers.buttons import show_screen
from handlers.registry import Registry
from handlers.student.balance import balance_markup, build_balance, child_title
from handlers.student.views import build_view, edit_to_page, end_read, send_files_asked, titles
from keyboards.student import (
    ChildPageCb,
    ParentChildCb,
    View,
    back_to_child,
    child_card,
    child_view_page,
    children_list,
)

VIEW_ACTION = "child.view"

on = Registry(ParentChildCb)


def no_children_text() -> str:
    return _(
        "ℹ️ No children are linked to you yet. Ask the centre for an invitation link for each child."
    )


def list_text() -> str:
    return _("👨‍👩‍👧 <b>Your children</b>\n\nChoose a child:")


def card(child: PersonRef, children: list[PersonRef]) -> tuple[str, InlineKeyboardMarkup]:
    name = escape(child.full_name or _("No name"))
    text = _("👤 <b>{name}</b>\n\nWhat would you like to see?").format(name=name)
    return text, child_card(child.id, back=len(children) > 1)


@on.command("children", menu="parent.children")
async def show_children(
    message: Message, actor: Actor, session: AsyncSession, settings: Settings
) -> None:
    children = await service.children(session, actor.user_id)
    await end_read(session)
    if not children:
        await message.answer(no_children_text())
    elif len(children) == 1:
        text, markup = card(children[0], children)
        await message.answer(text, reply_markup=markup)
    else:
        await message.answer(list_text(), reply_markup=children_list(children))


async def checked_child(
    callback: CallbackQuery,
    callback_data: ParentChildCb | ChildPageCb,
    actor: Actor,
    session: AsyncSession,
) -> tuple[PersonRef, list[PersonRef]] | None:
    """The child when linked to this parent; otherwise refused, audited and answered."""
    children = await service.children(session, actor.user_id)
    child = service.pick_child(children, callback_data.child)
    if child is None:
        details: dict[str, object] = {"child": callback_data.child}
        if isinstance(callback_data, ChildPageCb):
            details |= {"action": "page", "view": callback_data.view, "page": callback_data.page}
        else:
            details["action"] = callback_data.action
            if callback_data.view:
                details["view"] = callback_data.view
        await service.refuse(session, actor.user_id, VIEW_ACTION, details)
        await callback.answer(stale_button_text())
        return None
    return child, children


@on.button("list")
async def back_to_list(callback: CallbackQuery, actor: Actor, session: AsyncSession) -> None:
    children = await service.children(session, actor.user_id)
    await end_read(session)
    if not children:
        await edit_or_send(callback, no_children_text(), None)
    elif len(children) == 1:
        await edit_or_send(callback, *card(children[0], children))
    else:
        await edit_or_send(callback, list_text(), children_list(children))
    await callback.answer()


@on.button("card")
async def open_card(
    callback: CallbackQuery, callback_data: ParentChildCb, actor: Actor, session: AsyncSession
) -> None:
    checked = await checked_child(callback, callback_data, actor, session)
    if checked is None:
        return
    await end_read(session)
    await edit_or_send(callback, *card(*checked))
    await callback.answer()


@on.button("view", where=F.view.in_([v.value for v in View]))
@on.callback(ChildPageCb.filter(F.view.in_([view.value for view in View])))
async def open_view(
    callback: CallbackQuery,
    callback_data: ParentChildCb | ChildPageCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
) -> None:
    """A child's view from the card (page 1), or ◀ ▶ under it: the child is re-checked,
    then the page edited in place."""
    checked = await checked_child(callback, callback_data, actor, session)
    if checked is None:
        return
    child, _children = checked
    view = View(callback_data.view)
    number = callback_data.page if isinstance(callback_data, ChildPageCb) else 1
    title = titles(child.full_name or _("No name"))[view]
    pages = await build_view(session, view, child.id, settings.centre.tz, title)
    await edit_to_page(
        callback,
        session,
        pages,
        number,
        lambda total, tags: child_view_page(child.id, view, number, total, tags),
    )


@on.button("balance")
async def open_balance(
    callback: CallbackQuery,
    callback_data: ParentChildCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
) -> None:
    checked = await checked_child(callback, callback_data, actor, session)
    if checked is None:
        return
    child, _children = checked
    title = child_title(child.full_name or _("No name"))
    text, balance = await build_balance(session, child.id, settings, title)
    markup = balance_markup(settings, child.id, balance, [back_to_child(child.id)])
    await show_screen(callback, text, markup)


@on.button("file")
async def send_files(
    callback: CallbackQuery,
    callback_data: ParentChildCb,
    actor: Actor,
    session: AsyncSession,
    sender: Sender,
) -> None:
    checked = await checked_child(callback, callback_data, actor, session)
    if checked is None:
        return
    child, _children = checked
    item = callback_data.item
    details = {"child": child.id, "homework": item}
    await send_files_asked(callback, actor, session, sender, child.id, item, details)


def create_router() -> Router:
    return on.router("parent.children")
