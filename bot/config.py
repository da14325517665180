"""Settings from the environment and `.env`, in sections.

Every section reads the flat variable names of DESIGN.md (BOT_TOKEN, DATABASE_URL, …).
`load_settings()` collects the errors of all sections and raises one `SettingsError`
whose message is a single line naming each bad setting; `python -m bot` prints it
instead of a traceback.
"""

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Literal, TypeVar
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

LANGUAGES = ("uz", "ru", "en")
Language = Literal["uz", "ru", "en"]
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
# What @BotFather hands out: the bot's numeric id, a colon and 35 letters, digits, _ or -.
TOKEN_PATTERN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{35}$")
WEBHOOK_SECRET_MIN = 32


class _Section(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )


def _optional(value: object) -> object:
    """An empty variable (`REDIS_URL=`) means "not set"."""
    return None if value == "" else value


class TelegramSettings(_Section):
    bot_token: SecretStr
    owner_ids: Annotated[tuple[int, ...], NoDecode] = ()
    telegram_api_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = Field(default=None, validate_default=True)
    webhook_listen: str = "127.0.0.1:8080"
    payment_provider_token: SecretStr | None = None

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("is missing: set it to the token @BotFather gave you")
        if not TOKEN_PATTERN.match(value.get_secret_value()):
            raise ValueError(
                "is malformed: expected digits, a colon and 35 letters, digits, _ or -"
            )
        return value

    @field_validator("owner_ids", mode="before")
    @classmethod
    def _parse_owner_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
            if not all(part.isdigit() and int(part) > 0 for part in parts):
                raise ValueError("must be Telegram user ids (positive numbers) separated by commas")
            return tuple(int(part) for part in parts)
        return value

    @field_validator("telegram_api_url", "webhook_url", mode="before")
    @classmethod
    def _http_url(cls, value: object) -> object:
        value = _optional(value)
        if value is None:
            return None
        if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http:// or https:// address")
        return value.rstrip("/")

    @field_validator("webhook_listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be host:port, for example 127.0.0.1:8080")
        return value

    @field_validator("webhook_secret", "payment_provider_token", mode="before")
    @classmethod
    def _empty_secret(cls, value: object) -> object:
        return _optional(value)

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("may hold only letters, digits, _ and - (1 to 256 characters)")
        # Without it anyone who knows the URL could post a forged update as any user.
        webhook_mode = info.data.get("webhook_url") is not None
        if webhook_mode and (value is None or len(value.get_secret_value()) < WEBHOOK_SECRET_MIN):
            raise ValueError(
                f"must be set to at least {WEBHOOK_SECRET_MIN} characters when WEBHOOK_URL is "
                "set (letters, digits, _ and -; for example the output of openssl rand -hex 32)"
            )
        return value


class DatabaseSettings(_Section):
    database_url: str = "sqlite+aiosqlite:///data/educrm.db"
    redis_url: str | None = None

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "is not a database address (example: sqlite+aiosqlite:///data/educrm.db)"
            ) from None
        if url.drivername not in SUPPORTED_DRIVERS:
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("redis_url", mode="before")
    @classmethod
    def _redis_url(cls, value: object) -> object:
        value = _optional(value)
        if value is not None and not (isinstance(value, str) and re.match(r"^rediss?://", value)):
            raise ValueError("must start with redis:// or rediss://")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


class CentreSettings(_Section):
    centre_name: str = "EduCRM"
    contact_phone: str = ""
    contact_email: str = ""
    contact_hours: str = ""
    website: str = ""
    timezone: str = "Asia/Tashkent"
    default_language: Language = "uz"
    # The country of numbers typed without a country code (`90 123 45 67`), ISO 3166 alpha-2.
    phone_region: str = "UZ"
    policy_version: str = Field(default="1", min_length=1, max_length=32)
    policy_dir: Path | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"must be a known time zone such as Asia/Tashkent, not '{value}'"
            ) from None
        return value

    @field_validator("phone_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"must be a two-letter country code such as UZ, not '{value}'")
        return region

    @field_validator("policy_dir", mode="before")
    @classmethod
    def _empty_dir(cls, value: object) -> object:
        return _optional(value)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class BackupSettings(_Section):
    backup_dir: Path = Path("data/backups")
    backup_keep: int = Field(default=7, ge=1, le=365)
    backup_time: time = time(3, 0)
    backup_key: SecretStr | None = None

    @field_validator("backup_key", mode="before")
    @classmethod
    def _empty_key(cls, value: object) -> object:
        return _optional(value)


class ReminderSettings(_Section):
    charge_day: int = Field(default=1, ge=1, le=28)
    payment_due_day: int = Field(default=10, ge=1, le=28)
    sibling_discount_percent: int = Field(default=0, ge=0, le=100)
    payment_reminder_days_before: int = Field(default=3, ge=0, le=31)
    payment_reminder_time: time = time(10, 0)
    overdue_reminder_every_days: int = Field(default=7, ge=1, le=31)
    overdue_reminder_max: int = Field(default=3, ge=0, le=12)
    class_reminder_minutes: int = Field(default=60, ge=5, le=24 * 60)
    class_reminder_parents: bool = False
    quiet_hours_start: time = time(21, 0)
    quiet_hours_end: time = time(9, 0)

    @model_validator(mode="after")
    def _due_after_charge(self) -> "ReminderSettings":
        if self.payment_due_day < self.charge_day:
            raise ValueError("PAYMENT_DUE_DAY must not be before CHARGE_DAY")
        return self


class PayrollSettings(_Section):
    # The day of the month the drafts of the month before are made (at 06:00); 1–28, so
    # every month has it.
    payroll_day: int = Field(default=5, ge=1, le=28)


class RuntimeSettings(_Section):
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    throttle_rate: int = Field(default=5, ge=1, le=100)
    throttle_window: float = Field(default=2.0, gt=0, le=60)
    health_port: int | None = Field(default=None, ge=1, le=65535)
    # Messages per second the bot starts itself (notices, reminders, broadcasts); Telegram's
    # limit is about 30 per bot.
    send_rate: int = Field(default=25, ge=1, le=30)
    # Seconds a stop gives the updates in hand and the running jobs; a service manager's
    # own stop timeout (systemd's TimeoutStopSec) must be longer.
    drain_seconds: float = Field(default=10.0, gt=0, le=300)

    @field_validator("health_port", mode="before")
    @classmethod
    def _empty_port(cls, value: object) -> object:
        return _optional(value)


class WebAppSettings(_Section):
    """The Mini App (bot/webapp): shown only when WEBAPP_URL, its public https address, is set."""

    webapp_url: str | None = None
    webapp_listen: str = "127.0.0.1:8090"
    # Seconds a Mini App's sign-in (Telegram's initData) is accepted after Telegram signed it.
    webapp_auth_ttl: int = Field(default=3600, ge=60, le=7 * 24 * 3600)

    @field_validator("webapp_url", mode="before")
    @classmethod
    def _https_url(cls, value: object) -> object:
        value = _optional(value)
        if value is None:
            return None
        # Telegram opens Mini Apps only over https.
        if not isinstance(value, str) or not re.match(r"^https://[^\s/]+", value):
            raise ValueError("must be an https:// address (Telegram opens Mini Apps only so)")
        return value.rstrip("/")

    @field_validator("webapp_listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be host:port, for example 127.0.0.1:8090")
        return value

    @property
    def enabled(self) -> bool:
        return self.webapp_url is not None


SECTIONS = {
    "telegram": TelegramSettings,
    "database": DatabaseSettings,
    "centre": CentreSettings,
    "backup": BackupSettings,
    "reminders": ReminderSettings,
    "payroll": PayrollSettings,
    "runtime": RuntimeSettings,
    "webapp": WebAppSettings,
}


SectionT = TypeVar("SectionT", bound=_Section)


class SettingsError(Exception):
    """Bad configuration; `str()` is one line naming every bad setting."""


class Settings:
    """All sections together; built by `load_settings`."""

    def __init__(
        self,
        telegram: TelegramSettings,
        database: DatabaseSettings,
        centre: CentreSettings,
        backup: BackupSettings,
        reminders: ReminderSettings,
        payroll: PayrollSettings,
        runtime: RuntimeSettings,
        webapp: WebAppSettings | None = None,
    ) -> None:
        self.telegram = telegram
        self.database = database
        self.centre = centre
        self.backup = backup
        self.reminders = reminders
        self.payroll = payroll
        self.runtime = runtime
        self.webapp = webapp or WebAppSettings(_env_file=None)

    def is_owner(self, telegram_id: int | None) -> bool:
        return telegram_id is not None and telegram_id in self.telegram.owner_ids

    def secrets(self) -> tuple[str, ...]:
        """Every secret value that is set, for the log to mask: each SecretStr setting
        (BOT_TOKEN, WEBHOOK_SECRET, PAYMENT_PROVIDER_TOKEN, BACKUP_KEY) and the passwords
        in DATABASE_URL and REDIS_URL (as written and unquoted)."""
        found: list[str] = []
        sections = (self.telegram, self.database, self.centre, self.backup, self.reminders)
        sections += (self.payroll,)
        for section in (*sections, self.runtime, self.webapp):
            for name in type(section).model_fields:
                value = getattr(section, name)
                if isinstance(value, SecretStr) and value.get_secret_value():
                    found.append(value.get_secret_value())
        for url in (self.database.database_url, self.database.redis_url):
            password = urlsplit(url).password if url else None
            if password:
                found.extend({password, unquote(password)})
        return tuple(found)


def describe_errors(error: ValidationError) -> list[str]:
    """Turn pydantic's errors into `SETTING_NAME message` phrases."""
    phrases = []
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        if not item["loc"]:  # a check over several settings names them itself
            phrases.append(message)
            continue
        name = str(item["loc"][0]).upper()
        if item["type"] == "missing":
            message = "is missing"
        elif not message.startswith(("is ", "must ", "may ")):
            message = f"is invalid: {message[0].lower()}{message[1:]}"
        phrases.append(f"{name} {message}")
    return phrases


def load_section(section: type[SectionT], **values: object) -> SectionT:
    """Load one section (e.g. only the database for `migrate`), raising SettingsError."""
    try:
        return section(**values)
    except ValidationError as error:
        raise SettingsError("; ".join(describe_errors(error))) from None


def load_settings(env_file: str | None = ".env", **overrides: object) -> Settings:
    """Load every section; `overrides` are field values (tests pass them explicitly)."""
    loaded: dict[str, _Section] = {}
    problems: list[str] = []
    for key, section in SECTIONS.items():
        fields = {name: value for name, value in overrides.items() if name in section.model_fields}
        try:
            loaded[key] = section(_env_file=env_file, **fields)
        except ValidationError as error:
            problems.extend(describe_errors(error))
    if problems:
        raise SettingsError("Configuration error: " + "; ".join(problems))
    return Settings(**loaded)  # type: ignore[arg-type]
