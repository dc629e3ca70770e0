"""The approver's queue: open sign-off requests routed to me, earliest deadline first.

A read model of the core: the web, the CLI and the flows ask ``queue`` for a page of typed rows;
which rows are the approver's is decided here by the core's access rule
(``clearance.services.access.open_stage_admits``), never by an adapter.

One query per page that walks ``ix_web_signoff_queue`` (status, due_at, id) in order and stops
after a page: no sort of the open set, no count, only the columns the page shows. Pages are
keyset pages: ``after`` is the (deadline, id) of the last row shown. Requests with a deadline come
first; those without one follow, by id (two walks of the same index, never a NULLS LAST sort,
which an index cannot serve on SQLite).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    exists,
    literal_column,
    or_,
    select,
)

from clearance.policy import Policy
from clearance.services.access import Reader, open_stage_admits
from clearance.storage import search
from clearance.storage.models import Decision, Item, Revision, SearchEntry, SignoffRequest, User
from clearance.storage.types import MAX_ID, UTCDateTime

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
        if not sep or not raw_id.isascii() or not raw_id.isdigit() or len(raw_id) > 19:
            return None
        if int(raw_id) > MAX_ID:
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


#: which of the rows the SQL found the approver may really see (the core's access rule)
Keep = Callable[["QueueRow"], bool]


def admitted_by(policy: Policy, reader: Reader) -> Keep:
    """The access rule of the queue: the request's open stage admits ``reader``.

    The rule depends only on the row's (level, stage, drafting unit), which the rows of a
    page share: each distinct triple is decided once per call (per page, never kept longer).
    """
    decided: dict[tuple[str | None, str, str | None], bool] = {}

    def keep(row: QueueRow) -> bool:
        key = (row.level, row.stage, row.drafting_unit)
        found = decided.get(key)
        if found is None:
            found = decided[key] = open_stage_admits(
                policy, row.level, row.stage, reader, row.drafting_unit
            )
        return found

    return keep


@dataclass(frozen=True, slots=True)
class QueueFilter:
    view: str = "mine"  # mine | overdue
    level: str | None = None
    channel: str | None = None
    q: str | None = None
    after: Cursor | None = None


class QueueRow(NamedTuple):
    """One open request of the queue (immutable; a named tuple, since a page builds fifty and
    a frozen dataclass costs three times as much to construct)."""

    item_id: str
    title: str
    author: str
    level: str | None
    channels: tuple[str, ...]
    stage: str
    due_at: datetime | None
    revision: int
    request_id: int
    drafting_unit: str | None = None

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and self.due_at < datetime.now(UTC)

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.due_at, self.request_id)


@dataclass(frozen=True, slots=True)
class _Shape:
    """What a queue statement looks like; the values go in as bound parameters."""

    roles: int  # how many sign-off roles the approver holds
    level: bool
    channel: bool
    search: bool
    dated: bool  # the section with deadlines (else the one without)
    before: bool  # only requests due before a moment (the overdue view)
    after: bool  # the walk starts after a (deadline, id) position


def _walk_order(shape: _Shape) -> Select[Any]:
    """Open requests of one section in index order (status, deadline, id) from the position.

    The position is written ``due >= d AND (due > d OR id > i)`` so that both databases seek
    the index to ``d`` instead of filtering from the start of the section.
    """
    sr = SignoffRequest
    step = select(sr.id.label("id"), sr.due_at.label("due_at")).where(sr.status == "open")
    if shape.dated:
        step = step.where(sr.due_at.is_not(None))
        if shape.before:
            step = step.where(sr.due_at < bindparam("before", type_=UTCDateTime()))
        if shape.after:
            due = bindparam("after_due", type_=UTCDateTime())
            step = step.where(
                sr.due_at >= due, or_(sr.due_at > due, sr.id > bindparam("after_id", type_=Integer))
            )
    else:
        step = step.where(sr.due_at.is_(None))
        if shape.after:
            step = step.where(sr.id > bindparam("after_id", type_=Integer))
    return step.order_by(sr.status, sr.due_at, sr.id)


def _count(value: int) -> Any:
    """A row count written into the SQL: with the counts as parameters PostgreSQL cannot
    settle on one generic plan and plans the join on every execution; the few batch sizes
    give few statements."""
    return literal_column(str(int(value)))


def _rows_of(shape: _Shape, source: Any, want: int) -> Select[Any]:
    """The rows of the open requests in ``source`` (a subquery of their id and deadline) that
    pass the filters, in (deadline, id) order, at most ``want``."""
    me = bindparam("me", type_=Integer)
    roles = cast(SignoffRequest.roles, String)
    query = (
        select(
            Item.id,
            Revision.title,
            User.username,
            Revision.level,
            cast(Revision.channels, String),  # the JSON text: decoded once per distinct list
            SignoffRequest.stage_name,
            SignoffRequest.due_at,
            Revision.number,
            SignoffRequest.id,
            User.unit,
        )
        .select_from(source)
        .join(SignoffRequest, SignoffRequest.id == source.c.id)
        .join(Revision, Revision.id == SignoffRequest.revision_id)
        .join(Item, and_(Item.id == Revision.item_id, Item.current_revision == Revision.number))
        .join(User, User.id == Item.author_id)
        .where(Item.state == "awaiting_signoff", Item.author_id != me)
        .where(or_(*(roles.like(bindparam(f"role_{i}"), escape="\\") for i in range(shape.roles))))
        .where(~exists().where(Decision.revision_id == Revision.id, Decision.approver_id == me))
    )
    if shape.level:
        query = query.where(Revision.level == bindparam("level"))
    if shape.channel:
        query = query.where(cast(Revision.channels, String).like(bindparam("channel"), escape="\\"))
    if shape.search:
        query = query.join(SearchEntry, SearchEntry.revision_id == Revision.id).where(
            SearchEntry.folded.like(bindparam("q"), escape="\\")
        )
    return query.order_by(source.c.due_at, source.c.id).limit(_count(want))


@lru_cache(maxsize=1024)
def _page_statement(shape: _Shape, size: int, want: int) -> Select[Any]:
    """The rows of one batch of the walk that pass the filters, in order, at most ``want``.

    The batch (``size`` open requests in index order) is a LIMIT subquery, so every planner
    reads it from the index first and joins each of its rows by primary key (PostgreSQL
    misjudges the JSON role filter and would otherwise sort the whole open set). Built once
    per shape and counts: constructing a statement costs more than running it.
    """
    batch = _walk_order(shape).limit(_count(size)).subquery("batch")
    return _rows_of(shape, batch, want)


#: a search first reads the revisions whose title matches, at most this many; fewer means a
#: rare term, whose rows are read from those revisions alone (the walk would read the whole
#: open set to fill a page); as many means a common term, which the walk finds quickly
SEARCH_CAP = 2000


@lru_cache(maxsize=16)
def _hits_statement(cap: int) -> Select[Any]:
    """The ids of the revisions whose folded title matches, at most ``cap`` (one scan of the
    short folded titles)."""
    return (
        select(SearchEntry.revision_id)
        .where(SearchEntry.folded.like(bindparam("q"), escape="\\"))
        .limit(_count(cap))
    )


@lru_cache(maxsize=256)
def _hit_page_statement(shape: _Shape, want: int) -> Select[Any]:
    """The rows of the open requests of the revisions ``ids`` (a rare term's matches) in one
    section from the position, in order, at most ``want``: read by revision, then sorted.

    The ids are written into the SQL (integers read from the database), so each planner sees
    the real list; SQLAlchemy runs it, since the list's length varies.
    """
    sr = SignoffRequest
    hits = _walk_order(shape).order_by(None)
    hits = hits.where(sr.revision_id.in_(bindparam("ids", expanding=True, literal_execute=True)))
    return _rows_of(replace(shape, search=False), hits.subquery("hits"), want)


@lru_cache(maxsize=256)
def _last_of_batch(shape: _Shape, size: int) -> Select[Any]:
    """The (id, deadline) of the batch's last request, where the next batch starts."""
    return _walk_order(shape).limit(1).offset(_count(size - 1))


def json_word(value: str) -> str:
    """A LIKE pattern (escape ``\\``) matching ``value`` as one string of a stored JSON list."""
    escaped = json.dumps(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


#: open requests read by the first batch (in index order) before the filters apply; each
#: further batch reads ``GROWTH`` times more, up to ``MAX_BATCH`` (a selective filter then
#: costs few steps, while the common page, where most open requests match, reads one batch)
FIRST_BATCH = 2 * (PAGE + 1)
#: the first batch with a filter (search, level, channel), which passes fewer requests
FIRST_FILTERED_BATCH = 400
GROWTH = 4
MAX_BATCH = 3200


#: a stored channel list (its JSON text) -> the ids; one per call, since a page's rows share few
Lists = dict[str | None, tuple[str, ...]]


def _channels(text: str | None, lists: Lists) -> tuple[str, ...]:
    found = lists.get(text)
    if found is None:
        found = lists[text] = tuple(json.loads(text)) if text else ()
    return found


def _row(values: Any, lists: Lists) -> QueueRow:
    item_id, title, username, level, channels, stage, due_at, number, request_id, unit = values
    # positional, in the order of the fields: item_id, title, author, level, channels, stage,
    # due_at, revision, request_id, drafting_unit
    return QueueRow(
        item_id, title, username, level, _channels(channels, lists), stage, due_at, number,
        request_id, unit,
    )  # fmt: skip


def _walk(
    connection: Connection,
    shape: _Shape,
    params: dict[str, Any],
    *,
    after: Cursor | None,
    want: int,
    first: int,
    hits: list[int] | None = None,
    keep: Keep | None = None,
) -> list[QueueRow]:
    """Rows of one section in (deadline, id) order that ``keep`` accepts, read batch by batch
    from the index, or from the revisions ``hits`` alone when given (a rare search term's
    matches). When ``keep`` drops rows of a full read, the walk goes on right after the last
    row read, so no row between it and the batch's end is skipped."""
    if after is not None:
        shape = replace(shape, after=True)
        params = {**params, "after_due": after.due_at, "after_id": after.request_id}
    rows: list[QueueRow] = []
    lists: Lists = {}
    size = max(first, 2 * want)
    while len(rows) < want:
        asked = want - len(rows)
        if hits is not None:
            if not hits:
                return []
            statement = _hit_page_statement(shape, asked)
            found = connection.execute(statement, {**params, "ids": hits}).all()
            read = [_row(v, lists) for v in found]
        else:
            statement = _page_statement(shape, size, asked)
            read = [_row(v, lists) for v in connection.execute(statement, params).all()]
        kept = read if keep is None else [row for row in read if keep(row)]
        rows.extend(kept)
        if len(rows) >= want:
            break
        if len(read) == asked and len(kept) < len(read):  # more may follow in this batch
            shape = replace(shape, after=True)
            params = {**params, "after_due": read[-1].due_at, "after_id": read[-1].request_id}
            continue
        if hits is not None:
            break  # the hits were all read
        last = connection.execute(_last_of_batch(shape, size), params).first()
        if last is None:  # the batch was the rest of the section
            break
        last_id, last_due = last
        shape = replace(shape, after=True)
        params = {**params, "after_due": last_due, "after_id": last_id}
        size = min(size * GROWTH, MAX_BATCH)
    return rows


def _search_hits(connection: Connection, pattern: str) -> list[int] | None:
    """The revisions whose title matches ``pattern`` when fewer than ``SEARCH_CAP`` do, else
    None (a common term: the walk finds its page quickly)."""
    cap = SEARCH_CAP
    found = connection.execute(_hits_statement(cap), {"q": pattern}).all()
    return None if len(found) >= cap else [revision_id for (revision_id,) in found]


def queue(
    connection: Connection, *, policy: Policy, reader: Reader, f: QueueFilter
) -> tuple[list[QueueRow], Cursor | None]:
    """One page of ``reader``'s queue and the cursor of the next page (None on the last page):
    the open requests naming one of the reader's sign-off roles that the core's access rule
    (the stage's unit scope, ``admitted_by``) routes to this approver."""
    if "approver" not in reader.roles:
        return [], None
    return open_requests(connection, reader=reader, f=f, keep=admitted_by(policy, reader))


def open_requests(
    connection: Connection, *, reader: Reader, f: QueueFilter, keep: Keep | None
) -> tuple[list[QueueRow], Cursor | None]:
    """One page of the open requests naming one of ``reader``'s sign-off roles that ``keep``
    accepts (all when None), on the current revisions of items awaiting sign-off that
    ``reader`` neither wrote nor decided on, and the cursor of the next page."""
    if not reader.signoff_roles:
        return [], None
    roles = sorted(reader.signoff_roles)
    params: dict[str, Any] = {"me": reader.id}
    params.update((f"role_{i}", json_word(role)) for i, role in enumerate(roles))
    q = f.q if f.q and search.fold(f.q) else None
    if f.level:
        params["level"] = f.level
    if f.channel:
        params["channel"] = json_word(f.channel)
    hits: list[int] | None = None
    if q:
        params["q"] = search.like_pattern(q)
        hits = _search_hits(connection, params["q"])
    overdue = f.view == "overdue"
    shape = _Shape(
        roles=len(roles),
        level=bool(f.level),
        channel=bool(f.channel),
        search=bool(q) and hits is None,
        dated=True,
        before=overdue,
        after=False,
    )
    if overdue:
        params["before"] = datetime.now(UTC)
    first = FIRST_FILTERED_BATCH if (q or f.level or f.channel) else FIRST_BATCH
    after = f.after
    rows: list[QueueRow] = []
    if after is None or after.due_at is not None:
        rows = _walk(
            connection, shape, params, after=after, want=PAGE + 1, first=first, hits=hits, keep=keep
        )
    if len(rows) <= PAGE and not overdue:
        rows += _walk(
            connection,
            replace(shape, dated=False, before=False),
            params,
            after=after if after is not None and after.due_at is None else None,
            want=PAGE + 1 - len(rows),
            first=first,
            hits=hits,
            keep=keep,
        )
    page = rows[:PAGE]
    return page, (page[-1].cursor if len(rows) > PAGE else None)
