"""The review dispatcher: the core's database is the queue. These tests drive it with a batch
runner that calls the core review in this process (the seam the Prefect flow fills in
production; the flow itself runs on a real server in test_prefect_pipeline and
test_review_dispatch_kill)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from clearance.errors import BadInput, ConfigurationError
from clearance.runtime import Runtime
from clearance.services.items import load_item
from clearance.services.review import review_revision
from clearance.storage.models import Part, Revision
from flows.dispatch import AdvisoryClaims, Dispatcher
from flows.pipeline import BatchResult, ItemFailure, ReviewResult
from flows.server import review_workers
from tests.conftest import PG_URL
from tests.flows.conftest import SECRET_BODY, log_types, make_settings, submit_text


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class InlineBatches:
    """Reviews each item with the core service, one failure per item as the flow records it."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.batches: list[list[str]] = []

    def __call__(self, item_ids: list[str]) -> BatchResult:
        self.batches.append(list(item_ids))
        reviewed: list[ReviewResult] = []
        failed: list[ItemFailure] = []
        for item_id in item_ids:
            try:
                out = review_revision(self.rt, item_id)
            except Exception as exc:
                failed.append(ItemFailure(item_id, f"{type(exc).__name__}: {exc}"))
                continue
            reviewed.append(
                ReviewResult(
                    out.item_id, out.revision, out.state.value, out.verdict, out.level, out.stages
                )
            )
        return BatchResult(tuple(reviewed), tuple(failed))


def _state(rt: Runtime, item_id: str) -> str:
    with rt.sessions() as session:
        return str(load_item(session, item_id).state)


def _body_digest(rt: Runtime, item_id: str) -> str:
    with rt.sessions() as session:
        digest: str | None = session.scalar(
            select(Part.sha256).join(Revision).where(Revision.item_id == item_id)
        )
    assert digest is not None
    return digest


def test_waiting_items_are_reviewed_oldest_first_in_batches(rt: Runtime) -> None:
    items = [submit_text(rt, title=f"Tin số {k}") for k in range(5)]
    secret = submit_text(rt, SECRET_BODY, title="Kế hoạch")
    runner = InlineBatches(rt)
    dispatcher = Dispatcher(rt, runner, batch_size=2)
    results = [dispatcher.run_once() for _ in range(3)]
    assert runner.batches == [items[0:2], items[2:4], [items[4], secret]]
    assert all(r is not None and not r.failed for r in results)
    assert dispatcher.run_once() is None  # nothing waits any more
    assert {_state(rt, i) for i in items} == {"awaiting_signoff"}
    assert _state(rt, secret) == "blocked"
    for item_id in [*items, secret]:
        assert log_types(rt, item_id).count("revision.screened") == 1


def test_a_failing_item_does_not_hold_back_the_others_and_is_offered_again(rt: Runtime) -> None:
    broken = submit_text(rt, "Bài có tệp bị mất khỏi kho lưu trữ.", title="Tệp mất")
    good = submit_text(rt, title="Tin bình thường")
    digest = _body_digest(rt, broken)
    lost = rt.blobs.path(digest)
    data = lost.read_bytes()
    lost.unlink()
    clock = Clock()
    runner = InlineBatches(rt)
    dispatcher = Dispatcher(rt, runner, retry_after=30, max_retry_after=45, clock=clock)

    first = dispatcher.run_once()
    assert first is not None
    assert [f.item_id for f in first.failed] == [broken]
    assert _state(rt, good) == "awaiting_signoff"
    assert _state(rt, broken) == "submitted"  # nothing recorded for it, nothing lost

    assert dispatcher.waiting() == []  # resting for 30 s
    clock.now += 31
    assert dispatcher.waiting() == [broken]
    second = dispatcher.run_once()
    assert second is not None and [f.item_id for f in second.failed] == [broken]
    clock.now += 31
    assert dispatcher.waiting() == []  # the pause doubled (capped at 45 s)
    clock.now += 15
    assert dispatcher.waiting() == [broken]

    rt.blobs.put_bytes(data)  # the operator restores the file
    third = dispatcher.run_once()
    assert third is not None and not third.failed
    assert _state(rt, broken) == "awaiting_signoff"
    assert log_types(rt, broken).count("revision.screened") == 1


def test_an_item_reviewed_elsewhere_meanwhile_is_recorded_once(rt: Runtime) -> None:
    item = submit_text(rt)
    dispatcher = Dispatcher(rt, InlineBatches(rt))
    waiting = dispatcher.waiting()
    assert waiting == [item]
    review_revision(rt, item)  # e.g. `clearance review ITEM` ran in between
    result = InlineBatches(rt)(waiting)
    assert not result.failed and result.reviewed[0].state == "awaiting_signoff"
    assert log_types(rt, item).count("revision.screened") == 1


@pytest.mark.postgres
def test_advisory_claims_keep_two_dispatchers_off_the_same_items() -> None:
    if not PG_URL:
        pytest.skip("CLEARANCE_TEST_POSTGRES_URL is not set (CI sets it; see .ci/run)")
    engine = create_engine(PG_URL)
    first, second = AdvisoryClaims(engine), AdvisoryClaims(engine)
    run = uuid.uuid4().hex  # another run on the same database never holds these
    a, b, c = (f"claim-{run}-{n}" for n in "abc")
    try:
        assert first.take([a, b]) == [a, b]
        assert second.take([a, b, c]) == [c]
        first.release([a])
        assert second.take([a, b]) == [a]
        first.close()  # a dispatcher that stops gives its claims back at once
        assert second.take([b]) == [b]
    finally:
        first.close()
        second.close()
        engine.dispose()


@pytest.mark.postgres
def test_the_claims_of_a_dispatcher_whose_connection_died_come_free() -> None:
    if not PG_URL:
        pytest.skip("CLEARANCE_TEST_POSTGRES_URL is not set (CI sets it; see .ci/run)")
    engine = create_engine(PG_URL)
    dead, alive = AdvisoryClaims(engine), AdvisoryClaims(engine)
    item = f"claim-{uuid.uuid4().hex}"
    try:
        assert dead.take([item]) == [item]
        assert alive.take([item]) == []
        # kill the holder's backend, as a crash of its machine would: no unlock is sent
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as admin:
            holders = admin.execute(
                text(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND objid = hashtext(:item)::oid AND pid <> pg_backend_pid()"
                ),
                {"item": item},
            ).scalars()
            for holder in list(holders):
                admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": holder})
        deadline = time.monotonic() + 10
        while not alive.take([item]):
            assert time.monotonic() < deadline, "the dead connection's claim never came free"
            time.sleep(0.05)
    finally:
        dead.close()
        alive.close()
        engine.dispose()


def test_more_than_one_review_worker_needs_postgresql(tmp_path: Path) -> None:
    assert review_workers(make_settings(tmp_path)) == 1
    assert review_workers(make_settings(tmp_path, {"CLEARANCE_REVIEW_WORKERS": "1"})) == 1
    with pytest.raises(ConfigurationError, match="PostgreSQL"):
        review_workers(make_settings(tmp_path, {"CLEARANCE_REVIEW_WORKERS": "2"}))
    with pytest.raises(BadInput, match="CLEARANCE_REVIEW_WORKERS must be a whole number"):
        make_settings(tmp_path, {"CLEARANCE_REVIEW_WORKERS": "many"})
    on_postgres = {
        "CLEARANCE_DATABASE_URL": "postgresql+psycopg://u:p@127.0.0.1/db",
        "CLEARANCE_REVIEW_WORKERS": "3",
    }
    assert review_workers(make_settings(tmp_path, on_postgres)) == 3
