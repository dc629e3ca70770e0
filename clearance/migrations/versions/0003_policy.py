"""policy: every policy ever loaded, with its hash and resolved canonical content

Revision ID: 0003_policy
Revises: 0002_auditlog

Rows are never updated: items that started under an older policy are evaluated with the policy
rebuilt from ``content`` (unless the policy in force is stricter, see clearance.policy.versioning).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_policy"
down_revision: str | None = "0002_auditlog"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "policy_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("loaded_by", sa.String(length=200), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("content_hash", name="uq_policy_versions_hash"),
    )
    op.create_index("ix_policy_versions_loaded_at", "policy_versions", ["loaded_at"])


def downgrade() -> None:
    op.drop_index("ix_policy_versions_loaded_at", table_name="policy_versions")
    op.drop_table("policy_versions")
