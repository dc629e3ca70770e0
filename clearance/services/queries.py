"""Read-only views of items for the CLI, the web UI and the flows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, Select, bindparam, func, select
from sqlalchemy.orm import Session

from clearance.domain.blocking import BlockReason
from clearance.errors import NotFound
from clearance.runtime import Runtime
from clearance.storage import search
from clearance.storage.models import Item, Part, Revision, SearchEntry, StateChange, User


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
    #: a language version's language and title (role ``version``)
    language: str | None = None
    title: str | None = None
    #: the size of the sanitised derivative (what is published), when there is one
    sanitized_size: int | None = None

    @property
    def published_size(self) -> int:
        """The size of the bytes that will be published: the derivative's, else the upload's."""
        return self.sanitized_size if self.sanitized_size is not None else self.size


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
    themes: tuple[str, ...] = ()
    language: str | None = None

    @property
    def versions(self) -> tuple[PartView, ...]:
        """The language versions beside the main text."""
        return tuple(p for p in self.parts if p.role == "version")


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    revision: int
    from_state: str | None
    to_state: str
    actor: str | None
    reason: str | None
    #: a block's reasons as the revision's screening record holds them (coded since the codes;
    #: an older record's English lines have no code); empty for other changes
    blocked: tuple[BlockReason, ...] = ()


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
    q: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[ItemSummary]:
    """Items newest change first; ``q`` keeps those whose current title matches it without
    diacritics ("bao cao" finds "Báo cáo"), read from the search index kept on write."""
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
        if q is not None and search.fold(q):
            query = query.join(SearchEntry, SearchEntry.revision_id == Revision.id).where(
                SearchEntry.folded.like(search.like_pattern(q), escape="\\")
            )
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


@dataclass(frozen=True, slots=True)
class RevisionFacts:
    """Who produced a revision's bytes (the sign-off engine keeps them from approving it)."""

    revision_id: int
    created_by: int
    uploaded_by: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ItemSnapshot:
    """An item's detail with what evaluating its sign-off needs besides the decisions."""

    detail: ItemDetail
    author_id: int
    author_unit: str | None
    policy_hash: str | None
    #: by revision number, for the revisions in ``detail``
    facts: dict[int, RevisionFacts]


def item_detail(rt: Runtime, item_id: str) -> ItemDetail:
    with rt.readers() as session:
        return load_item_detail(session, item_id)


# Built once: constructing a statement costs more than running these primary-key lookups.
_ITEM = (
    select(
        Item.id,
        Item.state,
        Item.current_revision,
        Item.updated_at,
        Item.author_id,
        Item.policy_hash,
        User.username,
        User.unit,
    )
    .join(User, User.id == Item.author_id)
    .where(Item.id == bindparam("item_id"))
)
#: revisions from a number on, each with its parts in order (one row per part, or one row
#: with no part)
_REVISIONS = (
    select(
        Revision.id,
        Revision.number,
        Revision.title,
        Revision.channels,
        Revision.declared_level,
        Revision.level,
        Revision.manifest_hash,
        Revision.release_manifest_hash,
        Revision.screening_verdict,
        Revision.screening,
        Revision.classification,
        Revision.note,
        Revision.created_at,
        Revision.created_by,
        Part.filename,
        Part.role,
        Part.sha256,
        Part.size,
        Part.mime,
        Part.sanitized_sha256,
        Part.sanitized_mime,
        Part.uploaded_by,
        Revision.themes,
        Revision.language,
        Part.language,
        Part.title,
        Part.sanitized_size,
    )
    .outerjoin(Part, Part.revision_id == Revision.id)
    .where(Revision.item_id == bindparam("item_id"), Revision.number >= bindparam("since"))
    .order_by(Revision.number, Part.position)
)
_HISTORY = (
    select(
        StateChange.at,
        StateChange.revision,
        StateChange.from_state,
        StateChange.to_state,
        User.username,
        StateChange.reason,
    )
    .outerjoin(User, User.id == StateChange.actor_id)
    .where(StateChange.item_id == bindparam("item_id"))
    .order_by(StateChange.id)
)


def load_item_detail(session: Session, item_id: str) -> ItemDetail:
    """An item's detail in three queries on the caller's session (e.g. a web request's)."""
    return load_item_snapshot(session, item_id).detail


#: runs a read statement with parameters and returns its rows (see ``load_item_snapshot``)


def load_item_snapshot(
    session: Session | Connection,
    item_id: str,
    *,
    since: int = 1,
    history: bool = True,
) -> ItemSnapshot:
    """The item with its revisions from number ``since`` on (the current one always) and, when
    asked, its history: two or three Core queries on the caller's session or connection.
    """
    connection = session.connection() if isinstance(session, Session) else session

    def run(statement: Select[Any], params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        return connection.execute(statement, params).all()

    heads = run(_ITEM, {"item_id": item_id})
    if not heads:
        raise NotFound(f"there is no item {item_id!r}; list items with `clearance items list`")
    _id, state, current, updated_at, author_id, policy_hash, author, unit = heads[0]
    since = min(since, current)
    rows = run(_REVISIONS, {"item_id": item_id, "since": since})
    revisions: list[RevisionView] = []
    facts: dict[int, RevisionFacts] = {}
    for number, group in groupby(rows, key=lambda row: row[1]):
        block = list(group)
        r = block[0]
        parts = tuple(
            PartView(p[14], p[15], p[16], p[17], p[18], p[19], p[20], p[24], p[25], p[26])
            for p in block
            if p[14] is not None
        )
        revisions.append(
            RevisionView(
                number=number,
                title=r[2],
                channels=tuple(r[3]),
                declared_level=r[4],
                level=r[5],
                manifest_hash=r[6],
                release_manifest_hash=r[7],
                screening_verdict=r[8],
                screening=r[9],
                classification=r[10],
                note=r[11],
                created_at=r[12],
                parts=parts,
                themes=tuple(r[22] or ()),
                language=r[23],
            )
        )
        facts[number] = RevisionFacts(r[0], r[13], tuple(p[21] for p in block if p[14] is not None))
    entries: tuple[HistoryEntry, ...] = ()
    if history:
        screening = {r.number: r.screening or {} for r in revisions}

        def blocked(to_state: str, revision: int) -> tuple[BlockReason, ...]:
            stored = screening.get(revision, {}).get("blocked") if to_state == "blocked" else None
            return tuple(map(BlockReason.from_json, stored if isinstance(stored, list) else ()))

        entries = tuple(
            HistoryEntry(
                at, revision, from_state, to_state, actor, reason, blocked(to_state, revision)
            )
            for at, revision, from_state, to_state, actor, reason in run(
                _HISTORY, {"item_id": item_id}
            )
        )
    last = revisions[-1]
    summary = ItemSummary(
        id=item_id,
        title=last.title,
        author=author,
        state=state,
        revision=current,
        level=last.level,
        declared_level=last.declared_level,
        channels=last.channels,
        updated_at=updated_at,
    )
    return ItemSnapshot(
        detail=ItemDetail(summary=summary, revisions=tuple(revisions), history=entries),
        author_id=author_id,
        author_unit=unit,
        policy_hash=policy_hash,
        facts=facts,
    )
