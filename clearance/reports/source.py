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
from clearance.auditlog.tree import Builder
from clearance.errors import BadInput, VerificationError
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
        raise VerificationError(
            f"the log's checkpoint of size {size} is not a signed note",
            code="report.checkpoint_unsigned",
            params={"size": size},
        )
    return parse_body(body + "\n").root


class LiveHistory:
    """The database's log folded once, then extended with new entries on every call (the full
    fold: the CLI and the tests; the web pages read the stored summary,
    :mod:`clearance.reports.summary`). Every catch-up hashes the entries it reads onto the tree
    edge and compares the root with the log's checkpoint at the size reached."""

    BATCH = 20_000

    def __init__(self) -> None:
        self._history = History()
        self._builder = Builder()
        self._lock = threading.Lock()

    def current(self, session: Session) -> History:
        with self._lock:
            history, builder = self._history, self._builder
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
            if history.size != start:
                expected = root_at(session, history.size)
                if expected is not None and expected != builder.root():
                    self._history, self._builder = History(), Builder()
                    raise VerificationError(
                        f"the log's entries do not hash to its checkpoint of size {history.size}; "
                        "run `clearance audit verify` to find the altered entry",
                        code="report.entries_altered",
                        params={"size": history.size},
                    )
            return history


def entries_at(session: Session, seqs: list[int]) -> list[Entry]:
    """The log entries with these sequence numbers, in order (those behind a figure)."""
    if not seqs:
        return []
    rows = session.execute(
        select(entries.c.leaf).where(entries.c.seq.in_(seqs)).order_by(entries.c.seq)
    ).scalars()
    return [parse_leaf(bytes(leaf)) for leaf in rows]
