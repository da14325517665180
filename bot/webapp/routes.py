"""What the API's routes share: the request's actor and session, JSON answers and errors,
refusals audited as in chat, and the consent-free mark."""

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import ModuleType
from typing import Any, TypeVar

from aiogram import Bot
from aiohttp import web
from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.delivery import Sender
from bot.services import parsing
from bot.services.access import Actor
from bot.services.audit import record_denied
from bot.services.parsing import Invalid, Problem

CONSENT_FREE = "_webapp_consent_free"
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
Json = dict[str, Any]
HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class WebAppContext:
    """What every route may use, kept in the application (`request.app[CONTEXT]`)."""

    settings: Settings
    session_factory: async_sessionmaker[AsyncSession]
    bot: Bot
    sender: Sender
    clock: Callable[[], datetime]
    workflow: dict[str, Any]  # the dispatcher's shared objects (report cache, …)
    areas: Sequence[ModuleType]  # bot.webapp.api's modules (see its docstring)


CONTEXT = web.AppKey("educrm_webapp", WebAppContext)
ACTOR = web.RequestKey("actor", Actor)
SESSION = web.RequestKey("session", AsyncSession)


def consent_free(handler: HandlerT) -> HandlerT:
    """A route a user who has not accepted the policy may call (POLICY 1-2)."""
    setattr(handler, CONSENT_FREE, True)
    return handler


def strings(request: web.Request) -> dict[str, str]:
    """Every area's texts in the current language (set from the signed-in user)."""
    merged: dict[str, str] = {}
    for area in context_of(request).areas:
        merged.update(area.strings())
    return merged


def screens_for(request: web.Request, actor: Actor) -> list[Json]:
    areas = context_of(request).areas
    return [screen.as_json() for area in areas for screen in area.SCREENS if screen.shown_to(actor)]


def context_of(request: web.Request) -> WebAppContext:
    return request.app[CONTEXT]


def actor_of(request: web.Request) -> Actor:
    return request[ACTOR]


def session_of(request: web.Request) -> AsyncSession:
    return request[SESSION]


def now_of(request: web.Request) -> datetime:
    return context_of(request).clock()


def ok(body: Json | list[Any]) -> web.Response:
    return web.json_response(body, headers={"Cache-Control": "no-store"})


def error(status: int, code: str, message: str | None = None) -> web.Response:
    """`{"error": code, "message": …}`: the code for the page, the message (translated,
    when given) for the person."""
    body: Json = {"error": code}
    if message is not None:
        body["message"] = message
    return web.json_response(body, status=status, headers={"Cache-Control": "no-store"})


def int_param(request: web.Request, name: str) -> int | None:
    """A positive integer from the path or the query string, or None for anything else."""
    raw = request.match_info.get(name) or request.query.get(name)
    if raw is None or not raw.isdigit() or len(raw) > 18:
        return None
    value = int(raw)
    return value if value > 0 else None


def parse_iso_date(text: str | None) -> date:
    """`YYYY-MM-DD` (what a date input sends), checked as the chat checks a typed date;
    raises `Invalid`."""
    match = _ISO_DATE.fullmatch((text or "").strip())
    if match is None:
        raise Invalid(Problem.DATE_FORMAT)
    year, month, day = match.groups()
    return parsing.parse_date(f"{day}.{month}.{year}")


async def json_body(request: web.Request, limit: int = 64 * 1024) -> Json | None:
    """The request's JSON object, or None for a body that is too big, not JSON or not an object."""
    if request.content_length is not None and request.content_length > limit:
        return None
    try:
        raw = await request.content.read(limit + 1)
        if len(raw) > limit:
            return None
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


async def deny(request: web.Request, action: str, **details: object) -> web.Response:
    """A refusal, as in chat: a `denied` audit entry and 403, nothing else changed."""
    actor = actor_of(request)
    await record_denied(
        session_of(request),
        actor_id=actor.user_id,
        action=action,
        details={"via": "webapp", **details},
    )
    logger.info("webapp: {} denied to user {} ({})", action, actor.user_id, actor.label)
    return error(403, "forbidden")


@dataclass(frozen=True, slots=True)
class Screen:
    """A screen of the Mini App's menu: its id (the front end's renderer), its title and
    who sees it."""

    id: str
    title: Callable[[], str]  # translated when the menu is built, in the viewer's language
    shown_to: Callable[[Actor], bool]

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title()}
