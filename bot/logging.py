"""Loguru for everything; standard logging (aiogram, SQLAlchemy, APScheduler) routed into it.

Privacy: INFO lines carry ids, roles, handler names and durations only — never a
phone number, a token or a message text.

Secrets are masked in one place, `redact_record`, installed on loguru's core: it sees
every record before any sink does (the bot's stderr, a file added with `logger.add`, a
test's list) and masks its message, its `extra` values and its exception. The exception
is rendered to text here (the standard traceback, chained causes included, no local
variables) and masked, and the record is left without an exception object, so no sink's
`backtrace` or `diagnose` can print the token that a URL in a local variable or in an
error's text carried (a proxy's HTML page echoing `/bot<token>/sendMessage`, aiohttp's
"url=…"). Masked: anything shaped like a bot token, the token part of a Bot API path,
the configured secrets (`Settings.secrets()`: BOT_TOKEN, WEBHOOK_SECRET, BACKUP_KEY,
PAYMENT_PROVIDER_TOKEN, the database's and Redis's passwords) and phone numbers.
"""

import inspect
import logging
import re
import sys
import traceback
from collections.abc import Iterable
from types import FrameType
from typing import Any

from loguru import logger

TOKEN_IN_TEXT = re.compile(r"\d{3,20}:[A-Za-z0-9_-]{30,}")
# /bot<id>:<anything>/ in a Bot API address, whatever the token's shape ("%3A": a quoted colon)
TOKEN_IN_PATH = re.compile(r"/bot\d+(?::|%3A)[^/\s'\"<>]+", re.IGNORECASE)
# +998 90 123-45-67, +998901234567 (as stored), 998901234567 (as Telegram shares a contact)
PHONE_IN_TEXT = re.compile(r"\+\d[\d ()-]{5,}\d|(?<!\d)998\d{9}(?!\d)")
# phone='…', "phone_number": "…", phone=… in reprs, JSON and SQL parameters
PHONE_FIELD = re.compile(r"""(phone(?:_number)?['"]?\s*[:=]\s*['"]?)[+\d][\d ()-]{5,}\d""", re.I)
NOISY_LOGGERS = {
    "aiogram.event": logging.WARNING,  # we log our own line per update
    "sqlalchemy.engine": logging.WARNING,
    "apscheduler": logging.INFO,
    "aiosqlite": logging.WARNING,
    "asyncio": logging.WARNING,
    "alembic": logging.WARNING,
}


class Redactor:
    """Masks secrets in a text: the configured ones literally, tokens and phones by shape."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        literal = sorted({secret for secret in secrets if secret}, key=len, reverse=True)
        self._literal = re.compile("|".join(map(re.escape, literal))) if literal else None

    def __call__(self, text: str) -> str:
        # The `in` checks skip the patterns that cannot match: the line logged per update
        # (ids, role, handler, duration) then costs about 3 µs instead of 12.
        if self._literal is not None:
            text = self._literal.sub("<secret>", text)
        if ":" in text or "%3" in text:
            text = TOKEN_IN_TEXT.sub("<token>", text)
            text = TOKEN_IN_PATH.sub("/bot<token>", text)
        text = PHONE_FIELD.sub(r"\1<phone>", text)
        if "+" in text or "998" in text:
            text = PHONE_IN_TEXT.sub("<phone>", text)
        return text


_redact = Redactor()


def redact_record(record: dict[str, Any]) -> None:
    """Loguru's patcher: every part of the record that a sink may write, masked."""
    exception = record["exception"]
    if exception is not None:
        rendered = "".join(traceback.format_exception(*exception)).rstrip("\n")
        record["message"] = f"{record['message']}\n{rendered}"
        record["exception"] = None
    record["message"] = _redact(record["message"])
    extra = record["extra"]
    for key, value in extra.items():
        text = value if isinstance(value, str) else str(value)
        masked = _redact(text)
        if masked != text:
            extra[key] = masked


class InterceptHandler(logging.Handler):
    """The handler loguru's documentation gives for routing `logging` records."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        frame: FrameType | None = inspect.currentframe()
        depth = 0
        while frame is not None and (depth == 0 or frame.f_code.co_filename == logging.__file__):
            frame = frame.f_back
            depth += 1
        logger.opt(depth=depth, exception=record.exc_info).log(level, record.getMessage())


def setup_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """The stderr sink at `level`, masking on every sink; `secrets` are masked literally."""
    global _redact
    _redact = Redactor(secrets)
    logger.remove()
    logger.configure(patcher=redact_record)
    logger.add(
        sys.stderr,
        level=level,
        format="{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <7} | {name}:{line} | {message}",
        backtrace=False,
        diagnose=False,  # the patcher leaves no exception object to diagnose, and this stays off
    )
    logging.basicConfig(handlers=[InterceptHandler()], level=0, force=True)
    for name, logger_level in NOISY_LOGGERS.items():
        logging.getLogger(name).setLevel(logger_level)
