"""Where a report's history comes from: an export folder (offline, after verifying it) or the
installation's database, replayed incrementally so a report costs only the entries since the
last one."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearance.auditlog.checkpoint import parse_body
from clearance.auditlog.entry import Entry, parse_leaf
from clearance.auditlog.models import entries
from clearance.auditlog.rfc6962 import EMPTY_ROOT, leaf_hash
from clearance.auditlog.store import checkpoint_at
from clearance.auditlog.tree import Builder, RightEdge
from clearance.errors import BadInput, VerificationError
from clearance.reports.history import History
from clearance.reports.snapshot import State, StateFile


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


def root_at(session: Session, size: int) -> bytes | None:
    """The root hash in the log's checkpoint of ``size`` (its body; the signature is the
    verifier's business), or None when the log holds no checkpoint of that size."""
    if size == 0:
        return EMPTY_ROOT
    note = checkpoint_at(session, size)
    if note is None:
        return None
    body, sep, _ = note.partition("\n\n")
    if not sep:
        raise VerificationError(f"the log's checkpoint of size {size} is not a signed note")
    return parse_body(body + "\n").root


class LiveHistory:
    """The database's log replayed once, then extended with new entries on every call.

    With a :class:`StateFile`, a new process starts from the persisted state (when its seal and
    its root check out) and replays only the entries after it; the state is saved again once
    ``SAVE_AFTER`` new entries have been replayed. Every catch-up hashes the entries it reads onto
    the tree edge and compares the root with the log's checkpoint at the size reached.
    """

    BATCH = 20_000
    SAVE_AFTER = 10_000

    def __init__(self, store: StateFile | None = None) -> None:
        self._store = store
        self._state: State | None = None
        self._saved_at = -1
        self._lock = threading.Lock()
        #: how the last call started: "memory", "state" (a persisted one) or "replay" (from 0)
        self.started_from = ""

    def current(self, session: Session) -> History:
        with self._lock:
            if self._state is not None:
                self.started_from = "memory"
                state = self._catch_up(session, self._state)
            else:
                loaded = None
                if self._store is not None:
                    loaded = self._store.load(lambda size: root_at(session, size))
                if loaded is not None:
                    self._saved_at = loaded.history.size
                self.started_from = "replay" if loaded is None else "state"
                state = self._catch_up(session, loaded) if loaded is not None else None
            if state is None:  # nothing persisted, or the state does not lead to this log
                self.started_from = "replay"
                self._saved_at = -1
                state = self._catch_up(session, State(History(), RightEdge.empty()), fresh=True)
            assert state is not None
            self._state = state
            behind = state.history.size - self._saved_at
            if self._store is not None and (self._saved_at < 0 or behind >= self.SAVE_AFTER):
                self._store.save(state)
                self._saved_at = state.history.size
            return state.history

    def _catch_up(self, session: Session, state: State, *, fresh: bool = False) -> State | None:
        """``state`` extended to the log's end; None when the entries do not hash to the log's
        checkpoint (raises for a replay from the start: the log disagrees with itself)."""
        history = state.history
        builder = Builder.from_edge(state.edge)
        start = history.size
        while True:
            rows = (
                session.execute(
                    select(entries.c.leaf)
                    .where(entries.c.seq >= history.size)
                    .order_by(entries.c.seq)
                    .limit(self.BATCH)
                )
                .scalars()
                .all()
            )
            leaves = [bytes(leaf) for leaf in rows]
            for leaf in leaves:
                builder.add_hash(leaf_hash(leaf))
            history.extend(leaves)
            if len(rows) < self.BATCH:
                break
        edge = builder.edge()
        if history.size == start and not fresh:
            return State(history, edge)
        expected = root_at(session, history.size)
        if expected is not None and expected != edge.root():
            if fresh:
                raise VerificationError(
                    f"the log's entries do not hash to its checkpoint of size {history.size}; "
                    "run `clearance audit verify` to find the altered entry"
                )
            return None
        return State(history, edge)


def entries_at(session: Session, seqs: list[int]) -> list[Entry]:
    """The log entries with these sequence numbers, in order (those behind a figure)."""
    if not seqs:
        return []
    rows = session.execute(
        select(entries.c.leaf).where(entries.c.seq.in_(seqs)).order_by(entries.c.seq)
    ).scalars()
    return [parse_leaf(bytes(leaf)) for leaf in rows]
