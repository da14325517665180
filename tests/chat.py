"""Talk to the real Dispatcher as a Telegram user would, and read what the bot answered."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from typing import Any

from aiogram import Dispatcher
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage, TelegramMethod
from aiogram.types import (
    CallbackQuery,
    Chat,
    ChatMemberBanned,
    ChatMemberMember,
    ChatMemberUpdated,
    Document,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    PreCheckoutQuery,
    ReplyKeyboardMarkup,
    SuccessfulPayment,
    Update,
    User,
)

from tests.mocked_bot import BOT_ID, MockedBot

_update_ids = count(1)


@dataclass
class Person:
    """A Telegram account used in a test."""

    id: int
    first_name: str = "Ali"
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "uz"

    def as_user(self) -> User:
        return User(
            id=self.id,
            is_bot=False,
            first_name=self.first_name,
            last_name=self.last_name,
            username=self.username,
            language_code=self.language_code,
        )

    def chat(self) -> Chat:
        return Chat(id=self.id, type="private", first_name=self.first_name)


@dataclass
class Reply:
    """The API calls one update caused."""

    calls: list[TelegramMethod[Any]] = field(default_factory=list)
    results: list[Any] = field(default_factory=list)

    def of(self, method: type) -> list[Any]:
        return [call for call in self.calls if isinstance(call, method)]

    @property
    def texts(self) -> list[str]:
        return [call.text for call in self.calls if isinstance(call, SendMessage | EditMessageText)]

    @property
    def text(self) -> str:
        texts = self.texts
        assert texts, f"the bot sent no text; calls: {[type(c).__name__ for c in self.calls]}"
        return texts[-1]

    @property
    def answers(self) -> list[AnswerCallbackQuery]:
        return self.of(AnswerCallbackQuery)

    def markup(self) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
        for call in reversed(self.calls):
            if isinstance(call, SendMessage | EditMessageText) and call.reply_markup is not None:
                return call.reply_markup
        return None

    def buttons(self) -> list[str]:
        markup = self.markup()
        if isinstance(markup, InlineKeyboardMarkup):
            return [button.text for row in markup.inline_keyboard for button in row]
        if isinstance(markup, ReplyKeyboardMarkup):
            return [button.text for row in markup.keyboard for button in row]
        return []

    def callback_data(self, button_text: str) -> str:
        markup = self.markup()
        assert isinstance(markup, InlineKeyboardMarkup), "no inline keyboard in the reply"
        for row in markup.inline_keyboard:
            for button in row:
                if button.text == button_text:
                    assert button.callback_data is not None
                    return button.callback_data
        raise AssertionError(f"no button {button_text!r} in {self.buttons()}")

    @property
    def message_id(self) -> int:
        """The id of the last message the bot sent (to press its buttons later)."""
        for call, result in zip(reversed(self.calls), reversed(self.results), strict=True):
            if isinstance(call, SendMessage) and isinstance(result, Message):
                return result.message_id
        raise AssertionError("the bot sent no message")


class ChatClient:
    def __init__(self, bot: MockedBot, dispatcher: Dispatcher) -> None:
        self.bot = bot
        self.dispatcher = dispatcher

    async def feed(self, update: Update) -> Reply:
        session = self.bot.session
        before = len(session.requests)
        await self.dispatcher.feed_update(self.bot, update)
        sender = self.dispatcher.workflow_data.get("sender")
        if sender is not None:  # notices a handler left to send in the background
            await sender.wait_background()
        tally = self.dispatcher.workflow_data.get("usage_tally")
        if tally is not None:  # the runner writes the counts every few seconds
            await tally.flush()
        return Reply(session.requests[before:], session.results[before:])

    def message(self, person: Person, text: str | None = None, **fields: Any) -> Update:
        return Update(
            update_id=next(_update_ids),
            message=Message(
                message_id=next(_update_ids),
                date=datetime.now(UTC),
                chat=person.chat(),
                from_user=person.as_user(),
                text=text,
                **fields,
            ),
        )

    async def send(self, person: Person, text: str | None = None, **fields: Any) -> Reply:
        return await self.feed(self.message(person, text, **fields))

    async def send_document(
        self, person: Person, name: str, data: bytes, *, size: int | None = None, **fields: Any
    ) -> Reply:
        """The person sends a file: its bytes wait in the fake Telegram for getFile and the
        download; `size` is what Telegram says of it (the real length by default)."""
        file_id = f"user-file-{next(_update_ids)}"
        self.bot.session.telegram.uploads[file_id] = (name, data)
        document = Document(
            file_id=file_id,
            file_unique_id=file_id,
            file_name=name,
            file_size=len(data) if size is None else size,
        )
        return await self.send(person, document=document, **fields)

    async def press(self, person: Person, data: str, message_id: int | None = None) -> Reply:
        message = None
        if message_id is not None:
            stored = self.bot.session.telegram.messages[(person.id, message_id)]
            message = Message(
                message_id=message_id,
                date=datetime.now(UTC),
                chat=person.chat(),
                from_user=User(id=BOT_ID, is_bot=True, first_name="EduCRM"),
                text=stored.text,
                entities=[MessageEntity(**entity) for entity in stored.entities] or None,
                reply_markup=stored.reply_markup,
            )
        update = Update(
            update_id=next(_update_ids),
            callback_query=CallbackQuery(
                id=str(next(_update_ids)),
                from_user=person.as_user(),
                chat_instance="ci",
                message=message,
                data=data,
            ),
        )
        return await self.feed(update)

    async def block(self, person: Person, blocked: bool = True) -> Reply:
        bot_user = User(id=BOT_ID, is_bot=True, first_name="EduCRM")
        old = (
            ChatMemberMember(user=bot_user)
            if blocked
            else ChatMemberBanned(user=bot_user, until_date=0)
        )
        new = (
            ChatMemberBanned(user=bot_user, until_date=0)
            if blocked
            else ChatMemberMember(user=bot_user)
        )
        update = Update(
            update_id=next(_update_ids),
            my_chat_member=ChatMemberUpdated(
                chat=person.chat(),
                from_user=person.as_user(),
                date=datetime.now(UTC),
                old_chat_member=old,
                new_chat_member=new,
            ),
        )
        return await self.feed(update)

    # --- Telegram Payments --------------------------------------------------------------

    async def pre_checkout(
        self, person: Person, payload: str, total_amount: int, currency: str = "UZS"
    ) -> Reply:
        """Telegram asking whether to take the money (the payer pressed Pay in the invoice)."""
        update = Update(
            update_id=next(_update_ids),
            pre_checkout_query=PreCheckoutQuery(
                id=f"pcq-{next(_update_ids)}",
                from_user=person.as_user(),
                currency=currency,
                total_amount=total_amount,
                invoice_payload=payload,
            ),
        )
        return await self.feed(update)

    def successful_payment_update(
        self,
        person: Person,
        payload: str,
        total_amount: int,
        charge_id: str,
        currency: str = "UZS",
        provider_charge_id: str = "provider-1",
    ) -> Update:
        """The service message of a completed payment (a new update_id on every call)."""
        return self.message(
            person,
            successful_payment=SuccessfulPayment(
                currency=currency,
                total_amount=total_amount,
                invoice_payload=payload,
                telegram_payment_charge_id=charge_id,
                provider_payment_charge_id=provider_charge_id,
            ),
        )
