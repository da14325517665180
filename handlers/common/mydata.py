"""/mydata: what is stored about me and my children (POLICY 5); its ✏️ buttons are in
handlers/common/corrections.py, /export and its buttons in handlers/common/export.py."""

from html import escape
from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery import Outcome, Recipient, Sender
from bot.formatting import format_date, format_datetime, format_money, format_phone
from bot.i18n import _
from bot.services import audit
from bot.services import mydata as mydata_service
from bot.services.access import Actor
from bot.services.mydata import PersonData
from bot.telegram import edit_or_send, split_message
from bot.wording import stale_button_text
from db.models import Role
from handlers.common.start import role_names
from handlers.registry import Registry
from keyboards.common import LANGUAGE_NAMES
from keyboards.labels import attendance_labels, grade_kind_labels
from keyboards.mydata import MyDataCb, child_card, own_card

TICKET_EXCERPT = 60

on = Registry(MyDataCb)


# --- labels -------------------------------------------------------------------------------


def enrolment_labels() -> dict[str, str]:
    return {"active": _("active"), "frozen": _("frozen"), "left": _("left")}


def method_labels() -> dict[str, str]:
    return {
        "cash": _("cash"),
        "card": _("card"),
        "transfer": _("bank transfer"),
        "click": "Click",
        "payme": "Payme",
        "telegram": "Telegram",
        "other": _("other"),
    }


def topic_labels() -> dict[str, str]:
    return {
        "question": _("question"),
        "complaint": _("complaint"),
        "data_protection": _("personal data"),
        "payment": _("payment"),
    }


def _mark(on: bool) -> str:
    return "✅" if on else "⬜"


# --- the card -------------------------------------------------------------------------------


def _profile_section(data: PersonData) -> str:
    profile = data.profile
    missing = _("not given")
    language = LANGUAGE_NAMES.get(profile.language, profile.language)
    lines = [
        _("👤 <b>Profile</b>"),
        _("Name: {value}").format(value=escape(profile.full_name or missing)),
        _("Phone: {value}").format(
            value=escape(format_phone(profile.phone)) if profile.phone else missing
        ),
        _("Email: {value}").format(value=escape(profile.email or missing)),
        _("Language: {value}").format(value=language),
        _("Birth date: {value}").format(
            value=format_date(profile.birth_date) if profile.birth_date else missing
        ),
    ]
    return "\n".join(lines)


def _roles_section(data: PersonData) -> str:
    names = role_names()
    held = {row.role for row in data.roles}
    roles = [names[role] for role in Role if role.value in held]
    body = ", ".join(roles) if roles else _("No roles yet.")
    return "\n".join([_("🎭 <b>Roles</b>"), body])


def _groups_section(data: PersonData) -> str:
    lines = [_("👥 <b>Groups</b>")]
    statuses = enrolment_labels()
    for row in data.enrolments:
        lines.append(
            _("• {course} — {group}: {status}, since {date}").format(
                course=escape(row.course),
                group=escape(row.group),
                status=statuses.get(row.status, row.status),
                date=format_date(row.joined_on),
            )
        )
    if not data.enrolments:
        lines.append(_("No groups."))
    return "\n".join(lines)


def _attendance_section(data: PersonData) -> str:
    lines = [_("📋 <b>Attendance</b>")]
    counts = data.attendance_counts
    if not sum(counts.values()):
        lines.append(_("No attendance marks."))
    else:
        labels = attendance_labels()
        lines.append(
            " · ".join(f"{label}: {counts.get(status, 0)}" for status, label in labels.items())
        )
    return "\n".join(lines)


def _grades_section(data: PersonData, tz: ZoneInfo) -> str:
    lines = [_("📝 <b>Grades</b> ({count})").format(count=data.grade_count)]
    kinds = grade_kind_labels()
    for grade in data.grades:
        lines.append(
            _("• {date} · {group} · {kind}: {score}/{max}").format(
                date=format_date(grade.created_at.astimezone(tz).date()),
                group=escape(grade.group),
                kind=kinds.get(grade.kind, grade.kind),
                score=grade.score,
                max=grade.max_score,
            )
        )
    if not data.grades:
        lines.append(_("No grades."))
    elif data.grade_count > len(data.grades):
        lines.append(
            _("The latest {shown} of {count}; /export has them all.").format(
                shown=len(data.grades), count=data.grade_count
            )
        )
    return "\n".join(lines)


def _money_section(data: PersonData, tz: ZoneInfo) -> str:
    balance = data.balance or 0
    lines = [_("💰 <b>Payments and balance</b>")]
    if balance < 0:
        lines.append(_("Balance: {amount} (debt)").format(amount=format_money(balance)))
    else:
        lines.append(_("Balance: {amount}").format(amount=format_money(balance)))
    methods = method_labels()
    for payment in data.payments:
        line = _("• {date} · {amount} · {method}").format(
            date=format_date(payment.paid_at.astimezone(tz).date()),
            amount=format_money(payment.amount),
            method=methods.get(payment.method, payment.method),
        )
        if payment.reversed:
            line += " · " + _("↩️ reversed")
        lines.append(line)
    if not data.payments:
        lines.append(_("No payments."))
    elif data.payment_count > len(data.payments):
        lines.append(
            _("The latest {shown} of {count}; /export has them all.").format(
                shown=len(data.payments), count=data.payment_count
            )
        )
    return "\n".join(lines)


def _family_section(data: PersonData) -> str:
    lines = [_("👨‍👩‍👧 <b>Family</b>")]
    nameless = _("No name")
    if data.children:
        names = ", ".join(escape(child.full_name or nameless) for child in data.children)
        lines.append(_("Children: {names}").format(names=names))
    if data.parents:
        names = ", ".join(escape(parent.full_name or nameless) for parent in data.parents)
        lines.append(_("Parents: {names}").format(names=names))
    if not data.children and not data.parents:
        lines.append(_("No linked children or parents."))
    return "\n".join(lines)


def _consent_section(data: PersonData, tz: ZoneInfo) -> str:
    lines = [_("🔐 <b>Consent</b>")]
    current = data.current_consent
    if current is None:
        lines.append(_("No consent in force."))
    else:
        lines.append(
            _("Privacy policy version {version}, since {date}.").format(
                version=escape(current.policy_version),
                date=format_date(current.at.astimezone(tz).date()),
            )
        )
        lines.append(
            _(
                "Reminders {reminders} · announcements {announcements} · statistics {analytics}"
            ).format(
                reminders=_mark(current.reminders),
                announcements=_mark(current.announcements),
                analytics=_mark(current.analytics),
            )
        )
    lines.append(_("Changes recorded: {count}.").format(count=len(data.consents)))
    return "\n".join(lines)


def _activity_section(data: PersonData, tz: ZoneInfo) -> str:
    seen = data.profile.last_seen_at
    value = format_datetime(seen, tz) if seen else _("never")
    return _("🕘 <b>Last activity:</b> {value}").format(value=value)


def _tickets_section(data: PersonData, tz: ZoneInfo) -> str:
    lines = [_("🎫 <b>Open support requests</b>")]
    topics = topic_labels()
    for ticket in data.open_tickets:
        text = " ".join(ticket.text.split())
        if len(text) > TICKET_EXCERPT:
            text = text[: TICKET_EXCERPT - 1] + "…"
        lines.append(
            _("• #{id} · {date} · {topic}: {text}").format(
                id=ticket.id,
                date=format_date(ticket.created_at.astimezone(tz).date()),
                topic=topics.get(ticket.topic, ticket.topic),
                text=escape(text),
            )
        )
    if not data.open_tickets:
        lines.append(_("No open requests."))
    return "\n".join(lines)


def render_card(data: PersonData, tz: ZoneInfo, *, own: bool) -> list[str]:
    """The card in parts that each fit a message (split between sections, never cut)."""
    if own:
        title = _("🗂 <b>My data</b>")
    else:
        title = _("🗂 <b>Data of {name}</b>").format(
            name=escape(data.profile.full_name or _("No name"))
        )
    sections = [
        title,
        _profile_section(data),
        _roles_section(data),
        _groups_section(data),
        _attendance_section(data),
        _grades_section(data, tz),
        _money_section(data, tz),
        _family_section(data),
        _consent_section(data, tz),
        _activity_section(data, tz),
        _tickets_section(data, tz),
    ]
    return split_message("\n\n".join(sections))


async def send_parts(
    bot: Bot,
    sender: Sender,
    actor: Actor,
    chat_id: int,
    parts: list[str],
    markup: InlineKeyboardMarkup,
) -> None:
    """A card longer than one message goes as several: the first at once, as a reply, the
    others through the sender's pace; a 429 is waited out and the part sent again; none
    goes after one that failed."""
    recipient = Recipient(actor.user_id, chat_id, actor.language)
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        send = sender.send_text if index else sender.reply_text
        sent = await send(bot, recipient, part, markup if last else None)
        if sent.outcome is not Outcome.SENT:
            return


async def show_parts(
    callback: CallbackQuery,
    sender: Sender,
    actor: Actor,
    parts: list[str],
    markup: InlineKeyboardMarkup,
) -> None:
    """Edit the pressed message when the card fits in one; otherwise send it anew."""
    if len(parts) == 1:
        await edit_or_send(callback, parts[0], markup)
    else:
        await send_parts(callback.bot, sender, actor, callback.from_user.id, parts, markup)


async def own_card_parts(
    session: AsyncSession, actor: Actor, settings: Settings
) -> tuple[list[str], InlineKeyboardMarkup] | None:
    data = await mydata_service.overview(session, actor.user_id)
    if data is None:
        return None
    parts = render_card(data, settings.centre.tz, own=True)
    return parts, own_card(actor.user_id, data.children)


@on.command("mydata", menu="mydata")
async def show_mydata(
    message: Message,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
    sender: Sender,
) -> None:
    card = await own_card_parts(session, actor, settings)
    if card is None:
        await message.answer(_("ℹ️ Nothing is stored about you."))
        return
    await session.rollback()  # a read: close the transaction before Telegram is called
    await send_parts(bot, sender, actor, message.chat.id, *card)


@on.button("home")
async def back_home(
    callback: CallbackQuery,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    sender: Sender,
) -> None:
    card = await own_card_parts(session, actor, settings)
    if card is None:
        await callback.answer(stale_button_text())
        return
    await session.rollback()
    await show_parts(callback, sender, actor, *card)
    await callback.answer()


async def refuse_forged(
    callback: CallbackQuery, actor: Actor, session: AsyncSession, action: str, subject: int
) -> None:
    await audit.record_denied(
        session, actor_id=actor.user_id, action=action, details={"subject": subject}
    )
    await callback.answer(stale_button_text())


@on.button("child")
async def show_child(
    callback: CallbackQuery,
    callback_data: MyDataCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    sender: Sender,
) -> None:
    child_id = callback_data.user
    if not await mydata_service.may_see(session, actor.user_id, child_id):
        await refuse_forged(callback, actor, session, "data.view", child_id)
        return
    data = await mydata_service.overview(session, child_id)
    assert data is not None  # may_see: a live person
    parts = render_card(data, settings.centre.tz, own=False)
    await session.rollback()
    await show_parts(callback, sender, actor, parts, child_card(child_id))
    await callback.answer()


def create_router() -> Router:
    return on.router("common.mydata")
