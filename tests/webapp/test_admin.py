"""The admin's screens of the Mini App: the centre's week with its clashes, a lesson's card
(cancel, move) and the reports — the chat's services, access rules, audit and notices."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from aiogram.methods import SendMessage
from sqlalchemy import event, select

from bot.formatting import format_datetime, format_money
from bot.services import centre_week
from bot.services.centre_week import week_start
from db.base import utcnow
from db.models import AuditEntry, Lesson, LessonStatus, Permission, Role, User
from tests.chat import Person
from tests.factories import (
    link_parent,
    make_charge,
    make_course,
    make_enrolment,
    make_group,
    make_lesson,
    make_user,
)
from tests.webapp.browser import needs_chromium, open_app, screenshot

TZ_NAME = "Asia/Tashkent"
ADMIN = Person(id=4_000_001, first_name="Dilnoza", language_code="en")
TEACHER = Person(id=4_000_002, first_name="Aziz", language_code="en")
STUDENT = Person(id=4_000_003, first_name="Ali", language_code="ru")
PARENT = Person(id=4_000_004, first_name="Vali", language_code="uz")
OTHER_TEACHER = Person(id=4_000_005, first_name="Bekzod", language_code="en")
NAME = "<b>Eve</b> & Co"


class Centre:
    """Next week's Monday: `<b>Eve</b> & Co` and B2 both in Room 1 at 10:00 (a room clash),
    C3 with Eve's teacher at 10:30 in Room 2 (a teacher clash), D4 cancelled in Room 1."""

    def __init__(self, settings) -> None:
        self.tz = settings.centre.tz
        today = utcnow().astimezone(self.tz).date()
        self.monday = week_start(today) + timedelta(days=7)

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=self.tz).astimezone(UTC)

    async def build(self, session, *, admin_permissions=(Permission.ACADEMIC, Permission.REPORTS)):
        self.admin = await make_user(
            session, ADMIN, roles=[Role.ADMIN], permissions=admin_permissions, full_name="Dilnoza"
        )
        self.teacher = await make_user(session, TEACHER, roles=[Role.TEACHER], full_name="Aziz")
        self.other = await make_user(
            session, OTHER_TEACHER, roles=[Role.TEACHER], full_name="Bekzod"
        )
        self.student = await make_user(
            session, STUDENT, roles=[Role.STUDENT], language="ru", full_name="Ali"
        )
        self.parent = await make_user(
            session, PARENT, roles=[Role.PARENT], language="uz", full_name="Vali"
        )
        await link_parent(session, self.parent, self.student)
        course = await make_course(session, "General English")
        self.eve = await make_group(
            session, NAME, course=course, teacher_id=self.teacher.id, room="Room 1"
        )
        self.b2 = await make_group(
            session, "B2", course=course, teacher_id=self.other.id, room="room 1"
        )
        self.c3 = await make_group(
            session, "C3", course=course, teacher_id=self.teacher.id, room="Room 2"
        )
        self.d4 = await make_group(session, "D4", course=course, room="Room 1")
        await make_enrolment(session, self.student, self.eve, joined_on=date(2025, 1, 1))
        self.eve_lesson = await make_lesson(session, self.eve, self.at(self.monday, 10))
        self.b2_lesson = await make_lesson(session, self.b2, self.at(self.monday, 10, 30))
        self.c3_lesson = await make_lesson(session, self.c3, self.at(self.monday, 11))
        self.d4_lesson = await make_lesson(
            session, self.d4, self.at(self.monday, 10), status=LessonStatus.CANCELLED
        )
        # Tuesday: no clash
        self.tuesday_lesson = await make_lesson(
            session, self.eve, self.at(self.monday + timedelta(days=1), 15)
        )
        # plain values: the rows expire when a test reads the database afresh
        self.admin_id, self.student_id = self.admin.id, self.student.id
        self.eve_id, self.eve_start = self.eve.id, self.eve_lesson.starts_at
        self.lessons = {
            name: getattr(self, f"{name}_lesson").id
            for name in ("eve", "b2", "c3", "d4", "tuesday")
        }
        return self


@pytest.fixture
async def centre(session, settings) -> Centre:
    return await Centre(settings).build(session)


async def audit_rows(session, action: str) -> list[AuditEntry]:
    session.expire_all()
    return list(
        (await session.scalars(select(AuditEntry).where(AuditEntry.action == action))).all()
    )


def sent_to(bot, person: Person) -> list[str]:
    return [
        call.text
        for call in bot.session.requests
        if isinstance(call, SendMessage) and call.chat_id == person.id
    ]


# --- the week ------------------------------------------------------------------------------


async def test_the_week_by_room_marks_the_clashes_and_shows_cancelled_lessons(miniapp, centre):
    response = await miniapp.get(f"/api/admin/week?start={centre.monday}&by=rooms", ADMIN)
    assert response.status == 200
    body = await response.json()
    assert body["start"] == centre.monday.isoformat()
    assert body["days"][0]["date"] == centre.monday.isoformat()
    assert len(body["days"]) == 7
    assert [column["name"] for column in body["columns"]] == ["Room 1", "Room 2"]
    lessons = {item["id"]: item for item in body["lessons"]}
    eve, b2 = lessons[centre.lessons["eve"]], lessons[centre.lessons["b2"]]
    assert eve["group"] == NAME and eve["start"] == "10:00" and eve["end"] == "11:30"
    assert eve["column"] == b2["column"] == "room 1"  # one room, however it is written
    assert eve["clashes"] == ["room", "teacher"]
    assert b2["clashes"] == ["room"]
    assert lessons[centre.lessons["c3"]]["clashes"] == ["teacher"]
    d4 = lessons[centre.lessons["d4"]]
    assert (
        d4["cancelled"] is True and d4["clashes"] == []
    )  # a cancelled lesson clashes with nothing
    assert lessons[centre.lessons["tuesday"]]["clashes"] == []
    assert body["clashes"] == 2
    assert body["days"][0]["clashes"] == 3 and body["days"][1]["clashes"] == 0
    assert "Room booked twice" in eve["clash_texts"][0]


async def test_the_week_by_teacher_has_a_column_per_teacher(miniapp, centre):
    body = await (
        await miniapp.get(f"/api/admin/week?start={centre.monday}&by=teachers", ADMIN)
    ).json()
    assert [column["name"] for column in body["columns"]] == ["Aziz", "Bekzod", "No teacher"]
    assert body["previous"] == (centre.monday - timedelta(days=7)).isoformat()


async def test_a_day_in_the_middle_of_the_week_gives_its_monday_and_bad_input_is_400(
    miniapp, centre
):
    wednesday = centre.monday + timedelta(days=2)
    body = await (await miniapp.get(f"/api/admin/week?start={wednesday}", ADMIN)).json()
    assert body["start"] == centre.monday.isoformat()
    bad = await miniapp.get("/api/admin/week?start=2027-02-30", ADMIN)
    assert bad.status == 400
    assert "does not exist" in (await bad.json())["message"]
    assert (await miniapp.get("/api/admin/week?start=soon", ADMIN)).status == 400
    assert (await miniapp.get("/api/admin/week?by=floors", ADMIN)).status == 400


async def test_a_student_calling_admin_endpoints_gets_403_and_a_denied_entry(
    miniapp, centre, session
):
    lesson = centre.lessons["eve"]
    calls = [
        ("GET", f"/api/admin/week?start={centre.monday}"),
        ("GET", f"/api/admin/lessons/{lesson}"),
        ("POST", f"/api/admin/lessons/{lesson}/cancel"),
        ("POST", f"/api/admin/lessons/{lesson}/move"),
        ("GET", "/api/admin/reports"),
        ("GET", "/api/admin/reports/fin?from=2026-12-01&to=2026-12-31"),
    ]
    for method, path in calls:
        response = await miniapp.call(method, path, STUDENT, json={"date": "2030-01-01"})
        assert response.status == 403, path
        assert (await response.json())["error"] == "forbidden"
    session.expire_all()
    denied = (
        await session.scalars(
            select(AuditEntry).where(
                AuditEntry.outcome == "denied", AuditEntry.actor_id == centre.student_id
            )
        )
    ).all()
    assert [entry.action for entry in denied] == [
        "admin.week",
        "admin.lesson",
        "admin.lesson.cancel",
        "admin.lesson.move",
        "reports",
        "reports",
    ]
    assert all(entry.details["via"] == "webapp" for entry in denied)
    assert (await session.get(Lesson, lesson)).status == LessonStatus.SCHEDULED
    me = await (await miniapp.get("/api/me", STUDENT)).json()
    assert not {"centre_week", "reports"} & {screen["id"] for screen in me["screens"]}


async def test_an_admin_without_the_academic_permission_sees_reports_only(
    miniapp, session, settings
):
    await Centre(settings).build(session, admin_permissions=[Permission.REPORTS])
    me = await (await miniapp.get("/api/me", ADMIN)).json()
    assert [screen["id"] for screen in me["screens"]] == ["reports"]
    assert (await miniapp.get("/api/admin/week", ADMIN)).status == 403
    [entry] = await audit_rows(session, "admin.week")
    assert entry.details["needs"] == "academic"


# --- a lesson's card -----------------------------------------------------------------------


async def test_the_lesson_card(miniapp, centre, settings):
    response = await miniapp.get(f"/api/admin/lessons/{centre.lessons['eve']}", ADMIN)
    assert response.status == 200
    card = await response.json()
    assert card["group"] == NAME and card["course"] == "General English"
    assert card["teacher"] == "Aziz" and card["room"] == "Room 1"
    assert card["when"] == format_datetime(centre.eve_start, settings.centre.tz, "en")
    assert card["date"] == centre.monday.isoformat() and card["time"] == "10:00"
    assert card["status"] == "scheduled" and card["marked"] is False and card["changeable"]
    assert (await miniapp.get("/api/admin/lessons/999999", ADMIN)).status == 404
    assert (await miniapp.get("/api/admin/lessons/abc", ADMIN)).status == 404


async def test_cancelling_a_lesson_tells_its_people_once_and_is_audited(
    miniapp, centre, session, bot, settings
):
    lesson = centre.lessons["eve"]
    response = await miniapp.post(f"/api/admin/lessons/{lesson}/cancel", ADMIN)
    assert response.status == 200
    body = await response.json()
    assert body["sent"] == 3 and body["told"] == 3
    assert body["lesson"]["status"] == "cancelled" and body["lesson"]["changeable"] is False
    session.expire_all()
    assert (await session.get(Lesson, lesson)).status == LessonStatus.CANCELLED
    [entry] = await audit_rows(session, "lesson.cancelled")
    assert entry.actor_id == centre.admin_id and entry.object_id == str(lesson)
    [to_student] = sent_to(bot, STUDENT)
    [to_parent] = sent_to(bot, PARENT)
    [to_teacher] = sent_to(bot, TEACHER)
    assert "Урок отменён" in to_student  # in the student's language, as the chat sends it
    assert format_datetime(centre.eve_start, settings.centre.tz, "uz") in to_parent
    assert "Ali" in to_parent
    assert "&lt;b&gt;Eve&lt;/b&gt; &amp; Co" in to_teacher  # the notice is HTML: escaped

    again = await miniapp.post(f"/api/admin/lessons/{lesson}/cancel", ADMIN)
    assert again.status == 409
    assert "not scheduled any more" in (await again.json())["message"]
    assert len(sent_to(bot, STUDENT)) == 1  # told once
    assert len(await audit_rows(session, "lesson.cancelled")) == 1
    assert (await miniapp.post("/api/admin/lessons/999999/cancel", ADMIN)).status == 404


async def test_moving_a_lesson_and_the_refusals(miniapp, centre, session, bot, settings):
    lesson = centre.lessons["eve"]
    path = f"/api/admin/lessons/{lesson}/move"
    tz = settings.centre.tz
    bad_date = await miniapp.post(path, ADMIN, json={"date": "2030-02-31", "time": "10:00"})
    assert bad_date.status == 400 and "does not exist" in (await bad_date.json())["message"]
    bad_time = await miniapp.post(path, ADMIN, json={"date": "2030-02-01", "time": "25:00"})
    assert bad_time.status == 400
    assert "25:00 is not a time of day" in (await bad_time.json())["message"]
    assert (await miniapp.post(path, ADMIN, json=[1])).status == 400
    yesterday = utcnow().astimezone(tz).date() - timedelta(days=1)
    past = await miniapp.post(path, ADMIN, json={"date": yesterday.isoformat(), "time": "10:00"})
    assert past.status == 409 and "already passed" in (await past.json())["message"]
    tuesday = centre.monday + timedelta(days=1)
    taken = await miniapp.post(path, ADMIN, json={"date": tuesday.isoformat(), "time": "15:00"})
    assert taken.status == 409 and "already has a lesson" in (await taken.json())["message"]
    same = await miniapp.post(
        path, ADMIN, json={"date": centre.monday.isoformat(), "time": "10:00"}
    )
    assert same.status == 409 and "current time" in (await same.json())["message"]
    assert not sent_to(bot, STUDENT) and not await audit_rows(session, "lesson.moved")

    new_day = centre.monday + timedelta(days=2)
    moved = await miniapp.post(path, ADMIN, json={"date": new_day.isoformat(), "time": "16:30"})
    assert moved.status == 200
    body = await moved.json()
    assert body["lesson"]["date"] == new_day.isoformat() and body["lesson"]["time"] == "16:30"
    assert body["sent"] == 3
    new_start = datetime.combine(new_day, time(16, 30), tzinfo=tz).astimezone(UTC)
    session.expire_all()
    row = await session.get(Lesson, lesson)
    assert row.starts_at == new_start and row.status == LessonStatus.SCHEDULED
    [entry] = await audit_rows(session, "lesson.moved")
    assert entry.details["to"] == new_start.isoformat()
    [to_student] = sent_to(bot, STUDENT)
    assert format_datetime(centre.eve_start, tz, "ru") in to_student
    assert format_datetime(new_start, tz, "ru") in to_student


# --- reports -------------------------------------------------------------------------------


def this_month(settings) -> tuple[date, date]:
    today = utcnow().astimezone(settings.centre.tz).date()
    first = today.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, last


async def test_the_reports_menu_lists_the_chats_reports(miniapp, centre, settings):
    body = await (await miniapp.get("/api/admin/reports", ADMIN)).json()
    assert [item["key"] for item in body["reports"]] == ["fin", "att", "ret", "tch", "lea", "pnl"]
    assert body["reports"][0]["title"] == "💰 Finance"
    assert body["reports"][-1]["scoped"] is False
    first, last = this_month(settings)
    assert (body["from"], body["to"]) == (first.isoformat(), last.isoformat())
    groups = await (await miniapp.get("/api/admin/reports/choices/g", ADMIN)).json()
    assert {"token": f"g{centre.eve_id}", "name": f"{NAME} · General English"} in groups["items"]
    assert (await miniapp.get("/api/admin/reports/choices/x", ADMIN)).status == 404


async def test_the_finance_report_with_its_filters(miniapp, centre, session, settings):
    first, last = this_month(settings)
    await make_charge(session, centre.student, amount=750_000, period=first)
    path = f"/api/admin/reports/fin?from={first}&to={last}"
    response = await miniapp.get(path, ADMIN)
    assert response.status == 200
    body = await response.json()
    text = ["".join(part[0] for part in line) for line in body["summary"]]
    assert text[0].startswith("💰 Finance · ")
    assert any(line == f"Charged: {format_money(750_000, 'en')}" for line in text)
    assert ["Charged: ", False] in body["summary"][
        text.index(f"Charged: {format_money(750_000, 'en')}")
    ]
    chart = body["chart"]
    assert chart["kind"] == "bars" and chart["categories"]
    charged = chart["series"][0]
    assert charged["values"] == [750_000.0] and charged["texts"] == ["750,000"]
    assert chart["axis_label"] == "soʻm"
    scoped = await (await miniapp.get(f"{path}&scope=g{centre.eve_id}", ADMIN)).json()
    scoped_text = ["".join(part[0] for part in line) for line in scoped["summary"]]
    assert f"🎯 group {NAME}" in scoped_text  # as written: the page puts it in as text
    assert scoped["scope"] == f"g{centre.eve_id}"


async def test_every_report_answers_with_its_summary_and_chart(miniapp, centre, settings):
    first, last = this_month(settings)
    for key in ("fin", "att", "ret", "tch", "lea", "pnl"):
        response = await miniapp.get(f"/api/admin/reports/{key}?from={first}&to={last}", ADMIN)
        assert response.status == 200, key
        body = await response.json()
        assert body["summary"] and body["summary"][0], key
        assert body["chart"]["kind"] in ("bars", "panels") and body["chart"]["title"], key


async def test_an_empty_period_says_no_data(miniapp, centre):
    body = await (
        await miniapp.get("/api/admin/reports/att?from=2030-01-01&to=2030-01-31", ADMIN)
    ).json()
    assert body["chart"]["empty"] is True
    assert body["chart"]["empty_text"] == "No data for this period"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-12-10&to=2026-12-01", "The last day is before the first"),
        ("from=2024-01-01&to=2027-06-30", "at most 3 years"),
        ("from=2026-13-01&to=2026-12-31", "no month 13"),
        ("from=01.12.2026&to=2026-12-31", "DD.MM.YYYY"),
        ("from=2026-12-01&to=2026-12-31&scope=x1", "out of date"),
    ],
)
async def test_bad_report_input_is_400_translated_and_audited(
    miniapp, centre, session, query, message
):
    response = await miniapp.get(f"/api/admin/reports/fin?{query}", ADMIN)
    assert response.status == 400
    body = await response.json()
    assert body["error"] == "bad_request" and message in body["message"]
    [entry] = await audit_rows(session, "reports")
    assert entry.outcome == "denied" and entry.details["refused"] == "bad_request"


async def test_a_deleted_filter_and_a_filter_on_the_centres_report_are_refused(
    miniapp, centre, session
):
    month = "from=2026-12-01&to=2026-12-31"
    gone = await miniapp.get(f"/api/admin/reports/fin?{month}&scope=g999999", ADMIN)
    assert gone.status == 400
    assert "This group no longer exists" in (await gone.json())["message"]
    profit = await miniapp.get(f"/api/admin/reports/pnl?{month}&scope=g{centre.eve_id}", ADMIN)
    assert profit.status == 400
    assert len(await audit_rows(session, "reports")) == 2
    assert (await miniapp.get(f"/api/admin/reports/nope?{month}", ADMIN)).status == 404


async def test_the_reports_speak_the_admins_language(miniapp, session, settings):
    await Centre(settings).build(session)
    admin = await session.scalar(select(User).where(User.telegram_id == ADMIN.id))
    admin.language = "ru"
    await session.commit()
    body = await (await miniapp.get("/api/admin/reports", ADMIN)).json()
    assert body["reports"][0]["title"] == "💰 Финансы"
    me = await (await miniapp.get("/api/me", ADMIN)).json()
    assert me["strings"]["week.by_rooms"] == "По кабинетам"


# --- in the browser ------------------------------------------------------------------------


async def next_week(page) -> None:
    """The first screen is the centre's week (this week); the test's lessons are next week's."""
    await page.locator("[data-screen=centre_week] [data-go=next]").click()
    await page.locator(".lesson").first.wait_for()


@needs_chromium
async def test_an_admin_sees_the_clashes_in_the_week_grid(miniapp, centre):
    for theme in ("light", "dark"):
        async with open_app(miniapp, ADMIN, theme=theme) as page:
            await next_week(page)
            pressed = page.locator(".switcher button[aria-pressed=true]")
            assert centre.monday.strftime("%-d") in await pressed.last.inner_text()
            assert "⚠" in await pressed.last.inner_text()  # Monday has clashes
            assert "Clashes this week: 2" in await page.get_by_role("status").inner_text()
            eve = page.locator(f"[data-lesson='{centre.lessons['eve']}']")
            assert await eve.get_attribute("data-clash") == "room teacher"
            text = await eve.inner_text()
            assert NAME in text  # as written: no bold, no entity
            assert "Room booked twice" in text and "Teacher booked twice" in text
            assert await page.locator(".lesson b").count() == 0
            assert await page.locator(f"[data-lesson='{centre.lessons['b2']}'].clash").count() == 1
            cancelled = page.locator(f"[data-lesson='{centre.lessons['d4']}']")
            assert await cancelled.get_attribute("class") == "lesson cancelled"
            headers = await page.locator("table.grid thead th").all_inner_texts()
            assert headers[1:] == ["Room 1", "Room 2"]
            await screenshot(page, "centre_week", theme)
            await page.locator(".switcher button[data-value=teachers]").click()
            await page.locator("table.grid th", has_text="Bekzod").wait_for()


@needs_chromium
async def test_the_lesson_card_cancels_a_lesson(miniapp, centre, session, bot):
    for theme in ("light", "dark"):
        async with open_app(miniapp, ADMIN, theme=theme) as page:
            await next_week(page)
            await page.locator(f"[data-lesson='{centre.lessons['c3']}']").click()
            await page.locator("[data-screen=lesson] dl.facts").wait_for()
            facts = await page.locator("dl.facts").inner_text()
            assert "C3" in facts and "Aziz" in facts and "Room 2" in facts
            await screenshot(page, "lesson", theme)
    async with open_app(miniapp, ADMIN) as page:
        await next_week(page)
        await page.locator(f"[data-lesson='{centre.lessons['eve']}']").click()
        await page.locator("[data-screen=lesson] dl.facts").wait_for()
        assert NAME in await page.locator("dl.facts").inner_text()
        await page.locator("[data-action=cancel]").click()
        status = page.locator("p.status")
        await status.wait_for()
        assert "The lesson is cancelled. Notices sent: 3." in await status.inner_text()
        assert await page.locator("[data-action=cancel]").count() == 0
        calls = await page.evaluate("window.Telegram.WebApp.__calls")
        assert any(call.startswith("confirm:Cancel this lesson?") for call in calls)
    session.expire_all()
    assert (await session.get(Lesson, centre.lessons["eve"])).status == LessonStatus.CANCELLED
    assert len(sent_to(bot, STUDENT)) == 1


@needs_chromium
async def test_a_report_shows_and_follows_a_filter_change(miniapp, centre, session, settings):
    first, _last = this_month(settings)
    await make_charge(session, centre.student, amount=750_000, period=first)
    for theme in ("light", "dark"):
        async with open_app(miniapp, ADMIN, theme=theme) as page:
            await page.locator("nav#tabs button[data-screen=reports]").click()
            result = page.locator(".result[data-report=fin]")
            await result.wait_for()
            summary = await page.locator(".summary").inner_text()
            assert "Charged: 750,000 soʻm" in summary
            assert await page.locator(".chart svg rect").count() >= 1
            await screenshot(page, "reports", theme)
            await page.locator("select[name=kind]").select_option("g")
            await page.locator(f".result[data-scope='g{centre.eve_id}']").wait_for()
            assert f"group {NAME}" in await page.locator(".summary").inner_text()
            await page.locator("input[name=from]").fill("2030-01-01")
            await page.locator("input[name=to]").fill("2030-01-31")
            await page.locator("form.form button[type=submit]").click()
            await page.locator("[data-empty]").wait_for()
            assert "No data for this period" in await page.locator(".chart").inner_text()
    async with open_app(miniapp, ADMIN) as page:  # each report draws (a JS error fails)
        await page.locator("nav#tabs button[data-screen=reports]").click()
        await page.locator(".result[data-report=fin]").wait_for()
        for key in ("att", "ret", "tch", "lea", "pnl"):
            await page.locator("select[name=report]").select_option(key)
            await page.locator(f".result[data-report={key}] .chart").wait_for()
        assert await page.locator("select[name=kind]").is_hidden()  # profit: no filter


async def test_the_week_is_read_in_one_query_however_many_lessons(session, engine, settings):
    centre = await Centre(settings).build(session)
    course = await make_course(session, "Maths")
    for number in range(12):
        group = await make_group(session, f"M{number}", course=course, room=f"R{number % 3}")
        await make_lesson(session, group, centre.at(centre.monday + timedelta(days=number % 7), 9))
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        found = await centre_week.week(session, centre.monday, settings.centre.tz)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert len(found.lessons) == 17
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    assert {(clash.first, clash.second) for clash in found.clashes} >= {
        (centre.lessons["eve"], centre.lessons["b2"])
    }


@needs_chromium
async def test_the_lesson_card_opens_its_sheet(miniapp, centre):
    async with open_app(miniapp, ADMIN) as page:
        await next_week(page)
        await page.locator(f"[data-lesson='{centre.lessons['eve']}']").click()
        await page.locator("[data-action=sheet]").click()
        await page.locator("#screen[data-screen=sheet] .content").wait_for()
        text = await page.locator("#screen").inner_text()
        assert "Not found" not in text
        assert NAME in text  # the sheet of this lesson, its group as written
