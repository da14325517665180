"""The log masks every secret and phone number in every part of every record, on any sink."""

import contextlib
import io
import logging
from collections.abc import Iterator

import pytest
from loguru import logger

from bot.config import load_settings
from bot.logging import setup_logging
from tests.mocked_bot import BOT_TOKEN

WEBHOOK_SECRET = "Wh-" + "s" * 37
BACKUP_KEY = "correct horse battery staple"
PAYMENT_TOKEN = "398062629:TEST:999999999_F91D8F69C042267444B74CC0B3C7477"
PG_PASSWORD = "pg-p@ss"
REDIS_PASSWORD = "redis-pass-1"
PHONES = ("+998901234567", "+998 90 123-45-67", "998901234567")
SECRETS = (BOT_TOKEN, BOT_TOKEN.split(":")[1], WEBHOOK_SECRET, BACKUP_KEY, PAYMENT_TOKEN)


def settings():
    return load_settings(
        env_file=None,
        bot_token=BOT_TOKEN,
        webhook_url="https://bot.example.uz/telegram",
        webhook_secret=WEBHOOK_SECRET,
        backup_key=BACKUP_KEY,
        payment_provider_token=PAYMENT_TOKEN,
        database_url="postgresql+asyncpg://educrm:pg-p%40ss@127.0.0.1:5432/educrm",
        redis_url=f"redis://:{REDIS_PASSWORD}@127.0.0.1:6379/1",
    )


@pytest.fixture
def written() -> Iterator[list[str]]:
    """What the bot's stderr sink and a plain list sink (every level, diagnose on) wrote."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        setup_logging("DEBUG", secrets=settings().secrets())
    lines: list[str] = []
    logger.add(
        lines.append,
        level="TRACE",
        format="{level} {message} | {extra} | {exception}",
        backtrace=True,
        diagnose=True,
    )
    sinks = [stderr, lines]
    yield sinks  # type: ignore[misc]
    logger.remove()
    setup_logging("WARNING")  # as tests/conftest.py leaves it


def texts(sinks) -> dict[str, str]:
    stderr, lines = sinks
    return {"stderr": stderr.getvalue(), "list": "".join(lines)}


def test_settings_name_every_secret_they_hold() -> None:
    found = settings().secrets()
    for secret in (BOT_TOKEN, WEBHOOK_SECRET, BACKUP_KEY, PAYMENT_TOKEN, REDIS_PASSWORD):
        assert secret in found
    assert PG_PASSWORD in found and "pg-p%40ss" in found


def test_message_extra_exception_and_local_variables_are_masked(written) -> None:
    def call_the_api(url: str, phone: str) -> None:
        proxy_page = f"<p>POST {url}</p> key={BACKUP_KEY} for {phone}"
        try:
            raise ValueError(f"upstream said {PAYMENT_TOKEN} / {WEBHOOK_SECRET}")
        except ValueError as error:
            raise RuntimeError(proxy_page) from error

    url = f"https://api.telegram.org/bot{BOT_TOKEN}/sendMessage"
    try:
        call_the_api(url, PHONES[0])
    except RuntimeError:
        for level in ("TRACE", "DEBUG", "INFO", "WARNING", "ERROR"):
            logger.bind(url=url, contact={"phone_number": "79161234567"}).opt(exception=True).log(
                level, "calling {} for {} / {}", url, PHONES[1], PHONES[2]
            )
    logger.complete()

    for sink, text in texts(written).items():
        assert "RuntimeError: <p>POST https://api.telegram.org/bot<secret>/sendMessage" in text
        assert "The above exception was the direct cause" in text, sink  # the chain is kept
        for secret in SECRETS + PHONES + ("79161234567", PG_PASSWORD, REDIS_PASSWORD):
            assert secret not in text, (sink, secret)
    assert texts(written)["list"].count("<phone>") >= 5 * 4


def test_standard_logging_records_are_masked_too(written) -> None:
    failing = logging.getLogger("aiogram.dispatcher")
    try:
        raise OSError(f"Cannot connect: /bot{BOT_TOKEN.replace(':', '%3A')}/getUpdates")
    except OSError:
        failing.exception("Failed to fetch updates - %s", f"/bot{BOT_TOKEN}/getUpdates")
    for sink, text in texts(written).items():
        assert "Failed to fetch updates - /bot<secret>/getUpdates" in text, sink
        assert "Cannot connect: /bot<token>/getUpdates" in text, sink
        assert BOT_TOKEN.split(":")[1] not in text, sink


def test_ids_times_and_amounts_are_left_alone(written) -> None:
    line = "update=123456789 user=9876543210 amount=1250000 at 2026-11-25T03:00:00+05:00 ms=4.2"
    logger.info(line)
    assert line in texts(written)["stderr"] and line in texts(written)["list"]
