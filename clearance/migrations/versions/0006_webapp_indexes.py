"""webapp: the index the approver queue walks (open requests in deadline order)

Revision ID: 0006_webapp_indexes
Revises: 0005_webapp
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006_webapp_indexes"
down_revision: str | None = "0005_webapp"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # the queue reads open requests by deadline then id and stops after one page: with this
    # index neither SQLite nor PostgreSQL sorts the whole open set
    op.create_index(
        "ix_web_signoff_queue", "signoff_requests", ["status", "due_at", "id"], unique=False
    )
    # "have I already decided on this revision?" for every queue row
    op.create_index(
        "ix_web_decisions_revision_approver",
        "decisions",
        ["revision_id", "approver_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_web_decisions_revision_approver", table_name="decisions")
    op.drop_index("ix_web_signoff_queue", table_name="signoff_requests")
