"""Alembic, driven from code (the CLI with alembic.ini works too)."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from loguru import logger

PROJECT_DIR = Path(__file__).resolve().parents[2]


def alembic_config(database_url: str) -> Config:
    config = Config(str(PROJECT_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_DIR / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade_to_head(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")
    logger.info("database schema is up to date")
