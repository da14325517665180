"""A fake Telegram behind aiogram's session interface.

Like aiogram's own `tests/mocked_bot.py` it records every API call, but instead of
canned responses it answers like the real server would and enforces the rules the
real server enforces: text and caption lengths, HTML that parses, callback data of
at most 64 bytes, command names, "message is not modified", one answer per callback
query. Errors can be queued (`fail_next`) to play 429 retry-after, 403 blocked,
400 and 5xx.
"""

import io
import json
import re
from collections import deque
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import count
from typing import Any

from aiogram import Bot
from aiogram.client.default import Default, DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.enums import ParseMode
from aiogram.methods import (
    AnswerCallbackQuery,
    AnswerPreCheckoutQuery,
    CopyMessage,
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    GetFile,
    GetMe,
    SendChatAction,
    SendDocument,
    SendInvoice,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup

from bot.client import PinnedResponses

BOT_ID = 4242
BOT_TOKEN = "4242:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "tg-spoiler", "span", "blockquote", "tg-emoji",
}  # fmt: skip
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")


ENTITY_TYPES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "code": "code", "pre": "pre", "a": "text_link",
    "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}  # fmt: skip


def utf16_length(text: str) -> int:
    """Telegram counts entity offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


class _EntityParser(HTMLParser):
    """Telegram's HTML: known tags only, properly nested, entities escaped.

    Like the server it keeps the formatting as entities beside the plain text, so an
    edit that changes only the formatting is a change, and one that changes nothing
    is refused.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str | None], int]] = []
        self.text: list[str] = []
        self.units = 0
        self.entities: list[dict[str, Any]] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.error = f'Unsupported start tag "{tag}"'
        self.stack.append((tag, dict(attrs), self.units))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            self.error = f'Unexpected end tag "{tag}"'
            if self.stack:
                self.stack.pop()
            return
        _tag, attrs, start = self.stack.pop()
        self._add_entity(tag, attrs, start)

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        self.units += utf16_length(data)

    def _add_entity(self, tag: str, attrs: dict[str, str | None], start: int) -> None:
        kind = ENTITY_TYPES.get(tag)
        if tag == "span" and attrs.get("class") == "tg-spoiler":
            kind = "spoiler"
        if kind == "code" and self.stack and self.stack[-1][0] == "pre":
            # <pre><code class="language-x">: one pre entity that carries the language
            self.stack[-1][1]["language"] = (attrs.get("class") or "").removeprefix("language-")
            return
        if kind is None or self.units == start:
            return
        entity: dict[str, Any] = {"type": kind, "offset": start, "length": self.units - start}
        if kind == "text_link":
            entity["url"] = attrs.get("href") or ""
        elif kind == "custom_emoji":
            entity["custom_emoji_id"] = attrs.get("emoji-id") or ""
        elif kind == "pre" and attrs.get("language"):
            entity["language"] = attrs["language"]
        self.entities.append(entity)


def parse_entities(text: str) -> tuple[str, list[dict[str, Any]], str | None]:
    """Return (the plain text a user sees, its entities as Telegram lists them, an error)."""
    if re.search(r"&(?![a-zA-Z]+;|#\d+;|#x[0-9a-fA-F]+;)", text):
        return text, [], "Can't parse entities: unescaped '&'"
    if re.search(r"<(?![a-zA-Z/])", text):
        return text, [], "Can't parse entities: unexpected '<'"
    parser = _EntityParser()
    parser.feed(text)
    parser.close()
    if parser.error is None and parser.stack:
        parser.error = f'Can\'t find end tag corresponding to start tag "{parser.stack[-1][0]}"'
    entities = sorted(parser.entities, key=lambda entity: (entity["offset"], -entity["length"]))
    return "".join(parser.text), entities, parser.error


def parse_html(text: str) -> tuple[str, str | None]:
    """Return (the plain text a user sees, an error like Telegram's or None)."""
    visible, _entities, error = parse_entities(text)
    return visible, error


@dataclass
class QueuedError:
    method: type[TelegramMethod[Any]] | None
    status: int
    description: str
    retry_after: int | None = None


@dataclass
class StoredMessage:
    chat_id: int
    message_id: int
    text: str
    reply_markup: InlineKeyboardMarkup | None
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FakeTelegram:
    """Server-side state: messages per chat, answered callback queries."""

    messages: dict[tuple[int, int], StoredMessage] = field(default_factory=dict)
    answered_callbacks: set[str] = field(default_factory=set)
    message_ids: count = field(default_factory=lambda: count(1000))
    uploads: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # file_id: (name, bytes)
    photos: set[str] = field(default_factory=set)  # file ids of photos: sendPhoto only
    invoices: list[SendInvoice] = field(default_factory=list)  # every invoice sent
    answered_pre_checkouts: dict[str, AnswerPreCheckoutQuery] = field(default_factory=dict)


class TelegramError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after


class MockedSession(PinnedResponses, BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self.results: list[Any] = []  # what each request returned, or the error it raised
        self.errors: deque[QueuedError] = deque()
        self.telegram = FakeTelegram()

    def fail_next(
        self,
        method: type[TelegramMethod[Any]] | None,
        status: int,
        description: str,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next call of `method` (any method when None) with an error."""
        self.errors.append(QueuedError(method, status, description, retry_after))

    async def close(self) -> None:
        pass

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        self.requests.append(method)
        try:
            self._raise_queued(method)
            result = self._answer(bot, method)
        except TelegramError as error:
            self.results.append(error)
            payload: dict[str, Any] = {
                "ok": False,
                "error_code": error.status,
                "description": error.description,
            }
            if error.retry_after is not None:
                payload["parameters"] = {"retry_after": error.retry_after}
            self.check_response(bot, method, error.status, json.dumps(payload))
            raise AssertionError("check_response should have raised") from error
        response = self.check_response(
            bot, method, 200, json.dumps({"ok": True, "result": result}, default=str)
        )
        self.results.append(response.result)
        return response.result  # type: ignore[return-value]

    async def stream_content(
        self, url: str = "", *args: Any, **kwargs: Any
    ) -> AsyncGenerator[bytes, None]:
        """A file's bytes by the path getFile gave (`documents/<file_id>`): what a user sent
        (`telegram.uploads`, e.g. by `ChatClient.send_document`), in chunks."""
        file_id = url.rsplit("/documents/", 1)[-1] if "/documents/" in url else None
        data = self.telegram.uploads[file_id][1] if file_id in self.telegram.uploads else b""
        chunk = kwargs.get("chunk_size") or 65536
        for start in range(0, len(data), chunk):
            yield data[start : start + chunk]

    # --- the fake server ----------------------------------------------------------------

    def _raise_queued(self, method: TelegramMethod[Any]) -> None:
        for queued in list(self.errors):
            if queued.method is None or isinstance(method, queued.method):
                self.errors.remove(queued)
                raise TelegramError(queued.status, queued.description, queued.retry_after)

    def _answer(self, bot: Bot, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, GetFile):
            if method.file_id not in self.telegram.uploads:
                raise TelegramError(400, "Bad Request: invalid file_id")
            return {
                "file_id": method.file_id,
                "file_unique_id": method.file_id,
                "file_size": len(self.telegram.uploads[method.file_id][1]),
                "file_path": f"documents/{method.file_id}",
            }
        if isinstance(method, GetMe):
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "EduCRM",
                "username": "educrm_test_bot",
            }
        if isinstance(method, SendMessage):
            return self._store_message(
                bot, method.chat_id, method.text, method.parse_mode, method.reply_markup
            )
        if isinstance(method, EditMessageText):
            return self._edit_message(bot, method)
        if isinstance(method, SendDocument):
            return self._store_document(bot, method)
        if isinstance(method, SendPhoto):
            return self._store_photo(bot, method)
        if isinstance(method, EditMessageReplyMarkup):
            stored = self._stored(method.chat_id, method.message_id)
            if stored.reply_markup == method.reply_markup:
                raise TelegramError(400, NOT_MODIFIED)
            self._check_markup(method.reply_markup)
            stored.reply_markup = method.reply_markup
            return self._message_json(stored)
        if isinstance(method, AnswerCallbackQuery):
            if method.callback_query_id in self.telegram.answered_callbacks:
                raise TelegramError(
                    400,
                    QUERY_TOO_OLD,
                )
            if method.text is not None and len(method.text) > 200:
                raise TelegramError(400, "Bad Request: MESSAGE_TOO_LONG")
            self.telegram.answered_callbacks.add(method.callback_query_id)
            return True
        if isinstance(method, CopyMessage):
            return self._copy_message(method)
        if isinstance(method, SendInvoice):
            return self._store_invoice(method)
        if isinstance(method, AnswerPreCheckoutQuery):
            return self._answer_pre_checkout(method)
        if isinstance(method, DeleteMessage):
            self.telegram.messages.pop((int(method.chat_id), method.message_id), None)
            return True
        if method.__api_method__ == "setMyCommands":
            for command in method.commands:
                if not COMMAND_NAME.match(command.command):
                    raise TelegramError(400, "Bad Request: BOT_COMMAND_INVALID")
                if not 1 <= len(command.description) <= 256:
                    raise TelegramError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
            return True
        if isinstance(method, SendChatAction) or method.__returning__ is bool:
            return True
        raise NotImplementedError(f"the fake Telegram does not know {method.__api_method__}")

    def _resolve(self, bot: Bot, value: Any) -> Any:
        return bot.default[value.name] if isinstance(value, Default) else value

    def _visible_text(self, bot: Bot, text: str, parse_mode: Any, limit: int = 4096) -> str:
        return self._content(bot, text, parse_mode, limit)[0]

    def _content(
        self, bot: Bot, text: str, parse_mode: Any, limit: int = 4096
    ) -> tuple[str, list[dict[str, Any]]]:
        """The plain text and the entities Telegram would keep of `text`, or its refusal."""
        entities: list[dict[str, Any]] = []
        if self._resolve(bot, parse_mode) == ParseMode.HTML:
            text, entities, error = parse_entities(text)
            if error:
                raise TelegramError(400, f"Bad Request: {error}")
        if not text.strip():
            raise TelegramError(400, "Bad Request: message text is empty")
        if len(text) > limit:
            raise TelegramError(400, "Bad Request: message is too long")
        return text, entities

    def _check_markup(self, markup: Any) -> None:
        if isinstance(markup, InlineKeyboardMarkup):
            for row in markup.inline_keyboard:
                for button in row:
                    data = button.callback_data
                    if data is not None and not 1 <= len(data.encode()) <= 64:
                        raise TelegramError(400, "Bad Request: BUTTON_DATA_INVALID")

    def _store_message(
        self, bot: Bot, chat_id: int | str, text: str, parse_mode: Any, markup: Any
    ) -> dict[str, Any]:
        visible, entities = self._content(bot, text, parse_mode)
        self._check_markup(markup)
        stored = StoredMessage(
            chat_id=int(chat_id),
            message_id=next(self.telegram.message_ids),
            text=visible,
            reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
            entities=entities,
        )
        self.telegram.messages[(stored.chat_id, stored.message_id)] = stored
        return self._message_json(stored)

    def _copy_message(self, method: CopyMessage) -> dict[str, Any]:
        """copyMessage answers with the new message's id only; the copy keeps the text."""
        source = self.telegram.messages.get((int(method.from_chat_id), method.message_id))
        self._check_markup(method.reply_markup)
        stored = StoredMessage(
            chat_id=int(method.chat_id),
            message_id=next(self.telegram.message_ids),
            text=source.text if source else f"copy of {method.from_chat_id}/{method.message_id}",
            reply_markup=(
                method.reply_markup
                if isinstance(method.reply_markup, InlineKeyboardMarkup)
                else None
            ),
        )
        self.telegram.messages[(stored.chat_id, stored.message_id)] = stored
        return {"message_id": stored.message_id}

    def _store_document(self, bot: Bot, method: SendDocument) -> dict[str, Any]:
        """Keeps the uploaded bytes (`telegram.uploads`) so tests can open the file."""
        if method.caption is not None:
            self._visible_text(bot, method.caption, method.parse_mode, limit=1024)
        self._check_markup(method.reply_markup)
        document = method.document
        if isinstance(document, str) and document in self.telegram.photos:
            raise TelegramError(400, "Bad Request: type of file mismatch")
        if isinstance(document, BufferedInputFile):
            name, data = document.filename or "document", document.data
        elif isinstance(document, str) and document in self.telegram.uploads:
            name, data = self.telegram.uploads[document]
        else:
            raise TelegramError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        message_id = next(self.telegram.message_ids)
        file_id = f"document-{message_id}"
        self.telegram.uploads[file_id] = (name, data)
        return {
            "message_id": message_id,
            "date": 1_700_000_000,
            "chat": {"id": int(method.chat_id), "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "EduCRM"},
            "document": {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_name": name,
                "file_size": len(data),
            },
            **({"caption": method.caption} if method.caption is not None else {}),
        }

    @staticmethod
    def _image_size(data: bytes) -> tuple[int, int]:
        from PIL import Image, UnidentifiedImageError

        try:
            return Image.open(io.BytesIO(data)).size
        except UnidentifiedImageError:
            raise TelegramError(400, "Bad Request: IMAGE_PROCESS_FAILED") from None

    def _store_photo(self, bot: Bot, method: SendPhoto) -> dict[str, Any]:
        """Re-sends a known photo by file id (`telegram.photos`), or takes an uploaded image
        (a chart), which must be a picture Pillow opens; its bytes stay in `telegram.uploads`."""
        if method.caption is not None:
            self._visible_text(bot, method.caption, method.parse_mode, limit=1024)
        self._check_markup(method.reply_markup)
        photo = method.photo
        if isinstance(photo, BufferedInputFile):
            width, height = self._image_size(photo.data)
            photo = f"photo-{next(self.telegram.message_ids)}"
            self.telegram.photos.add(photo)
            self.telegram.uploads[photo] = (method.photo.filename or "photo", method.photo.data)
        elif isinstance(photo, str) and photo in self.telegram.photos:
            width = height = 1
        else:
            raise TelegramError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        size = {"file_id": photo, "file_unique_id": photo, "width": width, "height": height}
        return {
            "message_id": next(self.telegram.message_ids),
            "date": 1_700_000_000,
            "chat": {"id": int(method.chat_id), "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "EduCRM"},
            "photo": [size],
            **({"caption": method.caption} if method.caption is not None else {}),
        }

    def _store_invoice(self, method: SendInvoice) -> dict[str, Any]:
        """The Bot API's checks on an invoice (lengths, prices, payload, a provider token)."""
        if not 1 <= len(method.title) <= 32:
            raise TelegramError(400, "Bad Request: INVOICE_TITLE_EMPTY or too long")
        if not 1 <= len(method.description) <= 255:
            raise TelegramError(400, "Bad Request: INVOICE_DESCRIPTION_EMPTY or too long")
        if not 1 <= len(method.payload.encode()) <= 128:
            raise TelegramError(400, "Bad Request: INVOICE_PAYLOAD_INVALID")
        if not method.provider_token:
            raise TelegramError(400, "Bad Request: PAYMENT_PROVIDER_INVALID")
        if not re.fullmatch(r"[A-Z]{3}", method.currency):
            raise TelegramError(400, "Bad Request: CURRENCY_INVALID")
        if not method.prices or any(
            not isinstance(price.amount, int) or price.amount <= 0 for price in method.prices
        ):
            raise TelegramError(400, "Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID")
        self._check_markup(method.reply_markup)
        self.telegram.invoices.append(method)
        total = sum(price.amount for price in method.prices)
        return {
            "message_id": next(self.telegram.message_ids),
            "date": 1_700_000_000,
            "chat": {"id": int(method.chat_id), "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "EduCRM"},
            "invoice": {
                "title": method.title,
                "description": method.description,
                "start_parameter": method.start_parameter or "",
                "currency": method.currency,
                "total_amount": total,
            },
        }

    def _answer_pre_checkout(self, method: AnswerPreCheckoutQuery) -> bool:
        """Once per query; a refusal must say why."""
        if method.pre_checkout_query_id in self.telegram.answered_pre_checkouts:
            raise TelegramError(400, QUERY_TOO_OLD)
        if not method.ok and not method.error_message:
            raise TelegramError(400, "Bad Request: ERROR_MESSAGE_EMPTY")
        self.telegram.answered_pre_checkouts[method.pre_checkout_query_id] = method
        return True

    def _stored(self, chat_id: Any, message_id: Any) -> StoredMessage:
        stored = self.telegram.messages.get((int(chat_id), int(message_id)))
        if stored is None:
            raise TelegramError(400, "Bad Request: message to edit not found")
        return stored

    def _edit_message(self, bot: Bot, method: EditMessageText) -> dict[str, Any]:
        stored = self._stored(method.chat_id, method.message_id)
        visible, entities = self._content(bot, method.text, method.parse_mode)
        markup = (
            method.reply_markup if isinstance(method.reply_markup, InlineKeyboardMarkup) else None
        )
        if (visible, entities, markup) == (stored.text, stored.entities, stored.reply_markup):
            raise TelegramError(400, NOT_MODIFIED)
        self._check_markup(markup)
        stored.text, stored.entities = visible, entities
        stored.reply_markup = markup  # no reply_markup: the keyboard is removed
        return self._message_json(stored)

    def _message_json(self, stored: StoredMessage) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": stored.message_id,
            "date": 1_700_000_000,
            "chat": {"id": stored.chat_id, "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "EduCRM"},
            "text": stored.text,
        }
        if stored.entities:
            message["entities"] = stored.entities
        if stored.reply_markup is not None:
            message["reply_markup"] = stored.reply_markup.model_dump(exclude_none=True)
        return message


class MockedBot(Bot):
    session: MockedSession

    def __init__(self) -> None:
        super().__init__(
            token=BOT_TOKEN,
            session=MockedSession(),
            default=DefaultBotProperties(parse_mode=ParseMode.HTML),
        )
