"""Random and malformed Telegram updates as raw JSON-like dicts, from a seeded random.Random.

Everything is built as the Bot API would send it (or as a broken client might), so that
`Update.model_validate` sees missing and odd fields; what aiogram itself refuses is the
caller's to count. Nothing generated here is a valid action: ids in forged button data are
never ids of rows (0, negative, at least 10**9, not numbers), so any database change but
first contact is a bug (see tests/test_fuzz.py).

Aimed buttons (`button_shapes`) pass a real handler's filter (the prefix and the words its
rule asks for, such as `action == "card"`) and carry an id no INTEGER column holds (2**31 up
to 2**63, negative, 0) or a NUL byte, so that they reach the handler's queries rather than
the fallback: on PostgreSQL such a value raises DBAPIError unless it is refused first.
"""

import importlib
import pkgutil
import random
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from itertools import count
from typing import Any

from aiogram import Router
from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter
from magic_filter import MagicFilter
from magic_filter.operations import BaseOperation

import keyboards
from bot.commands import COMMANDS

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "EduCRM", "username": "educrm_test_bot"}
DATE = 1_700_000_000

# --- odd text ------------------------------------------------------------------------------

RTL = "\u202e\u200f\u061c"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
ZWJ_EMOJI = [
    "👩‍👩‍👧‍👦",
    "🏳️‍🌈",
    "👨🏽‍💻",
    "🧑‍🤝‍🧑",
    "❤️‍🔥",
    "🇺🇿",
    "1️⃣",
]
ODD_PIECES = [
    "<b>Eve</b> & Co",
    "<script>alert(1)</script>",
    "&amp;&lt;&#0;&#x110000;",
    "</b>",
    "<a href='tg://user?id=1'>x</a>",
    "%s %d {0} {name} {{}}",
    "\\u0000 \\ud800",  # lone surrogates and NUL, escaped as a client might
    "\x00",
    "\t\r\n",
    "ʻOʻzbekcha gʻ",
    "Ёжик ЪЬ",
    "مرحبا",
    "שלום",
    "'; DROP TABLE users; --",
    "%",
    "0x7fffffffffffffff",
    "9" * 40,
    "-1",
    "NaN",
    "１２３",  # full-width digits
    "٣٤٥",  # Arabic-Indic digits
    "1 250 000",
    "1e309",
    "null",
    "@educrm_test_bot",
    "ﷺ",
    "\U0001f600" * 3,
    "Z̴̡̛a̶l̷g̸o̵",
]
# Never the id of a row: zero, negative, at least 10**9, or not a number.
BAD_NUMBERS = [
    "0",
    "-1",
    "-9223372036854775808",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "1" + "0" * 30,
    "1000000000",
    "2147483648",
    "1.5",
    "1e3",
    "0x10",
    " 7",
    "+",
    "",
    "٣",
    "１",
    "None",
    "true",
]


# Ids no INTEGER column (int4 in PostgreSQL) holds, up to BIGINT's end; and the edges below 1.
OUT_OF_RANGE_IDS = [
    "2147483648",
    "2147483649",
    "4294967296",
    "1099511627776",
    "9007199254740993",
    "9223372036854775807",
    "-1",
    "-2147483649",
    "-9223372036854775808",
    "0",
]
# A button's ids that are in range but never a row's (left as they are in aimed data).
NEVER_A_ROW = 1_000_000_000


def out_of_range_id(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.5:
        return rng.choice(OUT_OF_RANGE_IDS)
    if pick < 0.9:
        return str(rng.randint(2**31, 2**63 - 1))
    return str(-rng.randint(1, 2**63))


def with_nul(rng: random.Random, text: str) -> str:
    """The text with a NUL byte somewhere in it (PostgreSQL refuses NUL in text columns)."""
    at = rng.randint(0, len(text))
    return text[:at] + rng.choice(["\x00", "\x00\x00", "a\x00b"]) + text[at:]


def maybe_nul(rng: random.Random, text: str, chance: float = 0.15) -> str:
    return with_nul(rng, text) if rng.random() < chance else text


def odd_text(rng: random.Random, length: int | None = None) -> str:
    """A string made of odd pieces: RTL marks, zero-width, ZWJ emoji, HTML, NUL, digits."""
    pieces: list[str] = []
    size, target = 0, length if length is not None else rng.randint(1, 60)
    while size < target:
        pick = rng.random()
        if pick < 0.25:
            piece = rng.choice(ODD_PIECES)
        elif pick < 0.4:
            piece = rng.choice(ZWJ_EMOJI)
        elif pick < 0.5:
            piece = rng.choice(RTL + ZERO_WIDTH)
        elif pick < 0.6:
            piece = chr(rng.choice([rng.randint(0x20, 0xD7FF), rng.randint(0xE000, 0x10FFFF)]))
        else:
            piece = "".join(rng.choices(string.ascii_letters + string.digits + " ", k=8))
        pieces.append(piece)
        size += len(piece)
    text = "".join(pieces)
    return text[:target] if length is not None else text


def huge_text(rng: random.Random) -> str:
    return odd_text(rng, rng.choice([4096, 4097, 5000, 9000, 20_000]))


# --- button data -----------------------------------------------------------------------------


def callback_classes() -> dict[str, type[CallbackData]]:
    """Every CallbackData subclass of keyboards/*.py, by prefix."""
    for module in pkgutil.iter_modules(keyboards.__path__):
        importlib.import_module(f"keyboards.{module.name}")
    found: dict[str, type[CallbackData]] = {}
    queue = list(CallbackData.__subclasses__())
    while queue:
        cls = queue.pop()
        queue.extend(cls.__subclasses__())
        prefix = getattr(cls, "__prefix__", None)
        if prefix and cls.__module__.startswith("keyboards."):
            found[prefix] = cls
    return found


def bad_value(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.55:
        return rng.choice(BAD_NUMBERS)
    if pick < 0.75:
        return odd_text(rng, rng.randint(0, 12)).replace(":", "")
    if pick < 0.85:
        return rng.choice(["open", "save", "tap", "accept", "decline", "on", "off", "zz"])
    return "".join(rng.choices(string.ascii_lowercase, k=rng.randint(1, 70)))


def forged_callback_data(rng: random.Random, prefix: str, cls: type[CallbackData]) -> str:
    """A forged `prefix:...` string: wrong field counts, bad ids, odd text, empty, too long."""
    fields = len(cls.model_fields)
    shape = rng.random()
    if shape < 0.1:
        return f"{prefix}:"
    if shape < 0.15:
        return prefix
    if shape < 0.2:
        return prefix + ":" + ":" * rng.randint(1, 8)
    if shape < 0.3:  # longer than Telegram's 64 bytes (a forged client may still send it)
        return prefix + ":" + "9" * rng.randint(64, 200)
    number = {
        0.5: fields,
        0.65: max(0, fields - 1),
        0.8: fields + rng.randint(1, 4),
        1.0: rng.randint(0, 8),
    }
    chosen = next(n for bound, n in number.items() if shape < bound)
    return ":".join([prefix, *(bad_value(rng) for _ in range(chosen))])


@dataclass(frozen=True)
class ButtonShape:
    """Values of a CallbackData class that pass one handler's filter (its rule)."""

    cls: type[CallbackData]
    values: dict[str, Any]

    @property
    def int_fields(self) -> list[str]:
        return [name for name, value in self.values.items() if type(value) is int]

    @property
    def str_fields(self) -> list[str]:
        return [name for name, value in self.values.items() if type(value) is str]


def button_shapes(router: Router, rng: random.Random) -> list[ButtonShape]:
    """One shape per CallbackData filter of every handler under `router` that the fuzzer
    can satisfy (the words its rule compares with are tried in turn)."""
    shapes = []
    for each in router.chain_tail:
        for handler in each.callback_query.handlers:
            for filter_object in handler.filters or ():
                check = filter_object.callback
                if isinstance(check, CallbackQueryFilter):
                    values = passing_values(check, rng)
                    if values is not None:
                        shapes.append(ButtonShape(check.callback_data, values))
    return shapes


def passing_values(check: CallbackQueryFilter, rng: random.Random) -> dict[str, Any] | None:
    cls, rule = check.callback_data, check.rule
    words = sorted(rule_words(rule))
    for _ in range(300):
        values: dict[str, Any] = {}
        for name, info in cls.model_fields.items():
            kind = info.annotation
            if isinstance(kind, type) and issubclass(kind, Enum):
                values[name] = rng.choice([member.value for member in kind])
            elif kind is int:
                values[name] = NEVER_A_ROW
            else:
                values[name] = rng.choice([*words, "", str(info.default or "")])
        try:
            data = cls(**values)
        except ValueError:
            continue
        if rule is None or rule.resolve(data):
            return values
    return None


def rule_words(node: Any, found: set[str] | None = None) -> set[str]:
    """Every string a magic rule compares with (`F.action == "card"`, `F.view.in_([...])`)."""
    found = set() if found is None else found
    if isinstance(node, str):
        if ":" not in node:
            found.add(node)
    elif isinstance(node, Enum):
        rule_words(node.value, found)
    elif isinstance(node, MagicFilter):
        for operation in node._operations:
            rule_words(operation, found)
    elif isinstance(node, BaseOperation):
        for klass in type(node).__mro__:
            for slot in getattr(klass, "__slots__", ()):
                rule_words(getattr(node, slot, None), found)
    elif isinstance(node, dict):
        for item in (*node.keys(), *node.values()):
            rule_words(item, found)
    elif isinstance(node, list | tuple | set | frozenset):
        for item in node:
            rule_words(item, found)
    return found


def aimed_callback_data(rng: random.Random, shape: ButtonShape) -> str:
    """Data a handler accepts but for one or more ids out of range, or a NUL in a word."""
    values = {name: str(value) for name, value in shape.values.items()}
    ints, words = shape.int_fields, shape.str_fields
    if ints and (not words or rng.random() < 0.8):
        for name in rng.sample(ints, rng.randint(1, len(ints))):
            values[name] = out_of_range_id(rng)
    else:
        name = rng.choice(words or list(values))
        values[name] = with_nul(rng, values[name])
    return ":".join([shape.cls.__prefix__, *values.values()])


def junk_callback_data(rng: random.Random) -> str | None:
    return rng.choice(
        [
            None,
            "",
            ":",
            "::::",
            "x" * 65,
            odd_text(rng, 20),
            "\x00",
            "🙂:🙂",
            "zz:1:2",
            "lang",
            "cs:accept:" + "1" * 70,
        ]
    )


# --- people ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sender:
    kind: str  # new, plain, student, parent, teacher, admin, owner
    telegram_id: int
    first_name: str = "Fuzz"
    language_code: str | None = "en"
    fixed_profile: bool = True  # the cast keeps its profile; new senders get odd names


@dataclass
class FuzzCase:
    """One raw update and what the test should check about it."""

    kind: str
    raw: dict[str, Any]
    sender: Sender | None
    callback_id: str | None = None
    pre_checkout_id: str | None = None


@dataclass
class UpdateFuzzer:
    rng: random.Random
    cast: list[Sender]
    prefixes: dict[str, type[CallbackData]] = field(default_factory=callback_classes)
    excluded_commands: dict[str, set[str]] = field(default_factory=dict)  # kind: names
    shapes: list[ButtonShape] = field(default_factory=list)  # aimed buttons (button_shapes)
    new_senders: set[int] = field(default_factory=set)
    _ids: Iterator[int] = field(default_factory=lambda: count(50_000_000))
    _new_ids: Iterator[int] = field(default_factory=lambda: count(8_000_000_001))

    def __post_init__(self) -> None:
        self.commands = sorted({spec.name for spec in COMMANDS})
        self.makers: list[tuple[float, Callable[[], FuzzCase]]] = [
            (0.20, self.command),
            (0.12, self.text_message),
            (0.06, self.textless_message),
            (0.15, self.forged_callback),
            (0.12, self.aimed_callback),
            (0.04, self.junk_callback),
            (0.10, self.other_update_type),
            (0.03, self.pre_checkout),
            (0.02, self.successful_payment),
            (0.04, self.group_or_channel_message),
            (0.08, self.broken),
        ]

    def __iter__(self) -> Iterator[FuzzCase]:
        return self

    def __next__(self) -> FuzzCase:
        roll, total = self.rng.random(), 0.0
        for weight, maker in self.makers:
            total += weight
            if roll < total:
                return maker()
        return self.makers[-1][1]()

    # --- building blocks ---

    def next_id(self) -> int:
        return next(self._ids)

    def sender(self) -> Sender:
        if self.rng.random() < 0.25:
            telegram_id = (
                next(self._new_ids)
                if self.rng.random() < 0.7 or not self.new_senders
                else self.rng.choice(sorted(self.new_senders))
            )
            self.new_senders.add(telegram_id)
            return Sender(
                "new",
                telegram_id,
                first_name=self.rng.choice(["<b>Eve</b> & Co", odd_text(self.rng), "", " "]),
                language_code=self.rng.choice(
                    [None, "", "en", "ru-RU", "uz", "zz", "🙂", "x" * 40]
                ),
                fixed_profile=False,
            )
        return self.rng.choice(self.cast)

    def user_json(self, sender: Sender) -> dict[str, Any]:
        user: dict[str, Any] = {"id": sender.telegram_id, "is_bot": False}
        if sender.fixed_profile:
            user["first_name"] = sender.first_name
        else:
            user["first_name"] = sender.first_name
            if self.rng.random() < 0.5:
                user["last_name"] = odd_text(self.rng, self.rng.randint(0, 80))
            if self.rng.random() < 0.3:
                user["username"] = self.rng.choice(["eve_co", "a" * 40, "x1"])
        if sender.language_code is not None:
            user["language_code"] = sender.language_code
        return user

    def private_chat(self, sender: Sender) -> dict[str, Any]:
        return {"id": sender.telegram_id, "type": "private", "first_name": "x"}

    def message_json(self, sender: Sender, **content: Any) -> dict[str, Any]:
        return {
            "message_id": self.next_id(),
            "date": DATE,
            "chat": self.private_chat(sender),
            "from": self.user_json(sender),
            **content,
        }

    def update(self, kind: str, sender: Sender | None, **event: Any) -> FuzzCase:
        return FuzzCase(kind, {"update_id": self.next_id(), **event}, sender)

    def garbage_argument(self) -> str:
        pick = self.rng.random()
        if pick < 0.3:
            return self.rng.choice(BAD_NUMBERS)
        if pick < 0.8:
            return odd_text(self.rng)
        if pick < 0.9:
            return huge_text(self.rng)
        return " ".join(self.rng.choice(BAD_NUMBERS) for _ in range(self.rng.randint(2, 9)))

    # --- makers ---

    def command(self) -> FuzzCase:
        sender = self.sender()
        excluded = self.excluded_commands.get(sender.kind, set())
        name = self.rng.choice([c for c in self.commands if c not in excluded])
        mention = self.rng.choice(["", "", "@educrm_test_bot", "@other_bot", "@"])
        separator = self.rng.choice([" ", " ", "  ", "\n", "\t", "\u00a0"])
        text = f"/{name}{mention}{separator}{maybe_nul(self.rng, self.garbage_argument())}"
        if self.rng.random() < 0.1:
            text = text.upper()
        content: dict[str, Any] = {"text": text[:20_000]}
        if self.rng.random() < 0.5:
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(name) + 1 + len(mention)}
            ]
        return self.update("command", sender, message=self.message_json(sender, **content))

    def text_message(self) -> FuzzCase:
        sender = self.sender()
        text = huge_text(self.rng) if self.rng.random() < 0.15 else odd_text(self.rng)
        if self.rng.random() < 0.2:
            text = self.rng.choice(["/", "//", "/ start", "/xyz", "/start@", "/" + "a" * 100])
        content: dict[str, Any] = {"text": maybe_nul(self.rng, text)}
        if self.rng.random() < 0.1:
            content["entities"] = [{"type": "bold", "offset": 10**6, "length": -5}]
        if self.rng.random() < 0.1:
            content["reply_to_message"] = self.message_json(sender, text="earlier")
        return self.update("text", sender, message=self.message_json(sender, **content))

    def textless_message(self) -> FuzzCase:
        sender = self.sender()
        file = {"file_id": "f" + str(self.next_id()), "file_unique_id": "u"}
        content = self.rng.choice(
            [
                {},
                {
                    "sticker": {
                        **file,
                        "type": "regular",
                        "width": 1,
                        "height": 1,
                        "is_animated": False,
                        "is_video": False,
                    }
                },
                {
                    "photo": [{**file, "width": 1, "height": 1}],
                    "caption": maybe_nul(self.rng, odd_text(self.rng), 0.3),
                },
                {"document": {**file, "file_name": "<b>.pdf"}, "caption": huge_text(self.rng)},
                {
                    "contact": {
                        "phone_number": maybe_nul(self.rng, odd_text(self.rng, 12), 0.3),
                        "first_name": maybe_nul(self.rng, "<i>", 0.3),
                    }
                },
                {"location": {"latitude": 91.0, "longitude": -181.0}},
                {"voice": {**file, "duration": -1}},
                {"dice": {"emoji": "🎲", "value": 7}},
                {"new_chat_members": [self.user_json(sender)]},
                {"text": ""},
                {"caption": "/start"},
            ]
        )
        message = self.message_json(sender, **content)
        if self.rng.random() < 0.3:
            del message["from"]  # a message without a sender
        return self.update("textless", sender, message=message)

    def callback(self, sender: Sender, data: str | None) -> FuzzCase:
        callback_id = f"fz{self.next_id()}"
        query: dict[str, Any] = {
            "id": callback_id,
            "from": self.user_json(sender),
            "chat_instance": str(self.rng.randint(-(2**63), 2**63)),
        }
        if data is not None:
            query["data"] = data
        where = self.rng.random()
        if where < 0.6:
            query["message"] = {
                "message_id": self.rng.choice([1, 10**9, self.next_id()]),
                "date": DATE,
                "chat": self.private_chat(sender),
                "from": BOT_USER,
                "text": odd_text(self.rng),
            }
        elif where < 0.75:  # a message too old for Telegram to show (date 0)
            query["message"] = {
                "message_id": 5,
                "date": 0,
                "chat": self.private_chat(sender),
            }
        elif where < 0.85:
            query["inline_message_id"] = "AAAA" + str(self.next_id())
        case = self.update("callback", sender, callback_query=query)
        case.callback_id = callback_id
        return case

    def forged_callback(self) -> FuzzCase:
        prefix = self.rng.choice(sorted(self.prefixes))
        data = forged_callback_data(self.rng, prefix, self.prefixes[prefix])
        return self.callback(self.sender(), data)

    def aimed_callback(self) -> FuzzCase:
        if not self.shapes:
            return self.forged_callback()
        data = aimed_callback_data(self.rng, self.rng.choice(self.shapes))
        return self.callback(self.sender(), data)

    def junk_callback(self) -> FuzzCase:
        sender = self.sender()
        if self.rng.random() < 0.3:
            case = self.callback(sender, None)
            case.raw["callback_query"]["game_short_name"] = odd_text(self.rng, 10)
            return case
        return self.callback(sender, junk_callback_data(self.rng))

    def pre_checkout(self) -> FuzzCase:
        sender = self.sender()
        query_id = f"pc{self.next_id()}"
        payload = self.rng.choice(
            ["", "x", "1:2:3", "v1." + "A" * 40, odd_text(self.rng, 30), "9" * 128]
        )
        query = {
            "id": query_id,
            "from": self.user_json(sender),
            "currency": self.rng.choice(["UZS", "USD", "XXX", "uzs"]),
            "total_amount": self.rng.choice([0, -1, 1, 2**31, 10**15]),
            "invoice_payload": payload,
        }
        case = self.update("pre_checkout", sender, pre_checkout_query=query)
        case.pre_checkout_id = query_id
        return case

    def successful_payment(self) -> FuzzCase:
        sender = self.sender()
        paid = {
            "currency": "UZS",
            "total_amount": self.rng.choice([1, 100_000_00, 2**40]),
            "invoice_payload": self.rng.choice(["", "forged", "v1." + "B" * 30]),
            "telegram_payment_charge_id": f"fuzz-{self.next_id()}",
            "provider_payment_charge_id": "p",
        }
        return self.update(
            "successful_payment", sender, message=self.message_json(sender, successful_payment=paid)
        )

    def group_or_channel_message(self) -> FuzzCase:
        sender = self.sender()
        chat = self.rng.choice(
            [
                {"id": -100_123, "type": "supergroup", "title": "<b>G</b>"},
                {"id": -5, "type": "group", "title": "g"},
                {"id": -100_999, "type": "channel", "title": "c"},
            ]
        )
        message = self.message_json(sender, text=f"/start {odd_text(self.rng)}")
        message["chat"] = chat
        return self.update("group", sender, message=message)

    def other_update_type(self) -> FuzzCase:
        sender = self.sender()
        user = self.user_json(sender)
        chat = self.private_chat(sender)
        message = self.message_json(sender, text=maybe_nul(self.rng, odd_text(self.rng), 0.3))
        channel = {"id": -100_777, "type": "channel", "title": "news"}
        member = {"status": "member", "user": BOT_USER}
        kicked = {"status": "kicked", "user": BOT_USER, "until_date": 0}
        choice = self.rng.randrange(14)
        events: list[dict[str, Any]] = [
            {"edited_message": {**message, "edit_date": DATE}},
            {"channel_post": {**message, "chat": channel, "sender_chat": channel}},
            {"edited_channel_post": {**message, "chat": channel, "edit_date": DATE}},
            {"inline_query": {"id": "iq", "from": user, "query": odd_text(self.rng), "offset": ""}},
            {"chosen_inline_result": {"result_id": "r", "from": user, "query": "q"}},
            {
                "poll": {
                    "id": "p",
                    "question": odd_text(self.rng),
                    "options": [],
                    "total_voter_count": -1,
                    "is_closed": False,
                    "is_anonymous": True,
                    "type": "regular",
                    "allows_multiple_answers": False,
                }
            },
            {"poll_answer": {"poll_id": "p", "user": user, "option_ids": [99]}},
            {
                "chat_join_request": {
                    "chat": channel,
                    "from": user,
                    "user_chat_id": sender.telegram_id,
                    "date": DATE,
                }
            },
            {
                "my_chat_member": {
                    "chat": {"id": -100_5, "type": "supergroup", "title": "g"},
                    "from": user,
                    "date": DATE,
                    "old_chat_member": member,
                    "new_chat_member": kicked,
                }
            },
            {
                "chat_member": {
                    "chat": channel,
                    "from": user,
                    "date": DATE,
                    "old_chat_member": member,
                    "new_chat_member": member,
                }
            },
            {
                "shipping_query": {
                    "id": "s",
                    "from": user,
                    "invoice_payload": "x",
                    "shipping_address": {
                        "country_code": "UZ",
                        "state": "",
                        "city": "",
                        "street_line1": "",
                        "street_line2": "",
                        "post_code": "",
                    },
                }
            },
            {
                "message_reaction": {
                    "chat": chat,
                    "message_id": 1,
                    "date": DATE,
                    "user": user,
                    "old_reaction": [],
                    "new_reaction": [{"type": "emoji", "emoji": "👍"}],
                }
            },
            {"business_message": {**message, "business_connection_id": "b"}},
            {"some_future_update": {"id": 1, "from": user}},  # unknown to aiogram
        ]
        return self.update("other", sender, **events[choice])

    def broken(self) -> FuzzCase:
        """Structurally wrong: missing required fields, wrong types. aiogram should refuse
        most of these; what it lets through must still be harmless."""
        sender = self.sender()
        message = self.message_json(sender, text=odd_text(self.rng))
        breakage = self.rng.randrange(12)
        if breakage == 0:
            del message["chat"]
        elif breakage == 1:
            message["text"] = self.rng.choice([123, None, ["a"], {"x": 1}])
        elif breakage == 2:
            message["from"]["id"] = self.rng.choice(["abc", None, 1.5, "12"])
        elif breakage == 3:
            message["date"] = self.rng.choice(["yesterday", -1, 10**12])
        elif breakage == 4:
            del message["message_id"]
        elif breakage == 5:
            message["chat"]["type"] = self.rng.choice(["bogus", "", None, "private "])
        elif breakage == 6:
            message["from"]["is_bot"] = True  # a bot writing to the bot
        elif breakage == 7:
            message["entities"] = [{"type": "nope", "offset": "x"}]
        elif breakage == 8:
            return self.update("broken", sender)  # an update with no event at all
        elif breakage == 9:
            return self.update("broken", sender, message=None, callback_query=None)
        elif breakage == 10:
            case = self.callback(sender, "lang:en")
            del case.raw["callback_query"]["from"]
            case.callback_id = None  # not a valid update: nothing to answer
            case.kind = "broken"
            return case
        else:
            del message["from"]["first_name"]
        return self.update("broken", sender, message=message)
