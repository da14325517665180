"""What the admin areas (admin_week, admin_reports) share: the chat's access rule for an
admin screen, times typed in a body, and a bad-input refusal that is audited."""

from datetime import time

from aiohttp import web

from bot.filters.access import AccessGuard
from bot.services import parsing
from bot.services.access import Actor
from bot.services.audit import record_denied
from bot.webapp.routes import actor_of, error, session_of
from db.models import Permission, Role

_GUARD = AccessGuard(Role.ADMIN)


def needs(actor: Actor, permission: Permission) -> str | None:
    """What the actor lacks for an admin screen that needs `permission` (None: nothing) —
    the chat's guard itself (the admin role, then the permission; owners hold all)."""
    return _GUARD.needs(actor, permission, False)


def may(actor: Actor, permission: Permission) -> bool:
    return needs(actor, permission) is None


def parse_hh_mm(text: str | None) -> time:
    """`HH:MM`, as the chat's move form reads it; raises `Invalid`."""
    return parsing.parse_time(text)


async def refuse(
    request: web.Request, action: str, message: str, **details: object
) -> web.Response:
    """Bad input: 400 with the translated reason, a refusal in the audit log, nothing else."""
    await record_denied(
        session_of(request),
        actor_id=actor_of(request).user_id,
        action=action,
        details={"via": "webapp", "refused": "bad_request", **details},
    )
    return error(400, "bad_request", message)
