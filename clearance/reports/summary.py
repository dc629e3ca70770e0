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
  added or put back from an older copy changes the sum; SQLite adds the sums up);
- a row's time span decides which periods read it, so the head also holds, for every local
  month, how many rows have a span across it and the sum of their seals: a period that reads
  rows reads those of its whole months (those of a custom range's days around checked all the
  same), checks every seal and compares the months' counts and sums with the head; a page that
  takes a month from its stored report compares the month's count of rows (one SQL count on the
  period index) with the head. A span edited so that the row leaves a period (its seal then
  wrong, but a period that does not read the row never checks it) changes the counts of the
  months it left: the summary is rebuilt, the row is not silently dropped. No process counts
  every row's span (a page pays only for the months it shows);
- a filtered page reads only the rows that hold the rarest chosen value: every stored month
  report (sealed) keeps, for each value the policy labels, each unit and each value its items
  hold, how many rows across the month hold it and the sum of their seals, and the rows read
  are checked against their seals and counted into the months. A row edited so that it no
  longer holds the value (or leaves the months) changes a month's count: the summary is
  rebuilt. Where a month has no such count (a value it does not know, a report written by an
  earlier version, a month not stored), every row of the period's months is read and checked;
- the days of a custom range around its whole months read only the rows across those days
  when their month is stored: its report also counts, per day, the rows across it and the sum
  of their seals, compared with the rows read (each checked against its seal).

Any mismatch, a format change or a broken file: the summary is rebuilt from the log. A rebuild
whose entries do not hash to the log's checkpoint fails closed (the log disagrees with itself).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import threading
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearance.auditlog.models import entries
from clearance.auditlog.rfc6962 import HASH_SIZE, leaf_hash
from clearance.auditlog.tree import Builder, RightEdge
from clearance.dates import DEFAULT_ZONE
from clearance.errors import BadInput, VerificationError
from clearance.reports.figures import (
    Duration,
    Figure,
    Filters,
    Period,
    Report,
    adjust,
    adjust_counts,
    compute,
    entry_times,
    merge,
    offered,
    parse_period,
    present,
    present_counts,
    split,
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
    #: local month -> the rows whose span (first to last entry time) is across it: their number
    #: and the sum of their seals' first 16 bytes as numbers (None: a head written before these
    #: were kept; they are then counted from the rows, every seal checked)
    spans: dict[str, Span] | None = field(default_factory=dict)

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
                **({"spans": self.spans} if self.spans is not None else {}),
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
            spans = doc.get("spans")
            kept = None if spans is None else {str(k): _pair(v) for k, v in spans.items()}
            return cls(size, RightEdge(size, hashes), units, issuer, labels, rows,
                       _four(doc["digest"]), changed, kept)  # fmt: skip
        except BadInput:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BadInput(f"report summary: malformed head ({type(exc).__name__})") from None


class Summary:
    """The summary in one SQLite file; safe to share between threads and processes (every
    advance and read runs in one write transaction of the file)."""

    BATCH = 20_000
    CACHED_PERIODS = 8
    CACHED_MONTHS = 48

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self._key = key[:64]
        self._keyed = hashlib.blake2b(key=self._key, digest_size=32)
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._head_raw: bytes | None = None  # the head last verified by this process
        self._head: Head | None = None
        self._cache: dict[tuple[int, int], tuple[int, History]] = {}
        #: month -> (seal, as_of, report, counts) of the stored month reports this process
        #: checked and decoded (or wrote): a row with the same seal and size is not read again
        self._months_seen: dict[
            str, tuple[bytes, int, Report, dict[str, Counter[str]], Needles | None]
        ] = {}
        #: how the last call went: "summary" (the stored summary, advanced by the entries since),
        #: "rebuilt" (folded from entry 0: none stored, or it did not check out)
        self.started_from = ""
        #: the log entries the last call folded
        self.folded = 0
        #: the months whose stored report this handle recomputed from the rows of their items,
        #: and those it brought up to date from the changed items alone (oldest first)
        self.recomputed: list[str] = []
        self.adjusted: list[str] = []
        #: the rows the last report cut into months read for its days around the whole months
        #: and for its filters (not those of a month recomputed)
        self.rows_read = 0

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
                            raise VerificationError(
                                "report summary: a row just written fails",
                                code="report.summary_seal",
                            )
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
        """The report of ``period`` and ``filters``, the history it was computed from and what
        the filters can choose from in the period.

        A period holding whole months (a month, a quarter, a year, a custom range across a
        month) is cut into them and the days before and after (:func:`split`). Without filters
        its whole months are not read, only their stored reports (kept up to date as items
        change, see :meth:`_adjust_months`), and the days around them from their rows; the
        choices come from the months' stored counts. With filters the figures are computed
        from the rows of the period that can match them: every row's seal is checked, only the
        rows holding each chosen value are decoded (``compute`` keeps those the filters admit).
        The history returned holds the items read (none for whole months without filters)."""
        filters = filters or Filters()
        pieces = split(period)
        if pieces is None:
            history = self.period(session, period.start, period.end)
            return compute(history, period, filters), history, present(history, period)
        months, edges = pieces
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                head = self._advance(db, session)
                found = self._parts(db, head, period, filters, months, edges)
                if found is None:  # a row does not check out: rebuild
                    self._forget(db)
                    head = self._advance(db, session)
                    found = self._parts(db, head, period, filters, months, edges)
                    if found is None:
                        raise VerificationError(
                            "report summary: a row just written fails",
                            code="report.summary_seal",
                        )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return found

    def refresh(self, session: Session) -> list[str]:
        """Bring the summary to the log's end and every stored month report up to date (those
        missing, out of date or written by an earlier version recomputed from their rows), one
        month per transaction, newest first: the work of the background (the scheduled
        ``deadlines`` flow, after a bulk load), so that after an upgrade or an import no page
        recomputes a month. The months recomputed."""
        self.advance(session)
        done: list[str] = []
        with self._lock:
            kept = [str(m) for (m,) in self._conn().execute("SELECT month FROM months")]
        head = self._head
        years = sorted({int(m[:4]) for m in head.changed}) if head is not None else []
        # every month of the years with items (a quarter or a year asks for its empty months
        # too) and those stored before
        wanted = set(kept)
        if years:
            wanted.update(f"{y}-{m:02d}" for y in range(years[0], years[-1] + 1)
                          for m in range(1, 13))  # fmt: skip
        for month in sorted(wanted, reverse=True):
            with self._lock:
                db = self._conn()
                db.execute("BEGIN IMMEDIATE")
                try:
                    head = self._advance(db, session)
                    stored = self._stored_month(db, month, head.size)
                    if (
                        stored is None
                        or head.changed.get(month, 0) > stored[0]
                        or stored[2] is None
                        or not _knows(stored[2], head)
                    ):
                        if self._month(db, head, month, needles=True) is None:  # rebuilt
                            self._forget(db)
                            head = self._advance(db, session)
                            self._month(db, head, month, needles=True)
                        done.append(month)
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
        return done

    def _parts(
        self,
        db: sqlite3.Connection,
        head: Head,
        period: Period,
        filters: Filters,
        months: list[str],
        edges: list[Period],
    ) -> tuple[Report, History, dict[str, list[str]]] | None:
        self.rows_read = 0
        if not self._months_hold(db, head, months):
            return None  # a row's span was edited into or out of these months
        parts = [self._month(db, head, month) for month in months]
        around = [self._edge(db, head, edge) for edge in edges]
        choices: dict[str, Counter[str]] = {}
        for part in parts:
            if part is None:
                return None
            for name, values in part[1].items():
                choices.setdefault(name, Counter()).update(values)
        for edge, history in zip(edges, around, strict=True):
            if history is None:
                return None
            for name, values in present_counts(history, edge).items():
                choices.setdefault(name, Counter()).update(values)
        if filters != Filters():
            read = self._read_needle(db, head, period, filters)
            if read is False:  # no month counts one of the chosen values: every row read
                every: list[tuple[Any, ...]] = []
                read = self._read(db, head, _span_of(period), filters, out=every)
                self.rows_read += len(every)
            if read is None:
                return None
            return compute(read, period, filters), read, offered(choices)
        reports = [part[0] for part in parts if part is not None]
        reports += [compute(h, edge) for h, edge in zip(around, edges, strict=True) if h]
        history = head.history()
        for edge_history in around:
            if edge_history is not None:
                history.items.update(edge_history.items)
        return merge(period, head.size, reports), history, offered(choices)

    def _month(
        self, db: sqlite3.Connection, head: Head, month: str, *, needles: bool = False
    ) -> tuple[Report, dict[str, Counter[str]]] | None:
        """The stored report of ``month`` when it is up to date and checks out (and, with
        ``needles``, keeps needle counts), else the report recomputed from the rows of the
        month's items (and stored)."""
        period = parse_period(month)
        stored = self._stored_month(db, month, head.size)
        if (
            stored is not None
            and head.changed.get(month, 0) <= stored[0]
            and (not needles or (stored[2] is not None and _knows(stored[2], head)))
        ):
            return stored[1]
        rows: list[tuple[Any, ...]] = []
        history = self._read(db, head, (micros(period.start), micros(period.end)), out=rows)
        if history is None:
            return None
        report, counts = compute(history, period), present_counts(history, period)
        held = _needle_counts(rows, _values(head, history))
        held.update((f"@{day}", [0, 0]) for day in range(len(_day_starts(month)) - 1))
        _count_days(held, rows, month, 1)
        self._store_month(db, month, head.size, report, counts, held)
        self.recomputed.append(month)
        return report, counts

    def _stored_month(
        self, db: sqlite3.Connection, month: str, size: int, *, take: bool = False
    ) -> tuple[int, tuple[Report, dict[str, Counter[str]]], Needles | None] | None:
        """The stored report of ``month``, the size it was computed at and its needle counts
        (None: written by an earlier version), when its seal checks out and it is not from
        beyond ``size``; None otherwise. The report is not to be changed unless ``take`` (then
        this process forgets it until it is stored again)."""
        head = db.execute("SELECT as_of, seal FROM months WHERE month = ?", (month,)).fetchone()
        if head is None or not isinstance(head[1], bytes) or int(head[0]) > size:
            return None
        seen = self._months_seen.pop(month, None) if take else self._months_seen.get(month)
        if seen is not None and seen[1] == int(head[0]) and hmac.compare_digest(seen[0], head[1]):
            return seen[1], (seen[2], seen[3]), seen[4]  # the row this process checked
        row = db.execute(
            "SELECT as_of, data, seal FROM months WHERE month = ?", (month,)
        ).fetchone()
        if row is None or not all(isinstance(v, bytes) for v in row[1:]):
            return None
        as_of, data, seal = int(row[0]), row[1], row[2]
        if as_of > size or not hmac.compare_digest(seal, self._month_seal(month, as_of, data)):
            return None
        try:
            report, counts, needles = _month_back(json.loads(data), parse_period(month), size)
        except (KeyError, TypeError, ValueError, AttributeError):
            return None  # another layout or malformed: recomputed
        if not take:
            self._remember(month, seal, as_of, report, counts, needles)
        return as_of, (report, counts), needles

    def _store_month(
        self,
        db: sqlite3.Connection,
        month: str,
        size: int,
        report: Report,
        counts: dict[str, Counter[str]],
        needles: Needles | None,
    ) -> None:
        data = json.dumps(_month_json(report, counts, needles), separators=(",", ":")).encode()
        seal = self._month_seal(month, size, data)
        db.execute(
            "INSERT OR REPLACE INTO months (month, as_of, data, seal) VALUES (?, ?, ?, ?)",
            (month, size, data, seal),
        )
        self._remember(month, seal, size, report, counts, needles)

    def _remember(
        self,
        month: str,
        seal: bytes,
        as_of: int,
        report: Report,
        counts: dict[str, Counter[str]],
        needles: Needles | None,
    ) -> None:
        self._months_seen.pop(month, None)
        if len(self._months_seen) >= self.CACHED_MONTHS:
            self._months_seen.pop(next(iter(self._months_seen)))
        self._months_seen[month] = (seal, as_of, report, counts, needles)

    def _adjust_months(
        self,
        db: sqlite3.Connection,
        head: Head,
        size: int,
        before: dict[str, Item | None],
        after: dict[str, Item],
        rows_before: dict[str, Row | None],
        rows_after: dict[str, Row],
    ) -> set[str]:
        """Bring the stored month reports that were up to date at ``head`` to ``size``: for each
        month, the items that changed with entries in it have their old contribution taken out
        and their new one counted in (the cost follows the new entries, not the month's size),
        and so do their rows (before and after: span, data, seal) in the month's needle counts.
        The months brought up to date; the others are recomputed from their rows when asked."""
        months = {
            str(month): int(as_of)
            for month, as_of in db.execute("SELECT month, as_of FROM months")
            if head.changed.get(str(month), 0) <= int(as_of) <= head.size
        }
        if not months:
            return set()
        plus: dict[str, list[Item]] = {}
        minus: dict[str, list[Item]] = {}
        for ident, new in after.items():
            old = before.get(ident)
            for month in set(_months(new)).intersection(months):
                plus.setdefault(month, []).append(new)
            for month in set(_months(old) if old is not None else ()).intersection(months):
                minus.setdefault(month, []).append(old)  # type: ignore[arg-type]
        done: set[str] = set()
        for month in sorted({*plus, *minus}):
            stored = self._stored_month(db, month, head.size, take=True)
            if stored is None or stored[0] != months[month]:
                continue  # does not check out: recomputed from the rows when asked
            report, counts = stored[1]
            needles = stored[2]
            period = parse_period(month)
            added, removed = _history(plus.get(month, [])), _history(minus.get(month, []))
            try:
                adjust(report, compute(added, period), compute(removed, period))
                adjust_counts(counts, present_counts(added, period),
                              present_counts(removed, period))  # fmt: skip
            except ValueError:
                continue  # the stored report disagrees with the rows: recomputed when asked
            if needles is not None:
                low, high = _month_bounds(month)
                for ident in {item.id for item in plus.get(month, [])} | {
                    item.id for item in minus.get(month, [])
                }:
                    _count_needles(needles, rows_before.get(ident), low, high, -1)
                    _count_needles(needles, rows_after.get(ident), low, high, 1)
                    for row, sign in ((rows_before.get(ident), -1), (rows_after.get(ident), 1)):
                        if row is not None and row[1] >= low and row[0] < high:
                            _count_days(needles, [(ident, *row)], month, sign)
            self._store_month(db, month, size, report, counts, needles)
            self.adjusted.append(month)
            done.add(month)
        return done

    def _has_months(self, db: sqlite3.Connection) -> bool:
        return db.execute("SELECT 1 FROM months LIMIT 1").fetchone() is not None

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
        keyed = self._keyed.copy()  # keyed once: a copy skips hashing the key block per row
        keyed.update(message)
        return keyed.digest()

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
        self._months_seen.clear()

    def _sums_match(self, db: sqlite3.Connection, head: Head) -> bool:
        """Whether the rows are those the head was sealed over: their number and seal sums (two
        sums SQLite adds up; the months' counts are compared where a period uses them, see
        :meth:`_months_hold`). A head without the months' counts gets them from the rows, every
        seal checked (a summary written by an earlier version, kept rather than folded again)."""
        rows, *sums = db.execute(
            "SELECT count(*), coalesce(sum(l0), 0), coalesce(sum(l1), 0), coalesce(sum(l2), 0), "
            "coalesce(sum(l3), 0) FROM items"
        ).fetchone()
        if int(rows) != head.rows or tuple(int(v) for v in sums) != head.digest:
            return False
        if head.spans is None:
            found = db.execute("SELECT id, first_us, last_us, data, seal FROM items").fetchall()
            if not self._sealed(found):
                return False
            head.spans = _spans((first, last, seal) for _, first, last, _, seal in found)
            self._store_head(db, head)
        return True

    def _months_hold(self, db: sqlite3.Connection, head: Head, months: Iterable[str]) -> bool:
        """Whether each of these months holds as many rows (by their spans, as a period's query
        reads them) as the head counted into it: one count per month SQLite takes from the
        period index alone. A span edited so that a row leaves a month (or enters one) is
        noticed where a page uses the month's stored report and reads none of its rows; where
        rows are read, every seal is checked and the months' seal sums compared too
        (:meth:`_read`)."""
        starts, labels = _month_starts()
        at = {label: n for n, label in enumerate(labels)}
        kept = head.spans or {}
        for month in months:
            n = at.get(month)
            if n is None:
                continue
            (found,) = db.execute(
                "SELECT count(*) FROM items WHERE last_us >= ? AND first_us < ?",
                (starts[n], starts[n + 1]),
            ).fetchone()
            if int(found) != kept.get(month, (0, 0))[0]:
                return False
        return True

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
        spans = dict(head.spans or {})
        dirty: set[str] = set()
        #: the changed items before this fold and after it, for the stored month reports
        keep = not fresh and self._has_months(db)
        before: dict[str, Item | None] = {}
        after: dict[str, Item] = {}
        rows_before: dict[str, Row | None] = {}
        rows_after: dict[str, Row] = {}
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
            if keep:
                for ident in touched:
                    if ident not in before:  # a copy: the fold changes the item in place
                        before[ident] = _item_back(old[ident][2]) if ident in old else None
                        rows_before[ident] = (
                            (*_span(old[ident][0]), old[ident][2], old[ident][1])
                            if ident in old
                            else None
                        )
            history.items = {ident: item for ident, (item, _, _) in old.items()}
            #: the stored rows' spans and lanes, before the fold changes their items in place
            was = {ident: (*_span(item), seal) for ident, (item, seal, _) in old.items()}
            history.extend_parsed(parsed)
            written = []
            for ident, item in history.items.items():
                data = _item_bytes(item)
                first, last = _span(item)
                seal = self._row_seal(ident, first, last, data)
                if ident in old:
                    digest = _add(digest, _lanes(was[ident][2]), -1)
                    _count(spans, *was[ident], -1)
                else:
                    rows += 1
                lanes = _lanes(seal)
                digest = _add(digest, lanes, 1)
                _count(spans, first, last, seal, 1)
                written.append((ident, first, last, data, seal, *lanes))
                dirty.update(_months(item))
                if keep:
                    after[ident] = item
                    rows_after[ident] = (first, last, data, seal)
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
                        "run `clearance audit verify` to find the altered entry",
                        code="report.entries_altered",
                        params={"size": history.size},
                    )
                return None
        if history.size == start and head is self._head:
            return head
        if keep and after:
            self._adjust_months(db, head, history.size, before, after, rows_before, rows_after)
        changed = dict(head.changed)
        changed.update(dict.fromkeys(dirty, history.size))
        advanced = Head(history.size, edge, history.units, history.issuer, history.labels, rows,
                        digest, changed, {m: n for m, n in spans.items() if n[0]})  # fmt: skip
        self._store_head(db, advanced)
        return advanced

    def _rows(
        self, db: sqlite3.Connection, ids: Iterable[str]
    ) -> dict[str, tuple[Item, bytes, bytes]] | None:
        """The stored items with these ids, their seals and data; None when one does not check
        out."""
        wanted = list(ids)
        found: dict[str, tuple[Item, bytes, bytes]] = {}
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
            found.update(
                (item.id, (item, row[4], row[3])) for item, row in zip(items, rows, strict=True)
            )
        return found

    def _read(
        self,
        db: sqlite3.Connection,
        head: Head,
        span: tuple[int, int],
        filters: Filters | None = None,
        *,
        out: list[tuple[Any, ...]] | None = None,
    ) -> History | None:
        """The items with entries in ``span``; with ``filters`` only those whose row holds each
        chosen value (as the rows write it: a superset of the items the filters admit), every
        row of the span checked against its seal all the same. ``out`` receives every row read
        (those of the span's whole months, checked)."""
        needles = _needles(filters) if filters is not None else []
        holds = " AND ".join("instr(data, ?) > 0" for _ in needles) or "1"
        # the rows of the span's whole months: all checked, counted per month against the head
        starts, labels = _month_starts()
        low, high = _month_at(span[0]), _month_at(span[1] - 1)
        rows = db.execute(
            f"SELECT id, first_us, last_us, data, seal, last_us >= ? AND first_us < ? AND {holds} "  # noqa: S608 - placeholders only
            "FROM items WHERE last_us >= ? AND first_us < ?",
            (*span, *needles, starts[low], starts[high + 1]),
        ).fetchall()
        if not self._sealed(rows):
            return None
        counted = _spans(((row[1], row[2], row[4]) for row in rows), low, high)  # seals checked
        kept = head.spans or {}
        if any(counted.get(labels[m]) != kept.get(labels[m]) for m in range(low, high + 1)):
            return None  # a row's span was edited into or out of these months
        items = self._decoded([row[:5] for row in rows if row[5]])
        if items is None:
            return None
        if out is not None:
            out.extend(rows)
        history = head.history()
        history.items = {item.id: item for item in items}
        return history

    def _edge(self, db: sqlite3.Connection, head: Head, edge: Period) -> History | None:
        """The items with entries in ``edge`` (whole local days within one month), reading only
        the rows across those days when the month's stored report (up to date) counts the rows
        across each of its days and the sum of their seals: the rows read are checked against
        their seals and counted into the days. A row edited out of the days changes a day's
        count: None, the summary is rebuilt. Otherwise every row of the month is read
        (:meth:`_read`)."""
        span = _span_of(edge)
        _, labels = _month_starts()
        month = labels[_month_at(span[0])]
        days = _day_starts(month)
        stored = self._stored_month(db, month, head.size)
        if (
            stored is None
            or stored[2] is None
            or "@0" not in stored[2]
            or head.changed.get(month, 0) > stored[0]
            or span[0] not in days
            or span[1] not in days
        ):
            every: list[tuple[Any, ...]] = []
            history = self._read(db, head, span, out=every)
            self.rows_read += len(every)
            return history
        rows = db.execute(
            "SELECT id, first_us, last_us, data, seal FROM items WHERE last_us >= ? AND first_us < ?",
            span,
        ).fetchall()
        self.rows_read += len(rows)
        if not self._sealed(rows):
            return None
        first, last = days.index(span[0]), days.index(span[1]) - 1
        counted: Needles = {}
        _count_days(counted, rows, month, 1, first, last)  # seals checked
        if any(
            counted.get(f"@{d}", [0, 0]) != stored[2].get(f"@{d}") for d in range(first, last + 1)
        ):
            return None  # a row's span was edited out of (or into) these days
        items = self._decoded(rows)
        if items is None:
            return None
        history = head.history()
        history.items = {item.id: item for item in items}
        return history

    def _read_needle(
        self, db: sqlite3.Connection, head: Head, period: Period, filters: Filters
    ) -> History | Literal[False] | None:
        """The items of ``period`` whose rows hold every chosen value, reading only the rows
        that hold the rarest of them: every month the period touches keeps (in its stored
        report, up to date and sealed) how many rows across it hold that value and the sum of
        their seals, and the rows read are checked against their seals and counted into those
        months. A row edited so that it no longer holds the value (or leaves the months) changes
        a month's count: None, the summary is rebuilt. False when a month the period touches has
        no up-to-date stored report counting one of the chosen values (every row is read)."""
        needles = _needles(filters)
        starts, labels = _month_starts()
        span = _span_of(period)
        low, high = _month_at(span[0]), _month_at(span[1] - 1)
        kept: list[Needles] = []
        for month in range(low, high + 1):
            stored = self._stored_month(db, labels[month], head.size)
            if stored is None or stored[2] is None:
                return False
            if head.changed.get(labels[month], 0) > stored[0]:
                return False
            kept.append(stored[2])
        known = [n for n in needles if all(n.decode() in counted for counted in kept)]
        if not known:
            return False
        rarest = min(known, key=lambda n: sum(counted[n.decode()][0] for counted in kept))
        holds = " AND ".join("instr(data, ?) > 0" for _ in needles)
        rows = db.execute(
            f"SELECT id, first_us, last_us, data, seal, last_us >= ? AND first_us < ? AND {holds} "  # noqa: S608 - placeholders only
            "FROM items WHERE last_us >= ? AND first_us < ? AND instr(data, ?) > 0",
            (*span, *needles, starts[low], starts[high + 1], rarest),
        ).fetchall()
        self.rows_read += len(rows)
        if not self._sealed(rows):
            return None
        counted = _spans(((row[1], row[2], row[4]) for row in rows), low, high)  # seals checked
        key = rarest.decode()
        for month, found in zip(range(low, high + 1), kept, strict=True):
            if counted.get(labels[month], (0, 0)) != tuple(found[key]):
                return None  # a row's value or span was edited
        items = self._decoded([row[:5] for row in rows if row[5]])
        if items is None:
            return None
        history = head.history()
        history.items = {item.id: item for item in items}
        return history

    def _items(self, rows: list[tuple[str, int, int, bytes, bytes]]) -> list[Item] | None:
        """The items of these rows, in order; None when a seal or a row does not check out."""
        return self._decoded(rows) if self._sealed(rows) else None

    def _sealed(self, rows: Iterable[tuple[Any, ...]]) -> bool:
        """Whether every row (id, first, last, data, seal, ...) checks out against its seal."""
        mac = self._row_seal
        for ident, first, last, data, seal, *_ in rows:
            if not (isinstance(data, bytes) and isinstance(seal, bytes)):
                return False  # edited with the wrong type
            if not hmac.compare_digest(seal, mac(ident, first, last, data)):
                return False
        return True

    @staticmethod
    def _decoded(rows: list[tuple[Any, ...]]) -> list[Item] | None:
        """The items of rows whose seals were checked; None when one is malformed."""
        try:
            with paused_gc():
                raw = json.loads(b"[" + b",".join(row[3] for row in rows) + b"]")
                items = [item_from_json(one) for one in raw]
        except (BadInput, TypeError, ValueError, KeyError):
            return None
        for item, (ident, first, last, *_) in zip(items, rows, strict=True):
            if item.id != ident or _span(item) != (first, last):
                return None
        return items


def _needles(filters: Filters) -> list[bytes]:
    """Each chosen filter value as a row's data writes it (a JSON string; an item the filter
    admits holds it as its unit, a channel, a theme, its language or a version's, its level)."""
    chosen = (filters.unit, filters.channel, filters.theme, filters.language, filters.level)
    return [json.dumps(v, ensure_ascii=False).encode() for v in chosen if v is not None]


def _span_of(period: Period) -> tuple[int, int]:
    return micros(period.start), micros(period.end)


def _item_back(data: bytes) -> Item:
    return item_from_json(json.loads(data))


def _history(items: list[Item]) -> History:
    history = History()
    history.items = {item.id: item for item in items}
    return history


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


def _month_json(
    report: Report, counts: dict[str, Counter[str]], needles: Needles | None
) -> dict[str, object]:
    """A month's report with everything a merge needs (the durations themselves, not only
    their median), the filter choices of the month, counted (how many items carry each), so
    a changed item's old choices can be taken out, and its needle counts."""
    table = {name: {k: _figure_json(f) for k, f in getattr(report, name).items()}
             for name in _TABLES}  # fmt: skip
    return {
        "tables": table,
        "singles": {name: _figure_json(getattr(report, name)) for name in _SINGLES},
        "stage_times": {k: [d.seconds, d.entries] for k, d in report.stage_times.items()},
        "monthly": report.monthly,
        "present_counts": {name: dict(found) for name, found in counts.items()},
        **({"needles": needles} if needles is not None else {}),
    }


def _month_back(
    doc: dict[str, Any], period: Period, size: int
) -> tuple[Report, dict[str, Counter[str]], Needles | None]:
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
    counts = {str(k): Counter({str(v): int(n) for v, n in found.items()})
              for k, found in doc["present_counts"].items()}  # fmt: skip
    raw = doc.get("needles")
    needles = None if raw is None else {str(k): [int(n), int(m)] for k, (n, m) in raw.items()}
    return report, counts, needles


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


#: a month's rows: how many, and the sum of their seals' first 16 bytes read as numbers
Span = tuple[int, int]


@lru_cache(maxsize=1)
def _month_starts() -> tuple[list[int], list[str]]:
    """The start (micros) of every local month from 1900 to 2299, and its ``YYYY-MM``."""
    starts: list[int] = []
    labels: list[str] = []
    for year in range(1900, 2300):
        for month in range(1, 13):
            starts.append(micros(datetime(year, month, 1, tzinfo=_ZONE)))
            labels.append(f"{year}-{month:02d}")
    return starts, labels


def _month_at(us: int) -> int:
    """The index of the local month holding ``us`` (clamped to the table's years)."""
    starts, _ = _month_starts()
    return min(max(bisect_right(starts, us) - 1, 0), len(starts) - 2)


def _count(spans: dict[str, Span], first: int, last: int, seal: bytes, sign: int) -> None:
    """Count a row (``sign`` 1) or take it out (-1) in every month its span is across."""
    _, labels = _month_starts()
    mark = int.from_bytes(seal[:16], "big")
    for month in range(_month_at(first), _month_at(last) + 1):
        n, total = spans.get(labels[month], (0, 0))
        spans[labels[month]] = (n + sign, total + sign * mark)


def _spans(
    rows: Iterable[tuple[int, int, bytes]], low: int = 0, high: int | None = None
) -> dict[str, Span]:
    """Per month (between the indexes ``low`` and ``high``) the rows (first, last, seal) whose
    span is across it, as a period's query reads them (``last_us >= month start AND first_us <
    month end``): their number and the sum of their marks; months without rows left out."""
    starts, labels = _month_starts()
    top = len(starts) - 2 if high is None else high
    counts: dict[int, int] = {}
    marks: dict[int, int] = {}
    count_at, mark_at, from_bytes = counts.get, marks.get, int.from_bytes
    for first, last, seal in rows:
        at = bisect_right(starts, first) - 1
        at = max(at, low)
        mark = from_bytes(seal[:16], "big")
        if at <= top and starts[at] <= last < starts[at + 1]:  # within one month: most rows
            counts[at] = count_at(at, 0) + 1
            marks[at] = mark_at(at, 0) + mark
            continue
        end = min(bisect_right(starts, last) - 1, top)
        while at <= end:
            counts[at] = count_at(at, 0) + 1
            marks[at] = mark_at(at, 0) + mark
            at += 1
    return {labels[m]: (n, marks[m]) for m, n in counts.items() if n}


def _pair(raw: Any) -> Span:
    if not (isinstance(raw, list) and len(raw) == 2 and all(isinstance(v, int) for v in raw)):
        raise BadInput("report summary: malformed month span")
    return (raw[0], raw[1])


#: a row as the needle counts see it: first and last entry times, data, seal
Row = tuple[int, int, bytes, bytes]
#: a month's row counts: for each value the month offers (as a row's data writes it, a JSON
#: string), how many rows across the month hold it and the sum of their seals' marks; and for
#: each of its days (``@N``, N from 0) how many rows are across it and the sum of their marks
Needles = dict[str, list[int]]


def _needle_counts(rows: Iterable[tuple[Any, ...]], values: Iterable[str]) -> Needles:
    """The needle counts of ``values`` over ``rows`` (id, first, last, data, seal, ...): every
    row across the month, read and checked."""
    counted: Needles = {}
    marks = [(row[3], int.from_bytes(row[4][:16], "big")) for row in rows]
    for value in values:
        needle = json.dumps(value, ensure_ascii=False).encode()
        held = [mark for data, mark in marks if needle in data]
        counted[needle.decode()] = [len(held), sum(held)]
    return counted


def _values(head: Head, history: History) -> set[str]:
    """The values a month's needle counts keep: every name the policy labels (levels, themes,
    languages, channels) and every unit, held by a row or not (a count of 0 is a count), and
    every value the month's items hold."""
    values = set(head.labels) | {unit for unit in head.units.values() if unit}
    for item in history.items.values():
        values.update(item.channels, item.themes, item.languages)
        values.update(v for v in (item.unit, item.level, item.language) if v)
    return values


def _knows(needles: Needles, head: Head) -> bool:
    """Whether a month's counts hold its days and every name the policy labels and every unit
    (a value that appeared after the month was counted is counted by the next refresh)."""
    names = set(head.labels) | {unit for unit in head.units.values() if unit}
    return "@0" in needles and all(
        json.dumps(name, ensure_ascii=False) in needles for name in names
    )


@lru_cache(maxsize=64)
def _day_starts(month: str) -> tuple[int, ...]:
    """The start (micros) of every local day of ``month`` (``YYYY-MM``) and of the next month."""
    year, number = int(month[:4]), int(month[5:7])
    first = datetime(year, number, 1, tzinfo=_ZONE)
    ahead = (
        datetime(year + 1, 1, 1, tzinfo=_ZONE)
        if number == 12
        else datetime(year, number + 1, 1, tzinfo=_ZONE)
    )
    starts = [micros(datetime(year, number, day, tzinfo=_ZONE))
              for day in range(1, (ahead.date() - first.date()).days + 1)]  # fmt: skip
    return (*starts, micros(ahead))


def _count_days(
    counts: Needles,
    rows: Iterable[tuple[Any, ...]],
    month: str,
    sign: int,
    low: int = 0,
    high: int | None = None,
) -> None:
    """Count ``rows`` (id, first, last, data, seal, ...) in (``sign`` 1) or out (-1) of the
    days (``@N``, N from 0) of ``month`` between ``low`` and ``high`` their spans are across
    (``last >= day start AND first < day end``, as a period's query reads them)."""
    days = _day_starts(month)
    top = len(days) - 2 if high is None else high
    for row in rows:
        first, last, seal = row[1], row[2], row[4]
        at = max(bisect_right(days, first) - 1, low)
        end = min(bisect_right(days, last) - 1, top)
        mark = int.from_bytes(seal[:16], "big")
        while at <= end:
            found = counts.setdefault(f"@{at}", [0, 0])
            found[0] += sign
            found[1] += sign * mark
            at += 1


def _month_bounds(month: str) -> tuple[int, int]:
    """The start of ``month`` and of the next one (micros)."""
    starts, labels = _month_starts()
    at = labels.index(month)
    return starts[at], starts[at + 1]


def _count_needles(needles: Needles, row: Row | None, low: int, high: int, sign: int) -> None:
    """Count ``row`` in (``sign`` 1) or out (-1) of the needle counts of the month from ``low``
    to ``high`` when its span is across it, as a period's query reads it."""
    if row is None:
        return
    first, last, data, seal = row
    if not (last >= low and first < high):
        return
    mark = int.from_bytes(seal[:16], "big")
    for needle, found in needles.items():
        if needle.startswith('"') and needle.encode() in data:
            found[0] += sign
            found[1] += sign * mark
