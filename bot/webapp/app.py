"""The Mini App's aiohttp application: static files at `/`, the JSON API under `/api/`.

`signed_in` (a middleware) stands before every API route: no valid initData is 401 and
nothing else happens; then the Telegram user is loaded (created on first contact, as in
chat) with their roles, permissions and consent, the language is set for gettext, and a
user who has not accepted the policy reaches only the routes marked consent-free.

The page's own files (`shipped`) go gzip-compressed to a client that accepts it. The page
(`/`) is never cached without asking again; it loads its script and style sheet from
`/static/v-<release>/…`, the release being a hash of every static file, so the whole set —
app.js and every module it imports by a relative path, which resolve under the same
prefix — is cached for a year and a new release is a new address. The same files without
the prefix (`/static/app.js`) are revalidated each time (ETag / Last-Modified, 304).
"""

import hashlib
import mimetypes
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiohttp import hdrs, web
from aiohttp.web_response import ContentCoding
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
STATIC_PREFIX = "/static/"
PAGES = ("/", "/app")
RELEASE = web.AppKey("webapp_release", str)
PAGE = web.AppKey("webapp_page", str)
LONG_CACHE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
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


@web.middleware
async def shipped(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The page and its files gzip-compressed when the client accepts gzip (the API's JSON
    and, on a shared server, the webhook are left as they are)."""
    response = await handler(request)
    path = request.path
    if request.method not in ("GET", "HEAD") or (
        path not in PAGES and not path.startswith(STATIC_PREFIX)
    ):
        return response  # e.g. a webhook at "/" on a shared server
    accepted = request.headers.get(hdrs.ACCEPT_ENCODING, "").lower()
    response.headers[hdrs.VARY] = hdrs.ACCEPT_ENCODING
    if "gzip" in accepted and (response.content_type or "").startswith(COMPRESSIBLE):
        response.enable_compression(ContentCoding.gzip)
    return response


def release_of(folder: Path) -> str:
    """A short hash of every file under `folder` (names and contents): the static files'
    release, computed when the application is made (a deploy restarts the bot)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def page_of(release: str) -> str:
    """index.html with its /static/ references under the release's prefix."""
    html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    return re.sub(r'((?:src|href)=")/static/', rf"\1/static/v-{release}/", html)


async def _index(request: web.Request) -> web.Response:
    return web.Response(
        text=request.app[PAGE], content_type="text/html", headers={"Cache-Control": REVALIDATE}
    )


async def _static(request: web.Request) -> web.FileResponse:
    """A file of static/: for a year under the current release's prefix, else revalidated
    (an old release's address gets today's file, never cached for long)."""
    name = request.match_info["path"]
    cache = REVALIDATE
    first, _, rest = name.partition("/")
    if first.startswith("v-") and rest:
        name = rest
        if first == f"v-{request.app[RELEASE]}":
            cache = LONG_CACHE
    path = (STATIC_DIR / name).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file():
        raise web.HTTPNotFound()
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return web.FileResponse(path, headers={"Cache-Control": cache, hdrs.CONTENT_TYPE: kind})


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
    app[RELEASE] = release_of(STATIC_DIR)
    app[PAGE] = page_of(app[RELEASE])
    app.middlewares.append(signed_in)
    app.middlewares.append(shipped)
    for page in PAGES:
        app.router.add_get(page, _index)
    app.router.add_get(STATIC_PREFIX + "{path:.+}", _static)
    for area in api.AREAS:
        app.add_routes(area.routes)
    return app
