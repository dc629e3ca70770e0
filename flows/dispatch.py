"""Hand the items waiting in the core's database to Prefect in batches: one ``review-batch`` flow
run takes up to ``batch_size`` items that are ``submitted`` and reviews each in its own task run;
one ``publish-batch`` flow run takes the items waiting for publication
(``clearance.publishing.queue``: approved, or a recall under way) and publishes each on its
channels. Both are the same ``Dispatcher`` with a different question to the database.

The core's database is the queue. A submission is committed as ``submitted`` before anything else
happens; the dispatcher asks the database, not Prefect, what is still waiting, so an item is
never lost: if a process dies (the dispatcher, the Prefect server, the machine) everything not
yet reviewed is still ``submitted`` and the next poll of any dispatcher offers it again. The
review is idempotent in the core, so an item offered twice is recorded once.

An item whose review raised stays ``submitted`` and waits ``retry_after`` seconds, doubled per
failure up to ``max_retry_after``, before this dispatcher offers it again (the failures are
remembered in this process only: a restarted dispatcher tries every waiting item at once).

On PostgreSQL several dispatchers (processes, machines) may share one database: each takes a
session advisory lock per item before offering it (``pg_try_advisory_lock``), held until its
batch ends and released by PostgreSQL if the process dies, so two dispatchers never screen the
same item at the same time. On SQLite (the embedded default, one host) run one dispatcher.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.orm import Session

from clearance.domain.lifecycle import State
from clearance.publishing.queue import LEASE, waiting_publications
from clearance.runtime import Runtime
from clearance.services.previews import Progress, backfill_from
from clearance.settings import ReviewSettings, ScheduleSettings
from clearance.storage.models import Item
from flows.pipeline import ItemFailure

log = logging.getLogger("flows.dispatch")

#: items one review-batch flow run takes at most (default of CLEARANCE_REVIEW_BATCH)
BATCH_SIZE = ReviewSettings().batch_size
#: seconds between two looks at the database when nothing is waiting (CLEARANCE_REVIEW_POLL)
INTERVAL = ReviewSettings().poll
#: first pause before an item whose review failed is offered again; doubled per failure
RETRY_AFTER = 30.0
MAX_RETRY_AFTER = 900.0
#: first argument of the two-key advisory lock: the review dispatcher's namespace
LOCK_NAMESPACE = 0x5245_5645  # "REVE"
#: the publication dispatcher's namespace
PUBLISH_LOCK_NAMESPACE = 0x5055_424C  # "PUBL"
#: the idle backfill's namespace (one key: one worker at a time takes a step)
PREVIEWS_LOCK_NAMESPACE = 0x5052_4556  # "PREV"


class Outcome(Protocol):
    """What a batch did: the items it finished and those that failed."""

    @property
    def done(self) -> tuple[str, ...]: ...

    @property
    def failed(self) -> tuple[ItemFailure, ...]: ...


BatchRunner = Callable[[list[str]], Outcome]
#: which items wait (at most ``limit``, oldest first), asked of a read-only session
Finder = Callable[[Session, int], Sequence[str]]


def submitted(session: Session, limit: int) -> Sequence[str]:
    """Items still ``submitted``: they wait for review."""
    return session.scalars(
        select(Item.id)
        .where(Item.state == State.SUBMITTED.value)
        .order_by(Item.updated_at, Item.id)
        .limit(limit)
    ).all()


@dataclass
class PublicationFinder:
    """Items waiting for publication (``clearance.publishing.queue``). ``startup_lease`` applies
    to the first look only: with one dispatcher on the database (SQLite, guarded by the
    pipeline lock) every claim made before this process started belongs to a process that is
    gone, so the restart re-drives it at once instead of after the lease."""

    lease: float = LEASE
    startup_lease: float = LEASE
    _started: bool = False

    def __call__(self, session: Session, limit: int) -> Sequence[str]:
        lease = self.lease if self._started else self.startup_lease
        self._started = True
        return waiting_publications(session, limit=limit, lease=lease)


class Claims(Protocol):
    """Which of the waiting items this dispatcher may review now (held until released)."""

    def take(self, item_ids: Sequence[str]) -> list[str]: ...

    def release(self, item_ids: Sequence[str]) -> None: ...

    def close(self) -> None: ...


class LocalClaims:
    """One dispatcher per database (SQLite): every waiting item is ours."""

    def take(self, item_ids: Sequence[str]) -> list[str]:
        return list(item_ids)

    def release(self, item_ids: Sequence[str]) -> None:
        return None

    def close(self) -> None:
        return None


class AdvisoryClaims:
    """PostgreSQL session advisory locks, one per item, on a connection of their own (opened
    again after a failure: the locks of a lost connection are gone with it)."""

    def __init__(self, engine: Engine, namespace: int = LOCK_NAMESPACE) -> None:
        self._engine = engine
        self._namespace = namespace
        self._connection: Connection | None = None

    def _connect(self) -> Connection:
        if self._connection is None:
            self._connection = self._engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            )
        return self._connection

    def take(self, item_ids: Sequence[str]) -> list[str]:
        lock = text("SELECT pg_try_advisory_lock(:ns, hashtext(:item))")
        try:
            connection = self._connect()
            return [
                item_id
                for item_id in item_ids
                if connection.execute(lock, {"ns": self._namespace, "item": item_id}).scalar()
            ]
        except Exception:
            self.close()
            raise

    def release(self, item_ids: Sequence[str]) -> None:
        unlock = text("SELECT pg_advisory_unlock(:ns, hashtext(:item))")
        try:
            connection = self._connect()
            for item_id in item_ids:
                connection.execute(unlock, {"ns": self._namespace, "item": item_id})
        except Exception:
            self.close()  # the locks went with the connection
            raise

    def close(self) -> None:
        """Release every claim now and drop the connection for good (not back to the pool: it
        would keep the locks). Without the explicit unlock the server frees the locks only when
        its backend process has exited, a moment after the socket closed."""
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.execute(text("SELECT pg_advisory_unlock_all()"))
            with contextlib.suppress(Exception):
                self._connection.invalidate()
                self._connection.close()
            self._connection = None


def claims_for(rt: Runtime, namespace: int = LOCK_NAMESPACE) -> Claims:
    if rt.engine.dialect.name == "postgresql":
        return AdvisoryClaims(rt.engine, namespace)
    return LocalClaims()


@dataclass
class _Failure:
    count: int
    not_before: float


@dataclass
class Dispatcher:
    """Offer the items ``find`` says wait to ``run_batch`` (the ``review-batch`` flow by
    default) until stopped."""

    rt: Runtime
    run_batch: BatchRunner
    find: Finder = submitted
    batch_size: int = BATCH_SIZE
    interval: float = INTERVAL
    retry_after: float = RETRY_AFTER
    max_retry_after: float = MAX_RETRY_AFTER
    clock: Callable[[], float] = time.monotonic
    claims: Claims = field(default_factory=LocalClaims)
    _failures: dict[str, _Failure] = field(default_factory=dict)

    def waiting(self) -> list[str]:
        """Items waiting, oldest first, without those resting after a failure."""
        now = self.clock()
        resting = {i for i, f in self._failures.items() if f.not_before > now}
        with self.rt.readers() as session:
            ids = self.find(session, self.batch_size + len(resting))
        return [i for i in ids if i not in resting][: self.batch_size]

    def run_once(self) -> Outcome | None:
        """One batch of what is waiting now; None when nothing is."""
        item_ids = self.claims.take(self.waiting())
        if not item_ids:
            return None
        try:
            result = self.run_batch(item_ids)
        finally:
            self.claims.release(item_ids)
        for done in result.done:
            self._failures.pop(done, None)
        now = self.clock()
        for failure in result.failed:
            previous = self._failures.get(failure.item_id)
            count = previous.count + 1 if previous else 1
            pause = min(self.retry_after * 2 ** (count - 1), self.max_retry_after)
            self._failures[failure.item_id] = _Failure(count, now + pause)
            log.warning(
                "item %s was not handled (%s); offered again in %.0f s",
                failure.item_id,
                failure.error,
                pause,
            )
        return result

    def serve(self, stop: threading.Event) -> None:
        """Run batches back to back while items wait; poll every ``interval`` s otherwise."""
        while not stop.is_set():
            try:
                result = self.run_once()
            except Exception:  # Prefect or the database unreachable: the items keep waiting
                log.exception("batch did not run; trying again shortly")
                stop.wait(max(self.interval, 1.0) * 5)
                continue
            if result is None:
                stop.wait(self.interval)


def prefect_batch_runner(
    concurrency: int,
    settings: Callable[[], AbstractContextManager[Any]] | None = None,
    *,
    flow: str = "review-batch",
) -> BatchRunner:
    """``review_batch`` (or ``publish_batch``) as a Prefect flow run on the configured API,
    without the per-run heartbeat (it costs about a second per run; the core's records, not
    Prefect's liveness, say what happened to an item)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from flows.pipeline import publish_batch, review_batch, threads

    if flow == "publish-batch":
        batch: Callable[[list[str]], Outcome] = publish_batch.with_options(
            task_runner=threads(concurrency)
        )
    else:
        batch = review_batch.with_options(task_runner=threads(concurrency))

    def run(item_ids: list[str]) -> Outcome:
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            if settings is None:
                return batch(item_ids)
            with settings():
                return batch(item_ids)

    return run


def start_dispatcher(
    rt: Runtime,
    stop: threading.Event,
    *,
    batch_size: int = BATCH_SIZE,
    interval: float = INTERVAL,
    concurrency: int | None = None,
) -> threading.Thread:
    """A daemon thread serving the review dispatcher until ``stop`` is set."""
    from flows.pipeline import REVIEW_CONCURRENCY

    dispatcher = Dispatcher(
        rt,
        prefect_batch_runner(concurrency or REVIEW_CONCURRENCY),
        batch_size=batch_size,
        interval=interval,
        claims=claims_for(rt),
    )
    return _serve_in_thread(dispatcher, stop, "review-dispatcher")


def publication_dispatcher(
    rt: Runtime,
    run_batch: BatchRunner,
    *,
    lease: float = LEASE,
    batch_size: int = BATCH_SIZE,
    interval: float = INTERVAL,
    retry_after: float = RETRY_AFTER,
) -> Dispatcher:
    """The publication dispatcher: on PostgreSQL several share the queue through advisory
    locks and honour each other's leases; on SQLite it is alone (the pipeline lock), so its
    first sweep re-drives every claim left by the processes before it."""
    claims = claims_for(rt, PUBLISH_LOCK_NAMESPACE)
    alone = isinstance(claims, LocalClaims)
    return Dispatcher(
        rt,
        run_batch,
        find=PublicationFinder(lease=lease, startup_lease=0.0 if alone else lease),
        batch_size=batch_size,
        interval=interval,
        retry_after=retry_after,
        claims=claims,
    )


def start_publication_dispatcher(
    rt: Runtime,
    stop: threading.Event,
    *,
    lease: float = LEASE,
    interval: float = INTERVAL,
    concurrency: int | None = None,
) -> threading.Thread:
    """A daemon thread serving the publication dispatcher until ``stop`` is set."""
    from flows.pipeline import REVIEW_CONCURRENCY

    runner = prefect_batch_runner(concurrency or REVIEW_CONCURRENCY, flow="publish-batch")
    dispatcher = publication_dispatcher(rt, runner, lease=lease, interval=interval)
    return _serve_in_thread(dispatcher, stop, "publication-dispatcher")


def no_work_waiting(session: Session, *, lease: float = LEASE) -> bool:
    """Nothing waits for review or publication (the two dispatchers have nothing to do)."""
    return not submitted(session, 1) and not waiting_publications(session, limit=1, lease=lease)


@dataclass
class IdleBackfill:
    """The task worker's idle work: while no item waits for review or publication, draw the
    missing page images (``clearance.services.previews.backfill_from``) one bounded step at a
    time: ``batch`` revisions read, at most ``limit`` documents drawn, then the queues looked at
    again, so a submission waits for one step at most. A pass over every revision is followed
    by ``rest`` seconds (``CLEARANCE_PREVIEWS_INTERVAL``) before the next. On PostgreSQL a step
    is taken under an advisory lock: of several workers one draws at a time. When a pass is over
    the stored report months are refreshed too (:func:`clearance.reports.stored.refresh_stored`:
    the summary folded to the log's end, the months missing or out of date after an upgrade or an
    import recomputed), so no report page recomputes a month; ``refreshed`` holds those the last
    refresh recomputed."""

    rt: Runtime
    limit: int = 2
    batch: int = 500
    pause: float = 0.1  # between two steps of a pass
    busy_wait: float = 1.0  # while there is other work
    rest: float = float(ScheduleSettings().previews_interval)  # between two passes
    lease: float = LEASE
    clock: Callable[[], float] = time.monotonic
    claims: Claims = field(default_factory=LocalClaims)
    after: int = 0
    resting_until: float = 0.0
    refreshed: list[str] = field(default_factory=list)

    def idle(self) -> bool:
        with self.rt.readers() as session:
            return no_work_waiting(session, lease=self.lease)

    def step(self) -> Progress | None:
        """One step now if the worker is idle and not resting; None when none was taken."""
        if self.clock() < self.resting_until or not self.idle():
            return None
        if not self.claims.take(["previews-backfill"]):
            return None  # another worker is taking a step
        try:
            progress = backfill_from(self.rt, self.after, limit=self.limit, batch=self.batch)
        finally:
            self.claims.release(["previews-backfill"])
        if progress.drawn or progress.failed:
            log.info(
                "page images drawn for %d document(s), %d could not be drawn",
                progress.drawn,
                progress.failed,
            )
        if progress.after is None:  # the pass is over: rest, then from the first revision
            self.after = 0
            self.resting_until = self.clock() + self.rest
            self.refresh_reports()
        else:
            self.after = progress.after
        return progress

    def refresh_reports(self) -> None:
        """The stored report months brought up to date (one month per transaction); a home
        without the web's secret key has none to refresh."""
        from clearance.errors import ConfigurationError
        from clearance.reports.stored import refresh_stored

        try:
            self.refreshed = refresh_stored(self.rt)
        except ConfigurationError as exc:
            log.info("report summary not refreshed here: %s", exc)
            self.refreshed = []
            return
        if self.refreshed:
            log.info("month reports recomputed: %s", ", ".join(self.refreshed))

    def serve(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                progress = self.step()
            except Exception:  # the database or a renderer unreachable: try again later
                log.exception("the page-image backfill step failed; trying again shortly")
                stop.wait(self.busy_wait * 5)
                continue
            if progress is None:
                wait = self.resting_until - self.clock()
                stop.wait(min(max(wait, self.busy_wait), self.busy_wait * 10))
            else:
                stop.wait(self.pause)


def start_idle_backfill(
    rt: Runtime, stop: threading.Event, *, rest: float, lease: float = LEASE
) -> threading.Thread:
    """A daemon thread drawing missing page images while the worker is idle."""
    backfill = IdleBackfill(
        rt, rest=rest, lease=lease, claims=claims_for(rt, PREVIEWS_LOCK_NAMESPACE)
    )

    def serve() -> None:
        try:
            backfill.serve(stop)
        finally:
            backfill.claims.close()

    thread = threading.Thread(target=serve, name="previews-backfill", daemon=True)
    thread.start()
    return thread


def _serve_in_thread(dispatcher: Dispatcher, stop: threading.Event, name: str) -> threading.Thread:
    def serve() -> None:
        try:
            dispatcher.serve(stop)
        finally:
            dispatcher.claims.close()

    thread = threading.Thread(target=serve, name=name, daemon=True)
    thread.start()
    return thread
