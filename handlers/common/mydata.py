"""/mydata: what is stored about me and my children, with corrections (POLICY 5-6);
/export: a copy as JSON and XLSX (POLICY 7)."""

from html import escape
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.filters import Command
from aiogram.fsm.scene import ScenesManager
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.delivery import Outcome, Recipient, Sender
from bot.filters.menu import MenuButton
from bot.formatting import format_date, format_datetime, format_money, format_phone
from bot.forms import Form, FormContext, FormData, Refusal, Retry, Step
from bot.forms.engine import Markup, Visit
from bot.i18n import _
from bot.services import audit
from bot.services import export as export_service
from bot.services import mydata as mydata_service
from bot.services.access import Actor
from bot.services.mydata import PersonData
from bot.services.parsing import Invalid, Problem
from bot.telegram import edit_or_send, split_message
from bot.wording import stale_button_text
from db.base import utcnow
from db.models import Role
from handlers.common.start import role_names
from keyboards.common import LANGUAGE_NAMES, language_picker, main_menu
from keyboards.labels import attendance_labels, grade_kind_labels
from keyboards.mydata import MyDataCb, child_card, export_choice, own_card, share_contact

TICKET_EXCERPT = 60


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


# --- corrections ----------------------------------------------------------------------------


def name_prompt() -> str:
    return _(
        "✏️ Your name as the centre should write it, for example: <i>Gʻulom Oʻktamov</i>.\n"
        "Send /cancel to leave it as it is."
    )


def email_prompt() -> str:
    return _(
        "✉️ Your email address, for example: <i>aziza@example.com</i>.\n"
        "Send /cancel to leave it as it is."
    )


def phone_prompt() -> str:
    return _(
        "📱 Tap «📱 Share my phone number» below: Telegram sends the number of this account.\n"
        "Typed numbers are not accepted. Send /cancel to leave it as it is."
    )


def problem_text(problem: Problem) -> str:
    texts = {
        Problem.DIGITS: _("⚠️ A name has no digits."),
        Problem.CHARACTERS: _("⚠️ Use only letters, spaces, hyphens, apostrophes and dots."),
        Problem.TOO_SHORT: _("⚠️ The name is too short: at least 2 letters."),
        Problem.TOO_LONG: _("⚠️ The name is too long: at most 128 characters."),
        Problem.EMAIL: _("⚠️ This does not look like an email address."),
        Problem.PHONE: _("⚠️ Telegram sent a number that is not a phone number."),
    }
    return texts[problem]


class Correction(FormData):
    field: str = "name"  # a step: name, email or phone
    value: str = ""  # the name or email typed, or the phone of the shared contact


async def read_name(data: Correction, text: str | None, context: FormContext) -> None:
    if not text:
        raise Refusal(_("⚠️ Send the name as text."))
    data.value = text


async def read_email(data: Correction, text: str | None, context: FormContext) -> None:
    data.value = text or ""


async def receive_contact(data: Correction, message: Message, context: FormContext) -> None:
    contact = message.contact
    if contact is None:
        raise Refusal(
            _(
                "⚠️ Typed numbers are not accepted: tap «📱 Share my phone number» below, "
                "and Telegram sends the number of this account."
            )
        )
    if contact.user_id != context.actor.telegram_id:
        raise Refusal(
            _("⚠️ This is someone else's contact. Tap «📱 Share my phone number» to send yours.")
        )
    data.value = contact.phone_number


class ProfileForm(Form[Correction], state="profile_form"):
    """One correction of the person's own data (name, email or phone), saved on the answer."""

    key = "pf"
    data_type = Correction
    confirms = False
    steps = (
        Step("name", lambda data: name_prompt(), read=read_name),
        Step("email", lambda data: email_prompt(), read=read_email),
        Step("phone", lambda data: phone_prompt(), receive=receive_contact),
    )

    def step_text(self, step: Step[Correction], data: Correction) -> str:
        return step.prompt(data)

    async def step_markup(self, step: Step[Correction], visit: Visit[Correction]) -> Markup:
        return share_contact() if step.name == "phone" else None

    async def show(self, context: FormContext, text: str, markup: Markup) -> None:
        """Below the /mydata card, which stays as it is."""
        await context.event.bot.send_message(  # type: ignore[union-attr]
            context.event.from_user.id,  # type: ignore[union-attr]
            text,
            reply_markup=markup,
        )

    async def save(self, data: Correction, context: FormContext) -> Retry | None:
        try:
            change = CORRECTIONS[data.field]
            text = await change(context.session, context.actor.user_id, data.value)
        except Invalid as invalid:
            return Retry(data.field, problem_text(invalid.problem))
        await context.event.answer(  # type: ignore[union-attr]
            text, reply_markup=main_menu(context.actor.effective_roles)
        )
        return None


async def corrected_name(session: AsyncSession, user_id: int, value: str) -> str:
    name = await mydata_service.change_name(session, user_id, value)
    return (
        stale_button_text()
        if name is None
        else _("✅ Name saved: {name}.").format(name=escape(name))
    )


async def corrected_email(session: AsyncSession, user_id: int, value: str) -> str:
    email = await mydata_service.change_email(session, user_id, value)
    return (
        stale_button_text()
        if email is None
        else _("✅ Email saved: {email}.").format(email=escape(email))
    )


async def corrected_phone(session: AsyncSession, user_id: int, value: str) -> str:
    phone = await mydata_service.change_phone(session, user_id, value)
    if phone is None:
        return stale_button_text()
    return _("✅ Phone saved: {phone}.").format(phone=escape(format_phone(phone)))


CORRECTIONS = {"name": corrected_name, "email": corrected_email, "phone": corrected_phone}


async def correct(callback: CallbackQuery, callback_data: MyDataCb, scenes: ScenesManager) -> None:
    field = callback_data.action
    await ProfileForm.open(scenes, Correction(field=field), step=field, single=True)


async def edit_language(callback: CallbackQuery, actor: Actor) -> None:
    # The picker's buttons are handled by /language: ✅, stored, audited, main menu.
    await callback.answer()
    await callback.bot.send_message(
        actor.telegram_id,
        _("🌐 Choose your language:"),
        reply_markup=language_picker(actor.language),
    )


# --- /export --------------------------------------------------------------------------------


def wait_text(seconds: int) -> str:
    return _("⏳ One copy a minute, please. Try again in {seconds} s.").format(seconds=seconds)


async def end_read(session: AsyncSession) -> None:
    """Close the read transaction before talking to Telegram (nothing was written)."""
    await session.rollback()


async def deliver_export(
    bot: Bot, sender: Sender, actor: Actor, session: AsyncSession, subject_id: int
) -> None:
    """Build and send both files (through the sender: paced, a 429 waited out); the caller
    checked the right and the one-a-minute limit."""
    await bot.send_chat_action(actor.telegram_id, ChatAction.UPLOAD_DOCUMENT)
    files = await export_service.export(session, actor.user_id, subject_id, utcnow())
    if files is None:
        await bot.send_message(actor.telegram_id, stale_button_text())
        return
    name = escape(files.full_name or _("No name"))
    recipient = Recipient(actor.user_id, actor.telegram_id, actor.language)
    sent = await sender.send_file(
        bot,
        recipient,
        BufferedInputFile(files.json_bytes, files.json_name),
        caption=_("📦 Data of {name}: every record, as JSON.").format(name=name),
    )
    if sent.outcome is not Outcome.SENT:
        return
    await sender.send_file(
        bot,
        recipient,
        BufferedInputFile(files.xlsx_bytes, files.xlsx_name),
        caption=_("📊 Data of {name}: the same records as tables (XLSX).").format(name=name),
    )


async def export_command(
    message: Message, actor: Actor, session: AsyncSession, bot: Bot, sender: Sender
) -> None:
    children = await mydata_service.children(session, actor.user_id)
    if children:
        await end_read(session)
        await message.answer(
            _("📦 Whose data should I send?"), reply_markup=export_choice(actor.user_id, children)
        )
        return
    wait = await export_service.seconds_to_wait(session, actor.user_id, utcnow())
    await end_read(session)
    if wait:
        await message.answer(wait_text(wait))
        return
    await deliver_export(bot, sender, actor, session, actor.user_id)


async def export_pressed(
    callback: CallbackQuery,
    callback_data: MyDataCb,
    actor: Actor,
    session: AsyncSession,
    bot: Bot,
    sender: Sender,
) -> None:
    subject_id = callback_data.user
    if not await mydata_service.may_see(session, actor.user_id, subject_id):
        await refuse_forged(callback, actor, session, export_service.ACTION, subject_id)
        return
    wait = await export_service.seconds_to_wait(session, actor.user_id, utcnow())
    await end_read(session)
    if wait:
        await callback.answer(wait_text(wait), show_alert=True)
        return
    await callback.answer(_("⏳ Preparing the files…"))
    await deliver_export(bot, sender, actor, session, subject_id)


def create_router() -> Router:
    router = Router(name="common.mydata")
    router.message.register(show_mydata, Command("mydata"))
    router.message.register(show_mydata, MenuButton("mydata"))
    router.message.register(export_command, Command("export"))
    callbacks = router.callback_query
    callbacks.register(back_home, MyDataCb.filter(F.action == "home"))
    callbacks.register(show_child, MyDataCb.filter(F.action == "child"))
    callbacks.register(correct, MyDataCb.filter(F.action.in_(CORRECTIONS)))
    callbacks.register(edit_language, MyDataCb.filter(F.action == "lang"))
    callbacks.register(export_pressed, MyDataCb.filter(F.action == "export"))
    router.include_router(ProfileForm.as_router())
    return router
