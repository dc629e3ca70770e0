"""Benchmark: durable audit-log appends on SQLite, one event and one signed checkpoint per commit.

Each commit is a real unit of work (the foundation's engine, pooled connections): BEGIN IMMEDIATE,
read the head, insert the leaf, sign and insert the checkpoint, update the right edge, fsync'd
COMMIT (WAL, synchronous=FULL). Target: >= 1,000 events/s.

The disk is shared and its fsync rate swings several-fold within seconds, so the ceilings are
measured in rounds interleaved with the appends: bare sqlite3 commits of one row, and bare sqlite3
commits of exactly the rows an append writes (same schema, indexes and sizes, no Python work).
Also printed: CPU time per append (``time.process_time``, excludes waiting for fsync) and, as
extra information only, appends of 10 events per commit.
Usage: python bench/auditlog_append.py [EVENTS] [ROUNDS]
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from clearance.auditlog.note import Signer
from clearance.auditlog.store import AuditLog
from clearance.events import Event
from clearance.storage.db import make_engine, make_session_factory
from clearance.storage.migrate import upgrade

ORIGIN = "bench.clearance.local/log"
EVENT = Event("item.submitted", actor="an", item_id="itm_1", revision=1,
              manifest_hash="ab" * 32, policy_hash="cd" * 32,
              body={"title": "Thông cáo báo chí", "channels": ["website"]})  # fmt: skip


def bare_db(path: Path, audit_schema: bool) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE e (seq INTEGER PRIMARY KEY, leaf BLOB, h BLOB, t TEXT, item TEXT)")
    if audit_schema:
        db.execute("CREATE INDEX e_t ON e (t)")
        db.execute("CREATE INDEX e_item ON e (item)")
        db.execute("CREATE TABLE c (size INTEGER PRIMARY KEY, note TEXT, at TEXT)")
        db.execute("CREATE TABLE s (id INTEGER PRIMARY KEY, size INT, edge BLOB, last BLOB)")
        db.execute("INSERT INTO s VALUES (1, 0, x'', x'')")
    return db


def bare_commits(db: sqlite3.Connection, audit_schema: bool, count: int, start: int) -> float:
    """Commits/s of bare sqlite3: one 600-byte row, or the rows of one audit append."""
    leaf, note, edge = b"x" * 420, "y" * 190, os.urandom(32 * 12)
    t0 = time.perf_counter()
    for i in range(start, start + count):
        db.execute("BEGIN IMMEDIATE")
        if audit_schema:
            db.execute("SELECT size, edge, last FROM s WHERE id = 1").fetchone()
            db.execute("INSERT INTO e VALUES (?, ?, ?, ?, ?)",
                       (i, leaf, os.urandom(32), "item.submitted", "itm_1"))  # fmt: skip
            db.execute("INSERT INTO c VALUES (?, ?, ?)", (i, note, "2025-01-01 00:00:00"))
            db.execute("UPDATE s SET size = ?, edge = ?, last = ? WHERE id = 1",
                       (i, edge, os.urandom(32)))  # fmt: skip
        else:
            db.execute("INSERT INTO e (leaf) VALUES (?)", (b"x" * 600,))
        db.execute("COMMIT")
    return count / (time.perf_counter() - t0)


def appends(
    sessions: sessionmaker[Session], log: AuditLog, count: int, per_commit: int
) -> tuple[float, float]:
    """(events/s, CPU seconds per commit) of ``count`` commits of ``per_commit`` events."""
    events = [EVENT] * per_commit
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(count):
        with sessions() as session:
            log.append(session, events, now=datetime.now(UTC))
            session.commit()
    elapsed = time.perf_counter() - t0
    return count * per_commit / elapsed, (time.process_time() - c0) / count


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    each = max(count // rounds, 1)
    print(f"load average at start: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        sessions = make_session_factory(engine)
        log = AuditLog(ORIGIN, [Signer.generate(ORIGIN)])
        one_row = bare_db(Path(tmp) / "bare.db", audit_schema=False)
        same_rows = bare_db(Path(tmp) / "bare_audit.db", audit_schema=True)
        appends(sessions, log, 50, 1)  # warm the pool and the page cache
        rows: list[tuple[float, float, float, float]] = []
        for r in range(rounds):
            rate, cpu = appends(sessions, log, each, 1)
            bare = bare_commits(one_row, False, each, r * each)
            same = bare_commits(same_rows, True, each, r * each)
            rows.append((rate, cpu, bare, same))
            print(f"round {r + 1}: audit {rate:,.0f} events/s ({cpu * 1e3:.2f} ms CPU each); "
                  f"bare 1-row {bare:,.0f}/s; bare same rows {same:,.0f}/s; "
                  f"ratio to same rows {rate / same:.0%}")  # fmt: skip
        median: Callable[[list[float]], float] = statistics.median
        rate = median([x[0] for x in rows])
        cpu = median([x[1] for x in rows])
        bare = median([x[2] for x in rows])
        same = median([x[3] for x in rows])
        print(f"median over {rounds} rounds of {each}: {rate:,.0f} events/s durable, 1 event + 1 "
              f"signed checkpoint per commit = {rate / 1000:.2f}x the 1,000/s target; "
              f"CPU {cpu * 1e3:.2f} ms per append (CPU-bound limit {1 / cpu:,.0f}/s)")  # fmt: skip
        print(f"ceilings at the same moments: bare 1-row commits {bare:,.0f}/s "
              f"(audit reaches {rate / bare:.0%}); bare commits of the same rows {same:,.0f}/s "
              f"(audit reaches {rate / same:.0%})")  # fmt: skip
        batch_rate, batch_cpu = appends(sessions, log, max(each // 4, 1), 10)
        print(f"extra (not the product's pattern): 10 events per commit: {batch_rate:,.0f} "
              f"events/s, {batch_cpu * 1e3:.2f} ms CPU per commit")  # fmt: skip
        one_row.close()
        same_rows.close()
        engine.dispose()
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
