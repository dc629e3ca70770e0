"""webapp: two-admin proposed changes, diacritic-free search index

Revision ID: 0005_webapp
Revises: 0004_pipeline
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_webapp"
down_revision: str | None = "0004_pipeline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "admin_pending_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_admin_pending_changes_status", "admin_pending_changes", ["status"], unique=False
    )
    op.create_table(
        "web_search",
        sa.Column(
            "revision_id",
            sa.Integer(),
            sa.ForeignKey("revisions.id"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("item_id", sa.String(length=32), sa.ForeignKey("items.id"), nullable=False),
        sa.Column("folded", sa.String(length=600), nullable=False),
        sa.PrimaryKeyConstraint("revision_id"),
    )
    op.create_index("ix_web_search_item_id", "web_search", ["item_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_web_search_item_id", table_name="web_search")
    op.drop_table("web_search")
    op.drop_index("ix_admin_pending_changes_status", table_name="admin_pending_changes")
    op.drop_table("admin_pending_changes")
