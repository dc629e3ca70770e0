"""The stored report summary: the signed log folded into one row per item (the facts reports
count, each with the sequence numbers of the entries it came from), kept in SQLite under the home
and advanced from the last folded log index. A report reads only the rows of the items that have
entries in its period, and the first report page after a start-up folds only the entries written
since the summary was last advanced, never the whole log.

The summary only ever takes entries ``size, size+1, ...`` from the log (it never folds an entry
twice and never goes back). A row is the fold of its item's entries so far, so a later entry
(a resubmission with other themes, a reclassification) rewrites that row: the figures computed
from the rows of a period are those of a full fold of the log (``compute`` skips every item
without entries in the period, and those are exactly the rows not read).

Nothing in the file is trusted blindly:

- the head (the size folded, the tree's right edge at that size, the units of users, the labels
  and issuer of the policy, the number of rows and the sum of their seals) is sealed with a keyed
  hash under a key derived from the installation's secret key, and so is every row (over its id,
  its first and last entry times and its data);
- the root of the head's edge must be the log's checkpoint root at its size, and the entries
  folded on top are hashed onto that edge: the result must be the log's checkpoint at the new size;
- once per process the seals of all rows are summed and compared with the head (a row removed,
  added or put back from an older copy changes the sum).

Any mismatch, a format change or a broken file: the summary is rebuilt from the log. A rebuild
whose entries do not hash to the log's checkpoint fails closed (the log disagrees with itself).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearance.auditlog.models import entries
from clearance.auditlog.rfc6962 import HASH_SIZE, leaf_hash
from clearance.auditlog.tree import Builder, RightEdge
from clearance.errors import BadInput, VerificationError
from clearance.reports.figures import (
    DEFAULT_ZONE,
    Duration,
    Figure,
    Filters,
    Period,
    Report,
    compute,
    entry_times,
    merge,
    parse_period,
    present,
    whole_months,
)
from clearance.reports.history import History, Item, paused_gc
from clearance.reports.snapshot import item_from_json, item_to_json, micros
from clearance.reports.source import root_at

FORMAT = "clearance-report-summary/v2"
_SCHEMA_VERSION = 2
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS items (id TEXT PRIMARY KEY, first_us INTEGER NOT NULL, "
    "last_us INTEGER NOT NULL, data BLOB NOT NULL, seal BLOB NOT NULL, "
    "l0 INTEGER NOT NULL, l1 INTEGER NOT NULL, l2 INTEGER NOT NULL, l3 INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS items_period ON items (last_us, first_us)",
    "CREATE TABLE IF NOT EXISTS months (month TEXT PRIMARY KEY, as_of INTEGER NOT NULL, "
    "data BLOB NOT NULL, seal BLOB NOT NULL)",
)


@dataclass
class Head:
    """Where the summary stands in the log, and what is not per item."""

    size: int = 0
    edge: RightEdge = field(default_factory=RightEdge.empty)
    units: dict[str, str | None] = field(default_factory=dict)
    issuer: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    #: the sums of the rows' seal lanes (four 31-bit slices of each seal, summed by SQLite)
    digest: tuple[int, int, int, int] = (0, 0, 0, 0)
    #: local month (YYYY-MM) -> the size at which an item with entries in it last changed: a
    #: stored month report computed at a smaller size is out of date
    changed: dict[str, int] = field(default_factory=dict)

    def history(self) -> History:
        """An empty history standing where this head stands (items are added by the caller)."""
        history = History()
        history.size = self.size
        history.units = dict(self.units)
        history.issuer = self.issuer
        history.labels = dict(self.labels)
        return history

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "format": FORMAT,
                "size": self.size,
                "edge": [h.hex() for h in self.edge.hashes],
                "units": self.units,
                "issuer": self.issuer,
                "labels": self.labels,
                "rows": self.rows,
                "digest": list(self.digest),
                "changed": self.changed,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")

    @classmethod
    def from_json(cls, payload: bytes) -> Head:
        try:
            doc = json.loads(payload)
            if doc.get("format") != FORMAT:
                raise BadInput(f"report summary: format {doc.get('format')!r}, want {FORMAT}")
            size, rows = doc["size"], doc["rows"]
            hashes = tuple(bytes.fromhex(h) for h in doc["edge"])
            if not (isinstance(size, int) and isinstance(rows, int)) or any(
                len(h) != HASH_SIZE for h in hashes
            ):
                raise BadInput("report summary: malformed size, rows or edge")
            units = {str(k): (v if isinstance(v, str) else None) for k, v in doc["units"].items()}
            issuer = doc["issuer"] if isinstance(doc["issuer"], str) else None
            labels = {str(k): str(v) for k, v in doc["labels"].items()}
            changed = {str(k): int(v) for k, v in doc["changed"].items()}
            return cls(size, RightEdge(size, hashes), units, issuer, labels, rows,
                       _four(doc["digest"]), changed)  # fmt: skip
        except BadInput:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BadInput(f"report summary: malformed head ({type(exc).__name__})") from None


class Summary:
    """The summary in one SQLite file; safe to share between threads and processes (every
    advance and read runs in one write transaction of the file)."""

    BATCH = 20_000
    CACHED_PERIODS = 8

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self._key = key[:64]
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._head_raw: bytes | None = None  # the head last verified by this process
        self._head: Head | None = None
        self._cache: dict[tuple[int, int], tuple[int, History]] = {}
        #: how the last call went: "summary" (the stored summary, advanced by the entries since),
        #: "rebuilt" (folded from entry 0: none stored, or it did not check out)
        self.started_from = ""
        #: the log entries the last call folded
        self.folded = 0

    # -- public ---------------------------------------------------------------------------------

    def advance(self, session: Session) -> Head:
        """Fold the log's entries after the summary's size; the head reached."""
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                head = self._advance(db, session)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return head

    def period(self, session: Session, start: datetime, end: datetime) -> History:
        """The history restricted to the items with entries between ``start`` (inclusive) and
        ``end`` (exclusive), after advancing to the log's end; ``compute`` over it for that
        period gives the figures of a full fold."""
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                head = self._advance(db, session)
                span = (micros(start), micros(end))
                cached = self._cache.get(span)
                if cached is not None and cached[0] == head.size:
                    history = cached[1]
                else:
                    read = self._read(db, head, span)
                    if read is None:  # a row does not check out: rebuild, read again
                        self._forget(db)
                        head = self._advance(db, session)
                        read = self._read(db, head, span)
                        if read is None:
                            raise VerificationError("report summary: a row just written fails")
                    history = read
                    if len(self._cache) >= self.CACHED_PERIODS:
                        self._cache.pop(next(iter(self._cache)))
                    self._cache[span] = (head.size, history)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return history

    def report(
        self, session: Session, period: Period, filters: Filters | None = None
    ) -> tuple[Report, History, dict[str, list[str]]]:
        """The report of ``period`` and ``filters``, the history it was computed from (for a
        period of whole months without filters: the items are not read, only the stored
        reports of its months, each recomputed from the rows when an item with entries in it
        changed since) and what the filters can choose from in the period."""
        filters = filters or Filters()
        months = whole_months(period) if filters == Filters() else None
        if months is None:
            history = self.period(session, period.start, period.end)
            return compute(history, period, filters), history, present(history, period)
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                head = self._advance(db, session)
                found = [self._month(db, head, month) for month in months]
                if any(part is None for part in found):  # a row does not check out: rebuild
                    self._forget(db)
                    head = self._advance(db, session)
                    found = [self._month(db, head, month) for month in months]
                parts = [part for part in found if part is not None]
                if len(parts) != len(months):
                    raise VerificationError("report summary: a row just written fails its seal")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        report = merge(period, head.size, (part for part, _ in parts))
        choices: dict[str, set[str]] = {}
        for _, offered in parts:
            for name, values in offered.items():
                choices.setdefault(name, set()).update(values)
        return report, head.history(), {k: sorted(v) for k, v in choices.items()}

    def _month(
        self, db: sqlite3.Connection, head: Head, month: str
    ) -> tuple[Report, dict[str, list[str]]] | None:
        period = parse_period(month)
        row = db.execute(
            "SELECT as_of, data, seal FROM months WHERE month = ?", (month,)
        ).fetchone()
        if row is not None and all(isinstance(v, bytes) for v in row[1:]):
            as_of, data, seal = int(row[0]), row[1], row[2]
            fresh = head.changed.get(month, 0) <= as_of <= head.size
            if fresh and hmac.compare_digest(seal, self._month_seal(month, as_of, data)):
                try:
                    return _month_back(json.loads(data), period, head.size)
                except (KeyError, TypeError, ValueError):
                    pass  # recomputed below
        history = self._read(db, head, (micros(period.start), micros(period.end)))
        if history is None:
            return None
        report, offered = compute(history, period), present(history, period)
        data = json.dumps(_month_json(report, offered), separators=(",", ":")).encode()
        db.execute(
            "INSERT OR REPLACE INTO months (month, as_of, data, seal) VALUES (?, ?, ?, ?)",
            (month, head.size, data, self._month_seal(month, head.size, data)),
        )
        return report, offered

    def _month_seal(self, month: str, as_of: int, data: bytes) -> bytes:
        return self._mac(f"month\0{month}\0{as_of}\0".encode() + data)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # -- the file -------------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=60
            )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            if db.execute("PRAGMA user_version").fetchone()[0] != _SCHEMA_VERSION:
                for table in ("meta", "items", "months"):  # another layout: start afresh
                    db.execute(f"DROP TABLE IF EXISTS {table}")
                db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
            for statement in _SCHEMA:
                db.execute(statement)
            self._db = db
        return self._db

    def _mac(self, message: bytes) -> bytes:
        return hashlib.blake2b(message, key=self._key, digest_size=32).digest()

    def _row_seal(self, ident: str, first: int, last: int, data: bytes) -> bytes:
        return self._mac(f"row\0{ident}\0{first}\0{last}\0".encode() + data)

    def _load_head(self, db: sqlite3.Connection) -> Head | None:
        row = db.execute("SELECT value FROM meta WHERE name = 'head'").fetchone()
        if row is None or not isinstance(row[0], bytes):
            return None
        raw = row[0]
        if raw == self._head_raw and self._head is not None:
            return self._head
        seal, _, payload = raw.partition(b"\n")
        if not hmac.compare_digest(seal, self._mac(b"head\0" + payload).hex().encode("ascii")):
            return None  # written elsewhere or edited
        try:
            return Head.from_json(payload)
        except BadInput:
            return None

    def _store_head(self, db: sqlite3.Connection, head: Head) -> None:
        payload = head.to_json()
        raw = self._mac(b"head\0" + payload).hex().encode("ascii") + b"\n" + payload
        db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('head', ?)", (raw,))
        self._head_raw, self._head = raw, head

    def _forget(self, db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM meta")
        db.execute("DELETE FROM items")
        db.execute("DELETE FROM months")
        self._head_raw = self._head = None
        self._cache.clear()

    def _sums_match(self, db: sqlite3.Connection, head: Head) -> bool:
        rows, *sums = db.execute(
            "SELECT count(*), coalesce(sum(l0), 0), coalesce(sum(l1), 0), coalesce(sum(l2), 0), "
            "coalesce(sum(l3), 0) FROM items"
        ).fetchone()
        return int(rows) == head.rows and tuple(int(v) for v in sums) == head.digest

    # -- folding --------------------------------------------------------------------------------

    def _advance(self, db: sqlite3.Connection, session: Session) -> Head:
        head = self._load_head(db)
        if (
            head is not None
            and head is not self._head
            and (root_at(session, head.size) != head.edge.root() or not self._sums_match(db, head))
        ):
            head = None  # another log, a restored backup, an edited or incomplete summary
        self.started_from = "summary"
        if head is not None:
            advanced = self._fold(db, session, head, fresh=False)
            if advanced is not None:
                return advanced
        self.started_from = "rebuilt"
        self._forget(db)
        advanced = self._fold(db, session, Head(), fresh=True)
        assert advanced is not None
        return advanced

    def _fold(
        self, db: sqlite3.Connection, session: Session, head: Head, *, fresh: bool
    ) -> Head | None:
        """``head`` advanced to the log's end, rows written; None when the entries folded do not
        hash to the log's checkpoint (raises for a fold from entry 0)."""
        start = head.size
        builder = Builder.from_edge(head.edge)
        history = head.history()
        rows, digest = head.rows, head.digest
        dirty: set[str] = set()
        while True:
            leaves = [
                bytes(leaf)
                for leaf in session.execute(
                    select(entries.c.leaf)
                    .where(entries.c.seq >= history.size)
                    .order_by(entries.c.seq)
                    .limit(self.BATCH)
                ).scalars()
            ]
            with paused_gc():
                parsed = [json.loads(leaf) for leaf in leaves]
            for leaf in leaves:
                builder.add_hash(leaf_hash(leaf))
            touched = {e["item"] for e in parsed if isinstance(e.get("item"), str)}
            old = self._rows(db, touched)
            if old is None:
                return None  # a stored row does not check out
            history.items = {ident: item for ident, (item, _) in old.items()}
            history.extend_parsed(parsed)
            written = []
            for ident, item in history.items.items():
                data = _item_bytes(item)
                first, last = _span(item)
                seal = self._row_seal(ident, first, last, data)
                if ident in old:
                    digest = _add(digest, _lanes(old[ident][1]), -1)
                else:
                    rows += 1
                lanes = _lanes(seal)
                digest = _add(digest, lanes, 1)
                written.append((ident, first, last, data, seal, *lanes))
                dirty.update(_months(item))
            db.executemany(
                "INSERT OR REPLACE INTO items (id, first_us, last_us, data, seal, l0, l1, l2, l3) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                written,
            )
            if len(leaves) < self.BATCH:
                break
        self.folded = history.size - start
        edge = builder.edge()
        if history.size != start:
            expected = root_at(session, history.size)
            if expected is not None and expected != edge.root():
                if fresh:
                    raise VerificationError(
                        f"the log's entries do not hash to its checkpoint of size {history.size}; "
                        "run `clearance audit verify` to find the altered entry"
                    )
                return None
        if history.size == start and head is self._head:
            return head
        changed = dict(head.changed)
        changed.update(dict.fromkeys(dirty, history.size))
        advanced = Head(history.size, edge, history.units, history.issuer, history.labels, rows,
                        digest, changed)  # fmt: skip
        self._store_head(db, advanced)
        return advanced

    def _rows(
        self, db: sqlite3.Connection, ids: Iterable[str]
    ) -> dict[str, tuple[Item, bytes]] | None:
        """The stored items with these ids and their seals; None when one does not check out."""
        wanted = list(ids)
        found: dict[str, tuple[Item, bytes]] = {}
        for at in range(0, len(wanted), 500):
            chunk = wanted[at : at + 500]
            marks = ",".join("?" * len(chunk))
            rows = db.execute(
                f"SELECT id, first_us, last_us, data, seal FROM items WHERE id IN ({marks})",  # noqa: S608 - placeholders only
                chunk,
            ).fetchall()
            items = self._items(rows)
            if items is None:
                return None
            found.update((item.id, (item, row[4])) for item, row in zip(items, rows, strict=True))
        return found

    def _read(self, db: sqlite3.Connection, head: Head, span: tuple[int, int]) -> History | None:
        rows = db.execute(
            "SELECT id, first_us, last_us, data, seal FROM items WHERE last_us >= ? AND first_us < ?",
            span,
        ).fetchall()
        items = self._items(rows)
        if items is None:
            return None
        history = head.history()
        history.items = {item.id: item for item in items}
        return history

    def _items(self, rows: list[tuple[str, int, int, bytes, bytes]]) -> list[Item] | None:
        """The items of these rows, in order; None when a seal or a row does not check out."""
        mac = self._row_seal
        for ident, first, last, data, seal in rows:
            if not (isinstance(data, bytes) and isinstance(seal, bytes)):
                return None  # edited with the wrong type
            if not hmac.compare_digest(seal, mac(ident, first, last, data)):
                return None
        try:
            with paused_gc():
                raw = json.loads(b"[" + b",".join(row[3] for row in rows) + b"]")
                items = [item_from_json(one) for one in raw]
        except (BadInput, TypeError, ValueError, KeyError):
            return None
        for item, (ident, first, last, _, _) in zip(items, rows, strict=True):
            if item.id != ident or _span(item) != (first, last):
                return None
        return items


def _item_bytes(item: Item) -> bytes:
    return json.dumps(item_to_json(item), ensure_ascii=False, separators=(",", ":")).encode()


def _span(item: Item) -> tuple[int, int]:
    assert item.first_time is not None and item.last_time is not None
    return micros(item.first_time), micros(item.last_time)


def _months(item: Item) -> Iterable[str]:
    """The local months from the item's earliest entry to its latest (every month whose report
    a change of the item can move; by time, not by log order: a clock set back is no hole)."""
    assert item.first_time is not None and item.last_time is not None
    times = [item.first_time, item.last_time, *entry_times(item)]
    first, last = min(times).astimezone(_ZONE), max(times).astimezone(_ZONE)
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        yield f"{year}-{month:02d}"
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _figure_json(figure: Figure) -> list[object]:
    return [figure.value, figure.entries]


def _figure_back(raw: list[Any]) -> Figure:
    value, seqs = raw
    return Figure(int(value), [int(s) for s in seqs])


def _month_json(report: Report, offered: dict[str, list[str]]) -> dict[str, object]:
    """A month's report with everything a merge needs (the durations themselves, not only
    their median) and the filter choices of the month."""
    table = {name: {k: _figure_json(f) for k, f in getattr(report, name).items()}
             for name in _TABLES}  # fmt: skip
    return {
        "tables": table,
        "singles": {name: _figure_json(getattr(report, name)) for name in _SINGLES},
        "stage_times": {k: [d.seconds, d.entries] for k, d in report.stage_times.items()},
        "monthly": report.monthly,
        "present": offered,
    }


def _month_back(
    doc: dict[str, Any], period: Period, size: int
) -> tuple[Report, dict[str, list[str]]]:
    report = Report(period, Filters(), size)
    for name in _TABLES:
        setattr(report, name, {str(k): _figure_back(v) for k, v in doc["tables"][name].items()})
    for name in _SINGLES:
        setattr(report, name, _figure_back(doc["singles"][name]))
    report.stage_times = {
        str(k): Duration([float(x) for x in seconds], [int(e) for e in seqs])
        for k, (seconds, seqs) in doc["stage_times"].items()
    }
    report.monthly = {str(m): {str(k): int(v) for k, v in counts.items()}
                      for m, counts in doc["monthly"].items()}  # fmt: skip
    offered = {str(k): [str(v) for v in values] for k, values in doc["present"].items()}
    return report, offered


_ZONE = ZoneInfo(DEFAULT_ZONE)
_TABLES = ("outcomes", "blocked_by", "by_channel", "by_theme", "overdue_by_stage")
_SINGLES = ("resubmitted", "recalls", "drifts")


def _lanes(seal: bytes) -> tuple[int, int, int, int]:
    """Four 31-bit slices of a row's seal: their sums over all rows (exact in SQLite's 64-bit
    integers up to 2**31 rows) change when a row is removed, added or replaced by an older one."""
    return tuple(int.from_bytes(seal[4 * i : 4 * i + 4], "big") >> 1 for i in range(4))  # type: ignore[return-value]


def _add(
    total: tuple[int, int, int, int], lanes: tuple[int, int, int, int], sign: int
) -> tuple[int, int, int, int]:
    return (total[0] + sign * lanes[0], total[1] + sign * lanes[1], total[2] + sign * lanes[2],
            total[3] + sign * lanes[3])  # fmt: skip


def _four(raw: Any) -> tuple[int, int, int, int]:
    if not (isinstance(raw, list) and len(raw) == 4 and all(isinstance(v, int) for v in raw)):
        raise BadInput("report summary: malformed digest")
    return (raw[0], raw[1], raw[2], raw[3])
