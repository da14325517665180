"""The attendance sheet: one message, a button per student, 💾 Save; and the absence notice.

Each tap cycles the student's mark (present → absent → late → excused) and edits the
same message. The marks not saved yet live in FSM data of their own (a storage slot
apart from the forms', so opening, finishing or cancelling a form keeps them), under the
lesson id and the student id as strings (JSON-safe, as Redis stores them). Saving
writes every mark in one transaction, then the absence notices are sent to the absent
students and their parents, once per student and lesson.

The same handlers serve an admin with the `academic` permission for any group (the
admin router includes them with that permission); the service decides who may mark.
"""

from dataclasses import replace
from html import escape
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import Sender
from bot.formatting import format_datetime
from bot.i18n import _
from bot.notices.absence import send_absence_notices
from bot.services import attendance as service
from bot.services.access import Actor
from bot.services.attendance import Sheet, Verdict
from bot.telegram import edit_or_send
from bot.wording import marking_refusal_text, stale_button_text
from db.base import utcnow
from db.models import Permission
from handlers.buttons import show_screen
from keyboards.attendance import FROZEN_ICON, STATUS_ICONS, AttendanceCb, sheet_keyboard
from keyboards.labels import attendance_words

PENDING = "attendance"  # FSM data: {"<lesson id>": {"<student id>": "absent", …}}


def status_labels() -> dict[str, str]:
    return {
        "present": _("present"),
        "absent": _("absent"),
        "late": _("late"),
        "excused": _("excused"),
    }


def pending_key(state: FSMContext):
    """The slot of the unsaved taps (`destiny`): a form's data is its own, and a form
    entered or closed resets it."""
    return replace(state.key, destiny=PENDING)


async def pending_marks(state: FSMContext, lesson_id: int) -> dict[int, str]:
    data = await state.storage.get_data(pending_key(state))
    stored = data.get(PENDING, {}).get(str(lesson_id), {})
    return {int(student_id): status for student_id, status in stored.items()}


async def keep_pending(state: FSMContext, lesson_id: int, marks: dict[int, str] | None) -> None:
    key = pending_key(state)
    data = await state.storage.get_data(key)
    pending = dict(data.get(PENDING, {}))
    if marks is None:
        pending.pop(str(lesson_id), None)
    else:
        pending[str(lesson_id)] = {str(sid): status for sid, status in marks.items()}
    await state.storage.set_data(key, {**data, PENDING: pending})


def counts_line(marks: dict[int, str]) -> str:
    values = list(marks.values())
    return " · ".join(f"{icon} {values.count(status)}" for status, icon in STATUS_ICONS.items())


def sheet_text(sheet: Sheet, marks: dict[int, str], tz: ZoneInfo, *, saved: bool = False) -> str:
    lesson = sheet.lesson
    end = lesson.ends_at.astimezone(tz)
    when = f"{format_datetime(lesson.starts_at, tz)}–{end:%H:%M}"
    lines = [
        _("📋 <b>Attendance</b> · {group} ({course})").format(
            group=escape(lesson.group_name), course=escape(sheet.course)
        ),
        "🗓 " + when + (f" · 🚪 {escape(lesson.room)}" if lesson.room else ""),
    ]
    if not sheet.students:
        lines += ["", _("ℹ️ Nobody is enrolled in this group.")]
        return "\n".join(lines)
    if sheet.verdict is not Verdict.ALLOWED:
        labels = attendance_words()
        lines += [counts_line(sheet.stored), ""]
        for number, student in enumerate(sheet.students, start=1):
            if student.frozen:
                mark = _("{icon} frozen").format(icon=FROZEN_ICON)
            elif student.id in sheet.stored:
                status = sheet.stored[student.id]
                mark = f"{STATUS_ICONS[status]} {labels[status]}"
            else:
                mark = _("— not marked")
            lines.append(f"{number}. {escape(student.name)} · {mark}")
        lines += ["", refusal_text(sheet.verdict, sheet, tz)]
        return "\n".join(lines)
    lines += [
        counts_line(marks),
        "",
        _("Tap a name to change the mark: ✅ present → ❌ absent → ⏰ late → 📝 excused."),
    ]
    if any(student.frozen for student in sheet.students):
        lines.append(_("❄️ Frozen students are shown but not marked."))
    if utcnow() >= sheet.closes_at:
        lines.append(
            _(
                "ℹ️ The day of this lesson is over: you are changing its marks as an "
                "administrator, and the change is recorded in the audit log."
            )
        )
    if saved or not sheet.unsaved(marks):
        lines.append(_("✅ Saved."))
    else:
        lines.append(_("⚠️ Not saved yet — tap 💾 Save."))
    return "\n".join(lines)


def refusal_text(verdict: Verdict, sheet: Sheet | None, tz: ZoneInfo) -> str:
    return marking_refusal_text(verdict, sheet.opens_at if sheet else None, tz)


def render(sheet: Sheet, marks: dict[int, str], tz: ZoneInfo, *, saved: bool = False):
    markable = sheet.verdict is Verdict.ALLOWED
    return sheet_text(sheet, marks, tz, saved=saved), sheet_keyboard(
        sheet, marks, markable=markable
    )


async def refuse_foreign(
    callback: CallbackQuery, actor: Actor, session: AsyncSession, lesson_id: int, step: str
) -> None:
    """A lesson the actor may not see: a forged or stale button. Audited, nothing shown."""
    await service.deny(session, actor, lesson_id, Verdict.FOREIGN.value, step=step)
    await callback.answer(stale_button_text())


async def visible_sheet(
    callback: CallbackQuery,
    callback_data: AttendanceCb,
    actor: Actor,
    session: AsyncSession,
    tz: ZoneInfo,
    step: str,
) -> Sheet | None:
    """The button's lesson's sheet, or None once a foreign lesson is refused."""
    sheet = await service.sheet(session, actor, callback_data.lesson, utcnow(), tz)
    if sheet is None:
        await refuse_foreign(callback, actor, session, callback_data.lesson, step)
    return sheet


async def open_sheet(
    callback: CallbackQuery,
    callback_data: AttendanceCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    tz = settings.centre.tz
    sheet = await visible_sheet(callback, callback_data, actor, session, tz, "open")
    if sheet is None:
        return
    pending = await pending_marks(state, sheet.lesson.id)
    text, markup = render(sheet, sheet.marks(pending), tz)
    await show_screen(callback, text, markup)


async def tap(
    callback: CallbackQuery,
    callback_data: AttendanceCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
) -> None:
    tz = settings.centre.tz
    sheet = await visible_sheet(callback, callback_data, actor, session, tz, "tap")
    if sheet is None:
        return
    if sheet.verdict is not Verdict.ALLOWED:
        await callback.answer(refusal_text(sheet.verdict, sheet, tz), show_alert=True)
        return
    student = next((s for s in sheet.students if s.id == callback_data.student), None)
    if student is None:
        await callback.answer(stale_button_text())
        return
    if student.frozen:
        await callback.answer(_("❄️ {name} is frozen and is not marked.").format(name=student.name))
        return
    marks = sheet.marks(await pending_marks(state, sheet.lesson.id))
    marks[student.id] = service.next_status(marks[student.id]).value
    await keep_pending(state, sheet.lesson.id, marks)
    text, markup = render(sheet, marks, tz)
    await show_screen(callback, text, markup)


async def save(
    callback: CallbackQuery,
    callback_data: AttendanceCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    state: FSMContext,
    bot: Bot,
    sender: Sender,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    tz = settings.centre.tz
    lesson_id = callback_data.lesson
    result = await service.save(
        session,
        actor,
        lesson_id,
        await pending_marks(state, lesson_id),
        now=utcnow(),
        tz=tz,
        policy_version=settings.centre.policy_version,
    )
    if result.verdict is Verdict.FOREIGN:
        await refuse_foreign(callback, actor, session, lesson_id, "save")
        return
    if result.verdict is not Verdict.ALLOWED or result.sheet is None:
        if result.verdict is Verdict.TOO_LATE:
            await service.deny(session, actor, lesson_id, Verdict.TOO_LATE.value, step="save")
        sheet = await service.sheet(session, actor, lesson_id, utcnow(), tz)
        if sheet is not None:
            await edit_or_send(callback, *render(sheet, sheet.stored, tz))
        await callback.answer(refusal_text(result.verdict, sheet, tz), show_alert=True)
        return
    await keep_pending(state, lesson_id, None)
    marks = result.sheet.marks()
    await edit_or_send(callback, *render(result.sheet, marks, tz, saved=True))
    labels, counts = attendance_words(), result.counts
    await callback.answer(
        _("✅ Saved: {summary}.").format(
            summary=", ".join(f"{counts[status]} {labels[status]}" for status in labels)
        )
    )
    sender.in_background(send_absence_notices(bot, sender, session_factory, result.notices, tz))


def create_router(permission: Permission | None = None) -> Router:
    """The sheet's handlers; with `permission`, for the admin router (any group)."""
    router = Router(name="admin.attendance" if permission else "teacher.attendance")
    flags = {"permission": permission} if permission else {}
    callbacks = router.callback_query
    callbacks.register(open_sheet, AttendanceCb.filter(F.action == "open"), flags=flags)
    callbacks.register(tap, AttendanceCb.filter(F.action == "tap"), flags=flags)
    callbacks.register(save, AttendanceCb.filter(F.action == "save"), flags=flags)
    return router
