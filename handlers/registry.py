"""A module's handlers, each named by what it answers where it is defined.

aiogram's own decorators (`@router.callback_query(...)`) need the router when the module is
imported, but ours are built anew by each `create_router()` (a router belongs to one
dispatcher, and tests build many). A `Registry` records the same thing — this handler
answers the button with action "card", that one the command /leads and its menu button —
and `router` (or `register`) adds it all to the router being built, in the order it was
written.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter
from magic_filter import MagicFilter

from bot.filters.menu import MenuButton

Handler = TypeVar("Handler", bound=Callable[..., Any])


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
    ) -> Callable[[Handler], Handler]:
        """The handler of the buttons with these actions (of `data`, else the registry's
        class), whose data also satisfies `where` when given."""
        data_class = data or self.data
        assert data_class is not None, "a button needs its CallbackData class"

        def record(handler: Handler) -> Handler:
            for action in actions:
                rule = F.action == action
                self.callback(data_class.filter(rule if where is None else rule & where))(handler)
            return handler

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
