"""The teacher's Mini App screens: today's lessons and the attendance sheet as a grid, saved
through the chat's service (the same audit, the absence notices claimed and sent once),
the chat's rules of who may mark what when."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiogram.methods import SendMessage
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Attendance,
    AuditEntry,
    AuditOutcome,
    EnrolmentStatus,
    Lesson,
    LessonStatus,
    NotificationLog,
    Permission,
    Role,
)
from tests.chat import Person
from tests.factories import link_parent, make_enrolment, make_group, make_lesson, make_user
from tests.handlers.test_student_views import StatementCounter
from tests.webapp.browser import needs_chromium, open_app, screenshot
from tests.webapp.signing import sign_init_data

TASHKENT = ZoneInfo("Asia/Tashkent")
TEACHER = Person(id=8_100_001, first_name="Nodira", language_code="en")
OTHER_TEACHER = Person(id=8_100_002, first_name="Rustam", language_code="en")
ADMIN = Person(id=8_100_003, first_name="Kamola", language_code="en")
CLERK = Person(id=8_100_004, first_name="Jasur", language_code="en")
MOTHER = Person(id=8_200_002, first_name="Dilnoza", language_code="ru")
EVE = "<b>Eve</b> & Co"


def lesson_time() -> datetime:
    """A lesson of today (local) that has begun: marking is open (the real clock runs)."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    midnight = datetime.combine(now.astimezone(TASHKENT).date(), time(0), tzinfo=TASHKENT)
    return max(now - timedelta(minutes=1), midnight.astimezone(UTC))


class Centre:
    """Nodira teaches "A1 <morning>": Aziz, Bobur (whose mother Dilnoza reads Russian),
    `<b>Eve</b> & Co`, and Sardor, frozen; today's lesson has begun."""

    async def build(self, session: AsyncSession) -> "Centre":
        self.teacher = await make_user(session, TEACHER, roles=[Role.TEACHER], full_name="Nodira")
        self.group = await make_group(
            session, "A1 <morning>", course="English", teacher_id=self.teacher.id, room="12"
        )
        self.lesson = await make_lesson(session, self.group, lesson_time())
        self.people: dict[str, Person] = {}
        self.students = []
        for number, name in enumerate(("Aziz", "Bobur", EVE, "Sardor")):
            person = Person(id=8_300_000 + number, first_name=name[:5], language_code="en")
            student = await make_user(session, person, roles=[Role.STUDENT], full_name=name)
            frozen = name == "Sardor"
            status = EnrolmentStatus.FROZEN if frozen else EnrolmentStatus.ACTIVE
            await make_enrolment(session, student, self.group, status=status)
            self.people[name] = person
            self.students.append(student)
        self.aziz, self.bobur, self.eve, self.sardor = self.students
        self.mother = await make_user(
            session, MOTHER, roles=[Role.PARENT], full_name="Dilnoza", language="ru"
        )
        await link_parent(session, self.mother, self.bobur)
        return self


async def marks(session: AsyncSession, lesson: Lesson) -> dict[int, str]:
    rows = await session.execute(
        select(Attendance.student_id, Attendance.status).where(Attendance.lesson_id == lesson.id)
    )
    return dict(rows.all())


async def audit(session: AsyncSession, **where) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    for column, value in where.items():
        query = query.where(getattr(AuditEntry, column) == value)
    return list((await session.scalars(query)).all())


def sent(bot, person: Person) -> list[str]:
    return [
        request.text
        for request in bot.session.requests
        if isinstance(request, SendMessage) and request.chat_id == person.id
    ]


async def claims(session: AsyncSession) -> list[tuple[int, str, str]]:
    rows = await session.scalars(select(NotificationLog).order_by(NotificationLog.id))
    return [(row.user_id, row.key, row.status) for row in rows]


# --- today ---------------------------------------------------------------------------------


async def test_today_lists_the_teachers_own_lessons_of_today(miniapp, session):
    centre = await Centre().build(session)
    other = await make_user(session, OTHER_TEACHER, roles=[Role.TEACHER])
    foreign = await make_group(session, "B2 evening", teacher_id=other.id)
    await make_lesson(session, foreign, centre.lesson.starts_at)
    await make_lesson(session, centre.group, centre.lesson.starts_at + timedelta(days=1))

    response = await miniapp.get("/api/teacher/today", TEACHER)

    assert response.status == 200
    body = await response.json()
    today = datetime.now(UTC).astimezone(TASHKENT).date()
    assert body["date"] == today.isoformat()
    [lesson] = body["lessons"]
    local = centre.lesson.starts_at.astimezone(TASHKENT)
    assert lesson == {
        "id": centre.lesson.id,
        "group": {"id": centre.group.id, "name": "A1 <morning>"},
        "room": "12",
        "starts_at": local.isoformat(),
        "time": f"{local:%H:%M}–{local + timedelta(minutes=90):%H:%M}",
        "status": "scheduled",
        "status_label": "🗓 scheduled",
        "cancelled": False,
    }
    me = await (await miniapp.get("/api/me", TEACHER)).json()
    assert [screen["id"] for screen in me["screens"]] == ["today"]


async def test_today_is_the_teachers_only(miniapp, session):
    await Centre().build(session)
    response = await miniapp.get("/api/teacher/today", MOTHER)
    assert response.status == 403
    [entry] = await audit(session, outcome=AuditOutcome.DENIED)
    assert (entry.action, entry.details) == (
        "teaching.denied",
        {"via": "webapp", "view": "today"},
    )


# --- the sheet -----------------------------------------------------------------------------


async def test_the_sheet_is_the_groups_students_with_their_stored_marks(miniapp, session):
    centre = await Centre().build(session)
    session.add(Attendance(lesson_id=centre.lesson.id, student_id=centre.aziz.id, status="late"))
    await session.commit()

    response = await miniapp.get(f"/api/sheet/{centre.lesson.id}", TEACHER)

    assert response.status == 200
    body = await response.json()
    assert body["lesson"]["course"] == "English" and body["lesson"]["room"] == "12"
    assert [(s["name"], s["frozen"], s["stored"], s["mark"]) for s in body["students"]] == [
        (EVE, False, None, "present"),  # by name, as the chat's sheet
        ("Aziz", False, "late", "late"),
        ("Bobur", False, None, "present"),
        ("Sardor", True, None, None),
    ]
    assert body["cycle"] == ["present", "absent", "late", "excused"]
    assert body["labels"]["absent"] == {"icon": "❌", "word": "absent"}
    assert (body["markable"], body["verdict"], body["refusal"]) == (True, "allowed", None)
    assert body["saved"] is False and body["own_group"] is True
    assert await audit(session) == []


async def test_a_sheet_read_is_a_few_selects_and_writes_nothing(miniapp, session, engine):
    centre = await Centre().build(session)
    url = f"/api/sheet/{centre.lesson.id}"
    await miniapp.get(url, TEACHER)  # the first request of the minute notes last seen
    counter = StatementCounter(engine)
    try:
        assert (await miniapp.get(url, TEACHER)).status == 200
    finally:
        counter.close()
    assert set(counter.statements) == {"SELECT"}, counter.statements
    assert len(counter.statements) <= 6  # the user loader's and three for the sheet


async def test_save_marks_two_absent_audits_and_notifies_once(miniapp, session, bot, sender):
    centre = await Centre().build(session)
    url = f"/api/sheet/{centre.lesson.id}"
    body = {
        "marks": {
            str(centre.aziz.id): "present",
            str(centre.bobur.id): "absent",
            str(centre.eve.id): "absent",
        }
    }

    response = await miniapp.post(url, TEACHER, json=body)
    await sender.wait_background()

    assert response.status == 200
    saved = await response.json()
    assert saved["message"] == "✅ Saved: 1 present, 2 absent, 0 late, 0 excused."
    assert saved["saved"] is True
    assert {s["name"]: s["stored"] for s in saved["students"]}["Bobur"] == "absent"
    assert await marks(session, centre.lesson) == {
        centre.aziz.id: "present",
        centre.bobur.id: "absent",
        centre.eve.id: "absent",
    }
    lesson = await session.get(Lesson, centre.lesson.id, populate_existing=True)
    assert lesson.status == LessonStatus.HELD
    [entry] = await audit(session, action="attendance.saved")
    assert entry.actor_id == centre.teacher.id and entry.object_id == str(centre.lesson.id)
    assert entry.details["counts"] == {"present": 1, "absent": 2, "late": 0, "excused": 0}
    # the absent students and Bobur's mother are told, each in their own language
    [to_bobur] = sent(bot, centre.people["Bobur"])
    assert to_bobur.startswith("❌ You were marked absent at the <b>A1 &lt;morning&gt;</b>")
    [to_eve] = sent(bot, centre.people[EVE])
    assert to_eve.startswith("❌ You were marked absent")
    [to_mother] = sent(bot, MOTHER)
    assert "<b>Bobur</b>" in to_mother and "на уроке" in to_mother
    key = f"lesson:{centre.lesson.id}:student:"
    assert sorted(await claims(session)) == sorted(
        [
            (centre.bobur.id, f"{key}{centre.bobur.id}", "sent"),
            (centre.mother.id, f"{key}{centre.bobur.id}", "sent"),
            (centre.eve.id, f"{key}{centre.eve.id}", "sent"),
        ]
    )

    # the same sheet again: nothing new is sent or claimed
    requests = len(bot.session.requests)
    again = await miniapp.post(url, TEACHER, json=body)
    await sender.wait_background()
    assert again.status == 200
    assert len(bot.session.requests) == requests
    assert len(await claims(session)) == 3
    assert len(sent(bot, MOTHER)) == 1


async def test_an_academic_admin_may_open_and_save_any_groups_sheet(miniapp, session, sender):
    centre = await Centre().build(session)
    admin = await make_user(session, ADMIN, roles=[Role.ADMIN], permissions=[Permission.ACADEMIC])
    url = f"/api/sheet/{centre.lesson.id}"
    body = await (await miniapp.get(url, ADMIN)).json()
    assert body["markable"] is True and body["own_group"] is False

    response = await miniapp.post(url, ADMIN, json={"marks": {str(centre.aziz.id): "excused"}})
    await sender.wait_background()
    assert response.status == 200
    assert (await marks(session, centre.lesson))[centre.aziz.id] == "excused"
    [entry] = await audit(session, action="attendance.saved")
    assert entry.actor_id == admin.id


async def test_everybody_else_is_refused_and_audited_and_nothing_changes(miniapp, session):
    centre = await Centre().build(session)
    await make_user(session, OTHER_TEACHER, roles=[Role.TEACHER])
    await make_user(session, CLERK, roles=[Role.ADMIN], permissions=[Permission.PAYMENTS])
    url = f"/api/sheet/{centre.lesson.id}"
    body = {"marks": {str(centre.aziz.id): "absent"}}
    for person in (OTHER_TEACHER, CLERK, centre.people["Aziz"], MOTHER):
        assert (await miniapp.get(url, person)).status == 403
        response = await miniapp.post(url, person, json=body)
        assert response.status == 403
        assert (await response.json())["error"] == "forbidden"
    # a lesson there is not: the same refusal; an id that is not one: not found
    assert (await miniapp.get("/api/sheet/999999", TEACHER)).status == 403
    assert (await miniapp.post("/api/sheet/999999", TEACHER, json=body)).status == 403
    assert (await miniapp.get("/api/sheet/abc", TEACHER)).status == 404
    assert (await miniapp.post("/api/sheet/0", TEACHER, json=body)).status == 404

    entries = await audit(session)
    assert {(e.action, e.outcome) for e in entries} == {("attendance.denied", "denied")}
    assert len(entries) == 10
    assert {e.details["step"] for e in entries} == {"open", "save"}
    assert entries[0].details == {
        "via": "webapp",
        "lesson_id": centre.lesson.id,
        "reason": "foreign",
        "step": "open",
    }
    assert await marks(session, centre.lesson) == {}
    assert await session.scalar(select(func.count()).select_from(NotificationLog)) == 0


async def test_a_bad_body_is_400_with_a_translated_message_and_changes_nothing(
    miniapp, session, settings
):
    centre = await Centre().build(session)
    stranger = await make_user(session, roles=[Role.STUDENT], full_name="Stranger")
    url = f"/api/sheet/{centre.lesson.id}"
    aziz = str(centre.aziz.id)
    bodies = [
        [],
        "absent",
        {},
        {"marks": []},
        {"marks": {aziz: "gone"}},
        {"marks": {aziz: None}},
        {"marks": {"-3": "absent"}},
        {"marks": {aziz: "absent"}, "lesson": 1},
        {"marks": {aziz: "absent", str(stranger.id): "absent"}},  # not on the roster
        {"marks": {str(centre.sardor.id): "absent"}},  # frozen: not marked
        {"marks": {aziz: "absent", "x": "y" * 10_000}},  # too big
    ]
    for body in bodies:
        response = await miniapp.post(url, TEACHER, json=body)
        assert response.status == 400, body
        problem = await response.json()
        assert problem["error"] == "bad_request" and problem["message"], body
    raw = await miniapp.http.post(
        miniapp.url(url),
        data=b"{not json",
        headers={
            "Authorization": f"tma {sign_init_data(TEACHER)}",
            "Content-Type": "application/json",
        },
    )
    assert raw.status == 400

    # in the user's language
    ru = Person(id=8_100_009, first_name="Olga", language_code="ru")
    await make_user(
        session, ru, roles=[Role.ADMIN], permissions=[Permission.ACADEMIC], language="ru"
    )
    response = await miniapp.post(url, ru, json={"marks": {aziz: "gone"}})
    assert (await response.json())["message"].startswith("Эти отметки")

    assert await marks(session, centre.lesson) == {}
    assert await audit(session) == []
    lesson = await session.get(Lesson, centre.lesson.id, populate_existing=True)
    assert lesson.status == LessonStatus.SCHEDULED


async def test_the_marking_window_is_the_chats(miniapp, session):
    centre = await Centre().build(session)
    now = datetime.now(UTC)
    later = await make_lesson(session, centre.group, now + timedelta(hours=1))
    yesterday = await make_lesson(session, centre.group, now - timedelta(days=1))
    cancelled = await make_lesson(
        session, centre.group, now - timedelta(minutes=5), status=LessonStatus.CANCELLED
    )
    body = {"marks": {str(centre.aziz.id): "absent"}}

    early = await (await miniapp.get(f"/api/sheet/{later.id}", TEACHER)).json()
    opens = (later.starts_at - timedelta(minutes=15)).astimezone(TASHKENT)
    assert early["markable"] is False and early["verdict"] == "too_early"
    assert early["refusal"] == (f"⏳ Marking opens at {opens:%H:%M}, 15 minutes before the lesson.")
    response = await miniapp.post(f"/api/sheet/{later.id}", TEACHER, json=body)
    assert response.status == 409
    assert (await response.json())["message"] == early["refusal"]

    late = await (await miniapp.get(f"/api/sheet/{yesterday.id}", TEACHER)).json()
    assert late["verdict"] == "too_late"
    assert late["refusal"].startswith("🔒 The day of this lesson is over")
    response = await miniapp.post(f"/api/sheet/{yesterday.id}", TEACHER, json=body)
    assert response.status == 403
    assert (await response.json())["message"] == late["refusal"]
    [entry] = await audit(session, outcome=AuditOutcome.DENIED)
    assert entry.action == "attendance.denied"
    assert entry.details == {
        "lesson_id": yesterday.id,
        "reason": "too_late",
        "step": "save",
        "via": "webapp",
    }

    off = await (await miniapp.get(f"/api/sheet/{cancelled.id}", TEACHER)).json()
    assert off["refusal"] == "❌ This lesson was cancelled; there is nothing to mark."
    assert (await miniapp.post(f"/api/sheet/{cancelled.id}", TEACHER, json=body)).status == 409

    # an admin with `academic` may still change yesterday's marks, and is told so
    await make_user(session, ADMIN, roles=[Role.ADMIN], permissions=[Permission.ACADEMIC])
    sheet = await (await miniapp.get(f"/api/sheet/{yesterday.id}", ADMIN)).json()
    assert sheet["markable"] is True and sheet["after_day"] is True
    assert (await miniapp.post(f"/api/sheet/{yesterday.id}", ADMIN, json=body)).status == 200
    for lesson in (later, yesterday, cancelled):
        stored = await marks(session, lesson)
        if lesson is yesterday:  # everybody on the sheet: Aziz absent, the others present
            assert stored == {
                centre.aziz.id: "absent",
                centre.bobur.id: "present",
                centre.eve.id: "present",
            }
        else:
            assert stored == {}


# --- in the browser -------------------------------------------------------------------------


@needs_chromium
async def test_a_teacher_marks_two_absent_in_the_page_and_the_parent_is_told_once(
    miniapp, session, bot, sender
):
    centre = await Centre().build(session)
    for theme in ("light", "dark"):
        async with open_app(miniapp, TEACHER, theme=theme) as page:
            lesson = page.locator(f"[data-screen=today] [data-lesson='{centre.lesson.id}']")
            await lesson.wait_for()
            assert "A1 <morning>" in await lesson.inner_text()
            await screenshot(page, "today", theme)
            await lesson.click()
            grid = page.locator("[data-screen=sheet] .sheet-grid")
            await grid.wait_for()
            cells = grid.locator(".student")
            names = [await cells.nth(i).locator(".name").inner_text() for i in range(4)]
            assert names == [EVE, "Aziz", "Bobur", "Sardor"]  # as written, not as HTML
            assert await grid.locator("b").count() == 0
            assert await cells.nth(3).is_disabled()  # Sardor is frozen
            if theme == "dark":
                await screenshot(page, "sheet", theme)
                continue
            bobur = grid.locator(f"[data-student='{centre.bobur.id}']")
            eve = grid.locator(f"[data-student='{centre.eve.id}']")
            await bobur.click()
            await eve.click()
            assert await bobur.get_attribute("data-mark") == "absent"
            assert "❌ absent" in await eve.inner_text()
            assert "Not saved yet" in await page.locator(".status").inner_text()
            assert await marks(session, centre.lesson) == {}  # nothing until Save
            await page.get_by_role("button", name="Save").click()
            await page.get_by_role("note").filter(has_text="Saved: 1 present, 2 absent").wait_for()
            await screenshot(page, "sheet", theme)
            await sender.wait_background()
            assert await marks(session, centre.lesson) == {
                centre.aziz.id: "present",
                centre.bobur.id: "absent",
                centre.eve.id: "absent",
            }
            [notice] = sent(bot, MOTHER)
            assert "<b>Bobur</b>" in notice
            # Save again: saved, and nobody is told a second time
            async with page.expect_response(lambda r: r.request.method == "POST") as answer:
                await page.get_by_role("button", name="Save").click()
            assert (await answer.value).status == 200
            await page.locator(".status.ok").wait_for()
            await sender.wait_background()
            assert len(sent(bot, MOTHER)) == 1
            assert len(sent(bot, centre.people[EVE])) == 1
            assert len(await claims(session)) == 3
    # each save is audited, as in chat; the second changed nothing
    assert len(await audit(session, action="attendance.saved")) == 2
    assert len(await audit(session, action="attendance.changed")) == 0
