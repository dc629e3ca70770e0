"""Alembic environment: the engine comes from ``clearance.storage.migrate`` (never a URL here)."""

from __future__ import annotations

from alembic import context

from clearance import tables  # noqa: F401 (fills Base.metadata with every table)
from clearance.storage.db import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # pragma: no cover - only when someone runs the alembic CLI directly
    raise SystemExit("run migrations with `clearance db upgrade`, which knows the database URL")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
