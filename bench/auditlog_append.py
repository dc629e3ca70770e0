"""Benchmark: durable audit-log appends on SQLite, one event and one signed checkpoint per commit.

Each commit is a real unit of work: BEGIN IMMEDIATE, read the head, insert the leaf, sign and
insert the checkpoint, update the right edge, fsync'd COMMIT (WAL, synchronous=FULL).
Target: >= 1,000 events/s. Usage: python bench/auditlog_append.py [EVENTS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import QueuePool

from clearance.auditlog.note import Signer
from clearance.auditlog.store import AuditLog
from clearance.events import Event
from clearance.storage.db import make_engine, make_session_factory
from clearance.storage.migrate import upgrade

ORIGIN = "bench.clearance.local/log"


def pooled_engine(url: str) -> Engine:
    """The foundation's SQLite settings with a connection pool instead of NullPool."""
    engine = create_engine(url, poolclass=QueuePool, pool_size=2)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=60000"):
            dbapi_connection.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


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

        def run(label: str) -> None:
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

        run("cold connections (engine as configured: NullPool, WAL checkpoint on last close)")
        # A long-lived process always has another connection open (web workers, flow workers),
        # so the WAL is not checkpointed and deleted after every commit.
        with engine.connect() as keep_open:
            keep_open.exec_driver_sql("SELECT 1")
            keep_open.commit()
            run("warm (another connection held open, as in a running server)")
        engine.dispose()
        pooled = pooled_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        sessions = make_session_factory(pooled)
        run("pooled (same PRAGMAs and BEGIN IMMEDIATE, connections reused)")
        pooled.dispose()


if __name__ == "__main__":
    main()
