"""The audit log as the evidence pages read it: a filtered page of entries, newest first, and
the event types present (read on the caller's session, never written)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearance.auditlog import models as log_models
from clearance.auditlog.entry import Entry, parse_leaf

SCAN_LIMIT = 20_000
PAGE = 50


@dataclass(frozen=True, slots=True)
class LogFilter:
    item: str | None = None
    actor: str | None = None
    event: str | None = None
    #: the entries' times from ``since`` (inclusive) to ``until`` (exclusive), RFC 3339 UTC as
    #: in the log (``clearance.auditlog.entry.format_time``): a local day's bounds are
    #: ``clearance.dates.day_start_utc`` and ``day_end_utc``
    since: str | None = None
    until: str | None = None
    before: int | None = None  # page from this sequence number downwards


def log_page(session: Session, f: LogFilter) -> tuple[list[Entry], int | None]:
    """Newest first: a page of entries and the sequence number to continue from."""
    table = log_models.entries
    query = select(table.c.seq, table.c.leaf).order_by(table.c.seq.desc())
    if f.item:
        query = query.where(table.c.item_id == f.item)
    if f.event:
        query = query.where(table.c.event_type == f.event)
    if f.before is not None:
        query = query.where(table.c.seq < f.before)
    found: list[Entry] = []
    scanned = 0
    last_seq: int | None = None
    for seq, leaf in session.execute(query.limit(SCAN_LIMIT)):
        scanned += 1
        last_seq = seq
        entry = parse_leaf(bytes(leaf))
        if f.actor and (entry.actor or "") != f.actor:
            continue
        if f.since and entry.time < f.since:
            continue
        if f.until and entry.time >= f.until:
            continue
        found.append(entry)
        if len(found) > PAGE:
            break
    more = len(found) > PAGE or (scanned == SCAN_LIMIT and last_seq is not None)
    page = found[:PAGE]
    next_before = page[-1].seq if more and page else None
    return page, next_before


def event_types(session: Session) -> list[str]:
    table = log_models.entries
    return sorted(session.scalars(select(table.c.event_type).distinct()))
