"""storage: blobs as chunked rows (``CLEARANCE_BLOB_STORE=database``), so web and workers on
several machines share only PostgreSQL; created on every database, used only when asked for

Revision ID: 0011_wheel_blob_chunks
Revises: 0011_themes_languages
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_wheel_blob_chunks"
down_revision: str | None = "0011_themes_languages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "blob_objects",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "blob_chunks",
        sa.Column("blob", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("blob", "seq"),
    )


def downgrade() -> None:
    op.drop_table("blob_chunks")
    op.drop_table("blob_objects")
