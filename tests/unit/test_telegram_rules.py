"""bot/telegram.py: whether an edit would change the message, as Telegram decides it;
long lists as pages."""

from datetime import UTC, datetime

from aiogram.types import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity

from bot.telegram import Page, PageItem, html_content, paginate, shows_already
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


# --- paginate: a list as pages of one message each --------------------------------------------


def test_ten_items_a_page_with_the_title_on_each_and_headings_carried_over():
    items = [PageItem(f"• {i}", heading="<b>A</b>", section=1) for i in range(12)]
    items += [PageItem(f"• b{i}", heading="<b>B</b>", section=2) for i in range(3)]

    pages = paginate("📝 <b>Grades</b>", items)

    assert [page.text for page in pages] == [
        "📝 <b>Grades</b>\n\n<b>A</b>\n" + "\n".join(f"• {i}" for i in range(10)),
        "📝 <b>Grades</b>\n\n<b>A</b>\n• 10\n• 11\n\n<b>B</b>\n• b0\n• b1\n• b2",
    ]


def test_two_runs_with_the_same_heading_stay_apart():
    items = [PageItem("• 1", "<b>A1</b>", section=1), PageItem("• 2", "<b>A1</b>", section=2)]
    assert paginate("T", items)[0].text == "T\n\n<b>A1</b>\n• 1\n\n<b>A1</b>\n• 2"


def test_a_page_closes_before_the_message_limit_and_a_huge_item_is_split_not_cut():
    items = [PageItem("x" * 1500, tag=i) for i in range(5)]
    pages = paginate("T", items, limit=4096)
    assert [page.tags for page in pages] == [[0, 1], [2, 3], [4]]
    assert all(len(page.text) <= 4096 for page in pages)

    words = " ".join(f"w{i}" for i in range(3000))  # ~17 000 characters, one item
    pages = paginate("T", [PageItem(words, tag="big")], limit=4096)
    assert len(pages) >= 5 and all(len(page.text) <= 4096 for page in pages)
    assert all(page.text.startswith("T\n\nw") for page in pages)  # the title on each
    assert " ".join(page.text.removeprefix("T\n\n") for page in pages) == words
    assert all(page.tags == ["big"] for page in pages)


def test_no_items_is_the_title_alone():
    assert paginate("T", []) == [Page("T")]
