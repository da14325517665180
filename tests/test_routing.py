"""Router-level gates (bot/routing.py): a superset of what the handlers match, on every leaf."""

import re
from datetime import UTC, datetime

import pytest
from aiogram import F, Router
from aiogram.filters import Command, CommandStart, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Chat, Message, User
from sqlalchemy import select

from bot.commands import menu_label
from bot.config import LANGUAGES
from bot.filters.menu import MenuButton
from bot.i18n import use_language
from bot.routing import CallbackGate, MessageGate, add_gates
from db.models import SupportTicket
from handlers import get_routers
from keyboards.support import TicketCb
from tests.chat import Person
from tests.factories import make_user

# the routers whose message handlers give no cheap necessary condition
UNGATED_MESSAGE_ROUTERS = {
    "common.payments",  # F.successful_payment
    "fallback",  # takes everything left
}


class Form(StatesGroup):
    name = State()
    phone = State()


class Other(StatesGroup):
    step = State()


class AbCb(CallbackData, prefix="ab"):
    n: int


class AbcCb(CallbackData, prefix="abc"):
    pass


async def nothing(*_args: object) -> None:
    pass


def message(text: str | None = None, caption: str | None = None) -> Message:
    return Message(
        message_id=1,
        date=datetime.now(UTC),
        chat=Chat(id=1, type="private"),
        text=text,
        caption=caption,
    )


def query(data: str | None) -> CallbackQuery:
    user = User(id=1, is_bot=False, first_name="A")
    return CallbackQuery(id="1", from_user=user, chat_instance="ci", data=data)


def gates_of(router: Router, observer: str) -> list[object]:
    filters = router.observers[observer]._handler.filters or []
    return [f.callback for f in filters if isinstance(f.callback, CallbackGate | MessageGate)]


def gate_of(router: Router, observer: str):
    gates = gates_of(router, observer)
    assert len(gates) == 1, f"{router.name} {observer}: {gates}"
    return gates[0]


def leaves(router: Router):
    if not router.sub_routers:
        yield router
    for sub_router in router.sub_routers:
        yield from leaves(sub_router)


# --- the gate builder ----------------------------------------------------------------------


@pytest.fixture
def mixed() -> Router:
    router = Router(name="mixed")
    router.message.register(nothing, Command("cmd"))
    router.message.register(nothing, CommandStart())
    router.message.register(nothing, StateFilter(Form.name), F.text)
    router.message.register(nothing, Form.phone)
    router.message.register(nothing, MenuButton("help"))
    add_gates(router)
    return router


@pytest.mark.parametrize(
    "text",
    ["/cmd", "/cmd some args", "/CMD@somebot", "  /cmd", "/start payload", "/start@bot"],
)
async def test_a_message_gate_passes_the_commands(mixed, text):
    assert await gate_of(mixed, "message")(message(text)) is True


async def test_a_message_gate_passes_a_command_in_a_caption(mixed):
    assert await gate_of(mixed, "message")(message(caption="/cmd look")) is True


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_message_gate_passes_the_menu_label_in_each_language(mixed, language):
    with use_language(language):
        label = menu_label("help")
    assert await gate_of(mixed, "message")(message(label)) is True


async def test_the_menu_labels_differ_by_language_so_the_test_above_means_something():
    labels = set()
    for language in LANGUAGES:
        with use_language(language):
            labels.add(menu_label("help"))
    assert len(labels) == len(LANGUAGES)


async def test_a_message_gate_passes_the_states_of_its_handlers(mixed):
    gate = gate_of(mixed, "message")
    assert await gate(message("Alice"), raw_state=Form.name.state) is True
    assert await gate(message("+998"), raw_state=Form.phone.state) is True
    assert await gate(message("Alice"), raw_state=Other.step.state) is False


@pytest.mark.parametrize(
    "text", ["hello", "/other", "/cmdx", "cmd", "/", "❓", "/ cmd", "x /cmd", None]
)
async def test_a_message_gate_refuses_anything_else(mixed, text):
    assert await gate_of(mixed, "message")(message(text)) is False


async def test_a_message_gate_with_no_state_condition_ignores_the_state():
    router = Router()
    router.message.register(nothing, Command("cmd"))
    add_gates(router)
    gate = gate_of(router, "message")
    assert await gate(message("hi"), raw_state=None) is False
    assert await gate(message("/cmd"), raw_state=Form.name.state) is True


async def test_a_states_group_gates_on_all_its_states():
    router = Router()
    router.message.register(nothing, StateFilter(Form, "raw:state"))
    add_gates(router)
    gate = gate_of(router, "message")
    for raw_state in (Form.name.state, Form.phone.state, "raw:state"):
        assert await gate(message("x"), raw_state=raw_state) is True
    assert await gate(message("x"), raw_state=None) is False


@pytest.mark.parametrize(
    "filters",
    [
        (F.photo,),  # a magic filter only
        (StateFilter("*"),),
        (StateFilter(Form.name, None),),
        (Command("cmd", prefix="!"),),
        (Command(re.compile(r"c\d+")),),
        (),
    ],
)
def test_a_router_with_a_handler_without_a_condition_gets_no_message_gate(filters):
    router = Router()
    router.message.register(nothing, Command("cmd"))
    router.message.register(nothing, *filters)
    add_gates(router)
    assert gates_of(router, "message") == []


def test_a_router_with_sub_routers_is_not_gated_but_its_leaves_are():
    parent, child = Router(name="parent"), Router(name="child")
    parent.message.register(nothing, Command("parent"))
    parent.callback_query.register(nothing, AbCb.filter())
    child.message.register(nothing, Command("child"))
    parent.include_router(child)
    add_gates(parent)
    assert gates_of(parent, "message") == [] and gates_of(parent, "callback_query") == []
    assert gate_of(child, "message").commands == {"child"}
    assert gates_of(child, "callback_query") == []  # no handlers, no gate


def test_existing_root_filters_are_kept_and_the_gate_comes_after_them():
    router = Router()
    router.message.filter(F.chat.type == "private")
    router.message.register(nothing, Command("cmd"))
    add_gates(router)
    filters = router.message._handler.filters
    assert len(filters) == 2 and filters[0].magic is not None
    assert isinstance(filters[1].callback, MessageGate)


def test_gates_are_awaited_on_the_event_loop_not_sent_to_a_thread():
    # aiogram runs a callable that is not a coroutine function in asyncio.to_thread
    router = Router()
    router.message.register(nothing, Command("cmd"))
    router.callback_query.register(nothing, AbCb.filter())
    add_gates(router)
    for observer in ("message", "callback_query"):
        assert router.observers[observer]._handler.filters[-1].awaitable


async def test_callback_prefixes_gate_exactly():
    router = Router()
    router.callback_query.register(nothing, AbCb.filter(F.n == 1))
    router.callback_query.register(nothing, F.data == "ab", AbCb.filter())
    add_gates(router)
    gate = gate_of(router, "callback_query")
    assert await gate(query("ab:1")) is True
    assert await gate(query("ab")) is True
    assert await gate(query("ab:")) is True
    for data in ("abc:1", "abc", "a", "xab:1", "", None):
        assert await gate(query(data)) is False, data


async def test_callback_gates_take_every_prefix_of_the_router():
    router = Router()
    router.callback_query.register(nothing, AbCb.filter())
    router.callback_query.register(nothing, AbcCb.filter())
    add_gates(router)
    gate = gate_of(router, "callback_query")
    assert await gate(query("abc")) is True and await gate(query("ab:2")) is True
    assert await gate(query("abcd")) is False


def test_a_callback_handler_without_callback_data_means_no_callback_gate():
    router = Router()
    router.callback_query.register(nothing, AbCb.filter())
    router.callback_query.register(nothing, F.data == "plain")
    add_gates(router)
    assert gates_of(router, "callback_query") == []


# --- the bot's own routers -----------------------------------------------------------------


def test_every_leaf_router_of_the_bot_is_gated_but_a_known_few():
    ungated_messages, ungated_callbacks = set(), set()
    for top in get_routers():
        if top.sub_routers:
            assert gates_of(top, "message") == gates_of(top, "callback_query") == []
        for router in leaves(top):
            if router.message.handlers and not gates_of(router, "message"):
                ungated_messages.add(router.name)
            if router.callback_query.handlers and not gates_of(router, "callback_query"):
                ungated_callbacks.add(router.name)
    assert ungated_messages == UNGATED_MESSAGE_ROUTERS
    assert ungated_callbacks == {"fallback"}


async def test_start_for_a_new_user_then_accepting(client, alice):
    picker = await client.send(alice, "/start")
    assert picker.text == "🌐 Choose your language:"
    summary = await client.press(alice, picker.callback_data("🇬🇧 English"), picker.message_id)
    greeting = await client.press(alice, summary.callback_data("✅ Accept"), picker.message_id)
    assert "Hello, Alice!" in greeting.text


async def test_help_and_a_russian_menu_button(client, session, alice):
    await make_user(session, alice)
    assert (await client.send(alice, "/help@EduCRM_Test_Bot")).text.startswith("ℹ️ What I can do:")
    olga = Person(id=alice.id + 1, first_name="Olga", language_code="ru")
    await make_user(session, olga, language="ru")
    assert (await client.send(olga, "❓ Помощь")).text.startswith("ℹ️ Что я умею:")


async def test_a_form_in_a_state_goes_through_messages_and_buttons(client, session, alice):
    await make_user(session, alice)
    home = await client.send(alice, "/support")
    step = await client.press(
        alice, TicketCb(action="topic", value="question").pack(), home.message_id
    )
    assert "Step 2/3" in step.text
    summary = await client.send(alice, "How do I pay for two children at once?")
    assert summary.text.startswith("Step 3/3")
    done = await client.press(alice, summary.callback_data("✅ Send"), summary.message_id)
    assert [answer.text for answer in done.answers] == ["✅ Sent."]
    ticket = await session.scalar(select(SupportTicket))
    assert ticket is not None and ticket.text == "How do I pay for two children at once?"


async def test_unknown_text_and_stale_buttons_still_reach_the_fallback(client, session, alice):
    await make_user(session, alice)
    assert "I did not understand that" in (await client.send(alice, "hello there")).text
    assert "Unknown command" in (await client.send(alice, "/nosuchcommand")).text
    stale = await client.press(alice, "zz:1")
    assert [a.text for a in stale.answers] == ["⚠️ This button is out of date. Open the menu again."]
