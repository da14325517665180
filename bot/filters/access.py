"""Role and permission checks that hold for messages AND callback queries.

A role router installs `AccessGuard` as an inner middleware on each of its
observers, so the check runs after a handler's own filters matched, on every
kind of event, however the event was produced (menu, typed command, forged
callback data). A handler may ask for an admin permission with
`flags={"permission": Permission.X}`, or for an owner of the bot (`OWNER_IDS`) with
`flags={"owner": True}` (see `OWNER_ONLY`): the refusal, its wording and its audit entry
are the same for both.

A refused event is not answered here: the guard notes the refusal in the update
trace and lets the event travel on, because another role's router may serve the
same command (a teacher's /schedule and a student's). If nobody serves it, the
fallback router answers with the refusal and writes the `denied` audit entry.
"""

from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.dispatcher.flags import get_flag
from aiogram.filters import Filter
from aiogram.types import TelegramObject

from bot.middlewares import EventData, Handler
from bot.middlewares.logging import UpdateTrace
from bot.services.access import Actor
from db.models import Permission, Role

GUARDED_OBSERVERS = ("message", "edited_message", "callback_query", "inline_query")
OWNER_ONLY = {"owner": True}  # handler flags: only an owner of the bot may use it
# handler flags: the admin permission a handler needs (owners hold every permission)
ACADEMIC = {"permission": Permission.ACADEMIC}
AUDIT = {"permission": Permission.AUDIT}
BACKUPS = {"permission": Permission.BACKUPS}
BROADCAST = {"permission": Permission.BROADCAST}
PAYMENTS = {"permission": Permission.PAYMENTS}
PAYROLL = {"permission": Permission.PAYROLL}
USERS = {"permission": Permission.USERS}
# expenses and the recurring ones: those who handle the money out (owners always)
EXPENSES = {"permission": Permission.PAYROLL}
OWNER = "owner"  # what a refused owner-only event needed (the `denied` audit entry names it)


@dataclass(frozen=True, slots=True)
class Denial:
    needs: str
    handler: str


class HasRole(Filter):
    """A plain filter: true when the actor holds any of the roles (owners count as admins)."""

    def __init__(self, *roles: Role) -> None:
        self.roles = roles

    async def __call__(self, event: TelegramObject, actor: Actor | None = None) -> bool:
        return actor is not None and any(actor.has_role(role) for role in self.roles)


class AccessGuard(BaseMiddleware):
    def __init__(self, role: Role) -> None:
        self.role = role

    async def __call__(self, handler: Handler, event: TelegramObject, data: EventData) -> Any:
        actor: Actor | None = data.get("actor")
        permission: Permission | None = get_flag(data, "permission")
        owner_only = bool(get_flag(data, "owner", default=False))
        needs = self.needs(actor, permission, owner_only)
        if needs is None:
            return await handler(event, data)
        trace: UpdateTrace | None = data.get("trace")
        if trace is not None and trace.denial is None:
            handler_object = data.get("handler")
            name = getattr(getattr(handler_object, "callback", None), "__qualname__", "-")
            trace.denial = Denial(needs=needs, handler=name)
        raise SkipHandler

    def needs(self, actor: Actor | None, permission: Permission | None, owner: bool) -> str | None:
        """What the actor lacks for this handler (the router's role first), or None."""
        if actor is None or not actor.has_role(self.role):
            return str(permission or self.role)
        if permission is not None and not actor.can(permission):
            return str(permission)
        if owner and not actor.is_owner:
            return OWNER
        return None


def guard_router(router: Router, role: Role) -> Router:
    guard = AccessGuard(role)
    for name in GUARDED_OBSERVERS:
        router.observers[name].middleware(guard)
    return router
