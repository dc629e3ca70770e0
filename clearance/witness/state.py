"""The witness's memory: per log origin, the latest checkpoint it cosigned.

The check of the old size against the stored one and the write of the new checkpoint happen in
one SQLite ``BEGIN IMMEDIATE`` transaction, so two concurrent requests can never roll the state
back (the race the tlog-witness spec describes). Requests that were refused although the log's
signature verified are kept as evidence of misbehaviour.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS logs (
    origin TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    checkpoint TEXT NOT NULL,
    cosignature TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS evidence (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,
    status INTEGER NOT NULL,
    reason TEXT NOT NULL,
    request TEXT NOT NULL,
    received_at INTEGER NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Seen:
    """The latest checkpoint cosigned for one origin."""

    origin: str
    size: int
    root: bytes
    checkpoint: str
    cosignature: str
    updated_at: int


class SizeConflict(Exception):
    """The request's old size (or root at an equal size) is not what the witness holds."""

    def __init__(self, size: int, reason: str) -> None:
        super().__init__(reason)
        self.size = size
        self.reason = reason


class WitnessState:
    """The state file, opened once per process; safe across threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def seen(self, origin: str) -> Seen | None:
        with self._lock:
            row = self._db.execute(
                "SELECT origin, size, root, checkpoint, cosignature, updated_at FROM logs "
                "WHERE origin = ?",
                (origin,),
            ).fetchone()
        return None if row is None else Seen(*row)

    def advance(
        self,
        origin: str,
        old_size: int,
        new_size: int,
        new_root: bytes,
        checkpoint: str,
        verify: Callable[[Seen | None], None],
        cosign: Callable[[], tuple[str, int]],
    ) -> str:
        """Atomically: check ``old_size`` against the stored size (SizeConflict if different, or
        if the sizes are equal and the roots differ), run ``verify`` (the consistency proof; it
        raises to refuse), store the new checkpoint with the line ``cosign`` returns, return it.
        """
        with self._transaction() as db:
            row = db.execute(
                "SELECT origin, size, root, checkpoint, cosignature, updated_at FROM logs "
                "WHERE origin = ?",
                (origin,),
            ).fetchone()
            seen = None if row is None else Seen(*row)
            held = 0 if seen is None else seen.size
            if old_size != held:
                raise SizeConflict(held, f"old size {old_size} is not the size cosigned ({held})")
            if seen is not None and new_size == seen.size and new_root != seen.root:
                raise SizeConflict(held, f"a different root was cosigned for size {held}")
            verify(seen)
            line, now = cosign()
            db.execute(
                "INSERT INTO logs (origin, size, root, checkpoint, cosignature, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET size = excluded.size,"
                " root = excluded.root, checkpoint = excluded.checkpoint, "
                "cosignature = excluded.cosignature, updated_at = excluded.updated_at",
                (origin, new_size, new_root, checkpoint, line, now),
            )
            return line

    def keep_evidence(self, origin: str, status: int, reason: str, request: str, now: int) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO evidence (origin, status, reason, request, received_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (origin, status, reason, request, now),
            )

    def evidence(self) -> list[tuple[str, int, str, int]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT origin, status, reason, received_at FROM evidence ORDER BY id"
            ).fetchall()
        return [(str(o), int(s), str(r), int(t)) for o, s, r, t in rows]
