"""/people: search, the person card, registering students and parents, parent links and
invitation links.

Every handler needs the `users` permission (owners hold it); viewing cards uses the same
permission, to keep one rule for the whole screen. Cards and lists are one message
edited in place; a new invitation link is a message of its own, so it can be forwarded.
"""

from datetime import date
from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters.menu import MenuButton
from bot.formatting import format_date, format_datetime, format_phone
from bot.i18n import _
from bot.services import invites as invites_service
from bot.services import parsing
from bot.services import people as people_service
from bot.services.access import Actor
from bot.services.invites import Created, Made, Revoked
from bot.services.parsing import Invalid, Problem
from bot.services.people import InvalidQuery, LinkOutcome, PersonCard
from bot.telegram import edit_or_send
from bot.wording import cancel_hint, stale_button_text
from bot.wording import person_problem as name_problem_text
from db.base import utcnow
from db.models import InviteKind, Permission, Role
from handlers.common.leads import not_a_menu_button
from handlers.common.mydata import attendance_labels, enrolment_labels
from handlers.common.start import role_names
from handlers.forms import in_state, not_a_command
from keyboards.people import (
    FROM_ELSEWHERE,
    InviteCb,
    PeopleCb,
    invite_message,
    link_confirmation,
    people_home,
    permission_labels,
    person_card,
    registration_summary,
    search_results,
)

USERS = {"permission": Permission.USERS}
CARD_LIST_MAX = 10  # groups shown on a card


class PeopleSearch(StatesGroup):
    query = State()  # data: mode ("search" | "link"), child (link), query (the last one)


class RegisterForm(StatesGroup):
    name = State()
    phone = State()
    birth = State()
    confirm = State()


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


def card_text(card: PersonCard, settings: Settings) -> str:
    data = card.data
    profile = data.profile
    missing = _("not given")
    lines = [_("👤 <b>{name}</b>").format(name=escape(profile.full_name or _("No name")))]
    lines.append(
        _("📱 Phone: {value}").format(
            value=escape(format_phone(profile.phone)) if profile.phone else missing
        )
    )
    if profile.birth_date:
        lines.append(_("🎂 Birth date: {value}").format(value=format_date(profile.birth_date)))
    if card.on_telegram:
        lines.append(_("💬 Telegram: connected"))
    else:
        lines.append(_("💬 Telegram: not connected yet"))
    if card.open_invites:
        lines.append(_("🔗 Open invitation links: {count}").format(count=card.open_invites))
    names = role_names()
    held = [names[role] for role in Role if role in card.roles]
    lines.append(_("🎭 Roles: {roles}").format(roles=", ".join(held) if held else _("none")))
    if card.is_owner:
        lines.append(_("👑 Owner: holds every right (set in the configuration)."))
    elif Role.ADMIN in card.roles:
        labels = permission_labels()
        granted = [labels[p] for p in Permission if p in card.permissions]
        lines.append(
            _("🛡 Permissions: {list}").format(list=", ".join(granted) if granted else _("none"))
        )
    if data.enrolments or Role.STUDENT in card.roles:
        lines += ["", _("👥 <b>Groups</b>")]
        statuses = enrolment_labels()
        for row in data.enrolments[:CARD_LIST_MAX]:
            lines.append(
                _("• {course} — {group}: {status}").format(
                    course=escape(row.course),
                    group=escape(row.group),
                    status=statuses.get(row.status, row.status),
                )
            )
        if len(data.enrolments) > CARD_LIST_MAX:
            lines.append(
                _("… and {count} more.").format(count=len(data.enrolments) - CARD_LIST_MAX)
            )
        if not data.enrolments:
            lines.append(_("No groups."))
        counts = data.attendance_counts
        if sum(counts.values()):
            labels = attendance_labels()
            lines.append(
                _("📋 Attendance: {counts}").format(
                    counts=" · ".join(
                        f"{label}: {counts.get(status, 0)}" for status, label in labels.items()
                    )
                )
            )
        else:
            lines.append(_("📋 No attendance marks yet."))
    nameless = _("No name")
    if data.parents:
        lines.append(
            _("👪 Parents: {names}").format(
                names=", ".join(escape(p.full_name or nameless) for p in data.parents)
            )
        )
    if data.children:
        lines.append(
            _("🧒 Children: {names}").format(
                names=", ".join(escape(c.full_name or nameless) for c in data.children)
            )
        )
    lines += [
        "",
        _("🕘 Registered: {when}").format(
            when=format_datetime(profile.created_at, settings.centre.tz)
        ),
    ]
    return "\n".join(lines)


def kind_label(kind: InviteKind) -> str:
    return {
        InviteKind.STUDENT: _("student"),
        InviteKind.PARENT: _("parent"),
        InviteKind.TEACHER: _("teacher"),
        InviteKind.ADMIN: _("administrator"),
    }[kind]


def invite_text(created: Created, url: str, settings: Settings) -> str:
    assert created.kind is not None and created.expires_at is not None
    if created.name:
        title = _("🔗 <b>Invitation for {name}</b> ({kind})").format(
            name=escape(created.name), kind=kind_label(created.kind)
        )
    elif created.kind is InviteKind.PARENT:
        title = _("👪 <b>Invitation for a parent of {child}</b>").format(
            child=escape(created.child_name or _("No name"))
        )
    elif created.kind is InviteKind.TEACHER:
        title = _("🧑‍🏫 <b>Invitation for a new teacher</b>")
    else:
        title = _("🛡 <b>Invitation for a new administrator</b>")
    lines = [title, "", escape(url), ""]
    if created.kind is InviteKind.ADMIN:
        labels = permission_labels()
        granted = ", ".join(labels[p] for p in created.permissions) or _("none")
        lines.append(_("Permissions: {list}").format(list=granted))
    lines.append(
        _("Valid until {when}. It works once. Forward this message to the person.").format(
            when=format_datetime(created.expires_at, settings.centre.tz)
        )
    )
    if created.name:
        lines.append(_("A new link for the same person replaces this one."))
    return "\n".join(lines)


def made_refusal(outcome: Made) -> str:
    if outcome is Made.BOUND:
        return _("ℹ️ This person is already connected to Telegram: no invitation is needed.")
    if outcome is Made.NOT_HELD:
        return _("⚠️ You can grant only the permissions you hold.")
    return stale_button_text()


async def send_invite(
    callback: CallbackQuery, bot: Bot, created: Created, settings: Settings
) -> None:
    """The link as a message of its own (forwardable), with a revoke button."""
    if created.outcome is not Made.DONE:
        await callback.answer(made_refusal(created.outcome), show_alert=True)
        return
    assert created.code is not None and created.invite_id is not None
    me = await bot.me()
    url = invites_service.link(me.username or "", created.code)
    await callback.answer(_("🔗 Link created."))
    await bot.send_message(
        callback.from_user.id,
        invite_text(created, url, settings),
        reply_markup=invite_message(created.invite_id),
    )


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


# --- the card ------------------------------------------------------------------------------------


async def render_card(
    callback: CallbackQuery,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    user_id: int,
    *,
    origin: int = FROM_ELSEWHERE,
    page: int = 0,
    toast: str | None = None,
) -> None:
    card = await people_service.card(session, user_id, settings.telegram.owner_ids)
    if card is None:
        await callback.answer(stale_button_text())
        return
    await edit_or_send(
        callback, card_text(card, settings), person_card(card, actor, origin=origin, page=page)
    )
    await callback.answer(toast)


async def card_pressed(
    callback: CallbackQuery,
    callback_data: PeopleCb,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
) -> None:
    await render_card(
        callback,
        session,
        settings,
        actor,
        callback_data.id,
        origin=callback_data.other,
        page=callback_data.page,
    )


# --- invitations ---------------------------------------------------------------------------


async def invite_pressed(
    callback: CallbackQuery,
    callback_data: PeopleCb,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    bot: Bot,
) -> None:
    """The link that binds a registered person's Telegram account to their record."""
    card = await people_service.card(session, callback_data.id, settings.telegram.owner_ids)
    if card is None:
        await callback.answer(stale_button_text())
        return
    kind = invites_service.binding_kind(card.roles, bool(card.data.children))
    if kind is None:
        await callback.answer(stale_button_text())
        return
    child = (
        await people_service.first_child(session, card.id) if kind is InviteKind.PARENT else None
    )
    created = await invites_service.create(
        session,
        actor,
        kind,
        now=utcnow(),
        user_id=card.id,
        student_id=child,
    )
    await send_invite(callback, bot, created, settings)


async def parent_invite_pressed(
    callback: CallbackQuery,
    callback_data: PeopleCb,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    bot: Bot,
) -> None:
    created = await invites_service.create(
        session, actor, InviteKind.PARENT, now=utcnow(), student_id=callback_data.id
    )
    await send_invite(callback, bot, created, settings)


async def teacher_invite_pressed(
    callback: CallbackQuery, session: AsyncSession, settings: Settings, actor: Actor, bot: Bot
) -> None:
    created = await invites_service.create(session, actor, InviteKind.TEACHER, now=utcnow())
    await send_invite(callback, bot, created, settings)


async def revoke_pressed(
    callback: CallbackQuery, callback_data: InviteCb, session: AsyncSession, actor: Actor
) -> None:
    outcome = await invites_service.revoke(session, actor.user_id, callback_data.id, utcnow())
    if outcome is Revoked.MISSING:
        await callback.answer(stale_button_text())
        return
    if outcome is Revoked.USED:
        await callback.answer(
            _("⚠️ This invitation has already been used: there is nothing to revoke."),
            show_alert=True,
        )
        return
    await edit_or_send(
        callback, _("🚫 This invitation was revoked: the link no longer works."), None
    )
    await callback.answer(_("🚫 Revoked."))


# --- registering a student or a parent ----------------------------------------------------------


def step_text(data: dict, step: State) -> str:
    parent = data["role"] == Role.PARENT
    total = 2 if parent else 3
    if parent:
        head = _("👪 <b>New parent of {child}</b>").format(child=escape(data.get("child_name", "")))
    else:
        head = _("🎓 <b>New student</b>")
    if step == RegisterForm.name:
        body = _("Step {n}/{total} — full name, for example <i>Gʻulom Oʻktamov</i>.").format(
            n=1, total=total
        )
    elif step == RegisterForm.phone:
        body = _("Step {n}/{total} — phone number, for example <i>+998 90 123 45 67</i>.").format(
            n=2, total=total
        )
    else:
        body = _(
            "Step {n}/{total} — birth date as DD.MM.YYYY, for example <i>21.03.2012</i>; "
            "send <b>-</b> if you do not know it."
        ).format(n=3, total=total)
    return "\n".join([head, "", body, "", cancel_hint()])


def registration_problem_text(problem: Problem) -> str:
    return {
        Problem.PHONE: _(
            "⚠️ This is not an Uzbek phone number: +998 and 9 digits, for example +998 90 123 45 67."
        ),
        Problem.DATE_FORMAT: _("⚠️ Write the date as DD.MM.YYYY, for example 21.03.2012."),
        Problem.DATE_IMPOSSIBLE: _("⚠️ There is no such day in the calendar."),
        Problem.DATE_FUTURE: _("⚠️ A birth date cannot be in the future."),
        Problem.DATE_TOO_OLD: _("⚠️ A birth date before 1900? Please check the year."),
    }[problem]


def summary_text(data: dict, duplicates: list[people_service.PersonRef]) -> str:
    parent = data["role"] == Role.PARENT
    lines = [
        _("Check the new parent:") if parent else _("Check the new student:"),
        "",
        _("Name: {value}").format(value=escape(data["name"])),
        _("Phone: {value}").format(value=escape(format_phone(data["phone"]))),
    ]
    if parent:
        lines.append(_("Parent of: {value}").format(value=escape(data.get("child_name", ""))))
    else:
        born = data.get("birth")
        lines.append(
            _("Birth date: {value}").format(
                value=format_date(date.fromisoformat(born)) if born else _("not given")
            )
        )
    if duplicates:
        names = ", ".join(escape(p.full_name or _("No name")) for p in duplicates)
        lines += [
            "",
            _("⚠️ This phone is already registered for: {names}. Save anyway?").format(names=names),
        ]
    return "\n".join(lines)


async def start_registration(callback: CallbackQuery, state: FSMContext, data: dict) -> None:
    await state.set_state(RegisterForm.name)
    await state.set_data(data)
    await callback.answer()
    await callback.bot.send_message(callback.from_user.id, step_text(data, RegisterForm.name))


async def register_student_pressed(callback: CallbackQuery, state: FSMContext) -> None:
    await start_registration(callback, state, {"role": Role.STUDENT.value})


async def register_parent_pressed(
    callback: CallbackQuery, callback_data: PeopleCb, state: FSMContext, session: AsyncSession
) -> None:
    child = await people_service.registrable_child(session, callback_data.id)
    if child is None:
        await callback.answer(stale_button_text())
        return
    await start_registration(
        callback,
        state,
        {"role": Role.PARENT.value, "child": child.id, "child_name": child.full_name or ""},
    )


async def name_received(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    try:
        name = parsing.clean_name(message.text or "")
    except Invalid as invalid:
        await message.answer(
            name_problem_text(invalid.problem) + "\n\n" + step_text(data, RegisterForm.name)
        )
        return
    await state.update_data(name=name)
    await state.set_state(RegisterForm.phone)
    await message.answer(step_text(data, RegisterForm.phone))


async def show_summary(message: Message, state: FSMContext, session: AsyncSession) -> None:
    data = await state.get_data()
    await state.set_state(RegisterForm.confirm)
    duplicates = await people_service.same_phone(session, data["phone"])
    await message.answer(summary_text(data, duplicates), reply_markup=registration_summary())


async def phone_received(message: Message, state: FSMContext, session: AsyncSession) -> None:
    data = await state.get_data()
    try:
        phone = parsing.clean_uz_phone(message.text or "")
    except Invalid as invalid:
        await message.answer(
            registration_problem_text(invalid.problem)
            + "\n\n"
            + step_text(data, RegisterForm.phone)
        )
        return
    await state.update_data(phone=phone)
    if data["role"] == Role.PARENT:
        await show_summary(message, state, session)
        return
    await state.set_state(RegisterForm.birth)
    await message.answer(step_text(data, RegisterForm.birth))


async def birth_received(
    message: Message, state: FSMContext, session: AsyncSession, settings: Settings
) -> None:
    data = await state.get_data()
    text = (message.text or "").strip()
    if text == "-":
        born = None
    else:
        try:
            today = utcnow().astimezone(settings.centre.tz).date()
            born = parsing.parse_birth_date(text, today).isoformat()
        except Invalid as invalid:
            await message.answer(
                registration_problem_text(invalid.problem)
                + "\n\n"
                + step_text(data, RegisterForm.birth)
            )
            return
    await state.update_data(birth=born)
    await show_summary(message, state, session)


async def while_confirming(message: Message) -> None:
    await message.answer(
        _("ℹ️ Use the buttons under the summary above: ✅ Save, ✏️ Edit or ❌ Cancel.")
    )


async def save_pressed(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
) -> None:
    data = await in_state(state, RegisterForm.confirm)
    if data is None:
        await callback.answer(stale_button_text())
        return
    birth = data.get("birth")
    user_id = await people_service.register(
        session,
        actor.user_id,
        Role(data["role"]),
        full_name=data["name"],
        phone=data["phone"],
        birth_date=date.fromisoformat(birth) if birth else None,
        child_id=data.get("child"),
        language=settings.centre.default_language,
    )
    await state.clear()
    if user_id is None:
        await edit_or_send(callback, stale_button_text(), None)
        await callback.answer()
        return
    await render_card(callback, session, settings, actor, user_id, toast=_("✅ Saved."))


async def edit_pressed(callback: CallbackQuery, state: FSMContext) -> None:
    data = await in_state(state, RegisterForm.confirm)
    if data is None:
        await callback.answer(stale_button_text())
        return
    await state.set_state(RegisterForm.name)
    await edit_or_send(callback, step_text(data, RegisterForm.name), None)
    await callback.answer()


async def drop_pressed(callback: CallbackQuery, state: FSMContext) -> None:
    if await state.get_state() not in {s.state for s in RegisterForm.__all_states__}:
        await callback.answer(stale_button_text())
        return
    await state.clear()
    await edit_or_send(callback, _("❌ Cancelled. Nothing was saved."), None)
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
    parent = await people_service.live_person(session, callback_data.id)
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
    router = Router(name="admin.people")
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
    router.message.register(
        name_received, StateFilter(RegisterForm.name), not_a_command, not_a_menu_button, flags=USERS
    )
    router.message.register(
        phone_received,
        StateFilter(RegisterForm.phone),
        not_a_command,
        not_a_menu_button,
        flags=USERS,
    )
    router.message.register(
        birth_received,
        StateFilter(RegisterForm.birth),
        not_a_command,
        not_a_menu_button,
        flags=USERS,
    )
    router.message.register(
        while_confirming,
        StateFilter(RegisterForm.confirm),
        not_a_command,
        not_a_menu_button,
        flags=USERS,
    )
    callbacks = router.callback_query
    for handler, action in (
        (home_pressed, "home"),
        (results_page, "res"),
        (card_pressed, "card"),
        (invite_pressed, "inv"),
        (parent_invite_pressed, "pinv"),
        (register_student_pressed, "regs"),
        (register_parent_pressed, "regp"),
        (save_pressed, "save"),
        (edit_pressed, "edit"),
        (drop_pressed, "drop"),
        (link_pressed, "lk"),
        (link_pick_pressed, "lkp"),
        (link_confirmed, "lky"),
    ):
        callbacks.register(handler, PeopleCb.filter(F.action == action), flags=USERS)
    callbacks.register(revoke_pressed, InviteCb.filter(F.action == "rv"), flags=USERS)
    callbacks.register(teacher_invite_pressed, InviteCb.filter(F.action == "teacher"), flags=USERS)
    return router
