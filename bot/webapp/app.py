"""The Mini App's aiohttp application: static files at `/`, the JSON API under `/api/`.

`signed_in` (a middleware) stands before every API route: no valid initData is 401 and
nothing else happens; then the Telegram user is loaded (created on first contact, as in
chat) with their roles, permissions and consent, the language is set for gettext, and a
user who has not accepted the policy reaches only the routes marked consent-free.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import Sender
from bot.i18n import set_language, use_language
from bot.services import users as users_service
from bot.webapp import api
from bot.webapp.api.common import unauthorized_text
from bot.webapp.auth import claimed_language, init_data_of, signed_user
from bot.webapp.routes import (
    ACTOR,
    CONSENT_FREE,
    CONTEXT,
    SESSION,
    WebAppContext,
    context_of,
    error,
)
from db.base import utcnow

STATIC_DIR = Path(__file__).resolve().parent / "static"
API_PREFIX = "/api/"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def signed_in(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(API_PREFIX):
        return await handler(request)
    context = context_of(request)
    init_data = init_data_of(request.headers.get("Authorization"))
    user = None
    if init_data is not None:
        user = signed_user(
            context.settings.telegram.bot_token.get_secret_value(),
            init_data,
            now=context.clock(),
            ttl=timedelta(seconds=context.settings.webapp.webapp_auth_ttl),
        )
    if user is None:
        return _unauthorized(request, init_data)
    async with context.session_factory() as session:
        actor = await users_service.sync_sender(
            session,
            users_service.TelegramProfile(
                telegram_id=user.id,
                full_name=" ".join(filter(None, (user.first_name, user.last_name))),
                username=user.username,
                language_code=user.language_code,
            ),
            now=context.clock(),
            default_language=context.settings.centre.default_language,
            owner_ids=context.settings.telegram.owner_ids,
        )
        set_language(actor.language)
        request[ACTOR] = actor
        request[SESSION] = session
        route = request.match_info.route
        if actor.consent is None and getattr(route.handler, CONSENT_FREE, False) is False:
            return error(403, "consent_required")
        return await handler(request)


def _unauthorized(request: web.Request, init_data: str | None) -> web.Response:
    """401 with the reason in the language the client claims (unsigned, so only a guess
    for this one message: the person cannot be loaded)."""
    claimed = claimed_language(init_data, request.headers.get("Accept-Language"))
    default = context_of(request).settings.centre.default_language
    with use_language(claimed or default):
        return error(401, "unauthorized", unauthorized_text())


async def _index(_request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


def create_webapp(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    *,
    bot: Bot,
    sender: Sender,
    workflow: dict[str, Any] | None = None,
    clock: Callable[[], datetime] = utcnow,
    app: web.Application | None = None,
) -> web.Application:
    """The Mini App's routes, on `app` (the webhook server's) or a new application."""
    app = app if app is not None else web.Application()
    app[CONTEXT] = WebAppContext(
        settings, session_factory, bot, sender, clock, workflow or {}, api.AREAS
    )
    app.middlewares.append(signed_in)
    app.router.add_get("/", _index)
    app.router.add_get("/app", _index)
    app.router.add_static("/static/", STATIC_DIR, append_version=True)
    for area in api.AREAS:
        app.add_routes(area.routes)
    return app
