"""The audit log in the database: ``AuditLog`` is the ``EventSink`` the unit of work calls.

``append`` runs inside the caller's transaction, so the entries commit or roll back with the state
change they record. Appends are serialised: on PostgreSQL by a transaction-scoped advisory lock
taken before the head is read; on SQLite by ``BEGIN IMMEDIATE`` (the engine begins every
transaction that way), which already holds the write lock when we read the head. Each append
writes the leaves exactly as hashed, the new right edge and one signed checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from clearance.auditlog.checkpoint import Checkpoint
from clearance.auditlog.entry import GENESIS_PREV, Entry, format_time
from clearance.auditlog.models import checkpoints, entries, tree_state
from clearance.auditlog.note import LogSigner, NoteSigner, PreparedSigner, Signer, Verifier
from clearance.auditlog.rfc6962 import leaf_hash
from clearance.auditlog.tree import RightEdge
from clearance.errors import BadInput, ConfigurationError
from clearance.events import Event

_HEAD = select(tree_state.c.size, tree_state.c.edge, tree_state.c.last_hash).where(
    tree_state.c.id == bindparam("state_id")
)
_INSERT_ENTRIES = insert(entries)
_INSERT_CHECKPOINT = insert(checkpoints)
_INSERT_STATE = insert(tree_state)
_UPDATE_STATE = update(tree_state).where(tree_state.c.id == bindparam("state_id"))
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")

# SQLite fast path: the same statements on the session's own DBAPI connection (same transaction),
# skipping SQLAlchemy's per-statement work, which was most of an append's CPU time.
_SQLITE_HEAD = "SELECT size, edge, last_hash FROM audit_tree_state WHERE id = ?"
_SQLITE_ENTRY = (
    "INSERT INTO audit_entries (seq, leaf, leaf_hash, event_type, item_id) VALUES (?, ?, ?, ?, ?)"
)
_SQLITE_CHECKPOINT = "INSERT INTO audit_checkpoints (size, note, created_at) VALUES (?, ?, ?)"
_SQLITE_STATE_INSERT = (
    "INSERT INTO audit_tree_state (size, edge, last_hash, id) VALUES (?, ?, ?, ?)"
)
_SQLITE_STATE_UPDATE = "UPDATE audit_tree_state SET size = ?, edge = ?, last_hash = ? WHERE id = ?"

#: pg_advisory_xact_lock key: the ASCII of "CLRAUDIT" as a signed 64-bit integer.
ADVISORY_LOCK_KEY = int.from_bytes(b"CLRAUDIT", "big", signed=True)
_STATE_ID = 1


class AuditLog:
    """Appends events as signed, hash-chained Merkle-tree leaves."""

    def __init__(self, origin: str, signers: Sequence[LogSigner]) -> None:
        if not signers:
            raise ConfigurationError("the audit log needs its signing key; run `clearance init`")
        for signer in signers:
            if signer.name != origin:
                raise ConfigurationError(
                    f"log key is named {signer.name!r} but the log origin is {origin!r}; "
                    "set CLEARANCE_LOG_ORIGIN to the key's name or generate a new key"
                )
        self.origin = origin
        self._verifier = signers[0].verifier
        self._signers: tuple[NoteSigner, ...] = tuple(
            PreparedSigner(s) if isinstance(s, Signer) else s for s in signers
        )

    @property
    def verifier(self) -> Verifier:
        return self._verifier

    def close(self) -> None:
        """Close what the signers hold open (the signing helper's socket)."""
        for signer in self._signers:
            close = getattr(signer, "close", None)
            if callable(close):
                close()

    def _lock(self, session: Session) -> None:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(_LOCK, {"key": ADVISORY_LOCK_KEY})

    def _leaves(
        self, events: Sequence[Event], edge: RightEdge, prev: str, stamp: str
    ) -> tuple[list[tuple[int, bytes, bytes, str, str | None]], RightEdge, str]:
        rows = []
        for event in events:
            leaf = Entry(
                origin=self.origin,
                seq=edge.size,
                prev=prev,
                time=stamp,
                type=event.event_type,
                actor=event.actor,
                item=event.item_id,
                revision=event.revision,
                manifest=event.manifest_hash,
                policy=event.policy_hash,
                body=dict(event.body),
            ).to_leaf()
            digest = leaf_hash(leaf)
            rows.append((edge.size, leaf, digest, event.event_type[:64], event.item_id))
            edge = edge.append_hash(digest)
            prev = digest.hex()
        return rows, edge, prev

    def append(self, session: Session, events: Sequence[Event], *, now: datetime) -> None:
        if not events:
            return
        connection = session.connection()  # begins the transaction (BEGIN IMMEDIATE on SQLite)
        if connection.dialect.name == "sqlite":
            self._append_sqlite(connection, events, now)
            return
        self._lock(session)
        row = session.execute(_HEAD, {"state_id": _STATE_ID}).first()
        if row is None:
            edge, prev = RightEdge.empty(), GENESIS_PREV
        else:
            edge = RightEdge.from_bytes(int(row.size), bytes(row.edge))
            prev = bytes(row.last_hash).hex()
        rows, edge, prev = self._leaves(events, edge, prev, format_time(now))
        keys = ("seq", "leaf", "leaf_hash", "event_type", "item_id")
        session.execute(_INSERT_ENTRIES, [dict(zip(keys, r, strict=True)) for r in rows])
        note = Checkpoint(self.origin, edge.size, edge.root()).sign(self._signers)
        session.execute(_INSERT_CHECKPOINT, {"size": edge.size, "note": note, "created_at": now})
        values = {"size": edge.size, "edge": edge.to_bytes(), "last_hash": bytes.fromhex(prev)}
        if row is None:
            session.execute(_INSERT_STATE, {"id": _STATE_ID, **values})
        else:
            session.execute(_UPDATE_STATE, {"state_id": _STATE_ID, **values})

    def _append_sqlite(
        self, connection: Connection, events: Sequence[Event], now: datetime
    ) -> None:
        """The same writes as ``append``, on the DBAPI connection inside the open transaction."""
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            row = cursor.execute(_SQLITE_HEAD, (_STATE_ID,)).fetchone()
            if row is None:
                edge, prev = RightEdge.empty(), GENESIS_PREV
            else:
                edge = RightEdge.from_bytes(int(row[0]), bytes(row[1]))
                prev = bytes(row[2]).hex()
            rows, edge, prev = self._leaves(events, edge, prev, format_time(now))
            cursor.executemany(_SQLITE_ENTRY, rows)
            note = Checkpoint(self.origin, edge.size, edge.root()).sign(self._signers)
            stamp = _sqlite_datetime(connection)(now)
            cursor.execute(_SQLITE_CHECKPOINT, (edge.size, note, stamp))
            state = (edge.size, edge.to_bytes(), bytes.fromhex(prev), _STATE_ID)
            cursor.execute(_SQLITE_STATE_INSERT if row is None else _SQLITE_STATE_UPDATE, state)
        finally:
            cursor.close()


def _sqlite_datetime(connection: Connection) -> Callable[[datetime], object]:
    """How SQLAlchemy stores ``checkpoints.created_at`` on this dialect (cached per dialect)."""
    dialect = connection.dialect
    found = _DATETIME_PROCESSORS.get(id(dialect))
    if found is None:
        processor = checkpoints.c.created_at.type.bind_processor(dialect)
        found = processor if processor is not None else (lambda value: value)
        _DATETIME_PROCESSORS[id(dialect)] = found
    return found


_DATETIME_PROCESSORS: dict[int, Callable[[datetime], object]] = {}


def size(session: Session) -> int:
    value = session.execute(select(tree_state.c.size).where(tree_state.c.id == _STATE_ID)).scalar()
    return int(value or 0)


def latest_checkpoint(session: Session) -> str | None:
    """The newest signed checkpoint note, or None for an empty log."""
    note = session.execute(
        select(checkpoints.c.note).order_by(checkpoints.c.size.desc()).limit(1)
    ).scalar()
    return None if note is None else str(note)


def checkpoint_at(session: Session, size: int) -> str | None:
    """The signed checkpoint note of ``size``, or None when there is none."""
    note = session.execute(select(checkpoints.c.note).where(checkpoints.c.size == size)).scalar()
    return None if note is None else str(note)


def iter_leaves(session: Session, *, batch: int = 10_000) -> Iterator[bytes]:
    """Every leaf in order, exactly as hashed."""
    start = 0
    while True:
        rows = session.execute(
            select(entries.c.seq, entries.c.leaf)
            .where(entries.c.seq >= start)
            .order_by(entries.c.seq)
            .limit(batch)
        ).all()
        for row in rows:
            if int(row.seq) != start:
                raise BadInput(f"audit_entries has a gap at seq {start}; the table was altered")
            yield bytes(row.leaf)
            start += 1
        if len(rows) < batch:
            return


def iter_checkpoints(session: Session) -> Iterator[tuple[int, str]]:
    for row in session.execute(
        select(checkpoints.c.size, checkpoints.c.note).order_by(checkpoints.c.size)
    ):
        yield int(row.size), str(row.note)


def leaf_hashes(session: Session) -> list[bytes]:
    return [
        bytes(h)
        for h in session.execute(select(entries.c.leaf_hash).order_by(entries.c.seq)).scalars()
    ]


def seqs_for_item(session: Session, item_id: str) -> list[int]:
    return [
        int(s)
        for s in session.execute(
            select(entries.c.seq).where(entries.c.item_id == item_id).order_by(entries.c.seq)
        ).scalars()
    ]


def leaf_at(session: Session, seq: int) -> bytes:
    leaf = session.execute(select(entries.c.leaf).where(entries.c.seq == seq)).scalar()
    if leaf is None:
        raise BadInput(f"the audit log has no entry {seq}")
    return bytes(leaf)
