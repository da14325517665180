"""The teacher's screens: today's lessons, and a lesson's attendance sheet as a grid.

The chat's rules, through the chat's service (bot.services.attendance): a teacher sees
and marks only their own groups, an admin with the `academic` permission any group's
(the admin screens open the sheet too); marking opens 15 minutes before the lesson and
closes at the end of its local day (then only such an admin may change marks). Saving is
`attendance.save` — one transaction, the same audit entries, the absence notices claimed
once per student and lesson — and the claimed notices go out after the commit, in the
background, as the chat sends them (bot.notices.absence).

A lesson the actor may not see is refused (403, a `denied` audit entry as in chat) and
nothing changes; a body that is not a sheet's marks is 400 and nothing changes.
"""

from collections.abc import Mapping
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.formatting import format_date, format_datetime
from bot.i18n import _
from bot.notices.absence import send_absence_notices
from bot.services import attendance as service
from bot.services.access import Actor
from bot.services.attendance import LessonRef, Sheet, Verdict
from bot.webapp.routes import (
    Json,
    Screen,
    actor_of,
    context_of,
    deny,
    error,
    int_param,
    json_body,
    now_of,
    ok,
    session_of,
)
from bot.wording import lesson_status_labels, marking_refusal_text
from db.models import AttendanceStatus, Role
from keyboards.attendance import FROZEN_ICON, STATUS_ICONS
from keyboards.labels import attendance_words

routes = web.RouteTableDef()
MARKS_LIMIT = 8 * 1024  # bytes: a sheet's marks (95 students at most) fit in far less


def teaches(actor: Actor) -> bool:
    return actor.has_role(Role.TEACHER)


SCREENS = (Screen("today", lambda: _("Today's lessons"), teaches),)


def strings() -> dict[str, str]:
    return {
        "today.none": _("ℹ️ You have no lessons today."),
        "today.room": _("room {room}"),
        "sheet.title": _("Attendance"),
        "sheet.hint": _(
            "Tap a name to change the mark: present → absent → late → excused. Then Save."
        ),
        "sheet.frozen": _("❄️ Frozen students are shown but not marked."),
        "sheet.frozen_mark": _("frozen"),
        "sheet.not_marked": _("— not marked"),
        "sheet.nobody": _("ℹ️ Nobody is enrolled in this group."),
        "sheet.after_day": _(
            "ℹ️ The day of this lesson is over: you are changing its marks as an "
            "administrator, and the change is recorded in the audit log."
        ),
        "sheet.saved": _("✅ Saved."),
        "sheet.unsaved": _("Not saved yet: tap Save."),
        "sheet.saving": _("Saving…"),
    }


def bad_marks_text() -> str:
    return _("These marks cannot be saved: reload the sheet and mark again.")


def not_on_sheet_text() -> str:
    return _("A student on this sheet is no longer in the group: reload the sheet.")


# --- JSON ----------------------------------------------------------------------------------


def clock(lesson: LessonRef, tz: ZoneInfo) -> str:
    start, end = lesson.starts_at.astimezone(tz), lesson.ends_at.astimezone(tz)
    return f"{start:%H:%M}–{end:%H:%M}"


def lesson_json(lesson: LessonRef, tz: ZoneInfo) -> Json:
    return {
        "id": lesson.id,
        "group": {"id": lesson.group_id, "name": lesson.group_name},
        "room": lesson.room,
        "starts_at": lesson.starts_at.astimezone(tz).isoformat(),
        "time": clock(lesson, tz),
        "status": lesson.status,
        "status_label": lesson_status_labels().get(lesson.status, lesson.status),
        "cancelled": lesson.cancelled,
    }


def sheet_json(sheet: Sheet, now_closed: bool, tz: ZoneInfo) -> Json:
    """The grid: every student with their stored mark (None: not marked yet) and the mark
    the sheet starts from (stored, else present), and what the actor may do."""
    words = attendance_words()
    marks = sheet.marks()
    allowed = sheet.verdict is Verdict.ALLOWED
    return {
        "lesson": {
            **lesson_json(sheet.lesson, tz),
            "course": sheet.course,
            "when": f"{format_datetime(sheet.lesson.starts_at, tz)}–"
            f"{sheet.lesson.ends_at.astimezone(tz):%H:%M}",
        },
        "students": [
            {
                "id": student.id,
                "name": student.name,
                "frozen": student.frozen,
                "stored": sheet.stored.get(student.id),
                "mark": marks.get(student.id),
            }
            for student in sheet.students
        ],
        "cycle": [status.value for status in service.CYCLE],
        "labels": {
            status: {"icon": STATUS_ICONS[status], "word": word} for status, word in words.items()
        },
        "frozen_icon": FROZEN_ICON,
        "markable": allowed,
        "verdict": sheet.verdict.value,
        "refusal": None if allowed else marking_refusal_text(sheet.verdict, sheet.opens_at, tz),
        "after_day": allowed and now_closed,
        "saved": not sheet.unsaved(),
        "own_group": sheet.own_group,
    }


# --- routes --------------------------------------------------------------------------------


@routes.get("/api/teacher/today")
async def today(request: web.Request) -> web.Response:
    """The teacher's own lessons on today's local date (each opens its sheet)."""
    actor = actor_of(request)
    if not teaches(actor):
        return await deny(request, "teaching.denied", view="today")
    tz = context_of(request).settings.centre.tz
    day, lessons = await service.today(session_of(request), actor, now_of(request), tz)
    return ok(
        {
            "date": day.isoformat(),
            "label": format_date(day),
            "lessons": [lesson_json(lesson, tz) for lesson in lessons],
        }
    )


async def refuse_foreign(request: web.Request, lesson_id: int, step: str) -> web.Response:
    return await deny(
        request, "attendance.denied", lesson_id=lesson_id, reason=Verdict.FOREIGN.value, step=step
    )


@routes.get("/api/sheet/{lesson_id}")
async def sheet(request: web.Request) -> web.Response:
    lesson_id = int_param(request, "lesson_id")
    if lesson_id is None:
        return error(404, "not_found")
    tz = context_of(request).settings.centre.tz
    now = now_of(request)
    found = await service.sheet(session_of(request), actor_of(request), lesson_id, now, tz)
    if found is None:
        return await refuse_foreign(request, lesson_id, "open")
    return ok(sheet_json(found, now >= found.closes_at, tz))


def parse_marks(body: Json | None) -> dict[int, str] | None:
    """`{"marks": {"<student id>": "<status>", …}}` → {student id: status}; None for
    anything else (not an object, an unknown status, an id that is not a number)."""
    if body is None or set(body) != {"marks"} or not isinstance(body["marks"], Mapping):
        return None
    statuses = {status.value for status in AttendanceStatus}
    marks: dict[int, str] = {}
    for key, status in body["marks"].items():
        if not (isinstance(key, str) and key.isdigit() and len(key) <= 18):
            return None
        if not isinstance(status, str) or status not in statuses:
            return None
        marks[int(key)] = status
    return marks


@routes.post("/api/sheet/{lesson_id}")
async def save(request: web.Request) -> web.Response:
    lesson_id = int_param(request, "lesson_id")
    if lesson_id is None:
        return error(404, "not_found")
    marks = parse_marks(await json_body(request, limit=MARKS_LIMIT))
    if marks is None:
        return error(400, "bad_request", bad_marks_text())
    context = context_of(request)
    tz = context.settings.centre.tz
    actor, session, now = actor_of(request), session_of(request), now_of(request)
    before = await service.sheet(session, actor, lesson_id, now, tz)
    if before is None:
        return await refuse_foreign(request, lesson_id, "save")
    if not set(marks) <= {student.id for student in before.markable}:
        return error(400, "bad_request", not_on_sheet_text())
    result = await service.save(
        session,
        actor,
        lesson_id,
        marks,
        now=now,
        tz=tz,
        policy_version=context.settings.centre.policy_version,
    )
    if result.verdict is Verdict.FOREIGN:
        return await refuse_foreign(request, lesson_id, "save")
    if result.verdict is not Verdict.ALLOWED or result.sheet is None:
        refusal = marking_refusal_text(result.verdict, before.opens_at, tz)
        if result.verdict is Verdict.TOO_LATE:
            await service.deny(
                session, actor, lesson_id, Verdict.TOO_LATE.value, step="save", via="webapp"
            )
            return error(403, "forbidden", refusal)
        return error(409, "conflict", refusal)
    context.sender.in_background(
        send_absence_notices(
            context.bot, context.sender, context.session_factory, result.notices, tz
        )
    )
    words, counts = attendance_words(), result.counts
    body = sheet_json(result.sheet, now >= result.sheet.closes_at, tz)
    body["message"] = _("✅ Saved: {summary}.").format(
        summary=", ".join(f"{counts[status]} {words[status]}" for status in words)
    )
    return ok(body)
