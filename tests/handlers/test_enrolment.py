"""Enrolment from the group card: add (picker and search), full groups, the same course
twice, discount, freeze, move, leave — with the notices to the student and parents."""

from datetime import date, time

from aiogram.methods import SendMessage
from sqlalchemy import func, select, update

from bot.services.academic import SlotSpec
from db.base import utcnow
from db.models import (
    AuditEntry,
    Enrolment,
    EnrolmentStatus,
    Group,
    Role,
)
from keyboards.academic import EnrolCb, GroupCb
from tests.chat import Person
from tests.factories import link_parent, make_course, make_enrolment, make_user, save_group

REASONS = [
    "🏠 Moved away",
    "💸 Price",
    "🕒 Schedule",
    "👎 Quality",
    "🎓 Finished the course",
    "✏️ Other",
]
STALE = "⚠️ This button is out of date. Open the menu again."
REFUSED = "⚠️ You do not have access to this. If you think you should, ask the administrator."

ALI = Person(id=4_000_001, first_name="Ali", language_code="ru")
VALI = Person(id=4_000_002, first_name="Vali", language_code="uz")
BEK = Person(id=4_000_003, first_name="Bek", language_code="en")


async def setup(session, settings, owner):
    admin = await make_user(session, owner)
    ali = await make_user(
        session, ALI, roles=[Role.STUDENT], language="ru", full_name="Ali Valiyev"
    )
    vali = await make_user(session, VALI, roles=[Role.PARENT], language="uz", full_name="Vali")
    bek = await make_user(session, BEK, roles=[Role.STUDENT], full_name="Bek Gʻulomov")
    await link_parent(session, vali, ali, commit=False)
    course = await make_course(session, monthly_price=1_000_000)
    one_slot = dict(room=None, slots=(SlotSpec(0, time(9, 0), 90),))
    a1 = await save_group(session, settings, admin, course, name="A1", capacity=1, **one_slot)
    a2 = await save_group(session, settings, admin, course, name="A2", capacity=5, **one_slot)
    return {
        "admin": admin.id,
        "ali": ali.id,
        "vali": vali.id,
        "bek": bek.id,
        "a1": a1.id,
        "a2": a2.id,
    }


async def enrolments(session) -> list[tuple[int, int, str, date | None, int]]:
    rows = await session.execute(
        select(
            Enrolment.student_id,
            Enrolment.group_id,
            Enrolment.status,
            Enrolment.left_on,
            Enrolment.discount_percent,
        )
        .order_by(Enrolment.id)
        .execution_options(populate_existing=True)
    )
    return [tuple(row) for row in rows]


def sent_to(reply, person: Person) -> list[str]:
    return [call.text for call in reply.of(SendMessage) if call.chat_id == person.id]


async def test_enrol_full_group_over_capacity_move_and_leave(client, session, owner, settings):
    ids = await setup(session, settings, owner)
    today = utcnow().astimezone(settings.centre.tz).date()

    # an empty group says so
    students = await client.press(owner, EnrolCb(action="list", group=ids["a1"]).pack())
    assert "No students in this group yet" in students.text
    mid = students.message_id

    # add Ali: the picker lists the students; typing a part of the name narrows it
    picker = await client.press(owner, students.callback_data("➕ Add student"), mid)
    assert picker.buttons()[:2] == ["Ali Valiyev", "Bek Gʻulomov"]
    found = await client.send(owner, "vali")
    assert found.buttons() == ["Ali Valiyev", "⬅ Back"]
    assert "⚠️ Type at least 2 letters" in (await client.send(owner, "v")).text
    confirm = await client.press(owner, found.callback_data("Ali Valiyev"), found.message_id)
    assert "Add Ali Valiyev to A1" in confirm.text and "👤 Students: 0/1" in confirm.text
    assert await enrolments(session) == []  # nothing before ✅
    added = await client.press(owner, confirm.callback_data("✅ Confirm"), found.message_id)
    assert added.answers[0].text == "✅ Added."
    assert await enrolments(session) == [(ids["ali"], ids["a1"], "active", None, 0)]
    [to_ali] = sent_to(added, ALI)
    [to_vali] = sent_to(added, VALI)
    assert "<b>Вы зачислены</b> в группу A1" in to_ali  # Ali reads Russian
    assert "<b>Ali Valiyev A1 guruhiga qabul qilindi</b>" in to_vali  # the parent reads uz
    assert "📨 Notices sent: 2." in added.text

    # Ali again: refused, nothing changes
    again = await client.press(
        owner, EnrolCb(action="pick", group=ids["a1"], student=ids["ali"]).pack()
    )
    assert again.answers[0].text == "⚠️ Ali Valiyev is already in the group A1."
    # the add form's ✅ once the form is over (or forged) is out of date
    forged = await client.press(owner, confirm.callback_data("✅ Confirm"), found.message_id)
    assert forged.answers[0].text == STALE
    assert len(await enrolments(session)) == 1

    # Bek: the group is full (1/1), so the button asks for an over-capacity add
    full = await client.press(
        owner, EnrolCb(action="pick", group=ids["a1"], student=ids["bek"]).pack()
    )
    assert "⚠️ The group is full (1/1). Adding makes it 2/1." in full.text
    assert full.buttons() == ["⚠️ Add over capacity", "❌ Cancel"]
    # a confirmation shown while there was room, and the group filled meanwhile: ✅ is
    # refused and the confirmation comes back asking for the over-capacity add
    await session.execute(update(Group).where(Group.id == ids["a1"]).values(capacity=2))
    await session.commit()
    roomy = await client.press(
        owner, EnrolCb(action="pick", group=ids["a1"], student=ids["bek"]).pack()
    )
    assert roomy.buttons() == ["✅ Confirm", "❌ Cancel"]
    await session.execute(update(Group).where(Group.id == ids["a1"]).values(capacity=1))
    await session.commit()
    refused = await client.press(owner, roomy.callback_data("✅ Confirm"))
    assert refused.answers[0].text.startswith("⚠️ The group is full.")
    assert refused.answers[0].show_alert is True
    assert refused.buttons() == ["⚠️ Add over capacity", "❌ Cancel"]
    assert len(await enrolments(session)) == 1
    over = await client.press(owner, refused.callback_data("⚠️ Add over capacity"))
    assert over.answers[0].text == "✅ Added."
    assert (await enrolments(session))[1] == (ids["bek"], ids["a1"], "active", None, 0)
    entry = await session.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == "enrolment.created")
        .order_by(AuditEntry.id.desc())
    )
    assert entry.details["over_capacity"] is True

    # Ali into A2 of the same course: a warning on the confirmation, nothing written yet
    warned = await client.press(
        owner, EnrolCb(action="pick", group=ids["a2"], student=ids["ali"]).pack()
    )
    assert "already in another group of this course: A1" in warned.text
    assert len(await enrolments(session)) == 2

    # move Ali from A1 to A2 instead: A1's place ends today, a new one starts, history kept
    ali_a1 = await session.scalar(select(Enrolment.id).where(Enrolment.student_id == ids["ali"]))
    card = await client.press(owner, EnrolCb(action="card", id=ali_a1).pack())
    assert "🎓 <b>Ali Valiyev</b>" in card.text
    pick = await client.press(owner, card.callback_data("🔀 Move"), card.message_id)
    assert pick.buttons()[0] == "A2 · General English · 0/5"
    ask = await client.press(
        owner, pick.callback_data("A2 · General English · 0/5"), card.message_id
    )
    assert "From: A1" in ask.text and "To: A2" in ask.text
    assert "another group of this course" not in ask.text  # the group he leaves is no warning
    moved = await client.press(owner, ask.callback_data("✅ Confirm"), card.message_id)
    assert moved.answers[0].text == "✅ Moved."
    rows = await enrolments(session)
    assert rows[0] == (ids["ali"], ids["a1"], "left", today, 0)
    assert rows[2] == (ids["ali"], ids["a2"], "active", None, 0)
    assert "<b>Вас перевели</b> из группы A1 в группу A2" in sent_to(moved, ALI)[0]
    assert "<b>Ali Valiyev boshqa guruhga oʻtkazildi</b>" in sent_to(moved, VALI)[0]

    # Ali leaves A2
    ali_a2 = await session.scalar(
        select(Enrolment.id).where(
            Enrolment.student_id == ids["ali"], Enrolment.status == EnrolmentStatus.ACTIVE
        )
    )
    card = await client.press(owner, EnrolCb(action="card", id=ali_a2).pack())
    ask = await client.press(owner, card.callback_data("🚪 Leave the group"), card.message_id)
    assert "leaves the group A2?" in ask.text
    assert ask.buttons() == [*REASONS, "🚪 Remove without a reason", "Keep in the group"]
    assert (await enrolments(session))[2][2] == "active"
    left = await client.press(
        owner, ask.callback_data("🚪 Remove without a reason"), card.message_id
    )
    assert left.answers[0].text == "🚪 Left the group."
    assert (await enrolments(session))[2] == (ids["ali"], ids["a2"], "left", today, 0)
    assert "Reason:" not in left.text
    twice = await client.press(
        owner, ask.callback_data("🚪 Remove without a reason"), card.message_id
    )
    assert twice.answers[0].text == "⚠️ This place has changed meanwhile: nothing was changed."
    assert not twice.of(SendMessage)
    actions = set(await session.scalars(select(AuditEntry.action)))
    assert {"enrolment.created", "enrolment.moved", "enrolment.left"} <= actions
    reasons = await session.execute(
        select(Enrolment.leave_reason)
        .order_by(Enrolment.id)
        .execution_options(populate_existing=True)
    )
    assert list(reasons.scalars()) == ["transfer", None, None]  # the move's, none given


async def test_leave_with_a_reason_and_a_forged_reason(client, session, owner, settings):
    ids = await setup(session, settings, owner)
    await make_enrolment(session, ids["ali"], ids["a2"], joined_on=date(2025, 2, 1))
    await make_enrolment(session, ids["bek"], ids["a2"], joined_on=date(2025, 2, 1))
    ali_place, bek_place = list(await session.scalars(select(Enrolment.id).order_by(Enrolment.id)))

    card = await client.press(owner, EnrolCb(action="card", id=ali_place).pack())
    ask = await client.press(owner, card.callback_data("🚪 Leave the group"), card.message_id)
    assert "Why does the student leave? Tap the reason, or remove without one." in ask.text
    rows = [[button.text for button in row] for row in ask.markup().inline_keyboard]
    assert rows[:3] == [REASONS[0:2], REASONS[2:4], REASONS[4:6]]
    left = await client.press(owner, ask.callback_data("💸 Price"), card.message_id)
    assert left.answers[0].text == "🚪 Left the group."
    assert "Reason: 💸 Price" in left.text and "🚪 Left: " in left.text
    row = await session.get(Enrolment, ali_place, populate_existing=True)
    assert (row.status, row.leave_reason) == ("left", "price")
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "enrolment.left"))
    assert entry.details == {"student_id": ids["ali"], "group_id": ids["a2"], "reason": "price"}
    assert len(sent_to(left, ALI)) == 1 and len(sent_to(left, VALI)) == 1  # told as before

    # a reason the picker never offers (a transfer) or a made-up one changes nothing
    for value in ("transfer", "bored"):
        forged = EnrolCb(action="leave_yes", id=bek_place, value=value).pack()
        reply = await client.press(owner, forged)
        assert reply.answers[0].text == STALE, value
    row = await session.get(Enrolment, bek_place, populate_existing=True)
    assert (row.status, row.leave_reason) == ("active", None)


async def test_discount_freeze_and_unfreeze(client, session, owner, settings):
    ids = await setup(session, settings, owner)
    await make_enrolment(session, ids["ali"], ids["a2"], joined_on=date(2025, 2, 1))
    enrolment_id = await session.scalar(select(Enrolment.id))

    card = await client.press(owner, EnrolCb(action="card", id=enrolment_id).pack())
    assert "％ Discount: 0%" in card.text and "1,000,000 soʻm" in card.text
    step = await client.press(owner, card.callback_data("％ Discount"), card.message_id)
    assert "Step 1/1 — the discount in per cent, 0 to 100" in step.text
    for typed in ("150", "-5", "abc"):
        reply = await client.send(owner, typed)
        assert "Step 1/1" in reply.text, typed
    summary = await client.send(owner, "15%")
    assert "0% → 15%" in summary.text and "1,000,000 soʻm → 850,000 soʻm" in summary.text
    assert (await enrolments(session))[0][4] == 0
    saved = await client.press(owner, summary.callback_data("✅ Confirm"), summary.message_id)
    assert (await enrolments(session))[0][4] == 15
    assert "Ваша скидка" in sent_to(saved, ALI)[0] and "15%" in sent_to(saved, ALI)[0]
    assert len(sent_to(saved, VALI)) == 1

    frozen = await client.press(owner, saved.callback_data("❄️ Freeze"), summary.message_id)
    assert frozen.answers[0].text == "❄️ Frozen."
    assert (await enrolments(session))[0][2] == "frozen"
    assert "Ваше место заморожено" in sent_to(frozen, ALI)[0]
    stale = await client.press(owner, EnrolCb(action="freeze", id=enrolment_id).pack())
    assert stale.answers[0].text == "⚠️ This place has changed meanwhile: nothing was changed."
    back = await client.press(owner, frozen.callback_data("▶️ Unfreeze"), summary.message_id)
    assert back.answers[0].text == "▶️ Unfrozen."
    assert (await enrolments(session))[0][2] == "active"
    audited = await session.scalar(
        select(func.count()).where(AuditEntry.action.like("enrolment.%"))
    )
    assert audited == 3


async def test_add_to_a_group_from_a_person_and_bad_buttons(client, session, owner, settings):
    ids = await setup(session, settings, owner)
    groups = await client.press(owner, EnrolCb(action="for", student=ids["bek"]).pack())
    assert "Add Bek Gʻulomov to a group" in groups.text
    assert groups.buttons()[:2] == ["A1 · General English · 0/1", "A2 · General English · 0/5"]
    confirm = await client.press(owner, groups.callback_data("A2 · General English · 0/5"))
    done = await client.press(owner, confirm.callback_data("✅ Confirm"))
    assert done.answers[0].text == "✅ Added."
    assert await enrolments(session) == [(ids["bek"], ids["a2"], "active", None, 0)]

    # a parent is not a student; a missing group or enrolment is a stale button
    for data in (
        EnrolCb(action="pick", group=ids["a1"], student=ids["vali"]).pack(),
        EnrolCb(action="yes", group=ids["a1"], student=ids["vali"]).pack(),
        EnrolCb(action="yes", group=999, student=ids["bek"]).pack(),
        EnrolCb(action="card", id=999).pack(),
        EnrolCb(action="leave_yes", id=999).pack(),
        GroupCb(action="card", id=999).pack(),
    ):
        reply = await client.press(owner, data)
        assert reply.answers[0].text == STALE, data
    assert len(await enrolments(session)) == 1

    # a student or a parent pressing the same buttons is refused
    for person in (BEK, VALI):
        reply = await client.press(
            person, EnrolCb(action="pick", group=ids["a1"], student=ids["bek"]).pack()
        )
        assert reply.answers[0].show_alert is True
        if person is BEK:
            assert reply.answers[0].text == REFUSED
    assert len(await enrolments(session)) == 1
