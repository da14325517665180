"""/broadcast, /broadcasts and /incident through the real dispatcher: audiences and consent,
essential vs announcement, preview, sending with copyMessage, 429 and 403, cancel, schedule,
the XLSX report, and forged or stale buttons."""

import asyncio
from datetime import UTC, date, timedelta
from io import BytesIO

from aiogram.methods import CopyMessage, SendDocument
from aiogram.types import PhotoSize
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.jobs.broadcasts import broadcast_tick
from bot.notices import broadcast as broadcast_runner
from bot.notices.broadcast import RetryPolicy, launcher_for
from bot.services import broadcasts as service
from bot.services.broadcasts import Audience
from bot.services.consent import Choices
from db.base import utcnow
from db.models import (
    AudienceType,
    AuditEntry,
    Balance,
    Broadcast,
    Course,
    Delivery,
    Enrolment,
    Group,
    Lesson,
    Permission,
    Role,
    User,
)
from keyboards.broadcasts import BroadcastCb
from tests.chat import Person
from tests.factories import make_user

STALE = "⚠️ This button is out of date. Open the menu again."
REFUSED = "⚠️ You do not have access to this. If you think you should, ask the administrator."
NO_ANNOUNCEMENTS = Choices(reminders=True, announcements=False, analytics=False)

ALI = Person(id=5_000_001, first_name="Ali", language_code="en")
BEK = Person(id=5_000_002, first_name="Bek", language_code="en")
VALI = Person(id=5_000_003, first_name="Vali", language_code="en")
DILYA = Person(id=5_000_004, first_name="Dilya", language_code="en")
ERKIN = Person(id=5_000_005, first_name="Erkin", language_code="en")
FARID = Person(id=5_000_006, first_name="Farid", language_code="en")
ADMIN = Person(id=5_000_007, first_name="Admin", language_code="en")


def copies(bot, ok_only: bool = True) -> dict[int, int]:
    """Copies per chat (the successful ones unless `ok_only` is False)."""
    counted: dict[int, int] = {}
    for call, result in zip(bot.session.requests, bot.session.results, strict=True):
        if isinstance(call, CopyMessage) and (not ok_only or not isinstance(result, Exception)):
            counted[int(call.chat_id)] = counted.get(int(call.chat_id), 0) + 1
    return counted


async def world(session, owner):
    """Owner; students Ali (group A1 of English, a debt) and Bek (group B1 of Maths, a lesson
    today) ; Vali a parent without announcements; Dilya without consent; Erkin blocked the bot;
    Farid a teacher."""
    admin = await make_user(session, owner, roles=[Role.ADMIN])
    ali = await make_user(session, ALI, roles=[Role.STUDENT], full_name="Ali <Valiyev>")
    bek = await make_user(session, BEK, roles=[Role.STUDENT], full_name="Bek")
    vali = await make_user(
        session, VALI, roles=[Role.PARENT], full_name="Vali", choices=NO_ANNOUNCEMENTS
    )
    dilya = await make_user(session, DILYA, roles=[Role.STUDENT], full_name="Dilya", consent=None)
    erkin = await make_user(session, ERKIN, roles=[Role.STUDENT], full_name="Erkin")
    erkin.is_active = False
    farid = await make_user(session, FARID, roles=[Role.TEACHER], full_name="Farid")
    english, maths = Course(name="English", monthly_price=1), Course(name="Maths", monthly_price=1)
    session.add_all([english, maths])
    await session.flush()
    a1 = Group(course_id=english.id, name="A1", start_date=date(2025, 1, 1), capacity=10)
    b1 = Group(course_id=maths.id, name="B1", start_date=date(2025, 1, 1), capacity=10)
    session.add_all([a1, b1])
    await session.flush()
    for student, group in ((ali, a1), (bek, b1), (dilya, a1), (erkin, b1)):
        session.add(Enrolment(student_id=student.id, group_id=group.id, joined_on=date(2025, 1, 1)))
    session.add(
        Enrolment(student_id=vali.id, group_id=a1.id, joined_on=date(2025, 1, 1), status="left")
    )
    session.add_all(
        [Balance(student_id=ali.id, amount=-100_000), Balance(student_id=bek.id, amount=50_000)]
    )
    await session.commit()
    return {
        "admin": admin.id,
        "ali": ali.id,
        "bek": bek.id,
        "vali": vali.id,
        "dilya": dilya.id,
        "erkin": erkin.id,
        "farid": farid.id,
        "english": english.id,
        "a1": a1.id,
        "b1": b1.id,
    }


async def add_lesson_today(session, settings, group_id: int, **values) -> None:
    start, _end = service.day_bounds(utcnow(), settings.centre.tz)
    session.add(
        Lesson(
            group_id=group_id, starts_at=start + timedelta(hours=12), duration_minutes=90, **values
        )
    )
    await session.commit()


async def who(session, settings, audience: Audience, category: str = "announcement") -> set[int]:
    chosen = await service.audience_recipients(session, audience, category, settings, utcnow())
    return {recipient.user_id for recipient in chosen}


async def test_audiences_honour_roles_groups_courses_debtors_today_and_consent(
    session, settings, owner
):
    ids = await world(session, owner)
    await add_lesson_today(session, settings, ids["b1"])
    await add_lesson_today(session, settings, ids["a1"], status="cancelled")
    everyone = {ids["admin"], ids["ali"], ids["bek"], ids["farid"]}
    assert await who(session, settings, Audience(AudienceType.ALL)) == everyone
    # essential: also Vali, who switched announcements off; never Dilya (no consent) nor
    # Erkin (blocked the bot)
    assert await who(session, settings, Audience(AudienceType.ALL), "essential") == everyone | {
        ids["vali"]
    }
    assert await who(session, settings, Audience(AudienceType.ROLE, role=Role.STUDENT)) == {
        ids["ali"],
        ids["bek"],
    }
    assert await who(session, settings, Audience(AudienceType.ROLE, role=Role.PARENT)) == set()
    parents = Audience(AudienceType.ROLE, role=Role.PARENT)
    assert await who(session, settings, parents, "essential") == {ids["vali"]}
    english = Audience(AudienceType.COURSE, id=ids["english"])
    assert await who(session, settings, english) == {ids["ali"]}  # Vali left the group
    assert await who(session, settings, Audience(AudienceType.GROUP, id=ids["b1"])) == {ids["bek"]}
    assert await who(session, settings, Audience(AudienceType.DEBTORS)) == {ids["ali"]}
    # A1's lesson today is cancelled: only B1's students
    assert await who(session, settings, Audience(AudienceType.TODAY)) == {ids["bek"]}


async def entries(session, action: str) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(await session.scalars(query))


async def deliveries(session, broadcast_id: int) -> dict[int, str]:
    rows = await session.execute(
        select(Delivery.user_id, Delivery.status)
        .where(Delivery.broadcast_id == broadcast_id)
        .execution_options(populate_existing=True)
    )
    return {user_id: status for user_id, status in rows}


async def fresh(session, broadcast_id: int) -> Broadcast:
    broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
    assert broadcast is not None
    return broadcast


async def compose(client, person, audience_button: str, *extra: str, text="Hello, <all>!"):
    """Walk the form up to the category question; returns the last reply."""
    first = await client.send(person, "/broadcast")
    assert "Step 1/4" in first.text
    step = await client.send(person, text)
    assert "Step 2/4 — who gets it?" in step.text
    reply = await client.press(person, step.callback_data(audience_button), step.message_id)
    for button in extra:
        reply = await client.press(person, reply.callback_data(button), step.message_id)
    return reply, step.message_id


async def test_announcement_to_everyone_preview_send_report(
    client, session, settings, owner, bot, sender
):
    ids = await world(session, owner)
    category, mid = await compose(client, owner, "👥 Everyone")
    assert "Step 3/4" in category.text
    preview = await client.press(owner, category.callback_data("📢 Announcement"), mid)
    [copy] = preview.of(CopyMessage)  # the preview is the message itself, copied back
    assert copy.chat_id == owner.id and copy.from_chat_id == owner.id
    assert "📬 <b>4 people will get this.</b>" in preview.text
    assert preview.buttons()[0] == "✅ Send to 4 now"
    assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0  # not yet

    sent = await client.press(owner, preview.callback_data("✅ Send to 4 now"))
    assert sent.answers[0].text == "✅ Sending has started."
    await launcher_for(sender).wait()
    [broadcast] = (await session.scalars(select(Broadcast))).all()
    broadcast = await fresh(session, broadcast.id)
    assert broadcast.status == "done" and broadcast.category == "announcement"
    assert (broadcast.total, broadcast.sent, broadcast.failed, broadcast.blocked) == (4, 4, 0, 0)
    assert await deliveries(session, broadcast.id) == {
        ids["admin"]: "sent",
        ids["ali"]: "sent",
        ids["bek"]: "sent",
        ids["farid"]: "sent",
    }
    counted = copies(bot)
    assert counted == {owner.id: 2, ALI.id: 1, BEK.id: 1, FARID.id: 1}  # owner: preview + copy
    for call in bot.session.requests:
        if isinstance(call, CopyMessage):
            assert (call.from_chat_id, call.message_id) == (
                broadcast.source_chat_id,
                broadcast.source_message_id,
            )
    progress = bot.session.telegram.messages[(owner.id, broadcast.progress_message_id)]
    assert "✅ 📣 Broadcast #1: finished" in progress.text and "✅ Sent: 4" in progress.text
    assert [b.text for row in progress.reply_markup.inline_keyboard for b in row] == [
        "📊 Report (XLSX)"
    ]
    assert [e.object_id for e in await entries(session, "broadcast.created")] == ["1"]
    assert (await entries(session, "broadcast.sent"))[0].details == {"recipients": 4}

    # the XLSX report lists each recipient with its status
    report = await client.press(owner, BroadcastCb(action="xlsx", id=broadcast.id).pack())
    assert len(report.of(SendDocument)) == 1
    name, data = bot.session.telegram.uploads[report.results[0].document.file_id]
    assert name == "broadcast-1.xlsx"
    sheet = load_workbook(BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("user_id", "full_name", "username", "status", "attempts", "sent_at", "error")
    assert {(row[0], row[1], row[3]) for row in rows[1:]} == {
        (ids["admin"], "Owner", "sent"),
        (ids["ali"], "Ali <Valiyev>", "sent"),
        (ids["bek"], "Bek", "sent"),
        (ids["farid"], "Farid", "sent"),
    }
    assert await entries(session, "broadcast.report")


async def test_essential_asks_to_confirm_and_reaches_those_without_announcements(
    client, session, settings, owner, bot, sender
):
    ids = await world(session, owner)
    category, mid = await compose(client, owner, "🎭 By role", "Parents")
    assert "Parents" in category.text
    announcement = await client.press(owner, category.callback_data("📢 Announcement"), mid)
    assert "Nobody in this audience can get it now" in announcement.text  # Vali said no
    assert announcement.buttons() == ["✏️ Change the audience", "❌ Cancel"]
    back = await client.press(owner, announcement.callback_data("✏️ Change the audience"))
    category = await client.press(owner, back.callback_data("🎭 By role"))
    category = await client.press(owner, category.callback_data("Parents"))
    question = await client.press(owner, category.callback_data("❗ Essential"))
    assert "Is it really essential?" in question.text
    assert question.buttons() == [
        "❗ Send as essential",
        "📢 Send as an announcement",
        "❌ Cancel",
    ]
    preview = await client.press(owner, question.callback_data("❗ Send as essential"))
    assert "📬 <b>1 person will get this.</b>" in preview.text and "❗ Essential" in preview.text
    await client.press(owner, preview.callback_data("✅ Send to 1 now"))
    await launcher_for(sender).wait()
    broadcast = await fresh(session, 1)
    assert broadcast.category == "essential" and broadcast.audience == {
        "type": "role",
        "role": "parent",
    }
    assert await deliveries(session, 1) == {ids["vali"]: "sent"}
    assert copies(bot)[VALI.id] == 1


async def test_group_and_course_pickers_and_a_photo(client, session, settings, owner, bot, sender):
    ids = await world(session, owner)
    await client.send(owner, "/broadcast")
    photo = [PhotoSize(file_id="p1", file_unique_id="p1", width=1, height=1)]
    step = await client.send(owner, photo=photo, caption="Our new room")
    groups = await client.press(owner, step.callback_data("👥 A group's students"))
    assert groups.buttons() == ["A1", "B1", "⬅ Back"]
    category = await client.press(owner, groups.callback_data("B1"))
    preview = await client.press(owner, category.callback_data("📢 Announcement"))
    assert "👥 Audience: 👥 A group's students: B1" in preview.text
    assert "📬 <b>1 person will get this.</b>" in preview.text  # Erkin blocked the bot
    # a forged group id is refused at the picker
    await client.press(owner, preview.callback_data("✏️ Change the audience"))
    forged = await client.press(owner, BroadcastCb(action="group", id=999).pack())
    assert forged.answers[0].text == STALE
    await client.press(owner, BroadcastCb(action="aud", value="course").pack())
    category = await client.press(owner, BroadcastCb(action="course", id=ids["english"]).pack())
    preview = await client.press(owner, category.callback_data("📢 Announcement"))
    await client.press(owner, preview.callback_data("✅ Send to 1 now"))
    await launcher_for(sender).wait()
    assert await deliveries(session, 1) == {ids["ali"]: "sent"}
    broadcast = await fresh(session, 1)
    assert broadcast.preview_text == "Our new room"


async def test_unsupported_content_is_refused(client, session, owner):
    await world(session, owner)
    await client.send(owner, "/broadcast")
    from aiogram.types import Contact

    reply = await client.send(owner, contact=Contact(phone_number="+998901234567", first_name="X"))
    assert "I can broadcast text, a photo" in reply.text and "Step 1/4" in reply.text


async def send_everyone(client, owner, category="📢 Announcement") -> None:
    reply, _mid = await compose(client, owner, "👥 Everyone")
    preview = await client.press(owner, reply.callback_data(category))
    send = next(text for text in preview.buttons() if text.startswith("✅ Send to"))
    await client.press(owner, preview.callback_data(send))


async def send_to_students(client, owner, bot, errors=()) -> None:
    category, mid = await compose(client, owner, "🎭 By role", "Students")
    preview = await client.press(owner, category.callback_data("📢 Announcement"), mid)
    for error in errors:
        bot.session.fail_next(CopyMessage, *error[:2], **error[2])
    send = next(text for text in preview.buttons() if text.startswith("✅ Send to"))
    await client.press(owner, preview.callback_data(send))


async def test_429_pauses_and_resumes(client, session, settings, owner, bot, sender):
    ids = await world(session, owner)
    too_many = (429, "Too Many Requests: retry after 1", {"retry_after": 1})
    started = asyncio.get_running_loop().time()
    await send_to_students(client, owner, bot, [too_many])
    await launcher_for(sender).wait()
    assert asyncio.get_running_loop().time() - started >= 1  # every send waited retry_after
    assert await deliveries(session, 1) == {ids["ali"]: "sent", ids["bek"]: "sent"}
    assert copies(bot) == {owner.id: 1, ALI.id: 1, BEK.id: 1}  # the 429 did not cost anybody
    assert sum(copies(bot, ok_only=False).values()) == 4  # …but one copy was asked twice
    broadcast = await fresh(session, 1)
    assert (broadcast.sent, broadcast.failed, broadcast.blocked) == (2, 0, 0)


async def test_403_marks_the_user_inactive_and_counts_blocked(
    client, session, settings, owner, bot, sender
):
    await world(session, owner)
    blocked = (403, "Forbidden: bot was blocked by the user", {})
    await send_to_students(client, owner, bot, [blocked])
    await launcher_for(sender).wait()
    broadcast = await fresh(session, 1)
    assert (broadcast.sent, broadcast.failed, broadcast.blocked) == (1, 0, 1)
    statuses = await deliveries(session, 1)
    [blocked_id] = [user for user, status in statuses.items() if status == "blocked"]
    user = await session.get(User, blocked_id, populate_existing=True)
    assert user.is_active is False
    progress = bot.session.telegram.messages[(owner.id, broadcast.progress_message_id)]
    assert "🚫 Blocked the bot: 1" in progress.text
    # next time the blocked user is not counted, nor sent to
    category, mid = await compose(client, owner, "🎭 By role", "Students")
    preview = await client.press(owner, category.callback_data("📢 Announcement"), mid)
    assert "📬 <b>1 person will get this.</b>" in preview.text


async def test_stop_before_the_runner_sends_nothing(
    client, session, session_factory, settings, owner, bot, sender
):
    ids = await world(session, owner)
    draft = service.Draft(owner.id, 1, "Hi", Audience(AudienceType.ALL), "announcement")
    broadcast = await service.send_now(session, ids["admin"], draft, settings, utcnow())
    # Stop before the runner got to it: nothing goes out
    stopped = await client.press(owner, BroadcastCb(action="stop", id=broadcast.id).pack())
    assert stopped.answers[0].text == "❌ Cancelled: nothing more will be sent."
    assert "❌ <b>📣 Broadcast #1: cancelled</b>" in stopped.text
    assert "✋ Not sent (cancelled): 4" in stopped.text
    assert set((await deliveries(session, broadcast.id)).values()) == {"cancelled"}
    await broadcast_tick(session_factory, bot, sender, settings)
    await launcher_for(sender).wait()
    assert copies(bot) == {}
    again = await client.press(owner, BroadcastCb(action="stop", id=broadcast.id).pack())
    assert again.answers[0].text == "ℹ️ It has already ended."
    [entry] = await entries(session, "broadcast.cancelled")
    assert entry.details == {"was": "sending", "not_sent": 4}


async def test_schedule_list_start_and_cancel(
    client, session, session_factory, settings, owner, bot, sender
):
    ids = await world(session, owner)
    reply, mid = await compose(client, owner, "💸 Debtors")
    preview = await client.press(owner, reply.callback_data("📢 Announcement"), mid)
    when = await client.press(owner, preview.callback_data("🕘 Schedule"))
    assert "When should it go?" in when.text
    assert "⚠️ Type the date as DD.MM.YYYY" in (await client.send(owner, "some day")).text
    past = (utcnow() - timedelta(days=1)).astimezone(settings.centre.tz)
    typed = await client.send(owner, past.strftime("%d.%m.%Y %H:%M"))
    assert "That time has passed" in typed.text
    later = (utcnow() + timedelta(days=2)).astimezone(settings.centre.tz)
    confirm = await client.send(owner, later.strftime("%d.%m.%Y %H:%M"))
    assert "Send it on <b>" in confirm.text
    assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0
    done = await client.press(owner, confirm.callback_data("✅ Confirm the time"))
    assert "🕘 📣 Broadcast #1 is scheduled for" in done.text
    broadcast = await fresh(session, 1)
    assert broadcast.status == "scheduled" and broadcast.scheduled_at == later.replace(
        second=0, microsecond=0
    ).astimezone(UTC)
    assert await deliveries(session, 1) == {}
    assert await entries(session, "broadcast.scheduled")

    # a second one, to be cancelled from its card
    second = await service.schedule(
        session,
        ids["admin"],
        service.Draft(owner.id, 2, "Two", Audience(AudienceType.ALL), "announcement"),
        utcnow() - timedelta(minutes=1),
    )
    listed = await client.send(owner, "/broadcasts")
    assert listed.buttons()[0].startswith(f"🕘 #{second.id} ·")
    card = await client.press(owner, listed.callback_data(listed.buttons()[0]), listed.message_id)
    assert "🕘 Scheduled" in card.text and "❌ Cancel the broadcast" in card.buttons()
    cancelled = await client.press(owner, card.callback_data("❌ Cancel the broadcast"))
    assert "❌ Cancelled" in cancelled.text

    # time passes: the job starts the first, with the recipients of that moment
    await session.execute(
        Broadcast.__table__.update().where(Broadcast.id == 1).values(scheduled_at=utcnow())
    )
    await session.commit()
    assert await broadcast_tick(session_factory, bot, sender, settings) == [1]
    await launcher_for(sender).wait()
    broadcast = await fresh(session, 1)
    assert broadcast.status == "done" and broadcast.sent == 1
    assert await deliveries(session, 1) == {ids["ali"]: "sent"}
    assert (await fresh(session, second.id)).status == "cancelled"
    # the report went to the author in a new progress message
    assert broadcast.progress_chat_id == owner.id and broadcast.progress_message_id
    assert await entries(session, "broadcast.started")


async def test_incident_notice_by_owners_only(client, session, settings, owner, bot, sender):
    ids = await world(session, owner)
    admin = await make_user(session, ADMIN, roles=[Role.ADMIN], permissions=list(Permission))
    refused = await client.send(ADMIN, "/incident")
    assert refused.text == REFUSED
    [denied] = await entries(session, "access.denied")
    assert denied.details["needs"] == "owner" and denied.outcome == "denied"
    forged = await client.press(ADMIN, BroadcastCb(action="isend").pack())
    assert [(a.text, a.show_alert) for a in forged.answers] == [(REFUSED, True)]

    start = await client.send(owner, "/incident")
    assert "Incident notice" in start.text
    confirm = await client.send(owner, "The centre is closed today: no heating.")
    assert "6 people will get this notice now" in confirm.text  # Vali too; not Dilya, Erkin
    assert confirm.buttons() == ["🚨 Send to 6 now", "Do not send"]
    sent = await client.press(owner, confirm.callback_data("🚨 Send to 6 now"))
    assert sent.answers[0].text == "✅ Sending has started."
    await launcher_for(sender).wait()
    broadcast = await fresh(session, 1)
    assert broadcast.incident and broadcast.category == "essential" and broadcast.sent == 6
    assert set(await deliveries(session, 1)) == {
        ids["admin"],
        ids["ali"],
        ids["bek"],
        ids["vali"],
        ids["farid"],
        admin.id,
    }
    assert await entries(session, "incident.sent")
    stale = await client.press(owner, BroadcastCb(action="isend").pack())
    assert stale.answers[0].text == STALE


async def test_forged_and_stale_buttons_change_nothing(client, session, owner, bot):
    await world(session, owner)
    student = ALI
    for data in ("send", "ess", "when", "sched", "back"):
        reply = await client.press(owner, BroadcastCb(action=data).pack())
        assert reply.answers[0].text == STALE
        refused = await client.press(student, BroadcastCb(action=data).pack())
        assert refused.answers[0].text == REFUSED
    missing = await client.press(owner, BroadcastCb(action="card", id=42).pack())
    assert missing.answers[0].text == STALE
    for action in ("card", "cancel", "stop", "xlsx"):
        huge = await client.press(owner, f"bc:{action}:{10**30}:{10**30}:")
        assert huge.answers[0].text == STALE
    assert (await client.press(owner, BroadcastCb(action="xlsx", id=42).pack())).answers[
        0
    ].text == STALE
    # an admin without `broadcast` cannot open the form nor press its buttons
    await make_user(session, ADMIN, roles=[Role.ADMIN], permissions=[Permission.USERS])
    assert (await client.send(ADMIN, "/broadcast")).text == REFUSED
    assert (await client.send(ADMIN, "/broadcasts")).text == REFUSED
    assert (await client.press(ADMIN, BroadcastCb(action="stop", id=1).pack())).answers[
        0
    ].text == REFUSED
    assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0
    assert await session.scalar(select(func.count()).select_from(Delivery)) == 0


async def test_a_server_error_is_retried_and_shown_apart_until_it_goes(
    client, session, settings, owner, bot, sender, monkeypatch
):
    """Issue 15, item 7: a 502 is not the end of a delivery. While it waits for its next
    attempt the card says so (not "failed"); then it goes, and the report counts it sent."""
    monkeypatch.setattr(broadcast_runner, "DEFAULT_RETRY", RetryPolicy(first=0.5, window=60))
    ids = await world(session, owner)
    await send_to_students(client, owner, bot, [(502, "Bad Gateway", {})])
    for _ in range(100):
        if "retrying" in (await deliveries(session, 1)).values():
            break
        await asyncio.sleep(0.01)
    listed = await client.send(owner, "/broadcasts")
    card = await client.press(owner, listed.callback_data(listed.buttons()[0]), listed.message_id)
    assert "⏳ Sending" in card.text and "⚠️ Failed: 0" in card.text
    assert "🔁 Retrying (Telegram did not answer, tried again later): 1" in card.text
    await launcher_for(sender).wait()
    assert await deliveries(session, 1) == {ids["ali"]: "sent", ids["bek"]: "sent"}
    broadcast = await fresh(session, 1)
    assert broadcast.status == "done" and (broadcast.sent, broadcast.failed) == (2, 0)
    progress = bot.session.telegram.messages[(owner.id, broadcast.progress_message_id)]
    assert "finished" in progress.text and "✅ Sent: 2" in progress.text
    assert "Failed: 0" in progress.text and "Retrying" not in progress.text
    assert copies(bot) == {owner.id: 1, ALI.id: 1, BEK.id: 1}
