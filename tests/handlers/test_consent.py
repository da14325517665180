"""POLICY 1-4, 8, 11: the consent gate, categories, re-consent, /settings, /privacy, /contact."""

from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from sqlalchemy import func, select

from bot.services import consent as consent_service
from bot.services.consent import Category, Choices
from db.models import AuditEntry, Consent, ConsentEvent, User
from tests.chat import Person
from tests.conftest import make_settings
from tests.factories import make_user


async def the_user(session, person: Person) -> User:
    user = await session.scalar(select(User).where(User.telegram_id == person.id))
    await session.refresh(user)
    return user


async def open_consent_screen(client, person: Person, language: str = "🇬🇧 English"):
    picker = await client.send(person, "/start")
    assert picker.text == "🌐 Choose your language:"
    screen = await client.press(person, picker.callback_data(language), picker.message_id)
    return picker.message_id, screen


async def test_before_consent_only_the_id_and_language_are_stored(client, session, alice):
    alice.username = "alice_w"
    _, screen = await open_consent_screen(client, alice)

    assert "🔐 <b>Your consent</b>" in screen.text
    assert screen.buttons() == [
        "☑️ Reminders: payments and classes",
        "☑️ Announcements and news",
        "☑️ Usage statistics",
        "📄 Privacy policy",
        "📄 Terms of use",
        "✅ Accept",
        "❌ Decline",
    ]
    user = await the_user(session, alice)
    assert user.language == "en"
    assert (user.full_name, user.username, user.phone, user.last_seen_at) == (
        None,
        None,
        None,
        None,
    )
    assert await session.scalar(select(func.count()).select_from(Consent)) == 0


async def test_every_other_command_gets_the_consent_request(client, session, alice):
    await open_consent_screen(client, alice)
    for text in ("/help", "/settings", "/admin", "hello", "/mydata"):
        reply = await client.send(alice, text)
        assert "🔐 <b>Your consent</b>" in reply.text, text
    pressed = await client.press(alice, "adm:home")
    assert pressed.answers[0].text == "🔐 Please accept the privacy policy first."
    assert pressed.answers[0].show_alert is True


async def test_policy_terms_language_and_contact_work_before_consent(client, alice):
    await client.send(alice, "/start")
    assert (await client.send(alice, "/privacy")).text.startswith("📄 <b>Privacy policy</b>")
    assert (await client.send(alice, "/terms")).text.startswith("📄 <b>Terms of use</b>")
    assert (await client.send(alice, "/contact")).text.startswith("🏫 <b>Bilim &lt;Academy&gt;")
    assert (await client.send(alice, "/language")).text == "🌐 Choose your language:"


async def test_accepting_records_version_time_and_choices(client, session, alice):
    message_id, screen = await open_consent_screen(client, alice)
    screen = await client.press(alice, screen.callback_data("☑️ Announcements and news"), message_id)
    assert "⬜ Announcements and news" in screen.buttons()

    done = await client.press(alice, screen.callback_data("✅ Accept"), message_id)

    assert done.of(EditMessageText)[0].text == (
        "✅ Your consent is recorded (privacy policy version 1)."
    )
    [row] = (await session.scalars(select(Consent))).all()
    assert (row.event, row.policy_version) == (ConsentEvent.ACCEPTED, "1")
    assert (row.reminders, row.announcements, row.analytics) == (True, False, True)
    assert row.at.tzinfo is not None
    user = await the_user(session, alice)
    assert user.full_name == "Alice"
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "consent.accepted"))
    assert entry.actor_id == user.id and entry.details["announcements"] is False

    again = await client.press(alice, screen.callback_data("✅ Accept"), message_id)
    assert again.answers[0].text == "✅ You have already accepted this version."
    assert await session.scalar(select(func.count()).select_from(Consent)) == 1


async def test_declining_stores_nothing(client, session, alice):
    message_id, screen = await open_consent_screen(client, alice)
    declined = await client.press(alice, screen.callback_data("❌ Decline"), message_id)
    assert declined.of(EditMessageText)[0].text.startswith("You declined.")
    assert await session.scalar(select(func.count()).select_from(Consent)) == 0
    assert (await the_user(session, alice)).full_name is None


async def test_a_deep_link_opened_before_consent_is_carried_out_after(client, alice):
    picker = await client.send(alice, "/start inv_ABC123")
    screen = await client.press(alice, picker.callback_data("🇬🇧 English"), picker.message_id)
    done = await client.press(alice, screen.callback_data("✅ Accept"), picker.message_id)
    assert done.texts[-2].startswith("✅ Your consent is recorded")
    assert done.texts[-1].startswith("👋 Hello, Alice!")  # one greeting, the refusal in it
    assert (
        "⚠️ This link is not valid or has expired. Ask the centre for a new one." in (done.texts[-1])
    )


async def test_reading_the_policy_from_the_consent_screen_pages_it(client, alice):
    message_id, screen = await open_consent_screen(client, alice)
    first = await client.press(alice, screen.callback_data("📄 Privacy policy"), message_id)
    assert first.text.startswith("📄 <b>Privacy policy</b> · 1/")
    total = int(first.text.split(" · 1/")[1].split("\n")[0])
    assert total >= 2 and first.buttons() == [f"1/{total}", "▶"]

    pages = [first.text]
    page_message = first.message_id
    data = first.callback_data("▶")
    for number in range(2, total + 1):
        reply = await client.press(alice, data, page_message)
        [edit] = reply.of(EditMessageText)
        assert edit.text.startswith(f"📄 <b>Privacy policy</b> · {number}/{total}")
        assert len(edit.text) <= 4096
        pages.append(edit.text)
        if number < total:
            data = reply.callback_data("▶")
    assert reply.buttons() == ["◀", f"{total}/{total}"]
    # the counter re-shows the same page: Telegram refuses the edit, the bot shrugs it off
    same = await client.press(alice, reply.callback_data(f"{total}/{total}"), page_message)
    assert len(same.answers) == 1 and same.answers[0].show_alert is None
    assert not same.of(SendMessage)
    forged = await client.press(alice, f"pol:privacy:{total + 5}", page_message)
    assert forged.answers[0].text == "⚠️ This button is out of date. Open the menu again."


async def test_the_policy_is_whole_and_in_each_language(client, session):
    from bot.services.policy import DEFAULT_POLICY_DIR

    for language, code in (("uz", "uz"), ("ru", "ru"), ("en", "en")):
        person = Person(id=9000 + len(code) + ord(code[0]), first_name="P", language_code=code)
        await make_user(session, person, language=language)
        shown = []
        reply = await client.send(person, "/privacy")
        page_message = reply.message_id
        shown.append(reply.text.split("\n\n", 1)[1])
        while "▶" in reply.buttons():
            reply = await client.press(person, reply.callback_data("▶"), page_message)
            shown.append(reply.text.split("\n\n", 1)[1])
        source = (DEFAULT_POLICY_DIR / language / "privacy.txt").read_text().strip()
        source = (
            source.replace("{centre}", "Bilim &lt;Academy&gt; &amp; Co")
            .replace("{version}", "1")
            .replace("{contact}", "/contact")
        )
        assert "\n\n".join(shown) == source, language


async def test_a_new_policy_version_asks_again_but_keeps_essentials(
    database_url, session_factory, bot, session, alice
):
    from bot.startup.app import create_dispatcher
    from tests.chat import ChatClient

    await make_user(session, alice, consent="1")
    client = ChatClient(
        bot, create_dispatcher(make_settings(database_url, policy_version="2"), session_factory)
    )

    reply = await client.send(alice, "/help")
    assert reply.texts[0].startswith("ℹ️ What I can do:")  # essential features still work
    assert reply.texts[1].startswith("📄 The privacy policy has changed (version 2).")
    again = await client.send(alice, "/help")
    assert len(again.texts) == 1  # asked once, not at every message
    user_id = (await the_user(session, alice)).id
    assert await consent_service.may_send(session, user_id, Category.ESSENTIAL, "2")
    assert not await consent_service.may_send(session, user_id, Category.REMINDERS, "2")

    accepted = await client.press(alice, reply.callback_data("✅ Accept"), reply.message_id)
    assert any("version 2" in text for text in accepted.texts)
    session.expire_all()
    assert await consent_service.may_send(session, user_id, Category.REMINDERS, "2")
    events = (await session.scalars(select(Consent.policy_version).order_by(Consent.id))).all()
    assert events == ["1", "2"]


async def test_settings_toggles_are_honoured_by_may_send(client, session, alice):
    user_id = (await make_user(session, alice)).id
    screen = await client.send(alice, "/settings")
    assert "Privacy policy version 1, accepted" in screen.text
    assert await consent_service.may_send(session, user_id, Category.ANNOUNCEMENTS, "1")

    toggled = await client.press(
        alice, screen.callback_data("☑️ Announcements and news"), screen.message_id
    )

    assert toggled.answers[0].text == "✅ Saved."
    assert "⬜ Announcements and news" in toggled.buttons()
    session.expire_all()
    assert not await consent_service.may_send(session, user_id, Category.ANNOUNCEMENTS, "1")
    assert await consent_service.may_send(session, user_id, Category.REMINDERS, "1")
    assert await consent_service.may_send(session, user_id, Category.ESSENTIAL, "1")
    events = (await session.scalars(select(Consent.event).order_by(Consent.id))).all()
    assert events == ["accepted", "changed"]


async def test_withdrawing_needs_a_confirmation_and_closes_the_gate(client, session, alice):
    user_id = (await make_user(session, alice)).id
    screen = await client.send(alice, "/settings")
    confirm = await client.press(
        alice, screen.callback_data("🚫 Withdraw consent"), screen.message_id
    )
    assert confirm.text.startswith("⚠️ <b>Withdraw your consent?</b>")
    assert confirm.buttons() == ["🚫 Withdraw my consent", "Keep my consent"]
    assert await consent_service.may_send(session, user_id, Category.ESSENTIAL, "1")

    done = await client.press(
        alice, confirm.callback_data("🚫 Withdraw my consent"), screen.message_id
    )
    assert done.text.startswith("✅ Your consent is withdrawn.")
    twice = await client.press(
        alice, confirm.callback_data("🚫 Withdraw my consent"), screen.message_id
    )
    assert twice.answers[0].text == "🔐 Please accept the privacy policy first."

    session.expire_all()
    for category in Category:
        assert not await consent_service.may_send(session, user_id, category, "1")
    assert "🔐 <b>Your consent</b>" in (await client.send(alice, "/help")).text
    events = (await session.scalars(select(Consent.event).order_by(Consent.id))).all()
    assert events == ["accepted", "withdrawn"]


async def test_may_send_refuses_blocked_and_unknown_users(session, alice):
    user = await make_user(session, alice)
    assert await consent_service.may_send(session, user.id, Category.ANALYTICS, "1")
    user.is_active = False
    await session.commit()
    assert not await consent_service.may_send(session, user.id, Category.ESSENTIAL, "1")
    assert not await consent_service.may_send(session, 999_999, Category.ESSENTIAL, "1")


async def test_the_choices_survive_callback_data(client):
    choices = Choices(reminders=False, announcements=True, analytics=False)
    assert Choices.from_bits(choices.as_bits()) == choices
    for forged in ("", "12", "1111", "abc"):
        try:
            Choices.from_bits(forged)
        except ValueError:
            continue
        raise AssertionError(forged)


async def test_a_forged_consent_button_changes_nothing(client, session, alice):
    await open_consent_screen(client, alice)
    for data in ("cs:accept:9", "cs:pick:1111", "cs:read:secrets"):
        reply = await client.press(alice, data)
        assert reply.answers[0].text == "⚠️ This button is out of date. Open the menu again.", data
    unknown_language = await client.press(alice, "cs:lang:de")
    assert unknown_language.answers[0].text == "🔐 Please accept the privacy policy first."
    assert await session.scalar(select(func.count()).select_from(Consent)) == 0


async def test_contact_shows_what_the_centre_published(database_url, session_factory, bot, alice):
    from bot.startup.app import create_dispatcher
    from tests.chat import ChatClient

    settings = make_settings(
        database_url, contact_phone="+998901234567", contact_email="info@bilim.uz", website=""
    )
    client = ChatClient(bot, create_dispatcher(settings, session_factory))
    reply = await client.send(alice, "/contact")
    assert "📞 Phone: +998 90 123 45 67" in reply.text
    assert "✉️ Email: info@bilim.uz" in reply.text
    assert "Website" not in reply.text
    assert not reply.of(AnswerCallbackQuery) and reply.of(SendMessage)
