"""The approver's queue: open sign-off requests naming my roles, earliest deadline first.

One query per page that walks ``ix_web_signoff_queue`` (status, due_at, id) in order and stops
after a page: no sort of the open set, no count, only the columns the page shows. Pages are
keyset pages: ``after`` is the (deadline, id) of the last row shown. Requests with a deadline come
first; those without one follow, by id (two walks of the same index, never a NULLS LAST sort,
which an index cannot serve on SQLite).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Select, String, and_, bindparam, cast, exists, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from clearance.admin import search
from clearance.admin.models import SearchEntry
from clearance.runtime import Runtime
from clearance.storage.models import Decision, Item, Revision, SignoffRequest, User

PAGE = 50
NO_DEADLINE = "-"


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page starts: after the request with this deadline (None: the no-deadline part)."""

    due_at: datetime | None
    request_id: int

    def token(self) -> str:
        due = self.due_at.astimezone(UTC).isoformat() if self.due_at else NO_DEADLINE
        return f"{due}~{self.request_id}"

    @classmethod
    def parse(cls, token: str | None) -> Cursor | None:
        """The cursor in ``token``, or None (the first page) when it is absent or malformed."""
        if not token:
            return None
        due, sep, raw_id = token.rpartition("~")
        if not sep or not raw_id.isdigit():
            return None
        if due == NO_DEADLINE:
            return cls(None, int(raw_id))
        try:
            when = datetime.fromisoformat(due)
        except ValueError:
            return None
        if when.tzinfo is None:
            return None
        return cls(when.astimezone(UTC), int(raw_id))


@dataclass(frozen=True, slots=True)
class QueueFilter:
    view: str = "mine"  # mine | overdue
    level: str | None = None
    channel: str | None = None
    q: str | None = None
    after: Cursor | None = None


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
    request_id: int

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and self.due_at < datetime.now(UTC)

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.due_at, self.request_id)


def _json_contains(column: Any, value: str) -> ColumnElement[bool]:
    return cast(column, String).like(f'%"{value}"%')


def _base(user_id: int, signoff_roles: frozenset[str], f: QueueFilter) -> Select[Any]:
    query = (
        select(
            Item.id,
            Revision.title,
            User.username,
            Revision.level,
            Revision.channels,
            SignoffRequest.stage_name,
            SignoffRequest.due_at,
            Revision.number,
            SignoffRequest.id,
        )
        .select_from(SignoffRequest)
        .join(Revision, Revision.id == SignoffRequest.revision_id)
        .join(Item, and_(Item.id == Revision.item_id, Item.current_revision == Revision.number))
        .join(User, User.id == Item.author_id)
        .where(SignoffRequest.status == "open", Item.state == "awaiting_signoff")
        .where(or_(*(_json_contains(SignoffRequest.roles, r) for r in sorted(signoff_roles))))
        .where(Item.author_id != user_id)
        .where(
            ~exists().where(Decision.revision_id == Revision.id, Decision.approver_id == user_id)
        )
    )
    if f.level:
        query = query.where(Revision.level == f.level)
    if f.channel:
        query = query.where(_json_contains(Revision.channels, f.channel))
    if f.q and search.fold(f.q):
        query = query.join(SearchEntry, SearchEntry.revision_id == Revision.id).where(
            SearchEntry.folded.like(search.like_pattern(f.q), escape="\\")
        )
    return query


def _rows(
    connection: Connection, query: Select[Any], limit: int, batch: list[int]
) -> list[QueueRow]:
    return [
        QueueRow(
            item_id=item_id,
            title=title,
            author=username,
            level=level,
            channels=tuple(channels or ()),
            stage=stage,
            due_at=due_at,
            revision=number,
            request_id=request_id,
        )
        for item_id, title, username, level, channels, stage, due_at, number, request_id in (
            connection.execute(query.limit(limit), {"batch": batch})
        )
    ]


#: open requests read by the first step of the walk (in index order) before the filters apply;
#: each further step reads ``GROWTH`` times more, up to ``MAX_BATCH`` (a selective filter then
#: costs few steps, while the common page, where most open requests match, reads little)
FIRST_BATCH = 2 * (PAGE + 1)
#: the first step with a filter (search, level, channel), which passes fewer requests per batch
FIRST_FILTERED_BATCH = 400
GROWTH = 4
MAX_BATCH = 3200


def _walk(
    session: Session,
    base: Select[Any],
    *,
    dated: bool,
    after: Cursor | None,
    before: datetime | None,
    want: int,
    first: int = FIRST_BATCH,
) -> list[QueueRow]:
    """Rows of one section in (deadline, id) order, read in index-ordered batches.

    The batch query is only status, deadline and id, so every planner walks the index (PostgreSQL
    misjudges the JSON role filter and would otherwise sort the whole open set); the filters run
    on each batch by primary key.
    """
    rows: list[QueueRow] = []
    position = after
    size = max(first, 2 * want)
    connection = session.connection()
    # one expanding parameter: the ids are bound as values, not coerced one by one into the SQL
    in_batch = base.where(SignoffRequest.id.in_(bindparam("batch", expanding=True))).order_by(
        SignoffRequest.due_at, SignoffRequest.id
    )
    while len(rows) < want:
        step = select(SignoffRequest.id, SignoffRequest.due_at).where(
            SignoffRequest.status == "open"
        )
        if dated:
            step = step.where(SignoffRequest.due_at.is_not(None))
            if before is not None:
                step = step.where(SignoffRequest.due_at < before)
            if position is not None and position.due_at is not None:
                step = step.where(
                    or_(
                        SignoffRequest.due_at > position.due_at,
                        and_(
                            SignoffRequest.due_at == position.due_at,
                            SignoffRequest.id > position.request_id,
                        ),
                    )
                )
        else:
            step = step.where(SignoffRequest.due_at.is_(None))
            if position is not None:
                step = step.where(SignoffRequest.id > position.request_id)
        batch = connection.execute(
            step.order_by(SignoffRequest.status, SignoffRequest.due_at, SignoffRequest.id).limit(
                size
            )
        ).all()
        if not batch:
            break
        found = _rows(connection, in_batch, want - len(rows), [rid for rid, _due in batch])
        rows += found
        last_id, last_due = batch[-1]
        position = Cursor(last_due, last_id)
        if len(batch) < size:
            break
        size = min(size * GROWTH, MAX_BATCH)
    return rows


def queue(
    session: Session, *, user_id: int, signoff_roles: frozenset[str], f: QueueFilter
) -> tuple[list[QueueRow], Cursor | None]:
    """One page of the queue and the cursor of the next page (None on the last page)."""
    if not signoff_roles:
        return [], None
    base = _base(user_id, signoff_roles, f)
    first = FIRST_FILTERED_BATCH if (f.q or f.level or f.channel) else FIRST_BATCH
    after = f.after
    rows: list[QueueRow] = []
    if after is None or after.due_at is not None:
        before = datetime.now(UTC) if f.view == "overdue" else None
        rows = _walk(
            session, base, dated=True, after=after, before=before, want=PAGE + 1, first=first
        )
    if len(rows) <= PAGE and f.view != "overdue":
        undated_after = after if after is not None and after.due_at is None else None
        rows += _walk(
            session,
            base,
            dated=False,
            after=undated_after,
            before=None,
            want=PAGE + 1 - len(rows),
            first=first,
        )
    page = rows[:PAGE]
    return page, (page[-1].cursor if len(rows) > PAGE else None)


def refresh_search(rt: Runtime) -> None:
    """Index titles added since the last search (a write only when something is new).

    Concurrent workers may index the same revisions at once; the loser's insert fails on the
    primary key and is dropped, since the winner indexed the same titles.
    """
    from sqlalchemy import func
    from sqlalchemy.exc import IntegrityError

    with rt.readers() as session:
        newest = session.scalar(select(func.max(Revision.id))) or 0
        indexed = session.scalar(select(func.max(SearchEntry.revision_id))) or 0
    if newest <= indexed:
        return
    with rt.sessions() as session:
        try:
            search.refresh(session)
            session.commit()
        except IntegrityError:
            session.rollback()
