"""Benchmark: durable audit-log appends on SQLite, one event and one signed checkpoint per commit.

Each commit is a real unit of work (the foundation's engine, pooled connections): BEGIN IMMEDIATE,
read the head, insert the leaf, sign and insert the checkpoint, update the right edge, fsync'd
COMMIT (WAL, synchronous=FULL). Target: >= 1,000 events/s.

The disk is shared and its fsync rate swings several-fold within seconds, so the ceilings are
measured in rounds interleaved with the appends: bare sqlite3 commits of one row, and bare sqlite3
commits of exactly the rows an append writes (same schema, indexes and sizes, no Python work).
Also printed: CPU time per append (``time.process_time``, excludes waiting for fsync) and, as
extra information only, appends of 10 events per commit.
With ``--witness`` a witness (``clearance witness serve``, its own process and home) is configured
and a collector process sends it the latest checkpoint every 0.2 s while the appends run, as the
pipeline does; witnessing must not slow the commit path.
Usage: python bench/auditlog_append.py [EVENTS] [ROUNDS] [--witness]
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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


def _collector(db_path: str, policy_text: str, stop: Any, done: Any) -> None:
    """A separate process, as in the product: a witnessing round every 0.2 s until ``stop``."""
    from clearance.auditlog.witnessing import TreeCache, collect
    from clearance.auditlog.witnesspolicy import parse_policy

    sessions = make_session_factory(make_engine(f"sqlite:///{db_path}"))
    policy, cache, cosigned = parse_policy(policy_text), TreeCache(), 0
    while not stop.is_set():
        cosigned += sum(o.ok for o in collect(sessions, policy, cache))
        time.sleep(0.2)
    done.value = cosigned


def _start_witness(tmp: Path, log: AuditLog) -> tuple[subprocess.Popen[str], str]:
    def clearance(*args: str) -> str:
        return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True,
                              text=True, check=True).stdout  # fmt: skip

    home = tmp / "witness"
    vkey = clearance("witness", "init", "--home", str(home), "--name", "bench.example/w1").strip()
    clearance("witness", "trust", "--home", str(home), log.verifier.vkey)
    server = subprocess.Popen([sys.executable, "-m", "cli", "witness", "serve", "--home",
                               str(home), "--listen", "127.0.0.1:0"], stderr=subprocess.PIPE,
                              text=True)  # fmt: skip
    assert server.stderr is not None
    url = server.stderr.readline().strip().rsplit(" ", 1)[-1]
    return server, f"witness {vkey} {url}\nquorum 1\n"


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--witness"]
    witnessed = "--witness" in sys.argv[1:]
    count = int(args[0]) if len(args) > 0 else 3_000
    rounds = int(args[1]) if len(args) > 1 else 6
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
        if witnessed:
            server, policy_text = _start_witness(Path(tmp), log)
            stop, done = multiprocessing.Event(), multiprocessing.Value("i", 0)
            collector = multiprocessing.Process(
                target=_collector, args=(str(Path(tmp) / "bench.db"), policy_text, stop, done)
            )
            collector.start()
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
        if witnessed:
            stop.set()
            collector.join(30)
            server.terminate()
            server.wait(10)
            print(f"witness configured: {done.value} cosignatures collected during the run")
        batch_rate, batch_cpu = appends(sessions, log, max(each // 4, 1), 10)
        print(f"extra (not the product's pattern): 10 events per commit: {batch_rate:,.0f} "
              f"events/s, {batch_cpu * 1e3:.2f} ms CPU per commit")  # fmt: skip
        one_row.close()
        same_rows.close()
        engine.dispose()
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
