"""👥 Pay schemes (permission `payroll`): the teachers, a teacher's scheme history (general
and per group, which applies today), and the form that sets a new one from a day on: for
all the teacher's groups or one group, the start day, the fixed monthly amount, the amount
per lesson held, per student present, and the percent of the money collected (any of them
may be 0: a combination is just several above 0).

A typed value out of bounds (a percent outside 0–100, a negative or absurd amount, a start
before the teacher's last approved month is over) is refused with its reason, the step is
asked again, and the refusal is audited. Nothing is written before ✅."""

from datetime import date
from html import escape

from aiogram.fsm.scene import ScenesManager
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters.access import PAYROLL
from bot.formatting import format_date, format_money
from bot.forms import Form, FormContext, FormData, OutOfDate, Refusal, Step
from bot.i18n import _
from bot.services.access import Actor
from bot.services.parsing import MONEY_MAX, Invalid, Problem, parse_date, parse_money, parse_whole
from bot.services.payroll import schemes as service
from bot.services.payroll.compute import add_months
from bot.services.payroll.schemes import SchemeDraft, SchemeOutcome
from bot.telegram import edit_or_send
from bot.wording import date_problem, money_problem, number_problem
from db.base import utcnow
from db.models import Role
from db.repositories import academic as academic_repo
from db.repositories import payroll as repo
from handlers.buttons import show_screen
from handlers.payroll_texts import month_name
from handlers.registry import Registry
from keyboards.forms import pick_button
from keyboards.payments.desk import cancel_row
from keyboards.payroll import PayrollCb, teacher_schemes, teachers_list

on = Registry(PayrollCb, flags=PAYROLL)
GENERAL = "g"
PAGE_SIZE = 10


def today(settings: Settings) -> date:
    return utcnow().astimezone(settings.centre.tz).date()


# --- the teachers and their schemes -----------------------------------------------------------


def scheme_parts(fixed: int, per_lesson: int, per_student: int, percent: int) -> str:
    parts = []
    if fixed:
        parts.append(_("{amount} a month").format(amount=format_money(fixed)))
    if per_lesson:
        parts.append(_("{amount} a lesson").format(amount=format_money(per_lesson)))
    if per_student:
        parts.append(_("{amount} a student present").format(amount=format_money(per_student)))
    if percent:
        parts.append(_("the money collected × {percent}%").format(percent=percent))
    return " + ".join(parts) if parts else _("nothing (pay stops)")


@on.button("teachers")
async def teachers_pressed(
    callback: CallbackQuery, callback_data: PayrollCb, session: AsyncSession, settings: Settings
) -> None:
    rows = list(await repo.teachers(session))
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(callback_data.page, 1), pages)
    chosen = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    text = (
        _("👥 <b>Pay schemes</b>: choose a teacher.")
        if rows
        else _(
            "👥 <b>Pay schemes</b>: there are no teachers yet. Make someone a teacher in /people."
        )
    )
    back = add_months(today(settings).replace(day=1), -1)
    markup = teachers_list([(r.id, r.full_name or "—") for r in chosen], page, pages, back)
    await show_screen(callback, text, markup)


async def teacher_screen(
    session: AsyncSession, settings: Settings, teacher_id: int, name: str | None
) -> tuple[str, InlineKeyboardMarkup]:
    lines = [_("👥 <b>Pay schemes</b> of {name}").format(name=escape(name or "—")), ""]
    history = await service.history(session, teacher_id, today(settings))
    if not history:
        lines.append(_("No scheme yet: this teacher is not paid by the bot's payroll."))
    for item in history:
        s = item.scheme
        where = escape(item.group_name) if s.group_id else _("all groups")
        mark = "▶️" if item.in_force else ("⏳" if s.valid_from > today(settings) else "▫️")
        lines.append(
            _("{mark} from {day}, {where}: {parts}").format(
                mark=mark,
                day=format_date(s.valid_from),
                where=where,
                parts=scheme_parts(s.fixed_monthly, s.per_lesson, s.per_student, s.percent),
            )
        )
    earliest = await service.earliest_start(session, teacher_id)
    if earliest is not None:
        lines += [
            "",
            _("Approved up to {month}: a new scheme starts {day} or later.").format(
                month=month_name(add_months(earliest, -1)), day=format_date(earliest)
            ),
        ]
    lines += ["", _("▶️ applies today · ⏳ from a later day · ▫️ replaced")]
    return "\n".join(lines), teacher_schemes(teacher_id)


@on.button("teacher")
async def teacher_pressed(
    callback: CallbackQuery,
    callback_data: PayrollCb,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
) -> None:
    teacher = await academic_repo.holds_role(session, callback_data.id, Role.TEACHER)
    if teacher is None:
        await callback.answer(left_text(), show_alert=True)
        return
    await show_screen(
        callback, *await teacher_screen(session, settings, teacher.id, teacher.full_name)
    )


def left_text() -> str:
    return _(
        "⚠️ This person is not a teacher here (any more): they get no pay scheme. Nothing was saved."
    )


# --- the form --------------------------------------------------------------------------------


class SchemeData(FormData):
    teacher_id: int = 0
    teacher_name: str = ""
    group_id: int | None = None
    group_name: str = ""
    target_set: bool = False
    valid_from: date | None = None
    fixed_monthly: int = 0
    per_lesson: int = 0
    per_student: int = 0
    percent: int = 0


def draft_of(data: SchemeData) -> SchemeDraft:
    return SchemeDraft(
        teacher_id=data.teacher_id,
        group_id=data.group_id,
        valid_from=data.valid_from or date.min,
        fixed_monthly=data.fixed_monthly,
        per_lesson=data.per_lesson,
        per_student=data.per_student,
        percent=data.percent,
    )


async def refused(context: FormContext, data: SchemeData, reason: str, typed: str | None) -> None:
    await service.refuse(
        context.session,
        context.actor.user_id,
        reason,
        {"teacher_id": data.teacher_id, "typed": (typed or "")[:40]},
    )


async def target_choices(data: SchemeData, form: str, context: FormContext):
    groups = await repo.groups_of_teacher(context.session, data.teacher_id)
    rows = [[pick_button(_("All the teacher's groups"), form, "target", GENERAL)]]
    rows += [
        [pick_button(_("Only {group}").format(group=g.name), form, "target", str(g.id))]
        for g in groups
    ]
    return [*rows, cancel_row(form)]


async def pick_target(data: SchemeData, value: str, context: FormContext) -> None:
    if value == GENERAL:
        data.group_id, data.group_name = None, ""
    else:
        groups = {
            str(g.id): g.name
            for g in await repo.groups_of_teacher(context.session, data.teacher_id)
        }
        if value not in groups:
            raise OutOfDate
        data.group_id, data.group_name = int(value), groups[value]
    data.target_set = True


async def read_start(data: SchemeData, text: str | None, context: FormContext) -> None:
    try:
        day = parse_date(text)
    except Invalid:
        await refused(context, data, "bad_date", text)
        raise
    earliest = await service.earliest_start(context.session, data.teacher_id)
    if earliest is not None and day < earliest:
        await refused(context, data, SchemeOutcome.BEFORE_APPROVED.value, text)
        raise Refusal(before_approved_text(earliest))
    if (day - today(context.settings)).days > service.LATEST_START_DAYS:
        await refused(context, data, SchemeOutcome.TOO_FAR.value, text)
        raise Refusal(_("⚠️ That is more than a year ahead. Type a nearer day."))
    data.valid_from = day


def before_approved_text(earliest: date) -> str:
    return _(
        "⚠️ The pay up to {month} is already approved: a scheme cannot change it. "
        "Start it on {day} or later (or add a bonus or a deduction to a draft)."
    ).format(month=month_name(add_months(earliest, -1)), day=format_date(earliest))


def amount_reader(field: str):
    async def read(data: SchemeData, text: str | None, context: FormContext) -> None:
        try:
            setattr(data, field, parse_money(text, maximum=MONEY_MAX))
        except Invalid:
            await refused(context, data, f"bad_{field}", text)
            raise

    return read


async def read_percent(data: SchemeData, text: str | None, context: FormContext) -> None:
    try:
        data.percent = parse_whole(text, 0, 100)
    except Invalid:
        await refused(context, data, "bad_percent", text)
        raise


def pay_problem(error: Invalid, typed: str | None) -> str:
    if error.problem is Problem.NEGATIVE:
        return _("⚠️ Pay cannot be negative. Type 0 when this part is not paid.")
    return money_problem(error, typed)


def percent_problem(error: Invalid, typed: str | None) -> str:
    if error.problem in (Problem.TOO_LARGE, Problem.NEGATIVE, Problem.TOO_SMALL):
        return _("⚠️ A percentage is from 0 to 100.")
    return number_problem(error, typed)


def zero_row(form: str, step: str) -> list:
    return [pick_button(_("0 — not paid this way"), form, step, "0")]


def zero_picker(field: str):
    async def pick(data: SchemeData, value: str, context: FormContext) -> None:
        if value != "0":
            raise OutOfDate
        setattr(data, field, 0)

    return pick


def cancel_buttons(data: SchemeData, form: str):
    return [cancel_row(form)]


def money_step(name: str, prompt) -> Step:
    return Step(
        name,
        prompt,
        read=amount_reader(name),
        pick=zero_picker(name),
        buttons=lambda data, form: [zero_row(form, name), cancel_row(form)],
        problem=pay_problem,
        example=lambda: _("For example: <i>3 000 000</i>, or 0."),
        label=None,
    )


class SchemeForm(Form[SchemeData], state="pay_scheme_form"):
    key = "psc"
    data_type = SchemeData
    flags = PAYROLL
    edit_from = "target"
    steps = (
        Step(
            "target",
            lambda data: _("Step 1/6 — for which groups?"),
            pick=pick_target,
            choices=target_choices,
        ),
        Step(
            "start",
            lambda data: _("Step 2/6 — from which day? Type it as DD.MM.YYYY."),
            read=read_start,
            buttons=cancel_buttons,
            problem=date_problem,
            example=lambda: _("For example: <i>01.12.2026</i>"),
        ),
        money_step("fixed_monthly", lambda data: _("Step 3/6 — a fixed amount a month, in soʻm.")),
        money_step("per_lesson", lambda data: _("Step 4/6 — an amount per lesson held, in soʻm.")),
        money_step(
            "per_student",
            lambda data: _(
                "Step 5/6 — an amount per student present (or late) at a lesson, in soʻm."
            ),
        ),
        Step(
            "percent",
            lambda data: _(
                "Step 6/6 — a percentage of the money the group's students paid in the month "
                "(0–100)."
            ),
            read=read_percent,
            pick=zero_picker("percent"),
            buttons=lambda data, form: [zero_row(form, "percent"), cancel_row(form)],
            problem=percent_problem,
            example=lambda: _("For example: <i>40</i>, or 0."),
        ),
    )

    def title(self, data: SchemeData) -> str:
        return _("👥 <b>New pay scheme</b> of {name}").format(name=escape(data.teacher_name))

    def summary_text(self, data: SchemeData) -> str:
        where = escape(data.group_name) if data.group_id else _("all the teacher's groups")
        return "\n".join(
            [
                _("👥 <b>Check the pay scheme</b> of {name}").format(
                    name=escape(data.teacher_name)
                ),
                "",
                _("For: {where}").format(where=where),
                _("From: {day}").format(
                    day=format_date(data.valid_from) if data.valid_from else "—"
                ),
                _("Pay: {parts}").format(
                    parts=scheme_parts(
                        data.fixed_monthly, data.per_lesson, data.per_student, data.percent
                    )
                ),
                "",
                _("It applies from that day on; the schemes before it stay in the history."),
            ]
        )

    async def save(self, data: SchemeData, context: FormContext):
        await context.state.clear()
        result = await service.set_scheme(
            context.session,
            context.actor.user_id,
            draft_of(data),
            today=today(context.settings),
            now=utcnow(),
        )
        if result.outcome is not SchemeOutcome.DONE:
            text = {
                SchemeOutcome.NOT_A_TEACHER: left_text(),
                SchemeOutcome.NOT_THEIR_GROUP: _(
                    "⚠️ That group is no longer this teacher's. Nothing was saved."
                ),
                SchemeOutcome.BEFORE_APPROVED: before_approved_text(result.earliest or date.min),
            }.get(result.outcome, _("⚠️ These figures cannot be saved. Nothing was saved."))
            await edit_or_send(context.event, text, None)  # type: ignore[arg-type]
            return None
        context.toast = _("✅ Saved.")
        text, markup = await teacher_screen(
            context.session, context.settings, data.teacher_id, data.teacher_name
        )
        await edit_or_send(context.event, _("✅ The pay scheme is saved.") + "\n\n" + text, markup)  # type: ignore[arg-type]
        return None


@on.button("scheme")
async def scheme_pressed(
    callback: CallbackQuery,
    callback_data: PayrollCb,
    session: AsyncSession,
    actor: Actor,
    scenes: ScenesManager,
) -> None:
    teacher = await academic_repo.holds_role(session, callback_data.id, Role.TEACHER)
    if teacher is None:
        await service.refuse(
            session,
            actor.user_id,
            SchemeOutcome.NOT_A_TEACHER.value,
            {"teacher_id": callback_data.id},
        )
        await callback.answer(left_text(), show_alert=True)
        return
    data = SchemeData(teacher_id=teacher.id, teacher_name=teacher.full_name or "—")
    await SchemeForm.open(scenes, data, below=True)
