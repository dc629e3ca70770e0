"""Read-only views of items for the CLI, the web UI and the flows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from clearance.errors import NotFound
from clearance.runtime import Runtime
from clearance.storage.models import Item, Revision, StateChange, User


@dataclass(frozen=True, slots=True)
class ItemSummary:
    id: str
    title: str
    author: str
    state: str
    revision: int
    level: str | None
    declared_level: str
    channels: tuple[str, ...]
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PartView:
    name: str
    role: str
    sha256: str
    size: int
    mime: str
    sanitized_sha256: str | None
    sanitized_mime: str | None


@dataclass(frozen=True, slots=True)
class RevisionView:
    number: int
    title: str
    channels: tuple[str, ...]
    declared_level: str
    level: str | None
    manifest_hash: str
    release_manifest_hash: str | None
    screening_verdict: str | None
    screening: dict[str, Any] | None
    classification: dict[str, Any] | None
    note: str | None
    created_at: datetime
    parts: tuple[PartView, ...]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    revision: int
    from_state: str | None
    to_state: str
    actor: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class ItemDetail:
    summary: ItemSummary
    revisions: tuple[RevisionView, ...]
    history: tuple[HistoryEntry, ...]


def list_items(
    rt: Runtime,
    *,
    author: str | None = None,
    state: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[ItemSummary]:
    with rt.readers() as session:
        query = (
            select(Item, Revision, User)
            .join(
                Revision, (Revision.item_id == Item.id) & (Revision.number == Item.current_revision)
            )
            .join(User, User.id == Item.author_id)
            .order_by(Item.updated_at.desc(), Item.id)
            .limit(limit)
            .offset(offset)
        )
        if author is not None:
            query = query.where(User.username == author)
        if state is not None:
            query = query.where(Item.state == state)
        return [_summary(item, rev, user) for item, rev, user in session.execute(query)]


def count_items(rt: Runtime) -> int:
    with rt.readers() as session:
        return int(session.scalar(select(func.count()).select_from(Item)) or 0)


def _summary(item: Item, rev: Revision, user: User) -> ItemSummary:
    return ItemSummary(
        id=item.id,
        title=rev.title,
        author=user.username,
        state=item.state,
        revision=item.current_revision,
        level=rev.level,
        declared_level=rev.declared_level,
        channels=tuple(rev.channels),
        updated_at=item.updated_at,
    )


def item_detail(rt: Runtime, item_id: str) -> ItemDetail:
    with rt.readers() as session:
        return load_item_detail(session, item_id)


def load_item_detail(session: Session, item_id: str) -> ItemDetail:
    """An item's detail in three queries on the caller's session (e.g. a web request's)."""
    item = session.get(Item, item_id)
    if item is None:
        raise NotFound(f"there is no item {item_id!r}; list items with `clearance items list`")
    revisions = list(
        session.scalars(
            select(Revision)
            .where(Revision.item_id == item_id)
            .order_by(Revision.number)
            .options(selectinload(Revision.parts))
        )
    )
    history = session.execute(
        select(StateChange, User.username)
        .outerjoin(User, User.id == StateChange.actor_id)
        .where(StateChange.item_id == item_id)
        .order_by(StateChange.id)
    ).all()
    return ItemDetail(
        summary=_summary(item, revisions[-1], item.author),
        revisions=tuple(
            RevisionView(
                number=r.number,
                title=r.title,
                channels=tuple(r.channels),
                declared_level=r.declared_level,
                level=r.level,
                manifest_hash=r.manifest_hash,
                release_manifest_hash=r.release_manifest_hash,
                screening_verdict=r.screening_verdict,
                screening=r.screening,
                classification=r.classification,
                note=r.note,
                created_at=r.created_at,
                parts=tuple(
                    PartView(
                        p.filename,
                        p.role,
                        p.sha256,
                        p.size,
                        p.mime,
                        p.sanitized_sha256,
                        p.sanitized_mime,
                    )
                    for p in r.parts
                ),
            )
            for r in revisions
        ),
        history=tuple(
            HistoryEntry(h.at, h.revision, h.from_state, h.to_state, username, h.reason)
            for h, username in history
        ),
    )
