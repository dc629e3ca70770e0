"""The core's database is the publication queue: approved items, pending publications older
than the lease and recalls under way are swept by the publication dispatcher and completed
exactly once, whatever happened to the run that started them. These tests drive the dispatcher
with a batch runner calling the core in this process (the ``publish-batch`` flow fills that seam
on a real server in test_prefect_pipeline and test_crash_recovery)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from clearance.domain.lifecycle import State
from clearance.errors import VerificationError
from clearance.publishing import Publication, PublicationStatus, check_release, publication_status
from clearance.publishing.queue import drive
from clearance.publishing.registry import adapter_for
from clearance.publishing.service import _claim, recall
from clearance.runtime import Runtime
from clearance.services.items import load_item
from clearance.services.review import review_revision
from clearance.storage.models import Revision
from flows.dispatch import Dispatcher, publication_dispatcher
from flows.pipeline import ChannelResult, ItemFailure, PublishBatchResult, PublishResult
from tests.flows.conftest import approve_fully, log_types, submit_text


class InlinePublish:
    """``publish_batch`` without Prefect: ``drive`` per item, one failure per item."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.batches: list[list[str]] = []

    def __call__(self, item_ids: list[str]) -> PublishBatchResult:
        self.batches.append(list(item_ids))
        done: list[PublishResult] = []
        failed: list[ItemFailure] = []
        for item_id in item_ids:
            try:
                outcomes = drive(self.rt, item_id)
            except Exception as exc:
                failed.append(ItemFailure(item_id, f"{type(exc).__name__}: {exc}"))
                continue
            channels = tuple(
                ChannelResult(o.channel, o.location, o.matches, o.already) for o in outcomes
            )
            done.append(PublishResult(item_id, channels))
        return PublishBatchResult(tuple(done), tuple(failed))


def _approved(rt: Runtime, **kwargs: object) -> str:
    item = submit_text(rt, **kwargs)  # type: ignore[arg-type]
    review_revision(rt, item)
    approve_fully(rt, item)
    return item


def _state(rt: Runtime, item: str) -> str:
    with rt.sessions() as session:
        return str(load_item(session, item).state)


def _dispatcher(rt: Runtime, lease: float = 120.0) -> tuple[Dispatcher, InlinePublish]:
    runner = InlinePublish(rt)
    return publication_dispatcher(rt, runner, lease=lease), runner


def _half_published(rt: Runtime, item: str) -> Path:
    """What a worker killed after the channel write leaves: a pending row, the page live, no
    ``publication.published`` entry."""
    release = check_release(rt, item, "website")
    _claim(rt, release, "website", "website")
    adapter_for(rt, "website").put(release)
    page = rt.settings.published_dir / "items" / item / "index.html"
    assert page.is_file()
    return page


def _age_claims(rt: Runtime, item: str, seconds: float) -> None:
    with rt.uow() as uow:
        uow.session.execute(
            update(Publication)
            .where(Publication.item_id == item)
            .values(claimed_at=datetime.now(UTC) - timedelta(seconds=seconds))
        )
        uow.commit()


def test_an_approved_item_whose_run_never_came_is_published_by_the_sweep(rt: Runtime) -> None:
    """The Prefect run that should have published it died (or was never created): the item is
    ``approved`` in the core's database and that is all the dispatcher needs."""
    items = [_approved(rt, title=f"Tin số {k}") for k in range(3)]
    dispatcher, runner = _dispatcher(rt)
    result = dispatcher.run_once()
    assert result is not None and not result.failed
    assert runner.batches == [items]
    assert {_state(rt, i) for i in items} == {State.PUBLISHED.value}
    assert [log_types(rt, i).count("publication.published") for i in items] == [1, 1, 1]
    assert dispatcher.run_once() is None  # nothing waits any more


def test_a_claim_left_before_the_restart_is_completed_at_once_on_sqlite(rt: Runtime) -> None:
    item = _approved(rt)
    _half_published(rt, item)
    assert "publication.published" not in log_types(rt, item)
    dispatcher, _ = _dispatcher(rt, lease=3600)  # the first sweep of a lone dispatcher
    assert dispatcher.run_once() is not None
    assert log_types(rt, item).count("publication.published") == 1
    _, [view] = publication_status(rt, item)
    assert view.status is PublicationStatus.PUBLISHED and view.attempts == 2 and view.matches


def test_a_fresh_claim_is_left_to_its_worker_until_the_lease_runs_out(rt: Runtime) -> None:
    item = _approved(rt)
    dispatcher, _ = _dispatcher(rt, lease=120)
    assert dispatcher.run_once() is not None  # the startup sweep publishes the first
    other = _approved(rt, title="Tin khác")
    _half_published(rt, other)  # another worker is writing it right now
    assert dispatcher.waiting() == []
    _age_claims(rt, other, 121)
    assert dispatcher.waiting() == [other]
    dispatcher.run_once()
    assert log_types(rt, other).count("publication.published") == 1
    assert _state(rt, item) == _state(rt, other) == State.PUBLISHED.value


def tamper_verdict(rt: Runtime, item: str) -> None:
    """The screening record is tampered with after the approval: the item now reads blocked."""
    with rt.uow() as uow:
        uow.session.execute(
            update(Revision).where(Revision.item_id == item).values(screening_verdict="blocked")
        )
        uow.commit()


def test_a_claim_whose_release_no_longer_passes_is_taken_down_and_logged(rt: Runtime) -> None:
    item = _approved(rt)
    page = _half_published(rt, item)
    tamper_verdict(rt, item)
    with pytest.raises(VerificationError):
        drive(rt, item)
    assert not page.exists()
    index = (rt.settings.published_dir / "index.html").read_text("utf-8")
    assert item not in index
    assert log_types(rt, item).count("publication.removed") == 1
    assert "publication.published" not in log_types(rt, item)
    _, [view] = publication_status(rt, item)
    assert view.status is PublicationStatus.REMOVED


def test_a_recall_cut_short_is_finished_by_the_sweep(rt: Runtime) -> None:
    item = _approved(rt)
    dispatcher, _ = _dispatcher(rt, lease=0)
    dispatcher.run_once()
    assert _state(rt, item) == State.PUBLISHED.value
    with rt.uow() as uow:  # what recall() commits before touching the channels
        uow.session.execute(
            update(Publication)
            .where(Publication.item_id == item)
            .values(
                status=PublicationStatus.RECALLING.value,
                recall_actor="quan.vo",
                recall_reason="sai số liệu",
                recalled_at=datetime.now(UTC) - timedelta(seconds=10),
            )
        )
        uow.commit()
    assert dispatcher.waiting() == [item]
    dispatcher.run_once()
    assert _state(rt, item) == State.WITHDRAWN.value
    assert not (rt.settings.published_dir / "items" / item).exists()
    types = log_types(rt, item)
    assert types.count("publication.recalled") == 1 and types.count("item.recalled") == 1
    assert dispatcher.run_once() is None


def test_recall_then_sweep_logs_the_recall_once(rt: Runtime) -> None:
    item = _approved(rt)
    dispatcher, _ = _dispatcher(rt, lease=0)
    dispatcher.run_once()
    [out] = recall(rt, item, actor="quan.vo", reason="sai số liệu")
    assert out.channel == "website"
    assert dispatcher.run_once() is None
    assert log_types(rt, item).count("publication.recalled") == 1
    with rt.sessions() as session:
        rows = session.scalars(select(Publication.status).where(Publication.item_id == item))
        assert list(rows) == [PublicationStatus.RECALLED.value]
