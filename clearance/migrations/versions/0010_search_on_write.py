"""web: the title search index is kept on write; this fills it for the revisions already stored,
so no page ever builds it (a GET that wrote it took 41 s at 1,000,000 items)

Revision ID: 0010_search_on_write
Revises: 0009_publication_recall
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from clearance.storage.search import fold

revision: str = "0010_search_on_write"
down_revision: str | None = "0009_publication_recall"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000

_revisions = sa.table(
    "revisions", sa.column("id", sa.Integer), sa.column("item_id"), sa.column("title")
)
_search = sa.table(
    "web_search", sa.column("revision_id", sa.Integer), sa.column("item_id"), sa.column("folded")
)


def upgrade() -> None:
    connection = op.get_bind()
    last = 0
    indexed = sa.select(_search.c.revision_id).where(_search.c.revision_id == _revisions.c.id)
    while True:
        rows = connection.execute(
            sa.select(_revisions.c.id, _revisions.c.item_id, _revisions.c.title)
            .where(_revisions.c.id > last, ~sa.exists(indexed))
            .order_by(_revisions.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            sa.insert(_search),
            [{"revision_id": r, "item_id": i, "folded": fold(t)[:600]} for r, i, t in rows],
        )
        last = rows[-1][0]


def downgrade() -> None:
    """The rows stay: the index of an older version is refreshed by its own pages."""
