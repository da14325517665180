"""The student's and the parent's screens: the week's timetable, attendance and grades,
balance and payments.

A student reads their own (`student=` omitted, or their own id); a parent reads a child
linked to them (`student=` a child's id, by default the first child), re-checked against
the links on every request as the chat's /children does. Any other id is refused: 403
and a `denied` audit entry. Every route is a read through the chat's services
(bot.services.student_views, bot.services.payments.ledger): a fixed handful of queries,
nothing written. Money and times are formatted here, in the user's language and the
centre's time zone.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.formatting import (
    format_date,
    format_datetime,
    format_day,
    format_money,
    format_month,
)
from bot.i18n import _
from bot.notices.receipts import balance_line
from bot.services import student_views as service
from bot.services.access import Actor
from bot.services.mydata import PersonRef
from bot.services.parsing import Invalid
from bot.services.payments import ledger
from bot.services.student_views import GroupRef, LessonItem
from bot.webapp.routes import (
    Json,
    Screen,
    actor_of,
    context_of,
    deny,
    error,
    int_param,
    now_of,
    ok,
    parse_iso_date,
    session_of,
)
from db.models import Role
from keyboards.labels import attendance_labels, grade_kind_labels, method_label

routes = web.RouteTableDef()
RECENT_MONEY = 5  # payments, refunds and charges shown (as the chat's /balance)


def learns(actor: Actor) -> bool:
    return actor.has_role(Role.STUDENT) or actor.has_role(Role.PARENT)


SCREENS = (
    Screen("week", lambda: _("Timetable"), learns),
    Screen("progress", lambda: _("Attendance and grades"), learns),
    Screen("money", lambda: _("Balance"), learns),
)


def strings() -> dict[str, str]:
    return {
        "learner.child": _("Child"),
        "learner.no_children": _(
            "No children are linked to you yet. Ask the centre for an invitation link for "
            "each child."
        ),
        "week.previous": _("◀ Previous week"),
        "week.next": _("Next week ▶"),
        "week.this": _("This week"),
        "week.today": _("Today"),
        "week.free": _("No lessons"),
        "week.empty": _("No lessons this week."),
        "week.room": _("room {room}"),
        "week.teacher": _("teacher: {name}"),
        "week.cancelled": _("cancelled"),
        "week.moved": _("moved to this time"),
        "progress.attendance": _("Attendance"),
        "progress.grades": _("Grades"),
        "progress.no_attendance": _("No attendance marks."),
        "progress.no_marks": _("No marks yet."),
        "progress.attended": _("Attended (present or late): {percent}%, marked lessons: {count}"),
        "progress.recent": _("Last lessons:"),
        "progress.no_grades": _("No grades."),
        "money.month_charge": _("This month's charge: {amount}"),
        "money.no_month_charge": _("No charge this month."),
        "money.payments": _("Last payments"),
        "money.no_payments": _("No payments yet."),
        "money.refunds": _("Refunds"),
        "money.charges": _("Last charges"),
        "money.reversed": _("reversed"),
        "money.cancelled": _("cancelled"),
        "money.due": _("due {date}"),
    }


# --- whose screens -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Learner:
    """Whose screen it is: the student themself, or one of a parent's linked children."""

    id: int
    name: str
    own: bool

    def as_json(self) -> Json:
        return {"student": {"id": self.id, "name": self.name, "own": self.own}}


def person_json(person: PersonRef) -> Json:
    return {"id": person.id, "name": person.full_name or _("No name")}


class Refused(Exception):
    def __init__(self, response: web.Response) -> None:
        self.response = response


async def learner_of(request: web.Request, view: str) -> Learner | None:
    """The student whose `view` is asked for; None for a parent without children.
    Raises Refused (403, audited) for an id that is not the actor's nor a linked child's,
    or a user who is neither a student nor a parent."""
    actor = actor_of(request)
    session = session_of(request)
    raw = request.query.get("student")
    wanted = int_param(request, "student")
    if raw is not None and wanted is None:
        raise Refused(error(400, "bad_request", bad_request_text()))
    student = actor.has_role(Role.STUDENT)
    if student and wanted in (None, actor.user_id):
        return Learner(actor.user_id, "", own=True)
    if actor.has_role(Role.PARENT):
        children = await service.children(session, actor.user_id)
        if wanted is None:
            if not children:
                return None
            child = children[0]
        else:
            child = service.pick_child(children, wanted)
        if child is not None:
            return Learner(child.id, child.full_name or _("No name"), own=False)
        raise Refused(await deny(request, "child.view", child=wanted, view=view))
    action = "student.view" if student else "learner.view"
    raise Refused(await deny(request, action, student=wanted, view=view))


def bad_request_text() -> str:
    return _("That didn't work: check what you entered and try again.")


def no_children() -> web.Response:
    return ok({"student": None})


# --- labels --------------------------------------------------------------------------------


def group_json(group: GroupRef) -> Json:
    return {"id": group.id, "name": group.name, "course": group.course}


def clock(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


def lesson_json(lesson: LessonItem, tz: ZoneInfo) -> Json:
    return {
        "id": lesson.id,
        "starts_at": lesson.starts_at.astimezone(tz).isoformat(),
        "ends_at": lesson.ends_at.astimezone(tz).isoformat(),
        "time": f"{clock(lesson.starts_at, tz)}–{clock(lesson.ends_at, tz)}",
        "group": group_json(lesson.group),
        "room": lesson.room,
        "teacher": lesson.teacher,
        "topic": lesson.topic,
        "status": lesson.status,
        "cancelled": lesson.cancelled,
        "moved": lesson.moved and not lesson.cancelled,
    }


def week_label(monday: date) -> str:
    return f"{format_day(monday)} – {format_date(monday + timedelta(days=6))}"


# --- routes --------------------------------------------------------------------------------


@routes.get("/api/children")
async def children_list(request: web.Request) -> web.Response:
    """The parent's linked children (for the switcher); a student's list is empty."""
    actor = actor_of(request)
    if not learns(actor):
        return await deny(request, "child.view", view="children")
    found = []
    if actor.has_role(Role.PARENT):
        found = await service.children(session_of(request), actor.user_id)
    return ok({"children": [person_json(child) for child in found]})


@routes.get("/api/learner/week")
async def week(request: web.Request) -> web.Response:
    """The week (Monday to Sunday, local) holding `start` (YYYY-MM-DD, default today)."""
    raw = request.query.get("start")
    day = None
    if raw is not None:
        try:
            day = parse_iso_date(raw)
        except Invalid:
            return error(400, "bad_request", bad_request_text())
    try:
        learner = await learner_of(request, "week")
    except Refused as refused:
        return refused.response
    if learner is None:
        return no_children()
    tz = context_of(request).settings.centre.tz
    found = await service.week(session_of(request), learner.id, now=now_of(request), tz=tz, day=day)
    body = learner.as_json()
    body["week"] = {
        "start": found.monday.isoformat(),
        "end": found.sunday.isoformat(),
        "label": week_label(found.monday),
        "previous": (found.monday - timedelta(days=7)).isoformat(),
        "next": (found.monday + timedelta(days=7)).isoformat(),
        "current": service.monday_of(found.today).isoformat(),
        "today": found.today.isoformat(),
    }
    body["days"] = [
        {
            "date": entry.day.isoformat(),
            "label": format_day(entry.day),
            "today": entry.day == found.today,
            "lessons": [lesson_json(lesson, tz) for lesson in entry.lessons],
        }
        for entry in found.days
    ]
    return ok(body)


@routes.get("/api/learner/progress")
async def progress(request: web.Request) -> web.Response:
    """Attendance (counts and the last marks per group) and grades (per group, newest first)."""
    try:
        learner = await learner_of(request, "progress")
    except Refused as refused:
        return refused.response
    if learner is None:
        return no_children()
    tz = context_of(request).settings.centre.tz
    session = session_of(request)
    marks, kinds = attendance_labels(), grade_kind_labels()
    body = learner.as_json()
    body["attendance"] = [
        {
            "group": group_json(entry.group),
            "counts": [
                {"status": str(status), "label": label, "count": entry.counts.get(status, 0)}
                for status, label in marks.items()
            ],
            "marked": entry.marked,
            "percent": entry.percent,
            "recent": [
                {
                    "at": mark.starts_at.astimezone(tz).isoformat(),
                    "when": format_datetime(mark.starts_at, tz),
                    "status": mark.status,
                    "label": marks.get(mark.status, mark.status),
                }
                for mark in entry.recent
            ],
        }
        for entry in await service.attendance(session, learner.id)
    ]
    body["grades"] = [
        {
            "group": group_json(entry.group),
            "grades": [
                {
                    "id": grade.id,
                    "at": grade.given_at.astimezone(tz).isoformat(),
                    "date": format_day(grade.given_at.astimezone(tz).date()),
                    "score": grade.score,
                    "max": grade.max_score,
                    "kind": kinds.get(grade.kind, grade.kind),
                    "comment": grade.comment,
                }
                for grade in entry.grades
            ],
        }
        for entry in await service.grades(session, learner.id)
    ]
    return ok(body)


def money(amount: int) -> Json:
    return {"amount": amount, "text": format_money(amount)}


@routes.get("/api/learner/money")
async def balance(request: web.Request) -> web.Response:
    """The balance (in words, as the chat says it), this month's charge, the last
    payments, refunds and charges: the chat's /balance statement."""
    try:
        learner = await learner_of(request, "money")
    except Refused as refused:
        return refused.response
    if learner is None:
        return no_children()
    tz = context_of(request).settings.centre.tz
    today = now_of(request).astimezone(tz).date()
    statement = await ledger.statement(
        session_of(request), learner.id, today=today, limit=RECENT_MONEY
    )
    body = learner.as_json()
    body["balance"] = {
        **money(statement.balance),
        "words": balance_line(statement.balance),
        "debt": statement.balance < 0,
    }
    body["month_charge"] = money(statement.month_charge)
    body["payments"] = [
        {
            "id": payment.id,
            "at": payment.paid_at.astimezone(tz).isoformat(),
            "when": format_datetime(payment.paid_at, tz),
            **money(payment.amount),
            "method": method_label(payment.method),
            "reversed": payment.reversed,
        }
        for payment in statement.payments
    ]
    body["refunds"] = [
        {
            "id": refund.id,
            "at": refund.refunded_at.astimezone(tz).isoformat(),
            "when": format_datetime(refund.refunded_at, tz),
            **money(refund.amount),
            "method": method_label(refund.method),
        }
        for refund in statement.refunds
    ]
    body["charges"] = [
        {
            "id": charge.id,
            "month": format_month(charge.period),
            **money(charge.amount),
            "due": format_date(charge.due_date),
            "group": charge.group_name,
            "cancelled": charge.cancelled,
        }
        for charge in statement.charges
    ]
    return ok(body)
