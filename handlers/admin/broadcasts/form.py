"""📣 /broadcast (permission `broadcast`): the broadcast form.

The message as recipients should see it (text, a photo, a document…) → the audience and the
kind (an essential message asks once more) → a preview with the number of recipients →
✅ Send now, or 🕘 Schedule: a time, then ✅ Confirm the time. Nothing is stored before one
of those two. Sending runs in the background (`bot.notices.broadcast`).

On the form engine: the audience step is one question with several screens (the audiences,
the roles, a page of courses or groups, the kind, the essential check), kept in the form's
data (`view`); ⬅ Back there is a screen of the same step. The preview is the summary:
✏️ Change the audience and 🕘 Schedule open one step and come back to it.
"""

from datetime import datetime, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.scene import ScenesManager
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from pydantic import Field

from bot.config import Settings
from bot.filters.access import BROADCAST
from bot.filters.menu import MenuButton
from bot.formatting import format_datetime
from bot.forms import Advance, Form, FormContext, FormData, OutOfDate, Refusal, Retry, Step
from bot.i18n import _, ngettext
from bot.notices.broadcast import duration_text, title_text
from bot.services import broadcasts as service
from bot.services import parsing
from bot.services.broadcasts import Audience, Draft
from bot.services.parsing import Invalid
from bot.telegram import edit_or_send
from bot.wording import cancel_hint, date_problem, time_problem
from db.base import utcnow
from db.ids import is_row_id
from db.models import AudienceType, BroadcastCategory, Role
from handlers.admin.broadcasts.shared import (
    PAGE_SIZE,
    audience_text,
    buttons_hint,
    category_label,
    nothing_sent_text,
    start_sending,
)
from keyboards.broadcasts import (
    audience_rows,
    category_rows,
    essential_rows,
    picker_rows,
    preview_menu,
    role_rows,
)
from keyboards.forms import Rows, summary_keyboard

MEDIA = ("text", "photo", "document", "voice", "video", "audio", "animation")
AUDIENCE, WHEN = "audience", "when"
# the screens of the audience step
MENU, ROLES, COURSES, GROUPS, KIND, ESSENTIAL = "", "role", "course", "group", "kind", "essential"


class BroadcastData(FormData):
    chat: int = 0  # the message to copy: its chat and id
    message: int = 0
    preview: str | None = None
    audience: dict[str, Any] = Field(default_factory=dict)  # Audience.as_json()
    audience_label: str = ""  # as the screens show it, e.g. "👥 A group's students: B1"
    category: str = ""
    view: str = MENU  # the audience step's screen
    page: int = 1  # of courses or groups
    pages: int = 1
    items: list[tuple[int, str]] = Field(default_factory=list)  # that page's courses or groups
    count: int = 0  # the recipients at the preview
    when: str | None = None  # the moment to confirm (ISO), once 🕘 Schedule got one
    zone: str = ""  # the centre's time zone

    def draft(self) -> Draft:
        return Draft(
            source_chat_id=self.chat,
            source_message_id=self.message,
            preview_text=self.preview,
            audience=Audience.from_json(self.audience),
            category=BroadcastCategory(self.category),
        )


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


def when_step(zone: str) -> str:
    return "\n".join(
        [
            _("🕘 <b>When should it go?</b>"),
            _(
                "Type the date and time in the centre's time ({zone}), for example "
                "<i>25.12.2026 09:30</i>, or only the time for today, for example <i>18:00</i>."
            ).format(zone=escape(zone)),
            cancel_hint(),
        ]
    )


def time_passed_text() -> str:
    return _("⚠️ That time has passed: choose a moment in the future.")


# --- step 1: the message -------------------------------------------------------------------


async def receive_message(data: BroadcastData, message: Message, context: FormContext) -> None:
    if message.content_type not in MEDIA:
        raise Refusal(
            _(
                "⚠️ I can broadcast text, a photo, a document, a voice note, a video or audio. "
                "Send one of those."
            )
        )
    data.chat, data.message = message.chat.id, message.message_id
    data.preview = service.preview_of(message.text or message.caption)


# --- step 2: the audience and the kind -----------------------------------------------------


def audience_prompt(data: BroadcastData) -> str:
    if data.view == KIND:
        return category_step(data.audience_label)
    if data.view == ESSENTIAL:
        return essential_question()
    if data.view in (COURSES, GROUPS):
        if not data.items:
            title = (
                _("There are no active courses.")
                if data.view == COURSES
                else _("There are no active groups.")
            )
        elif data.view == COURSES:
            title = _("📚 Which course? Its students get the message.")
        else:
            title = _("👥 Which group? Its students get the message.")
        return "\n".join([audience_step(), "", title])
    return audience_step()


def audience_buttons(data: BroadcastData, form: str) -> Rows:
    if data.view == ROLES:
        return role_rows(form, AUDIENCE)
    if data.view in (COURSES, GROUPS):
        return picker_rows(form, AUDIENCE, data.view, data.items, data.page, data.pages)
    if data.view == KIND:
        return category_rows(form, AUDIENCE)
    if data.view == ESSENTIAL:
        return essential_rows(form, AUDIENCE)
    return audience_rows(form, AUDIENCE)


async def show_page(data: BroadcastData, context: FormContext, kind: str, page: int) -> None:
    items, data.page, data.pages = await service.audience_page(
        context.session, AudienceType(kind), page, PAGE_SIZE
    )
    data.view, data.items = kind, items


async def pick_audience(data: BroadcastData, value: str, context: FormContext) -> Advance:
    """A button of the audience step's screen that is showing; any other is out of date."""
    kind, _dot, rest = value.partition(".")
    if value == "back" and data.view != ESSENTIAL:
        data.view, data.items = MENU, []
        return Advance.STAY
    if data.view == MENU:
        if value == AudienceType.ROLE:
            data.view = ROLES
            return Advance.STAY
        if value in (AudienceType.COURSE, AudienceType.GROUP):
            await show_page(data, context, value, 1)
            return Advance.STAY
        if value in (AudienceType.ALL, AudienceType.DEBTORS, AudienceType.TODAY):
            return await choose(data, context, Audience(AudienceType(value)))
    elif data.view == ROLES and kind == "role" and rest in set(Role):
        return await choose(data, context, Audience(AudienceType.ROLE, role=Role(rest)))
    elif data.view in (COURSES, GROUPS) and kind == "page" and rest.isdigit():
        await show_page(data, context, data.view, int(rest))
        return Advance.STAY
    elif data.view in (COURSES, GROUPS) and kind == data.view and rest.isdigit():
        item_id = int(rest)
        audience = Audience(AudienceType(kind), id=item_id)
        if is_row_id(item_id) and await service.audience_name(
            context.session, audience.type, item_id
        ):
            return await choose(data, context, audience)
    elif data.view == KIND and value == BroadcastCategory.ESSENTIAL:
        data.view = ESSENTIAL  # asks once more
        return Advance.STAY
    elif data.view in (KIND, ESSENTIAL) and value == BroadcastCategory.ANNOUNCEMENT:
        return await preview(data, context, BroadcastCategory.ANNOUNCEMENT)
    elif data.view == ESSENTIAL and value == "sure":
        return await preview(data, context, BroadcastCategory.ESSENTIAL)
    raise OutOfDate


async def choose(data: BroadcastData, context: FormContext, audience: Audience) -> Advance:
    data.audience = audience.as_json()
    data.audience_label = await audience_text(context.session, audience)
    data.view, data.items = KIND, []
    return Advance.STAY


async def preview(data: BroadcastData, context: FormContext, category: str) -> Advance:
    """The message copied back to its author, then the summary in a new message under it."""
    data.category, data.view, data.when = category, MENU, None
    draft = data.draft()
    chosen = await service.audience_recipients(
        context.session, draft.audience, draft.category, context.settings, utcnow()
    )
    data.count = len(chosen)
    callback: CallbackQuery = context.event  # type: ignore[assignment]
    await edit_or_send(callback, _("👀 <b>Preview</b>: recipients will see this ⬇️"), None)
    actor = context.actor
    await context.bot.copy_message(actor.telegram_id, draft.source_chat_id, draft.source_message_id)
    if isinstance(callback.message, Message):
        # the form answers a message with a new one: the summary goes under the copy
        context.event = callback.message
    return Advance.NEXT


# --- 🕘 Schedule: the time -----------------------------------------------------------------


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


def when_problem(error: Invalid, typed: str | None) -> str:
    date_problems = (
        parsing.Problem.DATE_FORMAT,
        parsing.Problem.NO_SUCH_DAY,
        parsing.Problem.NO_SUCH_MONTH,
        parsing.Problem.YEAR_RANGE,
    )
    return date_problem(error) if error.problem in date_problems else time_problem(error)


async def read_when(data: BroadcastData, text: str | None, context: FormContext) -> None:
    now = utcnow()
    when = parse_when(text, context.settings, now)
    if when <= now + timedelta(minutes=1):
        raise Refusal(time_passed_text())
    data.when = when.isoformat()


# --- the form ------------------------------------------------------------------------------


class BroadcastForm(Form[BroadcastData], state="broadcast_form"):
    """The message, the audience and kind, then the preview (the summary): send now, or
    schedule (the time, then its own confirmation as the summary)."""

    key = "bc"
    data_type = BroadcastData
    flags = BROADCAST
    steps = (
        Step("message", lambda data: message_step(), receive=receive_message),
        # only from the preview's 🕘 Schedule (the kind is chosen by then): one step, back
        Step(
            WHEN,
            lambda data: when_step(data.zone),
            read=read_when,
            problem=when_problem,
            label=lambda: _("🕘 Schedule"),
            when=lambda data: bool(data.category),
        ),
        Step(
            AUDIENCE,
            audience_prompt,
            pick=pick_audience,
            buttons=audience_buttons,
            label=lambda: _("✏️ Change the audience"),
            typed_hint=buttons_hint,
        ),
    )

    def step_text(self, step: Step[BroadcastData], data: BroadcastData) -> str:
        return step.question(data)

    def summary_text(self, data: BroadcastData) -> str:
        if data.when is None:
            return preview_summary(data.audience_label, data.category, data.count)
        when = datetime.fromisoformat(data.when)
        return _("🕘 Send it on <b>{when}</b> (in {left})?").format(
            when=format_datetime(when, ZoneInfo(data.zone)),
            left=duration_text((when - utcnow()).total_seconds()),
        )

    def summary_markup(self, data: BroadcastData) -> InlineKeyboardMarkup:
        if data.when is None:
            return preview_menu(self.key, data.count, WHEN, AUDIENCE)
        return summary_keyboard(self.key, _("✅ Confirm the time"), editable=False)

    def while_confirming_text(self) -> str:
        return buttons_hint()

    def cancelled_text(self) -> str:
        return nothing_sent_text()

    async def save(self, data: BroadcastData, context: FormContext) -> Retry | None:
        if data.when is None:
            await start_sending(context, data.draft())
            return None
        when = datetime.fromisoformat(data.when)
        if when <= utcnow():
            return Retry(WHEN, time_passed_text())
        broadcast = await service.schedule(
            context.session, context.actor.user_id, data.draft(), when
        )
        callback: CallbackQuery = context.event  # type: ignore[assignment]
        await edit_or_send(
            callback,
            _("🕘 {title} is scheduled for {when}. /broadcasts shows it and can cancel it.").format(
                title=title_text(broadcast), when=format_datetime(when, ZoneInfo(data.zone))
            ),
            None,
        )
        context.toast = _("✅ Scheduled.")
        return None


async def start_broadcast(message: Message, scenes: ScenesManager, settings: Settings) -> None:
    await BroadcastForm.open(scenes, BroadcastData(zone=settings.centre.timezone))


def create_router() -> Router:
    router = Router(name="admin.broadcasts.form")
    router.message.register(start_broadcast, Command("broadcast"), flags=BROADCAST)
    router.message.register(start_broadcast, MenuButton("admin.broadcast"), flags=BROADCAST)
    router.include_router(BroadcastForm.as_router())
    return router
