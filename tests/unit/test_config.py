"""Settings: a bad value is named in one line; secrets never show."""

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings
from tests.mocked_bot import BOT_TOKEN

PROJECT = Path(__file__).resolve().parents[2]


def load(**values: object):
    return load_settings(env_file=None, **values)


def test_defaults_with_only_a_token() -> None:
    settings = load(bot_token=BOT_TOKEN)
    assert settings.database.database_url == "sqlite+aiosqlite:///data/educrm.db"
    assert settings.centre.timezone == "Asia/Tashkent"
    assert settings.centre.default_language == "uz"
    assert settings.telegram.owner_ids == ()


def test_owner_ids_are_a_comma_separated_list() -> None:
    settings = load(bot_token=BOT_TOKEN, owner_ids=" 12, 34 ,56")
    assert settings.telegram.owner_ids == (12, 34, 56)
    assert settings.is_owner(34)
    assert not settings.is_owner(99)


@pytest.mark.parametrize(
    ("values", "setting"),
    [
        ({"bot_token": None}, "BOT_TOKEN is missing"),
        ({"bot_token": ""}, "BOT_TOKEN is missing"),
        ({"bot_token": "not-a-token"}, "BOT_TOKEN is malformed"),
        ({"owner_ids": "12,abc"}, "OWNER_IDS must be Telegram user ids"),
        ({"owner_ids": "-5"}, "OWNER_IDS must be Telegram user ids"),
        ({"database_url": "mysql://localhost/x"}, "DATABASE_URL must start with"),
        ({"database_url": "::::"}, "DATABASE_URL is not a database address"),
        ({"timezone": "Asia/Nowhere"}, "TIMEZONE must be a known time zone"),
        ({"default_language": "de"}, "DEFAULT_LANGUAGE is invalid"),
        ({"telegram_api_url": "ftp://x"}, "TELEGRAM_API_URL must be an http"),
        ({"redis_url": "localhost:6379"}, "REDIS_URL must start with redis://"),
        ({"backup_keep": "0"}, "BACKUP_KEEP is invalid"),
        ({"payroll_day": "0"}, "PAYROLL_DAY is invalid"),
        ({"payroll_day": "29"}, "PAYROLL_DAY is invalid"),
        ({"payroll_day": "fifth"}, "PAYROLL_DAY is invalid"),
        ({"webhook_url": "https://bot.example.uz/tg"}, "WEBHOOK_SECRET must be set"),
        (
            {"webhook_url": "https://bot.example.uz/tg", "webhook_secret": "s3cret-token"},
            "WEBHOOK_SECRET must be set to at least 32 characters",
        ),
    ],
)
def test_a_bad_value_is_named(values: dict, setting: str) -> None:
    values = {"bot_token": BOT_TOKEN} | values
    values = {name: value for name, value in values.items() if value is not None}
    with pytest.raises(SettingsError) as raised:
        load(**values)
    message = str(raised.value)
    assert setting in message
    assert "\n" not in message


def test_a_check_over_two_settings_reads_as_one_sentence() -> None:
    with pytest.raises(SettingsError) as raised:
        load(bot_token=BOT_TOKEN, charge_day=12, payment_due_day=5)
    assert str(raised.value).endswith(": PAYMENT_DUE_DAY must not be before CHARGE_DAY")


@pytest.mark.parametrize("after_colon", [34, 36, 40])
def test_a_token_is_digits_a_colon_and_35_characters(after_colon: int) -> None:
    assert len(BOT_TOKEN.split(":")[1]) == 35
    assert load(bot_token=BOT_TOKEN).telegram.bot_token.get_secret_value() == BOT_TOKEN
    with pytest.raises(SettingsError, match="BOT_TOKEN is malformed: expected digits, a colon"):
        load(bot_token="4242:" + ("A1_-" * 10)[:after_colon])
    with pytest.raises(SettingsError, match="BOT_TOKEN is malformed"):
        load(bot_token="4242:" + "A" * 34 + "!")


def test_webhook_mode_takes_a_secret_of_32_characters_or_more() -> None:
    secret = "a1_-" * 8
    settings = load(bot_token=BOT_TOKEN, webhook_url="https://x.uz/tg", webhook_secret=secret)
    assert settings.telegram.webhook_secret.get_secret_value() == secret
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET must be set"):
        load(bot_token=BOT_TOKEN, webhook_url="https://x.uz/tg", webhook_secret=secret[:-1])
    assert load(bot_token=BOT_TOKEN, webhook_secret="short").telegram.webhook_url is None


def test_every_bad_setting_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as raised:
        load(bot_token="x", timezone="Mars/Base")
    assert "BOT_TOKEN" in str(raised.value) and "TIMEZONE" in str(raised.value)


def test_the_token_never_appears_in_a_repr() -> None:
    settings = load(bot_token=BOT_TOKEN)
    assert BOT_TOKEN not in repr(settings.telegram)
    assert BOT_TOKEN.split(":")[1] not in str(settings.telegram)


def run_bot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=PROJECT / "tests",  # no .env there: only the variables we pass count
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({}, "BOT_TOKEN"),
        ({"BOT_TOKEN": "123"}, "BOT_TOKEN"),
        ({"BOT_TOKEN": BOT_TOKEN, "OWNER_IDS": "me"}, "OWNER_IDS"),
        ({"BOT_TOKEN": BOT_TOKEN, "DATABASE_URL": "oracle://x"}, "DATABASE_URL"),
        ({"BOT_TOKEN": BOT_TOKEN, "TIMEZONE": "Tashkent"}, "TIMEZONE"),
        ({"BOT_TOKEN": BOT_TOKEN, "WEBHOOK_URL": "https://x.uz/tg"}, "WEBHOOK_SECRET"),
    ],
)
def test_the_program_stops_with_one_line(env: dict[str, str], name: str) -> None:
    result = run_bot(env, "run")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert name in lines[0]
    assert "Traceback" not in result.stderr


def test_the_example_env_file_loads_once_a_token_is_filled_in(monkeypatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", BOT_TOKEN)
    settings = load_settings(env_file=str(PROJECT / ".env.example"))
    assert settings.backup.backup_key is None and settings.runtime.health_port is None
    assert settings.telegram.telegram_api_url is None


def test_the_example_env_file_lists_every_setting() -> None:
    from bot.config import SECTIONS

    listed = {
        line.split("=", 1)[0]
        for line in (PROJECT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    known = {name.upper() for section in SECTIONS.values() for name in section.model_fields}
    assert listed == known


def test_phone_region_defaults_to_uzbekistan_and_must_be_a_country() -> None:
    assert load(bot_token=BOT_TOKEN).centre.phone_region == "UZ"
    assert load(bot_token=BOT_TOKEN, phone_region="kz").centre.phone_region == "KZ"
    with pytest.raises(SettingsError, match="PHONE_REGION must be a two-letter country code"):
        load(bot_token=BOT_TOKEN, phone_region="Uzbekistan")
