"""The audit log in the database: appends, one checkpoint per commit, append-only hygiene, and
concurrent appends from several processes (SQLite and PostgreSQL)."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from clearance.auditlog import store
from clearance.auditlog.checkpoint import open_checkpoint
from clearance.auditlog.entry import GENESIS_PREV, parse_leaf
from clearance.auditlog.rfc6962 import leaf_hash
from clearance.auditlog.setup import init_log, open_log
from clearance.auditlog.tree import root_of
from clearance.events import Event
from clearance.settings import Settings
from clearance.storage.db import make_engine, make_session_factory
from clearance.storage.migrate import upgrade

NOW = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)


def _ready(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    init_log(settings)


def _append(settings: Settings, events: list[Event]) -> None:
    log = open_log(settings)
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        session.execute(text("SELECT 1"))
        log.append(session, events, now=NOW)
        session.commit()
    engine.dispose()


def _event(n: int) -> Event:
    return Event("item.submitted", actor=f"user{n}", item_id=f"itm_{n}", revision=1, body={"n": n})


def test_appends_chain_and_sign_each_commit(settings: Settings) -> None:
    _ready(settings)
    _append(settings, [_event(0), _event(1)])
    _append(settings, [_event(2)])
    log = open_log(settings)
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        leaves = list(store.iter_leaves(session))
        cps = list(store.iter_checkpoints(session))
        assert store.size(session) == 3
        assert store.seqs_for_item(session, "itm_1") == [1]
    engine.dispose()
    entries = [parse_leaf(x) for x in leaves]
    assert [e.seq for e in entries] == [0, 1, 2]
    assert entries[0].prev == GENESIS_PREV
    assert entries[2].prev == leaf_hash(leaves[1]).hex()
    assert entries[0].origin == settings.log_origin
    assert [size for size, _ in cps] == [2, 3]
    for size, note in cps:
        opened = open_checkpoint(note, [log.verifier], origin=settings.log_origin)
        assert opened.checkpoint.root == root_of(leaf_hash(x) for x in leaves[:size])


def test_entries_are_append_only(settings: Settings) -> None:
    _ready(settings)
    _append(settings, [_event(0)])
    engine = make_engine(settings.database_url)
    for statement in (
        "UPDATE audit_entries SET leaf = leaf",
        "DELETE FROM audit_entries",
        "DELETE FROM audit_checkpoints",
    ):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    engine.dispose()


def test_rollback_leaves_no_entry(settings: Settings) -> None:
    _ready(settings)
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        open_log(settings).append(session, [_event(0)], now=NOW)
        session.rollback()
    with make_session_factory(engine)() as session:
        assert store.size(session) == 0
        assert store.latest_checkpoint(session) is None
    engine.dispose()


def _worker(settings: Settings, worker: int, count: int) -> None:
    for n in range(count):
        _append(settings, [_event(worker * 1000 + n)])


@pytest.mark.slow
def test_concurrent_appends_from_processes(settings: Settings) -> None:
    _ready(settings)
    ctx = multiprocessing.get_context("spawn")
    workers, each = 4, 15
    procs = [ctx.Process(target=_worker, args=(settings, w, each)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        leaves = list(store.iter_leaves(session))
        cps = dict(store.iter_checkpoints(session))
    engine.dispose()
    assert len(leaves) == workers * each
    assert len(cps) == workers * each
    prev = GENESIS_PREV
    for i, leaf in enumerate(leaves):
        entry = parse_leaf(leaf)
        assert (entry.seq, entry.prev) == (i, prev)
        prev = leaf_hash(leaf).hex()
    verifier = open_log(settings).verifier
    final = open_checkpoint(cps[len(leaves)], [verifier]).checkpoint
    assert final.root == root_of(leaf_hash(x) for x in leaves)
