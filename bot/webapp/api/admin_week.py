"""The admin's timetable screens (permission `academic`, as the chat's lesson screens):
the centre's week as a grid by room or by teacher with the clashes marked, and a lesson's
card with cancel and move — the chat's services, refusals, audit entries and notices."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web
from babel.dates import format_date as babel_date

from bot.formatting import babel_locale, format_datetime
from bot.i18n import _
from bot.notices.lesson_changes import tell
from bot.services import centre_week
from bot.services import lessons as lessons_service
from bot.services.academic import room_key
from bot.services.access import Actor
from bot.services.centre_week import ClashKind, Week, WeekLesson
from bot.services.lessons import LessonChange, LessonInfo, Refusal
from bot.services.parsing import Invalid
from bot.webapp.api.admin_shared import may, parse_hh_mm
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
    parse_iso_date,
    session_of,
)
from bot.wording import date_problem, lesson_refusal_text, lesson_status_labels, time_problem
from db.models import LessonStatus, Permission

routes = web.RouteTableDef()
BY = ("rooms", "teachers")


def _academic(actor: Actor) -> bool:
    return may(actor, Permission.ACADEMIC)


SCREENS = (Screen("centre_week", lambda: _("Centre's week"), _academic),)


def strings() -> dict[str, str]:
    return {
        "week.title": _("Centre's week"),
        "week.by_rooms": _("By room"),
        "week.by_teachers": _("By teacher"),
        "week.previous": _("◀ Previous week"),
        "week.next": _("Next week ▶"),
        "week.this_week": _("This week"),
        "week.time": _("Time"),
        "week.no_lessons_day": _("No lessons this day."),
        "week.clashes": _("Clashes this week: {count}"),
        "week.no_clashes": _("No clashes this week."),
        "week.clash_room": _("⚠ Room booked twice"),
        "week.clash_teacher": _("⚠ Teacher booked twice"),
        "week.cancelled": _("cancelled"),
        "week.zone": _("Times in the centre's zone ({zone})."),
        "lesson.title": _("Lesson"),
        "lesson.group": _("Group"),
        "lesson.course": _("Course"),
        "lesson.teacher": _("Teacher"),
        "lesson.room": _("Room"),
        "lesson.when": _("Time"),
        "lesson.length": _("{minutes} min"),
        "lesson.status": _("Status"),
        "lesson.marked": _("Attendance"),
        "lesson.marked_yes": _("taken"),
        "lesson.marked_no": _("not taken yet"),
        "lesson.cancel": _("Cancel the lesson"),
        "lesson.cancel_confirm": _(
            "Cancel this lesson? Its students, their parents and the teacher will be told at once."
        ),
        "lesson.cancelled": _("The lesson is cancelled. Notices sent: {sent}."),
        "lesson.move": _("Move"),
        "lesson.move_date": _("New date"),
        "lesson.move_time": _("New start time"),
        "lesson.move_save": _("Move the lesson"),
        "lesson.moved": _("The lesson is moved. Notices sent: {sent}."),
        "lesson.sheet": _("Open the attendance sheet"),
        "lesson.unchangeable": _("This lesson can no longer be cancelled or moved."),
    }


# --- the week ----------------------------------------------------------------------------


def _day_label(day: date) -> str:
    return babel_date(day, "EEE d MMM", locale=babel_locale())


def _column(lesson: WeekLesson, by: str) -> tuple[str, str]:
    """(key, name) of the lesson's column: its room (case aside) or its teacher."""
    if by == "rooms":
        key = room_key(lesson.room)
        if key is None or lesson.room is None:
            return "", _("No room")
        return key, lesson.room
    if lesson.teacher_id is None:
        return "", _("No teacher")
    return str(lesson.teacher_id), lesson.teacher or "—"


def _clash_texts(lesson: WeekLesson) -> list[str]:
    texts = {
        ClashKind.ROOM: _("⚠ Room booked twice"),
        ClashKind.TEACHER: _("⚠ Teacher booked twice"),
    }
    return [texts[kind] for kind in (ClashKind.ROOM, ClashKind.TEACHER) if kind in lesson.clashes]


def week_json(week: Week, by: str, tz: ZoneInfo, today: date) -> Json:
    labels = lesson_status_labels()
    columns: dict[str, str] = {}
    lessons = []
    for lesson in week.lessons:
        key, name = _column(lesson, by)
        columns.setdefault(key, name)
        local_start, local_end = lesson.starts_at.astimezone(tz), lesson.ends_at.astimezone(tz)
        lessons.append(
            {
                "id": lesson.id,
                "day": local_start.date().isoformat(),
                "start": local_start.strftime("%H:%M"),
                "end": local_end.strftime("%H:%M"),
                "starts_at": local_start.isoformat(),
                "column": key,
                "group": lesson.group,
                "course": lesson.course,
                "teacher": lesson.teacher,
                "room": lesson.room,
                "status": lesson.status.value,
                "status_label": labels[lesson.status],
                "cancelled": lesson.cancelled,
                "clashes": sorted(kind.value for kind in lesson.clashes),
                "clash_texts": _clash_texts(lesson),
            }
        )
    ordered = sorted((key, name) for key, name in columns.items() if key)
    ordered.sort(key=lambda item: item[1].casefold())
    if "" in columns:
        ordered.append(("", columns[""]))
    clash_days: dict[str, int] = {}
    for item in lessons:
        if item["clashes"]:
            clash_days[item["day"]] = clash_days.get(item["day"], 0) + 1
    return {
        "start": week.start.isoformat(),
        "previous": (week.start - timedelta(days=7)).isoformat(),
        "next": (week.start + timedelta(days=7)).isoformat(),
        "today": today.isoformat(),
        "by": by,
        "days": [
            {
                "date": day.isoformat(),
                "label": _day_label(day),
                "lessons": sum(1 for item in lessons if item["day"] == day.isoformat()),
                "clashes": clash_days.get(day.isoformat(), 0),
            }
            for day in week.days
        ],
        "columns": [{"key": key, "name": name} for key, name in ordered],
        "lessons": lessons,
        "clashes": len(week.clashes),
    }


@routes.get("/api/admin/week")
async def week(request: web.Request) -> web.Response:
    """?start=YYYY-MM-DD (any day of the week; default today) &by=rooms|teachers."""
    actor = actor_of(request)
    if not _academic(actor):
        return await deny(request, "admin.week", needs=str(Permission.ACADEMIC))
    tz = context_of(request).settings.centre.tz
    today = now_of(request).astimezone(tz).date()
    by = request.query.get("by", "rooms")
    if by not in BY:
        return error(400, "bad_request", _("Show the week by room or by teacher."))
    day = today
    if request.query.get("start"):
        try:
            day = parse_iso_date(request.query["start"])
        except Invalid as problem:
            return error(400, "bad_request", date_problem(problem))
    found = await centre_week.week(session_of(request), day, tz)
    return ok(week_json(found, by, tz, today))


# --- one lesson --------------------------------------------------------------------------


def card_json(info: LessonInfo, teacher: str | None, request: web.Request) -> Json:
    tz = context_of(request).settings.centre.tz
    local = info.starts_at.astimezone(tz)
    refusal = lessons_service.check_changeable(info, now_of(request))
    return {
        "id": info.id,
        "group": info.group_name,
        "course": info.course_name,
        "teacher": teacher,
        "room": info.room,
        "when": format_datetime(info.starts_at, tz),
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "minutes": info.duration_minutes,
        "status": info.status.value,
        "status_label": lesson_status_labels()[info.status],
        "cancelled": info.status is LessonStatus.CANCELLED,
        "marked": info.marked,
        "changeable": refusal is None,
        "why_not": None if refusal is None else lesson_refusal_text(refusal),
    }


async def _card(request: web.Request, info: LessonInfo) -> Json:
    return card_json(
        info, await centre_week.teacher_name(session_of(request), info.group_id), request
    )


@routes.get("/api/admin/lessons/{id}")
async def lesson_card(request: web.Request) -> web.Response:
    if not _academic(actor_of(request)):
        return await deny(request, "admin.lesson", needs=str(Permission.ACADEMIC))
    lesson_id = int_param(request, "id")
    info = (
        None if lesson_id is None else await lessons_service.lesson(session_of(request), lesson_id)
    )
    if info is None:
        return error(404, "not_found")
    return ok(await _card(request, info))


async def _done(request: web.Request, change: LessonChange) -> web.Response:
    """A change the service refused (409/404 with the chat's words), or done: the notices
    the chat sends go out, and the card as it is now."""
    if change.refusal is not None:
        if change.refusal is Refusal.MISSING:
            return error(404, "not_found")
        return error(409, "conflict", lesson_refusal_text(change.refusal))
    assert change.lesson is not None
    context = context_of(request)
    sent, told = await tell(context.bot, context.sender, change, context.settings.centre.tz)
    fresh = await lessons_service.lesson(session_of(request), change.lesson.id)
    return ok({"lesson": await _card(request, fresh or change.lesson), "sent": sent, "told": told})


@routes.post("/api/admin/lessons/{id}/cancel")
async def cancel(request: web.Request) -> web.Response:
    actor = actor_of(request)
    if not _academic(actor):
        return await deny(request, "admin.lesson.cancel", needs=str(Permission.ACADEMIC))
    lesson_id = int_param(request, "id")
    if lesson_id is None:
        return error(404, "not_found")
    settings = context_of(request).settings
    change = await lessons_service.cancel(
        session_of(request),
        actor.user_id,
        lesson_id,
        now=now_of(request),
        policy_version=settings.centre.policy_version,
    )
    return await _done(request, change)


@routes.post("/api/admin/lessons/{id}/move")
async def move(request: web.Request) -> web.Response:
    """{"date": "YYYY-MM-DD", "time": "HH:MM"} in the centre's zone."""
    actor = actor_of(request)
    if not _academic(actor):
        return await deny(request, "admin.lesson.move", needs=str(Permission.ACADEMIC))
    lesson_id = int_param(request, "id")
    if lesson_id is None:
        return error(404, "not_found")
    body = await json_body(request)
    if body is None:
        return error(400, "bad_request")
    try:
        day = parse_iso_date(str(body.get("date", "")))
    except Invalid as problem:
        return error(400, "bad_request", date_problem(problem))
    try:
        start = parse_hh_mm(str(body.get("time", "")))
    except Invalid as problem:
        return error(400, "bad_request", time_problem(problem))
    settings = context_of(request).settings
    tz = settings.centre.tz
    change = await lessons_service.move(
        session_of(request),
        actor.user_id,
        lesson_id,
        lessons_service.local_start(day, start, tz),
        now=now_of(request),
        tz=tz,
        policy_version=settings.centre.policy_version,
    )
    return await _done(request, change)
