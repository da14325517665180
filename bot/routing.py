"""Router-level gates: a leaf router none of whose handlers could match is skipped in one check.

Without them every update is checked against the handlers of every router it passes
(about 150 checks). A gate is derived from the handlers' own filters: it passes when at
least one handler's necessary condition holds (a command name, a raw FSM state, a menu
label, a callback prefix). It may let through an update no handler takes, never the
reverse. A router with a handler that gives no such condition gets no gate.

Only leaf routers are gated: a router whose root filters fail skips its sub-routers too.
Gates are `Filter`s with an async `__call__` because aiogram runs any other callable in
`asyncio.to_thread` (a thread hop costs more than the checks a gate saves); the other
synchronous filters (magic filters, small predicates) are made to run on the event loop
by `run_sync_filters_inline`.
"""

from collections.abc import Callable, Iterable
from inspect import isclass
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.filters import Command, Filter, StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.commands import menu_label
from bot.config import LANGUAGES
from bot.filters.menu import MenuButton
from bot.i18n import use_language


def add_gates(router: Router) -> None:
    if router.sub_routers:
        for sub_router in router.sub_routers:
            add_gates(sub_router)
        return
    callback_gate = callback_gate_for(router.callback_query.handlers)
    if callback_gate is not None:
        router.callback_query.filter(callback_gate)
    message_gate = message_gate_for(router.message.handlers)
    if message_gate is not None:
        router.message.filter(message_gate)


def run_sync_filters_inline(router: Router) -> None:
    """aiogram runs a filter that is not a coroutine function in `asyncio.to_thread`, about
    0.1 ms of thread hops each time: `F.chat.type == …` on the dispatcher did it for every
    message. Ours are pure and cheap (no I/O), so they are called on the loop instead."""
    for each in router.chain_tail:
        for observer in each.observers.values():
            for handler in (observer._handler, *observer.handlers):
                for filter_object in handler.filters or ():
                    if not filter_object.awaitable:
                        filter_object.callback = _on_the_loop(filter_object.callback)
                        filter_object.awaitable = True


def _on_the_loop(check: Callable[..., Any]) -> Callable[..., Any]:
    async def call(*args: Any, **kwargs: Any) -> Any:
        return check(*args, **kwargs)

    return call


# --- callback queries --------------------------------------------------------------------


class CallbackGate(Filter):
    """Passes data that one of the handlers' CallbackData classes could unpack, by prefix."""

    __slots__ = ("prefixes",)

    def __init__(self, prefixes: dict[str, frozenset[str]]) -> None:
        self.prefixes = tuple(prefixes.items())  # (separator, prefixes) pairs

    async def __call__(self, query: CallbackQuery) -> bool:
        data = query.data
        if not data:
            return False
        for separator, prefixes in self.prefixes:
            if data.partition(separator)[0] in prefixes:
                return True
        return False


def callback_gate_for(handlers: list[HandlerObject]) -> CallbackGate | None:
    prefixes: dict[str, set[str]] = {}
    for handler in handlers:
        data_class = next(
            (f.callback.callback_data for f in handler.filters or () if _is_callback_filter(f)),
            None,
        )
        if data_class is None:
            return None
        prefixes.setdefault(data_class.__separator__, set()).add(data_class.__prefix__)
    if not prefixes:
        return None
    return CallbackGate({separator: frozenset(names) for separator, names in prefixes.items()})


def _is_callback_filter(filter_object: object) -> bool:
    return isinstance(getattr(filter_object, "callback", None), CallbackQueryFilter)


# --- messages ----------------------------------------------------------------------------


class MessageGate(Filter):
    """Passes a message in one of the states, with one of the commands, or a menu label."""

    __slots__ = ("commands", "labels", "menu_keys", "states")

    def __init__(
        self, commands: frozenset[str], states: frozenset[str], menu_keys: frozenset[str]
    ) -> None:
        self.commands = commands
        self.states = states
        self.menu_keys = menu_keys
        self.labels: frozenset[str] | None = None  # rendered on first use, catalogs loaded

    async def __call__(self, message: Message, raw_state: str | None = None) -> bool:
        if raw_state in self.states:
            return True
        if self.menu_keys and message.text is not None and message.text in self.menu_labels():
            return True
        if self.commands:
            return command_name(message.text or message.caption) in self.commands
        return False

    def menu_labels(self) -> frozenset[str]:
        if self.labels is None:
            self.labels = render_labels(self.menu_keys)
        return self.labels


def message_gate_for(handlers: list[HandlerObject]) -> MessageGate | None:
    if not handlers:
        return None
    found: dict[str, set[str]] = {"command": set(), "state": set(), "menu": set()}
    for handler in handlers:
        condition = next(filter(None, map(condition_of, handler.filters or ())), None)
        if condition is None:
            return None
        kind, values = condition
        found[kind] |= values
    return MessageGate(
        frozenset(found["command"]), frozenset(found["state"]), frozenset(found["menu"])
    )


def condition_of(filter_object: object) -> tuple[str, frozenset[str]] | None:
    """One necessary condition of a handler's filter as (kind, values), or None."""
    filter_ = getattr(filter_object, "callback", None)
    if isinstance(filter_, Command):
        return _condition("command", command_names(filter_))
    if isinstance(filter_, MenuButton):
        return "menu", frozenset({filter_.key})
    if isinstance(filter_, StateFilter):
        return _condition("state", state_names(filter_.states))
    if isinstance(filter_, State):
        return _condition("state", state_names((filter_,)))
    return None


def _condition(kind: str, values: frozenset[str] | None) -> tuple[str, frozenset[str]] | None:
    return None if values is None else (kind, values)


def command_names(command: Command) -> frozenset[str] | None:
    """Casefolded on both sides, so an `ignore_case` filter (it casefolds) is covered too."""
    if command.prefix != "/" or not all(isinstance(name, str) for name in command.commands):
        return None
    return frozenset(name.casefold() for name in command.commands)


def state_names(states: Iterable[object]) -> frozenset[str] | None:
    """The raw states a StateFilter accepts; None when it accepts any or no state."""
    names: set[str] = set()
    for state in states:
        if isinstance(state, State):
            state = state.state
        if state is None or state == "*":
            return None
        if isinstance(state, str):
            names.add(state)
        elif isinstance(state, StatesGroup) or (isclass(state) and issubclass(state, StatesGroup)):
            names.update(state.__all_states_names__)
        else:
            return None
    return frozenset(names)


def command_name(text: str | None) -> str | None:
    """The command as aiogram's Command extracts it: "/Help@bot x" → "help" (casefolded)."""
    if not text:
        return None
    words = text.split(None, 1)
    if not words or not words[0].startswith("/"):
        return None
    return words[0][1:].partition("@")[0].casefold()


def render_labels(keys: Iterable[str]) -> frozenset[str]:
    labels: set[str] = set()
    for language in LANGUAGES:
        with use_language(language):
            labels.update(menu_label(key) for key in keys)
    return frozenset(labels)
