"""📣 /broadcast and /broadcasts (permission `broadcast`), /incident (owners, POLICY 17).

The form: the message as recipients should see it → the audience → the category
(an essential message asks once more) → a preview with the number of recipients →
✅ Send / 🕘 Schedule / ❌ Cancel. Nothing is stored before Send or the confirmed time.
Every button checks that the form is at its step, so stale or forged presses change
nothing. Sending runs in the background (`bot.notices.broadcast`).
"""

from datetime import datetime, timedelta
from html import escape
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import Sender
from bot.filters.access import OWNER_ONLY
from bot.filters.menu import MenuButton
from bot.formatting import format_datetime
from bot.i18n import _, ngettext
from bot.notices.broadcast import counts_lines as delivery_counts
from bot.notices.broadcast import duration_text, launcher_for, left_of, report_text, title_text
from bot.services import broadcasts as service
from bot.services import parsing
from bot.services.access import Actor
from bot.services.broadcasts import Audience, CancelOutcome, Draft
from bot.services.parsing import Invalid
from bot.telegram import edit_or_send
from bot.wording import cancel_hint, date_problem, stale_button_text, time_problem
from db.base import utcnow
from db.ids import is_row_id
from db.models import (
    AudienceType,
    Broadcast,
    BroadcastCategory,
    BroadcastStatus,
    Permission,
    Role,
)
from handlers.forms import in_state, not_a_command
from keyboards.broadcasts import (
    BroadcastCb,
    audience_labels,
    audience_menu,
    broadcast_card,
    broadcasts_list,
    category_menu,
    essential_confirm,
    incident_confirm,
    picker,
    preview_menu,
    report_markup,
    role_labels,
    roles_menu,
    schedule_confirm,
)

NEEDS_BROADCAST = {"permission": Permission.BROADCAST}
PAGE_SIZE = 10
MEDIA = ("text", "photo", "document", "voice", "video", "audio", "animation")
INCIDENT_MAX = 3500


class BroadcastForm(StatesGroup):
    message = State()
    audience = State()
    category = State()
    essential = State()
    preview = State()
    when = State()
    when_confirm = State()


class IncidentForm(StatesGroup):
    text = State()
    confirm = State()


FORM_STATES = {state.state for state in BroadcastForm.__all_states__}


# --- texts ---------------------------------------------------------------------------------


def message_step() -> str:
    return "\n".join(
        [
            _("📣 <b>New broadcast</b>"),
            "",
            _(
                "Step 1/4 — send the message exactly as people should see it: text "
                "(formatting is kept), a photo, a document, a voice note or a video."
            ),
            cancel_hint(),
        ]
    )


def audience_step() -> str:
    return "\n".join(
        [
            _("📣 <b>New broadcast</b>"),
            "",
            _("Step 2/4 — who gets it?"),
            _(
                "A course, a group, debtors and “lesson today” reach the students themselves; "
                "to reach parents choose “By role” → Parents."
            ),
        ]
    )


async def audience_text(session: AsyncSession, audience: Audience) -> str:
    label = audience_labels()[audience.type]
    if audience.type is AudienceType.ROLE and audience.role is not None:
        return f"{label}: {role_labels()[audience.role]}"
    if audience.type is AudienceType.COURSE and audience.id is not None:
        name = await service.audience_name(session, audience.type, audience.id)
        return f"{label}: {escape(name or '—')}"
    if audience.type is AudienceType.GROUP and audience.id is not None:
        name = await service.audience_name(session, audience.type, audience.id)
        return f"{label}: {escape(name or '—')}"
    return label


def category_label(category: str) -> str:
    if category == BroadcastCategory.ESSENTIAL:
        return _("❗ Essential")
    return _("📢 Announcement")


def category_step(audience: str) -> str:
    return "\n".join(
        [
            _("📣 <b>New broadcast</b> · {audience}").format(audience=audience),
            "",
            _("Step 3/4 — what kind of message is it?"),
            _("📢 An announcement reaches only people who allow announcements."),
            _(
                "❗ An essential message reaches everyone with consent, even those who switched "
                "announcements off: only for things like a cancelled lesson."
            ),
        ]
    )


def essential_question() -> str:
    return "\n".join(
        [
            _("❗ <b>Is it really essential?</b>"),
            "",
            _(
                "It will reach people who asked not to get announcements. Use it only for "
                "something they must know: a cancelled or moved lesson, a closure, a safety "
                "notice. News, offers and greetings are announcements."
            ),
        ]
    )


def preview_summary(audience: str, category: str, count: int) -> str:
    lines = [
        _("📣 <b>Step 4/4 — check and send</b>"),
        "",
        _("👥 Audience: {audience}").format(audience=audience),
        _("🏷 Kind: {category}").format(category=category_label(category)),
    ]
    if count:
        lines.append(
            ngettext(
                "📬 <b>{count} person will get this.</b>",
                "📬 <b>{count} people will get this.</b>",
                count,
            ).format(count=count)
        )
        lines.append(_("The message above is exactly what they will see."))
    else:
        lines.append(
            _(
                "⚠️ Nobody in this audience can get it now (no consent, blocked the bot, or "
                "nobody there). Choose another audience."
            )
        )
    return "\n".join(lines)


def when_step(settings: Settings) -> str:
    return "\n".join(
        [
            _("🕘 <b>When should it go?</b>"),
            _(
                "Type the date and time in the centre's time ({zone}), for example "
                "<i>25.12.2026 09:30</i>, or only the time for today, for example <i>18:00</i>."
            ).format(zone=escape(settings.centre.timezone)),
            cancel_hint(),
        ]
    )


def status_label(status: str) -> str:
    return {
        BroadcastStatus.DRAFT: _("📝 Draft"),
        BroadcastStatus.SCHEDULED: _("🕘 Scheduled"),
        BroadcastStatus.SENDING: _("⏳ Sending"),
        BroadcastStatus.DONE: _("✅ Finished"),
        BroadcastStatus.CANCELLED: _("❌ Cancelled"),
    }.get(BroadcastStatus(status), status)


async def card_text(session: AsyncSession, broadcast: Broadcast, settings: Settings) -> str:
    tz = settings.centre.tz
    audience = await audience_text(session, Audience.from_json(broadcast.audience))
    lines = [
        f"<b>{title_text(broadcast)}</b> · {status_label(broadcast.status)}",
        "",
        _("👥 Audience: {audience}").format(audience=audience),
        _("🏷 Kind: {category}").format(category=category_label(broadcast.category)),
        _("🗓 Created: {when}").format(when=format_datetime(broadcast.created_at, tz)),
    ]
    if broadcast.scheduled_at:
        lines.append(
            _("🕘 Scheduled for: {when}").format(when=format_datetime(broadcast.scheduled_at, tz))
        )
    if broadcast.started_at:
        lines.append(_("🚀 Started: {when}").format(when=format_datetime(broadcast.started_at, tz)))
    if broadcast.finished_at:
        lines.append(_("🏁 Ended: {when}").format(when=format_datetime(broadcast.finished_at, tz)))
    if broadcast.status != BroadcastStatus.SCHEDULED:
        lines += ["", *delivery_counts(broadcast)]
        if broadcast.status == BroadcastStatus.SENDING:
            lines.append(_("📬 Left: {left}").format(left=left_of(broadcast)))
    if broadcast.preview_text:
        lines += ["", f"<i>{escape(broadcast.preview_text)}</i>"]
    return "\n".join(lines)


def list_label(broadcast: Broadcast, settings: Settings) -> str:
    icon = {
        BroadcastStatus.SCHEDULED: "🕘",
        BroadcastStatus.SENDING: "⏳",
        BroadcastStatus.DONE: "✅",
        BroadcastStatus.CANCELLED: "❌",
    }.get(BroadcastStatus(broadcast.status), "📝")
    if broadcast.incident:
        icon = "🚨" + icon
    when = broadcast.scheduled_at if broadcast.status == BroadcastStatus.SCHEDULED else None
    when = when or broadcast.started_at or broadcast.created_at
    stamp = format_datetime(when, settings.centre.tz)
    preview = (broadcast.preview_text or _("(media)"))[:24]
    return f"{icon} #{broadcast.id} · {stamp} · {preview}"


# --- the form ------------------------------------------------------------------------------


async def start_broadcast(message: Message, state: FSMContext) -> None:
    await state.clear()
    await state.set_state(BroadcastForm.message)
    await message.answer(message_step())


async def message_received(message: Message, state: FSMContext) -> None:
    if message.content_type not in MEDIA:
        await message.answer(
            _(
                "⚠️ I can broadcast text, a photo, a document, a voice note, a video or audio. "
                "Send one of those."
            )
            + "\n\n"
            + message_step()
        )
        return
    await state.update_data(
        chat=message.chat.id,
        message=message.message_id,
        preview=service.preview_of(message.text or message.caption),
    )
    await state.set_state(BroadcastForm.audience)
    await message.answer(audience_step(), reply_markup=audience_menu())


def known_id(value: int) -> bool:
    return is_row_id(value)


async def audience_pressed(
    callback: CallbackQuery, callback_data: BroadcastCb, state: FSMContext, session: AsyncSession
) -> None:
    if await in_state(state, BroadcastForm.audience) is None:
        await callback.answer(stale_button_text())
        return
    value = callback_data.value
    if value == AudienceType.ROLE:
        await edit_or_send(callback, audience_step(), roles_menu())
    elif value in (AudienceType.COURSE, AudienceType.GROUP):
        await show_picker(callback, session, value, 1)
    elif value in (AudienceType.ALL, AudienceType.DEBTORS, AudienceType.TODAY):
        await choose_audience(callback, state, session, Audience(AudienceType(value)))
    else:
        await callback.answer(stale_button_text())
        return
    await callback.answer()


async def show_picker(callback: CallbackQuery, session: AsyncSession, kind: str, page: int) -> None:
    items, page, pages = await service.audience_page(session, AudienceType(kind), page, PAGE_SIZE)
    if kind == AudienceType.COURSE:
        title = _("📚 Which course? Its students get the message.")
        empty = _("There are no active courses.")
    else:
        title = _("👥 Which group? Its students get the message.")
        empty = _("There are no active groups.")
    text = "\n".join([audience_step(), "", title if items else empty])
    await edit_or_send(callback, text, picker(items, page, pages, kind))


async def picker_paged(
    callback: CallbackQuery, callback_data: BroadcastCb, state: FSMContext, session: AsyncSession
) -> None:
    if await in_state(state, BroadcastForm.audience) is None:
        await callback.answer(stale_button_text())
        return
    kind = AudienceType.COURSE if callback_data.action == "courses" else AudienceType.GROUP
    await show_picker(callback, session, kind, callback_data.page)
    await callback.answer()


async def role_pressed(
    callback: CallbackQuery, callback_data: BroadcastCb, state: FSMContext, session: AsyncSession
) -> None:
    if await in_state(state, BroadcastForm.audience) is None or callback_data.value not in set(
        Role
    ):
        await callback.answer(stale_button_text())
        return
    await choose_audience(
        callback, state, session, Audience(AudienceType.ROLE, role=Role(callback_data.value))
    )
    await callback.answer()


async def item_pressed(
    callback: CallbackQuery, callback_data: BroadcastCb, state: FSMContext, session: AsyncSession
) -> None:
    if await in_state(state, BroadcastForm.audience) is None or not known_id(callback_data.id):
        await callback.answer(stale_button_text())
        return
    kind = AudienceType.COURSE if callback_data.action == "course" else AudienceType.GROUP
    name = await service.audience_name(session, kind, callback_data.id)
    if name is None:
        await callback.answer(stale_button_text())
        return
    await choose_audience(callback, state, session, Audience(kind, id=callback_data.id))
    await callback.answer()


async def choose_audience(
    callback: CallbackQuery, state: FSMContext, session: AsyncSession, audience: Audience
) -> None:
    await state.update_data(audience=audience.as_json())
    await state.set_state(BroadcastForm.category)
    await edit_or_send(
        callback, category_step(await audience_text(session, audience)), category_menu()
    )


async def back_pressed(callback: CallbackQuery, state: FSMContext) -> None:
    steps = (
        BroadcastForm.audience,
        BroadcastForm.category,
        BroadcastForm.essential,
        BroadcastForm.preview,
    )
    if await in_state(state, *steps) is None:
        await callback.answer(stale_button_text())
        return
    await state.set_state(BroadcastForm.audience)
    await edit_or_send(callback, audience_step(), audience_menu())
    await callback.answer()


async def category_pressed(
    callback: CallbackQuery,
    callback_data: BroadcastCb,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
    actor: Actor,
) -> None:
    data = await in_state(state, BroadcastForm.category, BroadcastForm.essential)
    if data is None or callback_data.value not in set(BroadcastCategory):
        await callback.answer(stale_button_text())
        return
    if callback_data.value == BroadcastCategory.ESSENTIAL:
        await state.set_state(BroadcastForm.essential)
        await edit_or_send(callback, essential_question(), essential_confirm())
        await callback.answer()
        return
    await show_preview(callback, state, session, settings, bot, actor, data, "announcement")


async def essential_pressed(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
    actor: Actor,
) -> None:
    data = await in_state(state, BroadcastForm.essential)
    if data is None:
        await callback.answer(stale_button_text())
        return
    await show_preview(callback, state, session, settings, bot, actor, data, "essential")


def draft_of(data: dict[str, Any]) -> Draft:
    return Draft(
        source_chat_id=int(data["chat"]),
        source_message_id=int(data["message"]),
        preview_text=data.get("preview"),
        audience=Audience.from_json(data["audience"]),
        category=BroadcastCategory(data["category"]),
    )


async def show_preview(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
    actor: Actor,
    data: dict[str, Any],
    category: str,
) -> None:
    await state.update_data(category=category)
    await state.set_state(BroadcastForm.preview)
    draft = draft_of({**data, "category": category})
    chosen = await service.audience_recipients(
        session, draft.audience, draft.category, settings, utcnow()
    )
    await edit_or_send(callback, _("👀 <b>Preview</b>: recipients will see this ⬇️"), None)
    await bot.copy_message(actor.telegram_id, draft.source_chat_id, draft.source_message_id)
    audience = await audience_text(session, draft.audience)
    await bot.send_message(
        actor.telegram_id,
        preview_summary(audience, category, len(chosen)),
        reply_markup=preview_menu(len(chosen)),
    )
    await callback.answer()


async def send_pressed(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    bot: Bot,
    actor: Actor,
    sender: Sender,
) -> None:
    data = await in_state(state, BroadcastForm.preview)
    if data is None:
        await callback.answer(stale_button_text())
        return
    await state.clear()
    await start_sending(
        callback, session, session_factory, settings, bot, actor, sender, draft_of(data)
    )


async def start_sending(
    callback: CallbackQuery,
    session: AsyncSession,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    bot: Bot,
    actor: Actor,
    sender: Sender,
    draft: Draft,
    *,
    incident: bool = False,
) -> None:
    progress = await bot.send_message(actor.telegram_id, _("⏳ Preparing the recipients…"))
    broadcast = await service.send_now(
        session,
        actor.user_id,
        draft,
        settings,
        utcnow(),
        progress=(actor.telegram_id, progress.message_id),
        incident=incident,
    )
    await edit_or_send(
        callback,
        _("🚀 {title} is going to {count} people: the progress is below.").format(
            title=title_text(broadcast), count=broadcast.total
        ),
        None,
    )
    launcher_for(sender).launch(
        broadcast.id, bot=bot, session_factory=session_factory, sender=sender, settings=settings
    )
    await callback.answer(_("✅ Sending has started."))


async def schedule_pressed(callback: CallbackQuery, state: FSMContext, settings: Settings) -> None:
    if await in_state(state, BroadcastForm.preview) is None:
        await callback.answer(stale_button_text())
        return
    await state.set_state(BroadcastForm.when)
    await edit_or_send(callback, when_step(settings), None)
    await callback.answer()


def parse_when(text: str | None, settings: Settings, now: datetime) -> datetime:
    parts = (text or "").split()
    tz = settings.centre.tz
    if len(parts) == 1:
        day, moment = now.astimezone(tz).date(), parsing.parse_time(parts[0])
    elif len(parts) == 2:
        day = parsing.parse_date(parts[0])
        moment = parsing.parse_time(parts[1])
    else:
        raise Invalid(parsing.Problem.DATE_FORMAT)
    return datetime.combine(day, moment, tzinfo=tz)


async def when_received(message: Message, state: FSMContext, settings: Settings) -> None:
    now = utcnow()
    try:
        when = parse_when(message.text, settings, now)
    except Invalid as error:
        date_problems = (
            parsing.Problem.DATE_FORMAT,
            parsing.Problem.NO_SUCH_DAY,
            parsing.Problem.NO_SUCH_MONTH,
            parsing.Problem.YEAR_RANGE,
        )
        problem = date_problem(error) if error.problem in date_problems else time_problem(error)
        await message.answer(f"{problem}\n\n{when_step(settings)}")
        return
    if when <= now + timedelta(minutes=1):
        await message.answer(
            _("⚠️ That time has passed: choose a moment in the future.")
            + "\n\n"
            + when_step(settings)
        )
        return
    await state.update_data(when=when.isoformat())
    await state.set_state(BroadcastForm.when_confirm)
    await message.answer(
        _("🕘 Send it on <b>{when}</b> (in {left})?").format(
            when=format_datetime(when, settings.centre.tz),
            left=duration_text((when - now).total_seconds()),
        ),
        reply_markup=schedule_confirm(),
    )


async def when_confirmed(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
) -> None:
    data = await in_state(state, BroadcastForm.when_confirm)
    if data is None:
        await callback.answer(stale_button_text())
        return
    when = datetime.fromisoformat(data["when"])
    if when <= utcnow():
        await state.set_state(BroadcastForm.when)
        await edit_or_send(
            callback,
            _("⚠️ That time has passed: choose a moment in the future.")
            + "\n\n"
            + when_step(settings),
            None,
        )
        await callback.answer()
        return
    await state.clear()
    broadcast = await service.schedule(session, actor.user_id, draft_of(data), when)
    await edit_or_send(
        callback,
        _("🕘 {title} is scheduled for {when}. /broadcasts shows it and can cancel it.").format(
            title=title_text(broadcast), when=format_datetime(when, settings.centre.tz)
        ),
        None,
    )
    await callback.answer(_("✅ Scheduled."))


async def typed_while_choosing(message: Message) -> None:
    await message.answer(_("ℹ️ Use the buttons above, or /cancel to leave without sending."))


async def drop_pressed(callback: CallbackQuery, state: FSMContext) -> None:
    current = await state.get_state()
    if current not in FORM_STATES | {IncidentForm.text.state, IncidentForm.confirm.state}:
        await callback.answer(stale_button_text())
        return
    await state.clear()
    await edit_or_send(callback, _("❌ Cancelled. Nothing was sent."), None)
    await callback.answer()


# --- the list, cards, stop and the report --------------------------------------------------


async def list_view(session: AsyncSession, settings: Settings, number: int) -> tuple[str, Any]:
    rows, number, pages = await service.page(session, number, PAGE_SIZE)
    if not rows:
        return _("📣 <b>Broadcasts</b>\n\nNone yet. Send /broadcast to write the first."), None
    items = [(row.id, list_label(row, settings)) for row in rows]
    text = _("📣 <b>Broadcasts</b> · newest first. Tap one for its report.")
    return text, broadcasts_list(items, number, pages)


async def show_list(message: Message, session: AsyncSession, settings: Settings) -> None:
    text, markup = await list_view(session, settings, 1)
    await message.answer(text, reply_markup=markup)


async def list_pressed(
    callback: CallbackQuery, callback_data: BroadcastCb, session: AsyncSession, settings: Settings
) -> None:
    text, markup = await list_view(session, settings, callback_data.page)
    await edit_or_send(callback, text, markup)
    await callback.answer()


async def render_card(
    callback: CallbackQuery,
    session: AsyncSession,
    settings: Settings,
    broadcast: Broadcast,
    page: int,
) -> None:
    markup = broadcast_card(
        broadcast.id,
        page,
        can_cancel=broadcast.status in (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING),
        has_report=broadcast.status != BroadcastStatus.SCHEDULED and broadcast.total > 0,
    )
    await edit_or_send(callback, await card_text(session, broadcast, settings), markup)


async def card_pressed(
    callback: CallbackQuery, callback_data: BroadcastCb, session: AsyncSession, settings: Settings
) -> None:
    broadcast = await service.get(session, callback_data.id) if known_id(callback_data.id) else None
    if broadcast is None:
        await callback.answer(stale_button_text())
        return
    await render_card(callback, session, settings, broadcast, callback_data.page)
    await callback.answer()


async def cancel_pressed(
    callback: CallbackQuery,
    callback_data: BroadcastCb,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
) -> None:
    if not known_id(callback_data.id):
        await callback.answer(stale_button_text())
        return
    outcome = await service.cancel(session, actor.user_id, callback_data.id, utcnow())
    if outcome is CancelOutcome.MISSING:
        await callback.answer(stale_button_text())
        return
    broadcast = await service.get(session, callback_data.id)
    assert broadcast is not None
    if callback_data.action == "stop":
        await edit_or_send(callback, report_text(broadcast), report_markup(broadcast.id))
    else:
        await render_card(callback, session, settings, broadcast, callback_data.page)
    if outcome is CancelOutcome.CANCELLED:
        await callback.answer(_("❌ Cancelled: nothing more will be sent."))
    else:
        await callback.answer(_("ℹ️ It has already ended."))


async def report_pressed(
    callback: CallbackQuery,
    callback_data: BroadcastCb,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    bot: Bot,
) -> None:
    if not known_id(callback_data.id):
        await callback.answer(stale_button_text())
        return
    data = await service.report(session, actor.user_id, callback_data.id, settings.centre.tz)
    if data is None:
        await callback.answer(stale_button_text())
        return
    name = f"broadcast-{callback_data.id}.xlsx"
    await bot.send_document(
        actor.telegram_id,
        BufferedInputFile(data, name),
        caption=_("📊 Recipients of broadcast #{id} and what happened to each message.").format(
            id=callback_data.id
        ),
    )
    await callback.answer()


# --- incident notices (owners) -------------------------------------------------------------


async def start_incident(message: Message, state: FSMContext) -> None:
    await state.clear()
    await state.set_state(IncidentForm.text)
    await message.answer(
        "\n".join(
            [
                _("🚨 <b>Incident notice</b>"),
                "",
                _(
                    "Type the notice as everyone should read it (text only; formatting is "
                    "kept). It goes at once to every active user with consent, including "
                    "those who switched announcements off."
                ),
                cancel_hint(),
            ]
        )
    )


async def incident_text_received(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    settings: Settings,
) -> None:
    if message.content_type != "text" or not (message.text or "").strip():
        await message.answer(_("⚠️ An incident notice is text only: type it."))
        return
    if len(message.text or "") > INCIDENT_MAX:
        await message.answer(
            _("⚠️ That is too long: {length} characters, and the limit is {maximum}.").format(
                length=len(message.text or ""), maximum=INCIDENT_MAX
            )
        )
        return
    audience = Audience(AudienceType.ALL)
    chosen = await service.audience_recipients(
        session, audience, BroadcastCategory.ESSENTIAL, settings, utcnow()
    )
    await state.update_data(
        chat=message.chat.id,
        message=message.message_id,
        preview=service.preview_of(message.text),
        audience=audience.as_json(),
        category=BroadcastCategory.ESSENTIAL.value,
    )
    await state.set_state(IncidentForm.confirm)
    await message.answer(
        "\n".join(
            [
                ngettext(
                    "🚨 <b>{count} person will get this notice now</b>, exactly as written above.",
                    "🚨 <b>{count} people will get this notice now</b>, exactly as written above.",
                    len(chosen),
                ).format(count=len(chosen)),
                _("It cannot be recalled once sent."),
            ]
        ),
        reply_markup=incident_confirm(len(chosen)),
    )


async def incident_send_pressed(
    callback: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    bot: Bot,
    actor: Actor,
    sender: Sender,
) -> None:
    data = await in_state(state, IncidentForm.confirm)
    if data is None:
        await callback.answer(stale_button_text())
        return
    await state.clear()
    await start_sending(
        callback,
        session,
        session_factory,
        settings,
        bot,
        actor,
        sender,
        draft_of(data),
        incident=True,
    )


def create_router() -> Router:
    router = Router(name="admin.broadcasts")
    message = router.message
    message.register(start_broadcast, Command("broadcast"), flags=NEEDS_BROADCAST)
    message.register(start_broadcast, MenuButton("admin.broadcast"), flags=NEEDS_BROADCAST)
    message.register(show_list, Command("broadcasts"), flags=NEEDS_BROADCAST)
    message.register(start_incident, Command("incident"), flags=OWNER_ONLY)
    message.register(
        message_received, StateFilter(BroadcastForm.message), not_a_command, flags=NEEDS_BROADCAST
    )
    message.register(
        when_received, StateFilter(BroadcastForm.when), not_a_command, flags=NEEDS_BROADCAST
    )
    message.register(
        incident_text_received, StateFilter(IncidentForm.text), not_a_command, flags=OWNER_ONLY
    )
    typed = (BroadcastForm.message, BroadcastForm.when)
    choosing = [state for state in BroadcastForm.__all_states__ if state not in typed]
    message.register(
        typed_while_choosing, StateFilter(*choosing), not_a_command, flags=NEEDS_BROADCAST
    )
    message.register(typed_while_choosing, StateFilter(IncidentForm.confirm), not_a_command)
    callbacks = router.callback_query
    for handler, action in (
        (audience_pressed, "aud"),
        (role_pressed, "role"),
        (picker_paged, "courses"),
        (picker_paged, "groups"),
        (item_pressed, "course"),
        (item_pressed, "group"),
        (back_pressed, "back"),
        (category_pressed, "cat"),
        (essential_pressed, "ess"),
        (send_pressed, "send"),
        (schedule_pressed, "sched"),
        (when_confirmed, "when"),
        (drop_pressed, "drop"),
        (list_pressed, "list"),
        (card_pressed, "card"),
        (cancel_pressed, "cancel"),
        (cancel_pressed, "stop"),
        (report_pressed, "xlsx"),
    ):
        callbacks.register(handler, BroadcastCb.filter(F.action == action), flags=NEEDS_BROADCAST)
    callbacks.register(
        incident_send_pressed, BroadcastCb.filter(F.action == "isend"), flags=OWNER_ONLY
    )
    return router
