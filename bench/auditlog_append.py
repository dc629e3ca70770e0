"""Benchmark: durable audit-log appends on SQLite, one event and one signed checkpoint per commit.

Each commit is a real unit of work (the foundation's engine, pooled connections): BEGIN IMMEDIATE, read the head, insert the leaf, sign and
insert the checkpoint, update the right edge, fsync'd COMMIT (WAL, synchronous=FULL).
Target: >= 1,000 events/s. Usage: python bench/auditlog_append.py [EVENTS]
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from clearance.auditlog.note import Signer
from clearance.auditlog.store import AuditLog
from clearance.events import Event
from clearance.storage.db import make_engine, make_session_factory
from clearance.storage.migrate import upgrade

ORIGIN = "bench.clearance.local/log"


def fsync_ceiling(path: Path, count: int) -> float:
    """Bare sqlite3 commits/s on the same disk, same PRAGMAs: the ceiling of any durable append."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE t (a INTEGER PRIMARY KEY, b BLOB)")
    t0 = time.perf_counter()
    for _ in range(count):
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t (b) VALUES (?)", (b"x" * 600,))
        db.execute("COMMIT")
    rate = count / (time.perf_counter() - t0)
    db.close()
    return rate


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        sessions = make_session_factory(engine)
        log = AuditLog(ORIGIN, [Signer.generate(ORIGIN)])
        event = Event("item.submitted", actor="an", item_id="itm_1", revision=1,
                      manifest_hash="ab" * 32, policy_hash="cd" * 32,
                      body={"title": "Thông cáo báo chí", "channels": ["website"]})  # fmt: skip

        def run(label: str) -> float:
            t0 = time.perf_counter()
            for _ in range(count):
                with sessions() as session:
                    log.append(session, [event], now=datetime.now(UTC))
                    session.commit()
            elapsed = time.perf_counter() - t0
            rate = count / elapsed
            print(f"{label}: {count} durable appends (1 event + 1 signed checkpoint per "
                  f"commit) in {elapsed:.2f} s = {rate:,.0f} events/s; "
                  f"{rate / 1000:.2f}x the 1,000/s target")  # fmt: skip
            return rate

        rate = run("engine as configured (QueuePool, WAL, synchronous=FULL, BEGIN IMMEDIATE)")
        ceiling = fsync_ceiling(Path(tmp) / "bare.db", min(count, 2_000))
        print(f"bare sqlite3 fsync'd commits on the same disk now: {ceiling:,.0f}/s; "
              f"the audit append reaches {rate / ceiling:.0%} of that ceiling")  # fmt: skip
        engine.dispose()


if __name__ == "__main__":
    main()
