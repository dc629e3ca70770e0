"""items: the themes and language of a revision, and the language and title of a language
version's part (issue 14, item 1)

Revision ID: 0011_themes_languages
Revises: 0011_notify_publication_failures
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_themes_languages"
down_revision: str | None = "0011_notify_publication_failures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("revisions") as batch:
        batch.add_column(sa.Column("themes", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("language", sa.String(16), nullable=True))
    with op.batch_alter_table("parts") as batch:
        batch.add_column(sa.Column("language", sa.String(16), nullable=True))
        batch.add_column(sa.Column("title", sa.String(500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("parts") as batch:
        batch.drop_column("title")
        batch.drop_column("language")
    with op.batch_alter_table("revisions") as batch:
        batch.drop_column("language")
        batch.drop_column("themes")
