"""Where a report's history comes from: an export folder (offline, after verifying it) or the
installation's database, replayed incrementally so a report costs only the entries since the
last one."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearance.auditlog.entry import Entry, parse_leaf
from clearance.auditlog.models import entries
from clearance.errors import BadInput
from clearance.reports.history import History


def history_from_export(directory: Path) -> History:
    """Replay ``DIR/entries.jsonl`` (verify the export first: ``clearance audit verify``)."""
    path = directory / "entries.jsonl"
    if not path.is_file():
        raise BadInput(
            f"{directory} holds no entries.jsonl; give a folder written by `clearance audit export`"
        )
    history = History()
    with path.open("rb") as handle:
        history.extend(line for line in handle if line.strip())
    return history


class LiveHistory:
    """The database's log replayed once, then extended with new entries on every call."""

    BATCH = 20_000

    def __init__(self) -> None:
        self._history = History()
        self._lock = threading.Lock()

    def current(self, session: Session) -> History:
        with self._lock:
            while True:
                rows = (
                    session.execute(
                        select(entries.c.leaf)
                        .where(entries.c.seq >= self._history.size)
                        .order_by(entries.c.seq)
                        .limit(self.BATCH)
                    )
                    .scalars()
                    .all()
                )
                self._history.extend(bytes(leaf) for leaf in rows)
                if len(rows) < self.BATCH:
                    return self._history


def entries_at(session: Session, seqs: list[int]) -> list[Entry]:
    """The log entries with these sequence numbers, in order (those behind a figure)."""
    if not seqs:
        return []
    rows = session.execute(
        select(entries.c.leaf).where(entries.c.seq.in_(seqs)).order_by(entries.c.seq)
    ).scalars()
    return [parse_leaf(bytes(leaf)) for leaf in rows]
