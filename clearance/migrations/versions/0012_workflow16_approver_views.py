"""web: the indexes the approver's "decided by me" and "all items" views walk (newest first,
one page at a time, no sort of the whole set)

Revision ID: 0012_workflow16_approver_views
Revises: 0011_wheel_blob_chunks
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012_workflow16_approver_views"
down_revision: str | None = "0011_wheel_blob_chunks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # "decided by me": an approver's decisions, newest (highest id) first
    op.create_index(
        "ix_web_decisions_approver_id", "decisions", ["approver_id", "id"], unique=False
    )
    # "all items": items by last change, newest first, the id breaking ties (the keyset)
    op.create_index("ix_web_items_updated_id", "items", ["updated_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_web_items_updated_id", table_name="items")
    op.drop_index("ix_web_decisions_approver_id", table_name="decisions")
