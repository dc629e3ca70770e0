"""The approver's queue: one indexed, paginated query (open sign-off requests naming my roles)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, and_, cast, exists, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from clearance.admin import search
from clearance.admin.models import SearchEntry
from clearance.storage.models import Decision, Item, Revision, SignoffRequest, User

PAGE = 50


@dataclass(frozen=True, slots=True)
class QueueFilter:
    view: str = "mine"  # mine | overdue
    level: str | None = None
    channel: str | None = None
    q: str | None = None
    page: int = 1


@dataclass(frozen=True, slots=True)
class QueueRow:
    item_id: str
    title: str
    author: str
    level: str | None
    channels: tuple[str, ...]
    stage: str
    due_at: datetime | None
    revision: int

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and self.due_at < datetime.now(UTC)


def _json_contains(column: Any, value: str) -> ColumnElement[bool]:
    return cast(column, String).like(f'%"{value}"%')


def queue(
    session: Session, *, user_id: int, signoff_roles: frozenset[str], f: QueueFilter
) -> tuple[list[QueueRow], bool]:
    """Rows of page ``f.page`` and whether a next page exists."""
    if not signoff_roles:
        return [], False
    query = (
        select(Item, Revision, SignoffRequest, User.username)
        .join(SignoffRequest, SignoffRequest.revision_id == Revision.id)
        .join(Item, and_(Item.id == Revision.item_id, Item.current_revision == Revision.number))
        .join(User, User.id == Item.author_id)
        .where(SignoffRequest.status == "open", Item.state == "awaiting_signoff")
        .where(or_(*(_json_contains(SignoffRequest.roles, r) for r in sorted(signoff_roles))))
        .where(Item.author_id != user_id)
        .where(
            ~exists().where(Decision.revision_id == Revision.id, Decision.approver_id == user_id)
        )
    )
    if f.view == "overdue":
        query = query.where(SignoffRequest.due_at < datetime.now(UTC))
    if f.level:
        query = query.where(Revision.level == f.level)
    if f.channel:
        query = query.where(_json_contains(Revision.channels, f.channel))
    if f.q and search.fold(f.q):
        query = query.join(SearchEntry, SearchEntry.revision_id == Revision.id).where(
            SearchEntry.folded.like(search.like_pattern(f.q), escape="\\")
        )
    query = (
        query.order_by(SignoffRequest.due_at.asc().nulls_last(), SignoffRequest.id)
        .limit(PAGE + 1)
        .offset((max(1, f.page) - 1) * PAGE)
    )
    rows = [
        QueueRow(
            item_id=item.id,
            title=rev.title,
            author=username,
            level=rev.level,
            channels=tuple(rev.channels),
            stage=req.stage_name,
            due_at=req.due_at,
            revision=rev.number,
        )
        for item, rev, req, username in session.execute(query)
    ]
    return rows[:PAGE], len(rows) > PAGE
