"""publishing: a channel that fails is recorded as failed with a reason code, so the item page
shows it and the item's other channels go on

Revision ID: 0011_notify_publication_failures
Revises: 0010_search_on_write
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_notify_publication_failures"
down_revision: str | None = "0010_search_on_write"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("publications") as batch:
        batch.add_column(sa.Column("error_code", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("publications") as batch:
        batch.drop_column("failed_at")
        batch.drop_column("error_code")
