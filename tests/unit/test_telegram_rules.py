"""bot/telegram.py: whether an edit would change the message, as Telegram decides it."""

from datetime import UTC, datetime

from aiogram.types import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity

from bot.telegram import html_content, shows_already
from tests.mocked_bot import MockedBot

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="💾 Save", callback_data="ta:save:1:0")]]
)
OTHER_KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="💾 Save", callback_data="ta:save:2:0")]]
)


def message(text: str, entities: list[MessageEntity] | None = None, markup=None) -> Message:
    return Message(
        message_id=1,
        date=datetime.now(UTC),
        chat=Chat(id=1, type="private"),
        text=text,
        entities=entities,
        reply_markup=markup,
    )


async def test_the_message_telegram_keeps_shows_its_own_html_and_keyboard():
    bot = MockedBot()
    text = "📋 <b>Attendance</b> · A1 &lt;morning&gt; &amp; <i>Co</i>\n✅ 2 · ❌ 1"
    sent = await bot.send_message(1, text, reply_markup=KEYBOARD)

    assert shows_already(sent, text, KEYBOARD)
    assert not shows_already(sent, text.replace("✅ 2", "✅ 3"), KEYBOARD)
    assert not shows_already(sent, text.replace("<b>Attendance</b>", "Attendance"), KEYBOARD)
    assert not shows_already(sent, text.replace("<i>Co</i>", "<b>Co</b>"), KEYBOARD)
    assert not shows_already(sent, text, OTHER_KEYBOARD)
    assert not shows_already(sent, text, None)


def test_the_same_content_written_otherwise_is_the_same():
    shown = message(
        "Hi Ali, see /help",
        [
            MessageEntity(type="bold", offset=3, length=3),
            MessageEntity(type="bot_command", offset=12, length=5),  # Telegram's own find
        ],
    )
    assert shows_already(shown, "Hi <strong>Ali</strong>, see /help\n", None)
    assert shows_already(
        shown, "Hi <b>Ali</b>, see /help", InlineKeyboardMarkup(inline_keyboard=[])
    )
    assert not shows_already(shown, "Hi Ali, see /help", None)


def test_offsets_are_counted_in_utf16_units_as_telegram_counts_them():
    text, entities = html_content("👀 <b>Preview</b>")
    assert text == "👀 Preview"
    assert entities == {("bold", 3, 7, "")}  # the emoji is two UTF-16 units


def test_a_link_keeps_its_address():
    shown = message(
        "open the site", [MessageEntity(type="text_link", offset=9, length=4, url="https://a.uz")]
    )
    assert shows_already(shown, 'open the <a href="https://a.uz">site</a>', None)
    assert not shows_already(shown, 'open the <a href="https://b.uz">site</a>', None)
