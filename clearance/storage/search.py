"""Searching titles without typing Vietnamese diacritics: "bao cao" finds "Báo cáo"."""

from __future__ import annotations

import unicodedata

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clearance.storage.models import Revision, SearchEntry

_SPECIAL = str.maketrans({"đ": "d", "Đ": "d", "ð": "d"})
REFRESH_BATCH = 5000


def fold(text: str) -> str:
    """Lower case, without diacritics, whitespace collapsed: the form both sides are compared in."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.lower().split())


def entry(revision: Revision) -> SearchEntry:
    """The search row of ``revision`` (its id assigned by a flush)."""
    return SearchEntry(
        revision_id=revision.id, item_id=revision.item_id, folded=fold(revision.title)[:600]
    )


def index_revision(session: Session, revision: Revision) -> None:
    """Index a new revision's title in the transaction that adds it (a title never changes
    afterwards), so that reading the queue never writes."""
    session.flush()
    session.add(entry(revision))


def refresh(session: Session) -> int:
    """Index revisions added without the services (bulk loads, rows older than the index
    kept on write): the backfill a migration or a loader runs, never a page.

    Returns how many were added; the caller commits.
    """
    last = session.scalar(select(func.max(SearchEntry.revision_id))) or 0
    added = 0
    while True:
        rows = session.execute(
            select(Revision.id, Revision.item_id, Revision.title)
            .where(Revision.id > last)
            .order_by(Revision.id)
            .limit(REFRESH_BATCH)
        ).all()
        if not rows:
            return added
        session.add_all(
            SearchEntry(revision_id=rid, item_id=item_id, folded=fold(title)[:600])
            for rid, item_id, title in rows
        )
        session.flush()
        added += len(rows)
        last = rows[-1][0]


def like_pattern(query: str) -> str:
    """A LIKE pattern for ``query`` folded, with the wildcards of the user's text escaped."""
    folded = fold(query)
    escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
