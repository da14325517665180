"""Small rules of the Bot API that handlers share."""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import groupby
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.text import MESSAGE_LIMIT, split_message

PAGE_ITEMS = 10  # UX.md: a list shows 10 items a page
# Tags of Telegram's HTML and the entity each becomes.
_ENTITY_OF_TAG = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "code": "code", "pre": "pre", "a": "text_link",
    "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}  # fmt: skip
# Entities Telegram finds in the text by itself; they say nothing about what was sent.
_DETECTED = {"mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number"}

Entity = tuple[str, int, int, str]  # type, offset, length (UTF-16 units), url or language


def is_not_modified(error: TelegramBadRequest) -> bool:
    """Telegram refuses an edit that changes neither the text nor the keyboard."""
    return "message is not modified" in error.message


def is_gone(error: TelegramBadRequest) -> bool:
    """The message behind a button can no longer be edited (deleted, or too old)."""
    return "message to edit not found" in error.message or "can't be edited" in error.message


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Formatting(HTMLParser):
    """Telegram's HTML read the way the server reads it: plain text and entities."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.units = 0
        self.open: list[tuple[str, dict[str, str], int]] = []
        self.entities: set[Entity] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append((tag, {name: value or "" for name, value in attrs}, self.units))

    def handle_endtag(self, tag: str) -> None:
        if not self.open:
            return
        name, attrs, start = self.open.pop()
        kind = _ENTITY_OF_TAG.get(name)
        if name == "span" and attrs.get("class") == "tg-spoiler":
            kind = "spoiler"
        if name == "code" and self.open and self.open[-1][0] == "pre":
            self.open[-1][1]["language"] = attrs.get("class", "").removeprefix("language-")
            return
        if kind is not None and self.units > start:
            extra = attrs.get("href") or attrs.get("emoji-id") or attrs.get("language") or ""
            self.entities.add((kind, start, self.units - start, extra))

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.units += _utf16(data)


def _trimmed(text: str, entities: set[Entity]) -> tuple[str, set[Entity]]:
    """Telegram keeps a message without its leading and trailing white space."""
    shift = _utf16(text) - _utf16(text.lstrip())
    return text.strip(), {(kind, start - shift, length, x) for kind, start, length, x in entities}


def html_content(text: str) -> tuple[str, set[Entity]]:
    """What Telegram keeps of an HTML text: the plain text and its formatting entities."""
    parser = _Formatting()
    parser.feed(text)
    parser.close()
    return _trimmed("".join(parser.parts), parser.entities)


def message_content(message: Message) -> tuple[str, set[Entity]]:
    entities = {
        (entity.type, entity.offset, entity.length, entity.url or entity.custom_emoji_id or "")
        if entity.type != "pre"
        else (entity.type, entity.offset, entity.length, entity.language or "")
        for entity in message.entities or ()
        if entity.type not in _DETECTED
    }
    return _trimmed(message.text or "", entities)


def _keyboard(markup: Any) -> Any:
    if isinstance(markup, InlineKeyboardMarkup) and any(markup.inline_keyboard):
        return markup.model_dump(exclude_none=True)
    return None


def shows_already(message: Message, text: str, markup: Any) -> bool:
    """True when `message` already shows `text` (HTML) with `markup`: an edit would be
    refused as "message is not modified"."""
    if message.text is None or _keyboard(message.reply_markup) != _keyboard(markup):
        return False
    return message_content(message) == html_content(text)


@dataclass(frozen=True, slots=True)
class PageItem:
    """One item of a paged list: its text, the heading it sits under (shown again at the
    top of a page the run continues on) and what the page's buttons need of it (`tag`)."""

    text: str
    heading: str | None = None
    section: Any = None  # tells two runs with the same heading apart
    tag: Any = None


@dataclass(frozen=True, slots=True)
class Page:
    text: str
    tags: list[Any] = field(default_factory=list)  # of its items, in order, None left out


def paginate(
    title: str,
    items: list[PageItem],
    *,
    joiner: str = "\n",
    per_page: int = PAGE_ITEMS,
    limit: int = MESSAGE_LIMIT,
) -> list[Page]:
    """A list as pages of one message each: at most `per_page` items and `limit`
    characters a page, the title on every page; under a heading the items are joined
    by `joiner`, blocks by a blank line. An item too long for any page is split over
    pages of its own (never cut). No items: the title alone."""
    pages: list[list[PageItem]] = []
    current: list[PageItem] = []
    for item in items:
        candidate = [*current, item]
        if current and (
            len(candidate) > per_page or len(_page_text(title, candidate, joiner)) > limit
        ):
            pages.append(current)
            candidate = [item]
        current = candidate
    if current or not pages:
        pages.append(current)
    result = []
    for page in pages:
        tags = [item.tag for item in page if item.tag is not None]
        text = _page_text(title, page, joiner)
        if len(text) <= limit:
            result.append(Page(text, tags))
            continue
        body = text.removeprefix(title + "\n\n")
        parts = split_message(body, limit - len(title) - 2)
        result += [Page(f"{title}\n\n{part}", tags) for part in parts]
    return result


def _page_text(title: str, items: list[PageItem], joiner: str) -> str:
    blocks = [title]
    for (_section, heading), run in groupby(items, key=lambda item: (item.section, item.heading)):
        texts = [item.text for item in run]
        blocks += [joiner.join([heading, *texts])] if heading is not None else texts
    return "\n\n".join(blocks)


async def edit_or_send(callback: CallbackQuery, text: str, markup: Any) -> None:
    """Edit the message the button belongs to; nothing goes out when it shows that already
    (the handler still answers the button)."""
    if not isinstance(callback.message, Message):
        await callback.bot.send_message(callback.from_user.id, text, reply_markup=markup)
        return
    if shows_already(callback.message, text, markup):
        return
    try:
        await callback.message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as error:
        if is_gone(error):  # deleted, or too old to edit: say it in a new message
            await callback.bot.send_message(callback.from_user.id, text, reply_markup=markup)
        elif not is_not_modified(error):
            raise
