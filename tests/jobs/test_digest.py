"""The owners' monthly digest, driven through the scheduler's own job with a clock: on the
1st from 09:00 (Tashkent) each owner who keeps it on gets last month's finance summary and
its chart, once however often the job runs (twice in a row, twice at once, after a
restart); on another day, before 09:00 or in the quiet hours nothing goes; an owner who
turned it off in /settings gets none; only owners see the setting."""

import asyncio
import io
from datetime import UTC, date, datetime, time, timedelta

from aiogram.methods import AnswerCallbackQuery, SendMessage, SendPhoto
from PIL import Image
from sqlalchemy import func, select

from bot.delivery import Sender
from bot.formatting import format_money
from bot.i18n import use_language
from bot.services.reports.chart import HEIGHT_PX, WIDTH_PX
from bot.startup.scheduler import create_scheduler
from db.models import AuditEntry, NotificationLog, PaymentMethod, Role
from keyboards.privacy import SettingsCb
from tests.chat import Person
from tests.conftest import OWNER_ID, make_settings
from tests.factories import make_charge, make_enrolment, make_group, make_payment, make_user

SECOND_OWNER = Person(id=1_000_002, first_name="Zarina", language_code="ru")
ALICE = Person(id=7_000_021, first_name="Alice", language_code="en")
FEBRUARY, MARCH_1 = date(2026, 2, 1), date(2026, 3, 1)
DIGEST_BUTTON = "Monthly digest on the 1st (owners)"


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment in Tashkent (UTC+5 all year), as UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=UTC) - timedelta(hours=5)


def money(amount: int, language: str = "en") -> str:
    with use_language(language):
        return format_money(amount)


def sent(bot, method: type) -> list:
    return [call for call in bot.session.requests if isinstance(call, method)]


async def february(session) -> None:
    """February: 500 000 charged, 300 000 paid in cash on the 10th; March's payment is not
    February's."""
    group = await make_group(session, "A1", course="English")
    student = await make_user(session, None, roles=[Role.STUDENT], full_name="Sam")
    enrolment = await make_enrolment(session, student, group)
    await make_charge(session, student, amount=500_000, period=FEBRUARY, enrolment_id=enrolment.id)
    paid_at = local(date(2026, 2, 10), 12)
    await make_payment(session, student, 300_000, method=PaymentMethod.CASH, paid_at=paid_at)
    await make_payment(session, student, 77_000, paid_at=local(MARCH_1, 8))


def digest_job(session_factory, bot, settings, sender):
    """The job as the scheduler runs it, with its own arguments (the finance view)."""
    job = create_scheduler(session_factory, bot, settings, sender).get_job("monthly_digest")
    return lambda now: job.func(**job.kwargs, now=now)


async def test_on_the_first_each_owner_gets_last_months_digest_once(
    session, session_factory, bot, database_url, sender
):
    settings = make_settings(database_url, owner_ids=f"{OWNER_ID},{SECOND_OWNER.id}")
    await make_user(session, Person(id=OWNER_ID, first_name="Owner", language_code="en"))
    await make_user(session, SECOND_OWNER, language="ru")
    await make_user(session, ALICE, roles=[Role.ADMIN], permissions=["reports"])  # no owner
    await february(session)
    run = digest_job(session_factory, bot, settings, sender)

    counts = await run(local(MARCH_1, 9, 0))
    assert (counts.owners, counts.sent, counts.taken) == (2, 2, 0)
    messages = {int(call.chat_id): call.text for call in sent(bot, SendMessage)}
    assert set(messages) == {OWNER_ID, SECOND_OWNER.id}
    english = messages[OWNER_ID]
    assert english.startswith("📈 <b>Monthly digest</b>")
    assert "💰 <b>Finance</b> · February 2026" in english
    assert f"Charged: <b>{money(500_000)}</b>" in english
    assert f"Collected: <b>{money(300_000)}</b>" in english  # not March's 77 000
    assert "Collection rate: <b>60.0%</b>" in english
    assert "To stop this digest: /settings" in english
    assert f"Начислено: <b>{money(500_000, 'ru')}</b>" in messages[SECOND_OWNER.id]
    photos = sent(bot, SendPhoto)
    assert sorted(int(p.chat_id) for p in photos) == [OWNER_ID, SECOND_OWNER.id]
    image = Image.open(io.BytesIO(photos[0].photo.data))
    assert image.format == "PNG" and image.size == (WIDTH_PX, HEIGHT_PX)

    again = await run(local(MARCH_1, 10))  # the next hourly run
    restarted = Sender(session_factory, rate=10_000, per_chat_interval=0, backoff=0)
    after_restart = await digest_job(session_factory, bot, settings, restarted)(local(MARCH_1, 15))
    assert again.sent == after_restart.sent == 0 and again.taken == after_restart.taken == 2
    assert len(sent(bot, SendMessage)) == 2 and len(sent(bot, SendPhoto)) == 2
    claims = await session.scalar(
        select(func.count()).select_from(NotificationLog).where(NotificationLog.status == "sent")
    )
    assert claims == 2


async def test_two_runs_at_once_send_it_once(session, session_factory, bot, settings, sender):
    await make_user(session, Person(id=OWNER_ID, first_name="Owner", language_code="en"))
    await february(session)
    run = digest_job(session_factory, bot, settings, sender)
    first, second = await asyncio.gather(run(local(MARCH_1, 11)), run(local(MARCH_1, 11)))
    assert first.sent + second.sent == 1
    assert len(sent(bot, SendMessage)) == 1


async def test_nothing_on_another_day_or_before_nine(
    session, session_factory, bot, settings, sender
):
    await make_user(session, Person(id=OWNER_ID, first_name="Owner", language_code="en"))
    await february(session)
    run = digest_job(session_factory, bot, settings, sender)
    for moment in (
        local(date(2026, 3, 2), 9),  # the 2nd
        local(date(2026, 3, 15), 12),
        local(date(2026, 2, 28), 10),  # the day before
        local(MARCH_1, 8, 59),  # the 1st, before nine
        local(MARCH_1, 0, 30),
    ):
        counts = await run(moment)
        assert not counts.due and counts.sent == 0, moment
    assert sent(bot, SendMessage) == []


async def test_quiet_hours_that_end_later_put_it_off_to_the_next_hourly_run(
    session, session_factory, bot, database_url, sender
):
    settings = make_settings(database_url, quiet_hours_start="22:00", quiet_hours_end="11:00")
    await make_user(session, Person(id=OWNER_ID, first_name="Owner", language_code="en"))
    await february(session)
    run = digest_job(session_factory, bot, settings, sender)
    assert not (await run(local(MARCH_1, 10))).due
    assert (await run(local(MARCH_1, 11))).sent == 1
    assert len(sent(bot, SendMessage)) == 1


async def test_the_scheduler_runs_it_every_hour_of_the_first(
    session_factory, bot, settings, sender
):
    job = create_scheduler(session_factory, bot, settings, sender).get_job("monthly_digest")
    tz = settings.centre.tz
    after = datetime(2026, 3, 15, 12, tzinfo=tz)
    first = job.trigger.get_next_fire_time(None, after)
    assert first == datetime(2026, 4, 1, 0, tzinfo=tz)
    assert job.trigger.get_next_fire_time(first, first + timedelta(minutes=1)) == datetime(
        2026, 4, 1, 1, tzinfo=tz
    )


async def test_an_owner_who_turns_it_off_in_settings_gets_none(
    client, session, session_factory, bot, settings, sender, owner
):
    await make_user(session, owner)
    await february(session)
    screen = await client.send(owner, "/settings")
    assert f"☑️ {DIGEST_BUTTON}" in screen.buttons()
    off = await client.press(owner, screen.callback_data(f"☑️ {DIGEST_BUTTON}"), screen.message_id)
    assert f"⬜ {DIGEST_BUTTON}" in off.buttons()
    assert [a.text for a in off.of(AnswerCallbackQuery)] == ["✅ Saved."]
    [entry] = await session.scalars(
        select(AuditEntry).where(AuditEntry.action == "settings.digest")
    )
    assert entry.details == {"monthly_digest": False}
    run = digest_job(session_factory, bot, settings, sender)
    before = len(sent(bot, SendMessage))

    counts = await run(local(MARCH_1, 9))
    assert counts.due and counts.owners == 0 and len(sent(bot, SendMessage)) == before

    on = await client.press(owner, off.callback_data(f"⬜ {DIGEST_BUTTON}"), screen.message_id)
    assert f"☑️ {DIGEST_BUTTON}" in on.buttons()
    assert (await run(local(MARCH_1, 10))).sent == 1  # the same day, still due: sent now


async def test_only_owners_see_the_setting_and_a_forged_press_changes_nothing(client, session):
    alice = await make_user(session, ALICE, roles=[Role.ADMIN], permissions=["reports"])
    screen = await client.send(ALICE, "/settings")
    assert not any(DIGEST_BUTTON in button for button in screen.buttons())
    forged = await client.press(ALICE, SettingsCb(action="digest").pack(), screen.message_id)
    assert forged.answers[0].text.startswith("⚠️ This button is out of date.")
    await session.refresh(alice)
    assert alice.monthly_digest is True
