"""A module's handlers, each named by what it answers where it is defined.

aiogram's own decorators (`@router.callback_query(...)`) need the router when the module is
imported, but ours are built anew by each `create_router()` (a router belongs to one
dispatcher, and tests build many). A `Registry` records the same thing — this handler
answers the button with action "card", that one the command /leads and its menu button —
and `router` (or `register`) adds it all to the router being built, in the order it was
written.

A button's handler may name what its button's `id` stands for: `@on.button("card",
lead=leads.get)` loads the lead (`leads.get(session, id)`) and passes it as `lead`; a button
whose record is gone (or forged) gets the shared out-of-date answer and the handler does not
run. The access guard has let the press through before anything is loaded.
"""

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter
from aiogram.types import CallbackQuery, Message
from magic_filter import MagicFilter

from bot.filters.menu import MenuButton
from bot.wording import stale_button_text
from db.ids import is_row_id
from handlers.buttons import show_screen

Handler = TypeVar("Handler", bound=Callable[..., Any])
Loader = Callable[[Any, int], Awaitable[Any]]  # (session, id) -> the record, or None
Screen = TypeVar("Screen", bound=Callable[..., Awaitable[tuple[str, Any]]])


class Registry:
    """`data`: the CallbackData class of the module's buttons; `flags`: what every handler
    carries (the permission the admin guard checks)."""

    def __init__(
        self, data: type[CallbackData] | None = None, *, flags: dict[str, Any] | None = None
    ) -> None:
        self.data = data
        self.flags = flags
        self._commands: list[tuple[Callable[..., Any], str, str | None]] = []
        self._callbacks: list[tuple[Callable[..., Any], tuple[CallbackQueryFilter, ...]]] = []

    def command(self, name: str, *, menu: str | None = None) -> Callable[[Handler], Handler]:
        """The handler of /name and, with `menu`, of that main-menu button."""

        def record(handler: Handler) -> Handler:
            self._commands.append((handler, name, menu))
            return handler

        return record

    def button(
        self,
        *actions: str,
        data: type[CallbackData] | None = None,
        where: MagicFilter | None = None,
        **loaders: Loader,
    ) -> Callable[[Handler], Handler]:
        """The handler of the buttons with these actions (of `data`, else the registry's
        class), whose data also satisfies `where` when given; `loaders` name the records the
        button's id stands for (see the module's docstring)."""
        data_class = data or self.data
        assert data_class is not None, "a button needs its CallbackData class"

        def record(handler: Handler) -> Handler:
            target = loading(handler, loaders) if loaders else handler
            for action in actions:
                rule = F.action == action
                self.callback(data_class.filter(rule if where is None else rule & where))(target)
            return handler

        return record

    def pages(
        self, command: str, *, menu: str | None = None, action: str = "list"
    ) -> Callable[[Screen], Screen]:
        """A paged list written once, as `screen(page, …) -> (text, markup)`: /command (and
        its menu button) sends page 1, the `action` buttons (◀ n/m ▶) show their `page` in
        place. The screen also gets, by name, what it declares of the handler's data
        (`session`, `settings`; `callback_data`, None for the command)."""

        def record(screen: Screen) -> Screen:
            wanted = inspect.signature(screen).parameters

            def arguments(data: dict[str, Any]) -> dict[str, Any]:
                return {key: data.get(key) for key in wanted if key != "page"}

            async def first_page(message: Message, **data: Any) -> None:
                text, markup = await screen(page=1, **arguments(data))
                await message.answer(text, reply_markup=markup)

            async def page_pressed(callback: CallbackQuery, **data: Any) -> None:
                page = data["callback_data"].page
                await show_screen(callback, *await screen(page=page, **arguments(data)))

            for handler, role in ((first_page, "first_page"), (page_pressed, "page_pressed")):
                handler.__qualname__ = f"{screen.__qualname__}.{role}"  # the log line's name
            self.command(command, menu=menu)(first_page)
            self.button(action)(page_pressed)
            return screen

        return record

    def callback(self, *filters: CallbackQueryFilter) -> Callable[[Handler], Handler]:
        """The handler of the buttons these filters take (a class without actions)."""

        def record(handler: Handler) -> Handler:
            self._callbacks.append((handler, filters))
            return handler

        return record

    def router(self, name: str) -> Router:
        """A new router named `name` with the handlers recorded."""
        router = Router(name=name)
        self.register(router)
        return router

    def register(self, router: Router) -> None:
        for handler, name, menu in self._commands:
            router.message.register(handler, Command(name), flags=self.flags)
            if menu is not None:
                router.message.register(handler, MenuButton(menu), flags=self.flags)
        for handler, filters in self._callbacks:
            router.callback_query.register(handler, *filters, flags=self.flags)


def loading(handler: Handler, loaders: dict[str, Loader]) -> Callable[..., Awaitable[Any]]:
    """`handler` with the records of its button's id loaded first (None: out of date)."""
    wanted = inspect.signature(handler).parameters

    async def load_then_handle(callback: CallbackQuery, **data: Any) -> Any:
        row_id = data["callback_data"].id
        for name, load in loaders.items():
            found = await load(data["session"], row_id) if is_row_id(row_id) else None
            if found is None:
                await callback.answer(stale_button_text())
                return None
            data[name] = found
        return await handler(callback, **{key: data[key] for key in wanted if key in data})

    load_then_handle.__name__ = handler.__name__
    load_then_handle.__qualname__ = handler.__qualname__  # the log line names the handler
    return load_then_handle
