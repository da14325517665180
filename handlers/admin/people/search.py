"""/people: the home screen, searching by name or phone, and linking an existing person
as a parent of a student (a search whose results are the parents to pick).

Every handler needs the `users` permission (owners hold it). The search stays open while
cards are opened from its results, so ⬅ Back on a card comes back to the same page.
"""

from html import escape

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.scene import ScenesManager
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters.access import USERS
from bot.forms import Advance, Form, FormContext, FormData, Refusal, Step
from bot.i18n import _
from bot.services import people as people_service
from bot.services.access import Actor
from bot.services.people import InvalidQuery, LinkOutcome, PersonRef
from bot.telegram import edit_or_send
from bot.wording import stale_button_text
from handlers.admin.people.card import render_card
from handlers.buttons import show_screen
from handlers.registry import Registry
from keyboards.people import (
    SEARCH_FORM,
    SEARCH_STEP,
    PeopleCb,
    link_confirmation,
    people_home,
    search_results,
)

on = Registry(PeopleCb, flags=USERS)


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


# --- the search form ---------------------------------------------------------------------------


class SearchData(FormData):
    child: int | None = None  # linking a parent: the student they are looked for
    child_name: str = ""
    query: str = ""  # the last query that found anything to page through


def link_prompt(data: SearchData) -> str:
    return "\n".join(
        [
            _("👪 <b>A parent for {child}</b>").format(
                child=escape(data.child_name or _("No name"))
            ),
            "",
            _("Send the parent's name or phone number to find them."),
            _("Not registered yet? Use «➕ Register a parent» on the card instead."),
            _("/cancel — leave."),
        ]
    )


async def show_results(
    data: SearchData, context: FormContext, result: people_service.SearchResult
) -> Advance:
    linking = None
    if data.child is not None:
        child = await people_service.registrable_child(context.session, data.child)
        if child is None:  # gone meanwhile
            raise Refusal(stale_button_text())
        linking = child.full_name or ""
    text = results_text(data.query, result, linking=linking)
    markup = search_results(result, child_id=data.child)
    if isinstance(context.event, Message):
        await context.event.answer(text, reply_markup=markup)
    else:
        await edit_or_send(context.event, text, markup)
    return Advance.SHOWN


async def read_query(data: SearchData, text: str | None, context: FormContext) -> Advance:
    query = (text or "").strip()
    try:
        result = await people_service.search(context.session, query)
    except InvalidQuery:
        await context.event.answer(query_problem_text())  # type: ignore[call-arg]
        return Advance.SHOWN
    data.query = query
    return await show_results(data, context, result)


async def pick_page(data: SearchData, value: str, context: FormContext) -> Advance:
    """◀ / ▶ under the results, or ⬅ Back on a card opened from them."""
    if not data.query or not value.isdecimal():
        raise Refusal(stale_button_text())
    result = await people_service.search(context.session, data.query, int(value))
    return await show_results(data, context, result)


class SearchForm(Form[SearchData], state="people_search"):
    """A search that stays open: each query shows its results, and the cards opened from
    them lead back to the same page. It saves nothing and has no summary."""

    key = SEARCH_FORM
    data_type = SearchData
    flags = USERS
    steps = (
        Step(
            SEARCH_STEP,
            lambda data: home_text() if data.child is None else link_prompt(data),
            read=read_query,
            pick=pick_page,
            buttons=lambda data, form: people_home().inline_keyboard if data.child is None else [],
        ),
    )

    def step_text(self, step: Step[SearchData], data: SearchData) -> str:
        return step.question(data)


@on.command("people", menu="people")
async def show_people(message: Message, scenes: ScenesManager) -> None:
    await SearchForm.open(scenes, SearchData())


@on.button("home")
async def home_pressed(callback: CallbackQuery, scenes: ScenesManager) -> None:
    await SearchForm.open(scenes, SearchData())


# --- linking an existing parent -------------------------------------------------------------


@on.button("lk", child=people_service.registrable_child)
async def link_pressed(
    callback: CallbackQuery,
    callback_data: PeopleCb,
    session: AsyncSession,
    scenes: ScenesManager,
    child: PersonRef,
) -> None:
    data = SearchData(child=child.id, child_name=child.full_name or "")
    await SearchForm.open(scenes, data, below=True)  # the link prompt comes below the card


@on.button("lkp")
async def link_pick_pressed(
    callback: CallbackQuery, callback_data: PeopleCb, session: AsyncSession
) -> None:
    child = await people_service.registrable_child(session, callback_data.other)
    parent = await people_service.live_person(session, callback_data.id)
    if child is None or parent is None:
        await callback.answer(stale_button_text())
        return
    text = _("👪 Link <b>{parent}</b> as a parent of <b>{child}</b>?").format(
        parent=escape(parent.full_name or _("No name")),
        child=escape(child.full_name or _("No name")),
    )
    await show_screen(callback, text, link_confirmation(parent.id, child.id))


@on.button("lky")
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
    router = on.router("admin.people.search")
    router.include_router(SearchForm.as_router())
    return router
