"""The student's and the parent's Mini App screens: the week's timetable, attendance and
grades, balance and payments — the chat's services, the chat's access rules (a parent
only linked children, a student only themself; anything else 403 and audited)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.payments import ledger
from db.models import (
    Attendance,
    AuditEntry,
    AuditOutcome,
    Grade,
    LessonStatus,
    PaymentMethod,
    Role,
)
from tests.chat import Person
from tests.factories import (
    link_parent,
    make_charge,
    make_enrolment,
    make_group,
    make_lessons,
    make_user,
)
from tests.handlers.test_student_views import StatementCounter
from tests.webapp.browser import needs_chromium, open_app, screenshot

TASHKENT = ZoneInfo("Asia/Tashkent")
STUDENT = Person(id=7_100_001, first_name="Aziz", language_code="en")
OTHER = Person(id=7_100_002, first_name="Bobur", language_code="en")
PARENT = Person(id=7_100_003, first_name="Dilnoza", language_code="en")
TEACHER = Person(id=7_100_004, first_name="Nodira", language_code="en")
WEEK = date(2026, 3, 2)  # a Monday
WED, THU = 2, 3
EVE = "<b>Eve</b> & Co"


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def local_monday() -> date:
    today = datetime.now(UTC).astimezone(TASHKENT).date()
    return today - timedelta(days=today.weekday())


def at_local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TASHKENT).astimezone(UTC)


async def denied(session: AsyncSession) -> list[AuditEntry]:
    found = await session.scalars(
        select(AuditEntry).where(AuditEntry.outcome == AuditOutcome.DENIED).order_by(AuditEntry.id)
    )
    return list(found.all())


async def timetable(session: AsyncSession, student, *, group_name="A1 <evening>"):
    """The student's group (Wed and Thu 14:00 in Tashkent, room 12, Nodira's) with the
    lessons of the week of 2 March 2026: Wednesday's, Thursday's cancelled, Friday's a
    moved one; and lessons of the weeks around it."""
    teacher = await make_user(session, TEACHER, roles=[Role.TEACHER], full_name="Nodira")
    slots = [(WED, time(14, 0)), (THU, time(14, 0))]
    group = await make_group(
        session,
        group_name,
        course="English & Co",
        slots=slots,
        room="12",
        teacher_id=teacher.id,
    )
    await make_enrolment(session, student.id, group)
    [wednesday, friday, _before, _after] = await make_lessons(
        session, group, [utc(4, 9), utc(6, 7), utc(1, 9), utc(9, 9)]
    )
    [thursday] = await make_lessons(session, group, [utc(5, 9)], status=LessonStatus.CANCELLED)
    elsewhere = await make_group(session, "Not mine", slots=slots)
    await make_lessons(session, elsewhere, [utc(4, 10)])
    return group, wednesday, thursday, friday


async def test_a_student_reads_their_week_day_by_day_in_the_centre_zone(miniapp, session):
    student = await make_user(session, STUDENT, roles=[Role.STUDENT])
    group, wednesday, thursday, friday = await timetable(session, student)

    response = await miniapp.get("/api/learner/week?start=2026-03-04", STUDENT)

    assert response.status == 200
    body = await response.json()
    assert body["student"] == {"id": student.id, "name": "", "own": True}
    week = body["week"]
    assert (week["start"], week["end"]) == ("2026-03-02", "2026-03-08")
    assert (week["previous"], week["next"]) == ("2026-02-23", "2026-03-09")
    assert week["label"] == "Mon, 2 Mar – 8 March 2026"
    days = body["days"]
    assert [day["date"] for day in days] == [f"2026-03-0{d}" for d in range(2, 9)]
    assert [day["label"] for day in days][:3] == ["Mon, 2 Mar", "Tue, 3 Mar", "Wed, 4 Mar"]
    assert [len(day["lessons"]) for day in days] == [0, 0, 1, 1, 1, 0, 0]
    [wed], [thu], [fri] = (days[i]["lessons"] for i in (2, 3, 4))
    assert wed == {
        "id": wednesday.id,
        "starts_at": "2026-03-04T14:00:00+05:00",
        "ends_at": "2026-03-04T15:30:00+05:00",
        "time": "14:00–15:30",
        "group": {"id": group.id, "name": "A1 <evening>", "course": "English & Co"},
        "room": "12",
        "teacher": "Nodira",
        "topic": None,
        "status": "scheduled",
        "cancelled": False,
        "moved": False,
    }
    assert (thu["id"], thu["cancelled"], thu["moved"]) == (thursday.id, True, False)
    # Friday 12:00 is none of the group's weekly times: moved, as /schedule marks it
    assert (fri["id"], fri["time"], fri["moved"]) == (friday.id, "12:00–13:30", True)
    assert await denied(session) == []


async def test_the_week_defaults_to_the_current_one_and_a_bad_start_is_400(miniapp, session):
    student = await make_user(session, STUDENT, roles=[Role.STUDENT], language="ru")
    monday = local_monday()
    [lesson] = await make_lessons(
        session,
        await make_enrolled_group(session, student),
        [at_local(monday + timedelta(days=1), 9, 30)],
    )

    body = await (await miniapp.get("/api/learner/week", STUDENT)).json()
    assert body["week"]["start"] == body["week"]["current"] == monday.isoformat()
    today = [day for day in body["days"] if day["today"]]
    assert len(today) == 1 and today[0]["date"] == body["week"]["today"]
    [found] = body["days"][1]["lessons"]
    assert (found["id"], found["time"]) == (lesson.id, "09:30–11:00")

    for start in ("2026-3-4", "yesterday", "2026-02-30", "0001-01-01", "9999-12-31", ""):
        response = await miniapp.get(f"/api/learner/week?start={start}", STUDENT)
        assert response.status == 400, start
        problem = await response.json()
        assert problem["error"] == "bad_request"
        assert problem["message"].startswith("Не получилось")  # in the user's language


async def make_enrolled_group(session: AsyncSession, *students, name: str = "B1"):
    group = await make_group(session, name, slots=[(1, time(9, 30))])
    for student in students:
        await make_enrolment(session, student.id, group)
    return group


async def test_a_student_asking_for_someone_elses_screens_is_refused_and_audited(miniapp, session):
    student = await make_user(session, STUDENT, roles=[Role.STUDENT])
    other = await make_user(session, OTHER, roles=[Role.STUDENT])
    await timetable(session, other)

    for view in ("week", "progress", "money"):
        response = await miniapp.get(f"/api/learner/{view}?student={other.id}", STUDENT)
        assert response.status == 403
        assert (await response.json())["error"] == "forbidden"
    entries = await denied(session)
    assert [(e.actor_id, e.action) for e in entries] == [(student.id, "student.view")] * 3
    assert [e.details for e in entries] == [
        {"via": "webapp", "student": other.id, "view": view}
        for view in ("week", "progress", "money")
    ]
    # their own id is fine; a malformed one is a bad request
    assert (await miniapp.get(f"/api/learner/week?student={student.id}", STUDENT)).status == 200
    assert (await miniapp.get("/api/learner/week?student=-1", STUDENT)).status == 400


async def test_a_parent_reads_only_linked_children(miniapp, session):
    parent = await make_user(session, PARENT, roles=[Role.PARENT])
    first = await make_user(session, STUDENT, roles=[Role.STUDENT], full_name="Aziz")
    second = await make_user(session, OTHER, roles=[Role.STUDENT], full_name=EVE)
    stranger = await make_user(session, roles=[Role.STUDENT], full_name="Stranger")
    await link_parent(session, parent, first, second)
    await timetable(session, first)
    await make_lessons(
        session, await make_enrolled_group(session, second, name="Eve's"), [utc(3, 4, 30)]
    )

    children = await (await miniapp.get("/api/children", PARENT)).json()
    assert children == {  # by name, as the chat lists them
        "children": [{"id": second.id, "name": EVE}, {"id": first.id, "name": "Aziz"}]
    }
    # no child named: the first
    body = await (await miniapp.get("/api/learner/week?start=2026-03-02", PARENT)).json()
    assert body["student"] == {"id": second.id, "name": EVE, "own": False}
    [[lesson]] = [day["lessons"] for day in body["days"] if day["lessons"]]
    assert (lesson["group"]["name"], lesson["time"]) == ("Eve's", "09:30–11:00")
    url = f"/api/learner/week?start=2026-03-02&student={first.id}"
    body = await (await miniapp.get(url, PARENT)).json()
    assert body["student"] == {"id": first.id, "name": "Aziz", "own": False}
    assert sum(len(day["lessons"]) for day in body["days"]) == 3

    # a forged id: refused, audited as the chat's /children refuses it
    for view in ("week", "progress", "money"):
        response = await miniapp.get(f"/api/learner/{view}?student={stranger.id}", PARENT)
        assert response.status == 403
    entries = await denied(session)
    assert [(e.actor_id, e.action, e.details["child"]) for e in entries] == [
        (parent.id, "child.view", stranger.id)
    ] * 3


async def test_a_parent_without_children_and_other_roles(miniapp, session):
    await make_user(session, PARENT, roles=[Role.PARENT])
    teacher = await make_user(session, TEACHER, roles=[Role.TEACHER])

    body = await (await miniapp.get("/api/learner/week", PARENT)).json()
    assert body == {"student": None}
    assert await (await miniapp.get("/api/children", PARENT)).json() == {"children": []}
    me = await (await miniapp.get("/api/me", PARENT)).json()
    assert [s["id"] for s in me["screens"]] == ["week", "progress", "money"]

    for path in ("/api/learner/week", "/api/learner/money", "/api/children"):
        assert (await miniapp.get(path, TEACHER)).status == 403
    assert {e.actor_id for e in await denied(session)} == {teacher.id}
    me = await (await miniapp.get("/api/me", TEACHER)).json()
    assert "week" not in [s["id"] for s in me["screens"]]


async def test_progress_attendance_counts_last_marks_and_grades(miniapp, session):
    student = await make_user(session, STUDENT, roles=[Role.STUDENT])
    group, wednesday, _thursday, friday = await timetable(session, student)
    session.add_all(
        [
            Attendance(lesson_id=wednesday.id, student_id=student.id, status="present"),
            Attendance(lesson_id=friday.id, student_id=student.id, status="absent"),
            Grade(
                student_id=student.id,
                group_id=group.id,
                kind="exam",
                score=87,
                max_score=100,
                comment=EVE,
                created_at=utc(4, 10),
            ),
        ]
    )
    await session.commit()

    body = await (await miniapp.get("/api/learner/progress", STUDENT)).json()

    [entry] = body["attendance"]
    assert entry["group"] == {"id": group.id, "name": "A1 <evening>", "course": "English & Co"}
    assert entry["counts"] == [
        {"status": "present", "label": "✅ present", "count": 1},
        {"status": "absent", "label": "❌ absent", "count": 1},
        {"status": "late", "label": "⏰ late", "count": 0},
        {"status": "excused", "label": "📝 excused", "count": 0},
    ]
    assert (entry["marked"], entry["percent"]) == (2, 50)
    assert [(m["when"], m["status"]) for m in entry["recent"]] == [
        ("Fri, 6 Mar · 12:00", "absent"),
        ("Wed, 4 Mar · 14:00", "present"),
    ]
    [grades] = body["grades"]
    [grade] = grades["grades"]
    assert (grade["date"], grade["score"], grade["max"]) == ("Wed, 4 Mar", 87, 100)
    assert (grade["kind"], grade["comment"]) == ("exam", EVE)


async def test_money_is_the_chats_statement_formatted_on_the_server(miniapp, session):
    student = await make_user(session, STUDENT, roles=[Role.STUDENT], language="ru")
    now = datetime.now(UTC)
    month = now.astimezone(TASHKENT).date().replace(day=1)
    await make_charge(
        session, student, amount=1_250_000, period=month, due_date=month, balance_at=now
    )
    paid = await ledger.record_payment(
        session,
        actor_id=None,
        student_id=student.id,
        amount=500_000,
        method=PaymentMethod.CASH,
        note=None,
        now=now - timedelta(hours=1),
    )
    assert paid.outcome is ledger.LedgerOutcome.DONE

    body = await (await miniapp.get("/api/learner/money", STUDENT)).json()

    assert body["balance"] == {
        "amount": -750_000,
        "text": "-750\xa0000 сум",
        "words": "💰 Баланс: долг 750\xa0000 сум",
        "debt": True,
    }
    assert body["month_charge"] == {"amount": 1_250_000, "text": "1\xa0250\xa0000 сум"}
    [payment] = body["payments"]
    assert (payment["amount"], payment["text"]) == (500_000, "500\xa0000 сум")
    assert payment["method"] == "💵 Наличные" and payment["reversed"] is False
    [charge] = body["charges"]
    assert (charge["amount"], charge["cancelled"]) == (1_250_000, False)
    assert body["refunds"] == []


async def test_the_week_is_a_few_selects_whatever_the_lessons_and_writes_nothing(
    miniapp, session, engine
):
    counts = {}
    for number, lessons in enumerate((2, 30)):
        person = Person(id=7_200_000 + number, first_name=f"S{number}", language_code="en")
        student = await make_user(session, person, roles=[Role.STUDENT])
        teacher = await make_user(session, roles=[Role.TEACHER], full_name=f"T{number}")
        groups = [
            await make_group(
                session, f"G{number}-{i}", slots=[(WED, time(14))], teacher_id=teacher.id
            )
            for i in range(3)
        ]
        for group in groups:
            await make_enrolment(session, student.id, group)
        for i in range(lessons):
            await make_lessons(session, groups[i % 3], [utc(2, 0) + timedelta(hours=5 * i)])
        await miniapp.get("/api/learner/week?start=2026-03-02", person)  # last seen noted

        counter = StatementCounter(engine)
        try:
            response = await miniapp.get("/api/learner/week?start=2026-03-02", person)
        finally:
            counter.close()
        body = await response.json()
        assert sum(len(day["lessons"]) for day in body["days"]) == lessons
        assert set(counter.statements) == {"SELECT"}, counter.statements
        counts[lessons] = len(counter.statements)
    assert counts[2] == counts[30] <= 6


# --- in the browser -------------------------------------------------------------------------


async def progress_and_money(session: AsyncSession, student, group) -> None:
    """Three marked lessons of last month, two grades; this month charged 1 250 000, paid
    500 000, and a 200 000 payment reversed: a debt of 750 000."""
    now = datetime.now(UTC)
    earlier = await make_lessons(
        session, group, [now - timedelta(days=40 + days) for days in range(3)]
    )
    for lesson, status in zip(earlier, ("present", "late", "absent"), strict=True):
        session.add(Attendance(lesson_id=lesson.id, student_id=student.id, status=status))
    for score, comment in ((92, EVE), (70, None)):
        session.add(
            Grade(
                student_id=student.id,
                group_id=group.id,
                kind="test",
                score=score,
                max_score=100,
                comment=comment,
                created_at=now - timedelta(days=score - 60),
            )
        )
    await session.commit()
    month = now.astimezone(TASHKENT).date().replace(day=1)
    await make_charge(
        session, student, amount=1_250_000, period=month, due_date=month, balance_at=now
    )
    for amount, method in ((500_000, PaymentMethod.CASH), (200_000, PaymentMethod.CARD)):
        paid = await ledger.record_payment(
            session,
            actor_id=None,
            student_id=student.id,
            amount=amount,
            method=method,
            note=None,
            now=now - timedelta(hours=amount // 100_000),
        )
    await ledger.reverse_payment(
        session, actor_id=None, payment_id=paid.payment.id, reason="typo", now=now
    )


@needs_chromium
async def test_a_student_sees_their_week_in_tashkent_time_and_moves_between_weeks(miniapp, session):
    student = await make_user(session, STUDENT, roles=[Role.STUDENT])
    teacher = await make_user(session, TEACHER, roles=[Role.TEACHER], full_name="Nodira")
    monday = local_monday()
    group = await make_group(
        session,
        EVE,
        course="English",
        room="12",
        teacher_id=teacher.id,
        slots=[(0, time(14)), (2, time(14))],
    )
    await make_enrolment(session, student.id, group)
    await make_lessons(session, group, [at_local(monday, 14), at_local(monday + timedelta(2), 14)])
    await make_lessons(
        session, group, [at_local(monday + timedelta(4), 16)], status=LessonStatus.CANCELLED
    )
    await make_lessons(session, group, [at_local(monday + timedelta(7), 14)])
    await progress_and_money(session, student, group)

    for theme in ("light", "dark"):
        async with open_app(miniapp, STUDENT, theme=theme) as page:
            await page.locator("[data-screen=week] .day").first.wait_for()
            tabs = await page.locator("nav#tabs button").all_inner_texts()
            assert tabs == ["Timetable", "Attendance and grades", "Balance"]
            first_day = page.locator(f'[data-day="{monday.isoformat()}"]')
            text = await first_day.inner_text()
            assert "14:00–15:30" in text  # 09:00 UTC, shown in Tashkent
            assert "09:00" not in text
            assert EVE in text  # a name put in as text, not as HTML
            assert await first_day.locator("b", has_text="Eve").count() == 0
            assert "room 12" in text and "teacher: Nodira" in text
            cancelled = page.locator(f'[data-day="{(monday + timedelta(4)).isoformat()}"] .lesson')
            assert "cancelled" in await cancelled.inner_text()
            assert "cancelled" in (await cancelled.get_attribute("class"))
            await screenshot(page, "week", theme)
            await page.locator("nav#tabs button[data-screen=progress]").click()
            await page.locator("[data-screen=progress] [data-grade]").first.wait_for()
            shown = await page.locator("main").inner_text()
            assert "Attended (present or late): 67%, marked lessons: 3" in shown
            assert "92/100" in shown and EVE in shown
            await screenshot(page, "progress", theme)
            await page.locator("nav#tabs button[data-screen=money]").click()
            await page.locator("[data-screen=money] [data-payment]").first.wait_for()
            shown = await page.locator("main").inner_text()
            assert "debt of 750,000 soʻm" in shown and "500,000 soʻm" in shown
            assert "reversed" in shown
            await screenshot(page, "money", theme)
            await page.locator("nav#tabs button[data-screen=week]").click()
            await first_day.wait_for()
            if theme == "light":
                await page.locator("[data-go=next]").click()
                next_monday = (monday + timedelta(7)).isoformat()
                await page.locator(f'[data-day="{next_monday}"] .lesson').wait_for()
                await page.locator("[data-go=this]").click()
                await first_day.wait_for()


@needs_chromium
async def test_a_parent_switches_between_two_children(miniapp, session):
    parent = await make_user(session, PARENT, roles=[Role.PARENT])
    first = await make_user(session, STUDENT, roles=[Role.STUDENT], full_name="Aziz")
    second = await make_user(session, OTHER, roles=[Role.STUDENT], full_name=EVE)
    await link_parent(session, parent, first, second)
    monday = local_monday()
    mornings = await make_enrolled_group(session, first, name="Aziz's group")
    evenings = await make_enrolled_group(session, second, name="Eve's group")
    [lesson] = await make_lessons(session, mornings, [at_local(monday + timedelta(1), 9, 30)])
    await make_lessons(session, evenings, [at_local(monday + timedelta(1), 9, 30)])
    session.add(Attendance(lesson_id=lesson.id, student_id=first.id, status="late"))
    await session.commit()
    await make_charge(
        session, first, amount=300_000, period=monday.replace(day=1), balance_at=utc(1, 0)
    )

    async with open_app(miniapp, PARENT) as page:
        await page.locator("[data-screen=week] .day").first.wait_for()
        chips = page.locator(".chips .chip")
        assert await chips.all_inner_texts() == [EVE, "Aziz"]  # the name as text, not HTML
        assert await chips.nth(0).get_attribute("aria-pressed") == "true"
        assert "Eve's group" in await page.locator("main").inner_text()
        await chips.nth(1).click()
        await page.locator('.chip[aria-pressed="true"]', has_text="Aziz").wait_for()
        shown = await page.locator("main").inner_text()
        assert "Aziz's group" in shown and "Eve's group" not in shown
        await page.locator("nav#tabs button[data-screen=progress]").click()
        # the other screens open on the child chosen last
        await page.locator("[data-screen=progress] [data-group]").first.wait_for()
        assert await page.locator('.chip[aria-pressed="true"]').inner_text() == "Aziz"
        assert "⏰ late: 1" in await page.locator("main").inner_text()
        await page.locator("nav#tabs button[data-screen=money]").click()
        await page.locator("[data-screen=money] .balance").wait_for()
        assert "debt of 300,000 soʻm" in await page.locator(".balance").inner_text()
        await page.locator(".chip", has_text="Eve").click()
        await page.locator('.chip[aria-pressed="true"]', has_text="Eve").wait_for()
        assert "0 — nothing owed" in await page.locator(".balance").inner_text()
