"""Sign-in from Telegram only: a request's `Authorization: tma <initData>` header, the
signature checked with the bot token (aiogram's safe_parse_webapp_init_data) and its age
with WEBAPP_AUTH_TTL."""

import json
from datetime import datetime, timedelta
from urllib.parse import parse_qs

from aiogram.utils.web_app import WebAppInitData, WebAppUser, safe_parse_webapp_init_data

from bot.config import LANGUAGES

SCHEME = "tma"
# initData is a few hundred bytes; a header far longer is not Telegram's.
MAX_INIT_DATA = 8192
# A client clock a little ahead of Telegram's signing time is not a forgery.
CLOCK_SKEW = timedelta(minutes=5)


def init_data_of(authorization: str | None) -> str | None:
    """The initData of an `Authorization: tma <initData>` header, or None."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != SCHEME or not value or len(value) > MAX_INIT_DATA:
        return None
    return value.strip()


def signed_user(token: str, init_data: str, *, now: datetime, ttl: timedelta) -> WebAppUser | None:
    """The Telegram user of valid, fresh initData; None for a bad signature, data signed
    more than `ttl` ago (or in the future), or data without a user."""
    try:
        data: WebAppInitData = safe_parse_webapp_init_data(token, init_data)
    except (ValueError, TypeError):  # a bad signature, or fields that do not parse
        return None
    signed_at = data.auth_date
    if signed_at.tzinfo is None:
        return None
    if not now - ttl <= signed_at <= now + CLOCK_SKEW:
        return None
    user = data.user
    if user is None or user.id <= 0:
        return None
    return user


def claimed_language(init_data: str | None, accept_language: str | None) -> str | None:
    """A supported language named by initData's (unchecked) user or by the browser."""
    candidates: list[str] = []
    if init_data:
        try:
            user = json.loads(parse_qs(init_data).get("user", ["{}"])[0])
            candidates.append(str(user.get("language_code") or ""))
        except (ValueError, AttributeError):
            pass
    if accept_language:
        candidates += [part.split(";")[0].strip() for part in accept_language.split(",")]
    for candidate in candidates:
        code = candidate[:2].lower()
        if code in LANGUAGES:
            return code
    return None
