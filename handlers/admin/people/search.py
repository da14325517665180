"""/people: the home screen, searching by name or phone, and linking an existing person
as a parent of a student (a search whose results are the parents to pick).

Every handler needs the `users` permission (owners hold it). The search stays open while
cards are opened from its results, so ⬅ Back on a card comes back to the same page.
"""

from html import escape

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters.menu import MenuButton
from bot.forms.texts import stale_button_text
from bot.i18n import _
from bot.services import people as people_service
from bot.services.access import Actor
from bot.services.people import InvalidQuery, LinkOutcome
from bot.telegram import edit_or_send
from db.models import Permission
from db.repositories import people as people_repo
from handlers.admin.people.card import render_card
from handlers.common.leads import not_a_menu_button
from handlers.forms import in_state, not_a_command
from keyboards.people import PeopleCb, link_confirmation, people_home, search_results

USERS = {"permission": Permission.USERS}


class PeopleSearch(StatesGroup):
    query = State()  # data: mode ("search" | "link"), child (link), query (the last one)


# --- texts ------------------------------------------------------------------------------------


def home_text() -> str:
    return "\n".join(
        [
            _("🔎 <b>People</b>"),
            "",
            _(
                "Send a name or a phone number to search, for example <i>Gʻulom</i> or "
                "<i>90 123 45</i>. Apostrophes do not matter: gʻ, g' and g are the same."
            ),
            _("Or choose below. /cancel — leave the search."),
        ]
    )


def results_text(query: str, result: people_service.SearchResult, *, linking: str | None) -> str:
    lines = []
    if linking is not None:
        lines.append(_("👪 <b>A parent for {child}</b>").format(child=escape(linking)))
    if result.total == 0:
        lines.append(
            _("🔎 Nobody found for «{query}». Check the spelling or try the phone number.").format(
                query=escape(query)
            )
        )
        return "\n".join(lines)
    lines.append(
        _("🔎 <b>Found: {total}</b> for «{query}»").format(total=result.total, query=escape(query))
    )
    if result.capped:
        lines.append(_("Only the first matches are shown: type more of the name."))
    if linking is None:
        lines.append(_("Tap a person to open the card, or send another name."))
    else:
        lines.append(_("Tap the parent, or send another name."))
    return "\n".join(lines)


def query_problem_text() -> str:
    return _("⚠️ Type at least 2 letters of the name, or at least 3 digits of the phone.")


# --- home and search -------------------------------------------------------------------------


async def show_people(message: Message, state: FSMContext) -> None:
    await state.set_state(PeopleSearch.query)
    await state.set_data({"mode": "search"})
    await message.answer(home_text(), reply_markup=people_home())


async def home_pressed(callback: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(PeopleSearch.query)
    await state.set_data({"mode": "search"})
    await edit_or_send(callback, home_text(), people_home())
    await callback.answer()


async def linking_child(session: AsyncSession, data: dict) -> people_service.PersonRef | None:
    if data.get("mode") != "link":
        return None
    return await people_service.registrable_child(session, int(data["child"]))


async def query_received(message: Message, state: FSMContext, session: AsyncSession) -> None:
    query = (message.text or "").strip()
    data = await state.get_data()
    try:
        result = await people_service.search(session, query)
    except InvalidQuery:
        await message.answer(query_problem_text())
        return
    child = await linking_child(session, data)
    if data.get("mode") == "link" and child is None:
        await state.clear()
        await message.answer(stale_button_text())
        return
    await state.update_data(query=query)
    await message.answer(
        results_text(query, result, linking=(child.full_name or "") if child else None),
        reply_markup=search_results(result, child_id=child.id if child else None),
    )


async def results_page(
    callback: CallbackQuery, callback_data: PeopleCb, state: FSMContext, session: AsyncSession
) -> None:
    data = await in_state(state, PeopleSearch.query)
    if data is None or not data.get("query"):
        await callback.answer(stale_button_text())
        return
    query = data["query"]
    child = await linking_child(session, data)
    result = await people_service.search(session, query, callback_data.page)
    await edit_or_send(
        callback,
        results_text(query, result, linking=(child.full_name or "") if child else None),
        search_results(result, child_id=child.id if child else None),
    )
    await callback.answer()


# --- linking an existing parent -------------------------------------------------------------


async def link_pressed(
    callback: CallbackQuery, callback_data: PeopleCb, state: FSMContext, session: AsyncSession
) -> None:
    child = await people_service.registrable_child(session, callback_data.id)
    if child is None:
        await callback.answer(stale_button_text())
        return
    await state.set_state(PeopleSearch.query)
    await state.set_data({"mode": "link", "child": child.id})
    await callback.answer()
    await callback.bot.send_message(
        callback.from_user.id,
        "\n".join(
            [
                _("👪 <b>A parent for {child}</b>").format(
                    child=escape(child.full_name or _("No name"))
                ),
                "",
                _("Send the parent's name or phone number to find them."),
                _("Not registered yet? Use «➕ Register a parent» on the card instead."),
                _("/cancel — leave."),
            ]
        ),
    )


async def link_pick_pressed(
    callback: CallbackQuery, callback_data: PeopleCb, session: AsyncSession
) -> None:
    child = await people_service.registrable_child(session, callback_data.other)
    parent = await people_repo.live_user(session, callback_data.id)
    if child is None or parent is None:
        await callback.answer(stale_button_text())
        return
    text = _("👪 Link <b>{parent}</b> as a parent of <b>{child}</b>?").format(
        parent=escape(parent.full_name or _("No name")),
        child=escape(child.full_name or _("No name")),
    )
    await edit_or_send(callback, text, link_confirmation(parent.id, child.id))
    await callback.answer()


async def link_confirmed(
    callback: CallbackQuery,
    callback_data: PeopleCb,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
) -> None:
    outcome = await people_service.link_parent(
        session, actor.user_id, callback_data.id, callback_data.other
    )
    if outcome is LinkOutcome.MISSING:
        await callback.answer(stale_button_text())
        return
    if outcome is LinkOutcome.SELF:
        await callback.answer(_("⚠️ A person cannot be their own parent."), show_alert=True)
        return
    await state.clear()
    toast = _("✅ Linked.") if outcome is LinkOutcome.DONE else _("ℹ️ They were linked already.")
    await render_card(callback, session, settings, actor, callback_data.other, toast=toast)


def create_router() -> Router:
    router = Router(name="admin.people.search")
    router.message.register(show_people, Command("people"), flags=USERS)
    router.message.register(show_people, MenuButton("people"), flags=USERS)
    router.message.register(
        query_received,
        StateFilter(PeopleSearch.query),
        not_a_command,
        not_a_menu_button,
        F.text,
        flags=USERS,
    )
    callbacks = router.callback_query
    for handler, action in (
        (home_pressed, "home"),
        (results_page, "res"),
        (link_pressed, "lk"),
        (link_pick_pressed, "lkp"),
        (link_confirmed, "lky"),
    ):
        callbacks.register(handler, PeopleCb.filter(F.action == action), flags=USERS)
    return router
