"""Alembic, driven from code: ``clearance db upgrade`` and ``clearance init`` call ``upgrade``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from clearance.settings import REPO_ROOT

MIGRATIONS = REPO_ROOT / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema to ``revision`` (default: every head)."""
    command.upgrade(alembic_config(engine), revision)


def migrations_dir() -> Path:
    return MIGRATIONS
