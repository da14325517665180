"""Loguru for everything; standard logging (aiogram, SQLAlchemy, APScheduler) routed into it.

Privacy: INFO lines carry ids, roles, handler names and durations only — never a
phone number, a token or a message text. Anything that looks like a bot token is
masked even if a library logs a URL containing it.
"""

import inspect
import logging
import re
import sys
from types import FrameType

from loguru import logger

TOKEN_IN_TEXT = re.compile(r"\d{3,20}:[A-Za-z0-9_-]{30,}")
NOISY_LOGGERS = {
    "aiogram.event": logging.WARNING,  # we log our own line per update
    "sqlalchemy.engine": logging.WARNING,
    "apscheduler": logging.INFO,
    "aiosqlite": logging.WARNING,
    "asyncio": logging.WARNING,
    "alembic": logging.WARNING,
}


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


def _mask_secrets(record: dict) -> bool:
    record["message"] = TOKEN_IN_TEXT.sub("<token>", record["message"])
    return True


def setup_logging(level: str = "INFO") -> None:
    logger.remove()
    logger.add(
        sys.stderr,
        level=level,
        filter=_mask_secrets,
        format="{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <7} | {name}:{line} | {message}",
        backtrace=False,
        diagnose=False,  # diagnose would print local variables: tokens, phones, texts
    )
    logging.basicConfig(handlers=[InterceptHandler()], level=0, force=True)
    for name, logger_level in NOISY_LOGGERS.items():
        logging.getLogger(name).setLevel(logger_level)
