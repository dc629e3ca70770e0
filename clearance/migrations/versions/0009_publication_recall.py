"""publishing: a recall is recorded (who, why) before the channels are cleared, so a recall cut
short by a crash is completed after the restart

Revision ID: 0009_publication_recall
Revises: 0008_accounts
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_publication_recall"
down_revision: str | None = "0008_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("publications") as batch:
        batch.add_column(sa.Column("recall_actor", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("recall_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("publications") as batch:
        batch.drop_column("recall_reason")
        batch.drop_column("recall_actor")
