"""Alembic, driven from code: ``clearance db upgrade`` and ``clearance init`` call ``upgrade``."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

#: the migrations are package data of ``clearance.migrations``: Alembic finds them by package,
#: so an installed wheel migrates without a source checkout
SCRIPT_LOCATION = "clearance:migrations"
MIGRATIONS = Path(str(files("clearance.migrations")))


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema to ``revision`` (default: every head)."""
    command.upgrade(alembic_config(engine), revision)


def migrations_dir() -> Path:
    return MIGRATIONS
