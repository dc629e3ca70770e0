"""The approver's other views: what I decided ("decided by me"), and every item I may see
("all items"), newest first, a page at a time.

Read models of the core, like the queue: the web (or the CLI) asks for a page of typed rows and
a cursor; which items an approver may see is the core's access rule
(``clearance.services.access.approver_reads``), applied here to every row, never by an adapter.

Both views are keyset pages over an index walked in order and stopped after a page
(``ix_web_decisions_approver_id``: my decisions by id; ``ix_web_items_updated_id``: items by
last change and id; ``ix_web_items_state_updated``: the same for one state), never a count or
a sort of the whole set. The all-items walk reads items in growing batches; the SQL keeps the
items the access rule admits (``approver_scope``: the rule asked for every state, level and
drafting unit, or an item I decided on) and the rule checks each row read; the walk goes on
until the page is full or the items end, so a page is never short while visible items follow,
even for an approver whose scope is a small part of a large installation. A rare search term
is read from its matching revisions (the title index's few hits), a common one by the walk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    or_,
    select,
    tuple_,
)
from sqlalchemy.orm import aliased

from clearance.policy import Policy
from clearance.readmodels.queue import json_word
from clearance.services.access import (
    BLOCKED,
    ROUTED_STATES,
    ApproverScope,
    Reader,
    approver_reads,
    approver_scope,
)
from clearance.storage import search
from clearance.storage.models import Decision, Item, Revision, SearchEntry, User
from clearance.storage.types import MAX_ID, UTCDateTime

PAGE = 50
#: items the first all-items batch walks (a page's worth: in the common case every item is in
#: scope); each further batch walks ``GROWTH`` times more, up to ``BATCH``, until the page is
#: full or the items end (the SQL selects the visible ones of each batch, so a sparse scope
#: costs few round trips of index reads)
FIRST_BATCH = PAGE + 1
GROWTH = 4
BATCH = 25_600
#: a title search first reads the matching revisions, at most this many (as the queue does)
SEARCH_CAP = 2000
#: the decisions the "decided by me" view can be filtered by
DECISIONS = ("approve", "approve_with_recommendations", "request_changes", "reject")
#: the states the all-items view can be filtered by (what an approver may see)
VISIBLE_STATES = (*sorted(ROUTED_STATES), BLOCKED, "changes_requested", "withdrawn")


# --- decided by me --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecidedFilter:
    decision: str | None = None
    q: str | None = None
    after: int | None = None  # the decision id the page starts after (newest first)


@dataclass(frozen=True, slots=True)
class DecidedRow:
    decision_id: int
    item_id: str
    title: str
    revision: int
    decision: str
    role: str
    comment: str | None
    decided_at: datetime
    state: str  # the item's state now
    current_revision: int

    @property
    def superseded(self) -> bool:
        """A newer revision of the item exists: the decision was on an older one."""
        return self.current_revision != self.revision


def parse_decision_cursor(token: str | None) -> int | None:
    """The decision id in ``token``, or None when it is absent or malformed."""
    if not token or not token.isascii() or not token.isdigit() or len(token) > 19:
        return None
    value = int(token)
    return value if 0 < value <= MAX_ID else None


def decided_by_me(
    connection: Connection, *, reader: Reader, f: DecidedFilter
) -> tuple[list[DecidedRow], int | None]:
    """One page of the decisions ``reader`` signed, newest first, and the cursor of the next
    page (None on the last). An approver always sees the items they decided on (the access
    rule's first case), so every row is theirs to open."""
    if "approver" not in reader.roles:
        return [], None
    query = (
        select(
            Decision.id,
            Item.id,
            Revision.title,
            Revision.number,
            Decision.decision,
            Decision.role,
            Decision.comment,
            Decision.created_at,
            Item.state,
            Item.current_revision,
        )
        .join(Revision, Revision.id == Decision.revision_id)
        .join(Item, Item.id == Revision.item_id)
        .where(Decision.approver_id == bindparam("me"))
        .order_by(Decision.approver_id.desc(), Decision.id.desc())
        .limit(PAGE + 1)
    )
    params: dict[str, Any] = {"me": reader.id}
    if f.after is not None:
        query = query.where(Decision.id < bindparam("after"))
        params["after"] = f.after
    if f.decision in DECISIONS:
        query = query.where(Decision.decision == bindparam("decision"))
        params["decision"] = f.decision
    if f.q and search.fold(f.q):
        query = query.join(SearchEntry, SearchEntry.revision_id == Revision.id).where(
            SearchEntry.folded.like(bindparam("q"), escape="\\")
        )
        params["q"] = search.like_pattern(f.q)
    rows = [DecidedRow(*values) for values in connection.execute(query, params)]
    page = rows[:PAGE]
    return page, (page[-1].decision_id if len(rows) > PAGE else None)


# --- all items I may see --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemCursor:
    """Where a page of the all-items view starts: after the item changed at ``updated_at``
    with this id (newest first)."""

    updated_at: datetime
    item_id: str

    def token(self) -> str:
        return f"{self.updated_at.astimezone(UTC).isoformat()}~{self.item_id}"

    @classmethod
    def parse(cls, token: str | None) -> ItemCursor | None:
        """The cursor in ``token``, or None when it is absent or malformed."""
        if not token:
            return None
        when, sep, item_id = token.rpartition("~")
        if not sep or not item_id or len(item_id) > 32 or not item_id.isascii():
            return None
        if not all(ch.isalnum() or ch in "-_" for ch in item_id):
            return None
        try:
            at = datetime.fromisoformat(when)
        except ValueError:
            return None
        if at.tzinfo is None:
            return None
        return cls(at.astimezone(UTC), item_id)


@dataclass(frozen=True, slots=True)
class AllFilter:
    state: str | None = None
    level: str | None = None
    channel: str | None = None
    q: str | None = None
    after: ItemCursor | None = None


@dataclass(frozen=True, slots=True)
class ItemRow:
    item_id: str
    title: str
    author: str
    state: str
    revision: int
    level: str | None
    declared_level: str
    channels: tuple[str, ...]
    updated_at: datetime
    drafting_unit: str | None
    decided_by_me: bool

    @property
    def cursor(self) -> ItemCursor:
        return ItemCursor(self.updated_at, self.item_id)


_MINE = aliased(Revision)


def _effective_level() -> Any:
    """The level the access rule reads: the screened level, else the declared one."""
    return case(
        (or_(Revision.level.is_(None), Revision.level == ""), Revision.declared_level),
        else_=Revision.level,
    )


def _in_units(units: frozenset[str | None]) -> Any:
    named = sorted(u for u in units if u is not None)
    parts = [User.unit.in_(named)] if named else []
    if None in units:
        parts.append(User.unit.is_(None))
    return or_(*parts)


def _scope_condition(scope: ApproverScope, decided: Any) -> Any:
    """The items the access rule admits, in SQL: decided by me, or a (state, level, drafting
    unit) the rule admits (``approver_scope``). The rule still checks every row read."""
    groups: dict[frozenset[str | None], list[tuple[str, str]]] = {}
    for pair, units in scope.visible:
        groups.setdefault(units, []).append(pair)
    level = _effective_level()
    admitted = [
        and_(tuple_(Item.state, level).in_(pairs), _in_units(units))
        for units, pairs in groups.items()
    ]
    return or_(decided, *admitted)


def _walk(*, after: bool, state: bool) -> Select[Any]:
    """Items in walk order (last change, then id, newest first) from the position: one table
    on its index (``ix_web_items_updated_id``, or ``ix_web_items_state_updated`` for one
    state), so the planner reads it in order and stops, with or without statistics."""
    walk = select(Item.id.label("id"), Item.updated_at.label("updated_at"))
    if after:
        walk = walk.where(*_after_item(Item.updated_at, Item.id))
    if state:
        walk = walk.where(Item.state == bindparam("state"))
    return walk.order_by(Item.updated_at.desc(), Item.id.desc())


def _after_item(updated_at: Any, item_id: Any) -> tuple[Any, ...]:
    """Strictly after the cursor in walk order (newest first)."""
    at = bindparam("after_at", type_=UTCDateTime())
    return (updated_at <= at, or_(updated_at < at, item_id < bindparam("after_id")))


@lru_cache(maxsize=512)
def _all_statement(
    scope: ApproverScope,
    *,
    after: bool,
    state: bool,
    level: bool,
    channel: bool,
    search_like: bool,
    hits: bool,
) -> Select[Any]:
    """The rows the access rule admits that pass the filters, in walk order: of one batch of
    the walk (``batch`` items, a LIMIT subquery read first), or, for a rare search term
    (``hits``), of the matching revisions alone (at most ``want``, sorted: they are few).
    Built once per scope and shape: constructing a statement costs more than running it."""
    # "I decided on a revision of this item", nested so that every planner reads it from the
    # item (its revisions, then the decisions of each by (revision, approver)) and never from
    # all of my decisions (an approver with thousands of them, planned without statistics)
    decided = (
        select(_MINE.id)
        .where(
            _MINE.item_id == Item.id,
            select(Decision.id)
            .where(Decision.revision_id == _MINE.id, Decision.approver_id == bindparam("me"))
            .exists(),
        )
        .exists()
    )
    columns = (
        Item.id,
        Revision.title,
        User.username,
        Item.state,
        Item.current_revision,
        Revision.level,
        Revision.declared_level,
        Revision.channels,
        Item.updated_at,
        User.unit,
        decided,
    )
    if hits:
        query = (
            select(*columns)
            .select_from(Revision)
            .join(Item, and_(Item.id == Revision.item_id, Item.current_revision == Revision.number))
            .where(Revision.id.in_(bindparam("ids", expanding=True)))
            .order_by(Item.updated_at.desc(), Item.id.desc())
            .limit(bindparam("want"))
        )
        if after:
            query = query.where(*_after_item(Item.updated_at, Item.id))
        if state:
            query = query.where(Item.state == bindparam("state"))
    else:
        batch = _walk(after=after, state=state).limit(bindparam("batch")).subquery("batch")
        query = (
            select(*columns)
            .select_from(batch)
            .join(Item, Item.id == batch.c.id)
            .join(
                Revision,
                and_(Revision.item_id == Item.id, Revision.number == Item.current_revision),
            )
            .order_by(batch.c.updated_at.desc(), batch.c.id.desc())
        )
    query = query.join(User, User.id == Item.author_id).where(_scope_condition(scope, decided))
    if level:
        query = query.where(
            or_(
                Revision.level == bindparam("level"),
                and_(Revision.level.is_(None), Revision.declared_level == bindparam("level")),
            )
        )
    if channel:
        query = query.where(cast(Revision.channels, String).like(bindparam("channel"), escape="\\"))
    if search_like:
        query = query.where(
            exists().where(
                SearchEntry.revision_id == Revision.id,
                SearchEntry.folded.like(bindparam("q"), escape="\\"),
            )
        )
    return query


def _last_of_batch(*, after: bool, state: bool) -> Select[Any]:
    """The (id, last change) of the batch's last item, where the next batch starts."""
    return _walk(after=after, state=state).limit(1).offset(bindparam("last"))


def _item_row(values: Any) -> ItemRow:
    (item_id, title, author, state, number, level, declared, channels, at, unit, mine) = values
    return ItemRow(
        item_id=item_id,
        title=title,
        author=author,
        state=state,
        revision=number,
        level=level,
        declared_level=declared,
        channels=tuple(channels or ()),
        updated_at=at,
        drafting_unit=unit,
        decided_by_me=bool(mine),
    )


def _search_hits(connection: Connection, pattern: str) -> list[int] | None:
    """The revisions whose title matches when fewer than ``SEARCH_CAP`` do, else None."""
    found = connection.execute(
        select(SearchEntry.revision_id)
        .where(SearchEntry.folded.like(bindparam("q"), escape="\\"))
        .limit(SEARCH_CAP),
        {"q": pattern},
    ).all()
    return None if len(found) >= SEARCH_CAP else [rid for (rid,) in found]


def _drafting_units(connection: Connection) -> frozenset[str | None]:
    """The units the users belong to (None: no unit), the drafting units an item can have."""
    return frozenset(connection.execute(select(User.unit).distinct()).scalars())


def all_items(
    connection: Connection, *, policy: Policy, reader: Reader, f: AllFilter
) -> tuple[list[ItemRow], ItemCursor | None]:
    """One page of the items ``reader`` may see as an approver (the core's access rule),
    most recently changed first, and the cursor of the next page (None on the last).

    A page is full whenever that many visible items follow: the access rule selects the
    items in the SQL (``approver_scope``) and checks every row read, and the walk goes on,
    batch after growing batch, until the page is full or the items end. A rare search term
    reads its matching revisions alone (few), sorted, instead of walking every item."""
    if "approver" not in reader.roles:
        return [], None
    params: dict[str, Any] = {"me": reader.id}
    shape: dict[str, bool] = {
        "state": bool(f.state),
        "level": bool(f.level),
        "channel": bool(f.channel),
        "search_like": False,
        "hits": False,
    }
    if f.state:
        params["state"] = f.state
    if f.level:
        params["level"] = f.level
    if f.channel:
        params["channel"] = json_word(f.channel)
    if f.q and search.fold(f.q):
        params["q"] = search.like_pattern(f.q)
        hits = _search_hits(connection, params["q"])
        if hits is None:
            shape["search_like"] = True
        elif not hits:
            return [], None
        else:
            shape["hits"] = True
            params["ids"] = hits
    scope = approver_scope(policy, reader, _drafting_units(connection))
    kept: list[ItemRow] = []
    after = f.after
    size = FIRST_BATCH
    while len(kept) <= PAGE:
        want = PAGE + 1 - len(kept)
        step = {**params, "batch": size, "last": size - 1, "want": want}
        if after is not None:
            step.update(after_at=after.updated_at, after_id=after.item_id)
        statement = _all_statement(scope, after=after is not None, **shape)
        rows = [_item_row(v) for v in connection.execute(statement, step)]
        kept.extend(row for row in rows if _sees(policy, reader, row))
        if len(kept) > PAGE:
            break
        if shape["hits"]:
            if len(rows) < want:  # the matches were all read
                return kept, None
            after = rows[-1].cursor  # the rule refused some: read on after the last
            continue
        last = connection.execute(
            _last_of_batch(after=after is not None, state=shape["state"]), step
        ).first()
        if last is None:  # the batch was the rest of the walk
            return kept, None
        after = ItemCursor(last[1], last[0])
        size = min(size * GROWTH, BATCH)
    page = kept[:PAGE]
    return page, page[-1].cursor


def _sees(policy: Policy, reader: Reader, row: ItemRow) -> bool:
    return approver_reads(
        policy,
        reader,
        state=row.state,
        level=row.level or row.declared_level,
        drafting_unit=row.drafting_unit,
        decided=row.decided_by_me,
    )
