"""The flows: ``review-batch`` (the items waiting for review, one task run each),
``publish-batch`` (the items waiting for publication, one task run each), ``deadlines`` and
``monitor-channels`` (scheduled). Each task calls one core service; the core's database and audit log
hold every decision, Prefect only sequences and retries.

Retries: only tasks whose side effects are idempotent and whose failures can be transient
(database busy) retry, with exponential backoff. Reading a decision or re-verifying a release
never reuses a cached result (``NO_CACHE``) and never retries a refusal. A channel write has one
retry layer, the channel's own (the webhook retries its POST with backoff); the publish task does
not retry on top of it: an item whose publication failed keeps waiting in the core's database and
the publication dispatcher offers it again later.

Results: no flow or task persists its result (``persist_result=False`` on each, whatever
``PREFECT_RESULTS_PERSIST_BY_DEFAULT`` says). A persisted result is a file in the local storage
of the machine that ran the run; on the scale path the run is created on one machine (the web,
``prefect deployment run``) and run by a worker on another, so that file would be where no other
machine can read it. Every outcome is in the core's database, which all machines share.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff
from sqlalchemy.exc import OperationalError

from clearance.errors import ClearanceError
from clearance.publishing.monitor import LiveState, check_live
from clearance.publishing.queue import drive
from clearance.runtime import Runtime
from clearance.services.deadlines import check_deadlines
from clearance.services.review import review_revision
from clearance.settings import ReviewSettings, load_settings
from clearance.storage import statistics
from flows.supervise import die_with_runner

#: task runs of one review batch running at once (threads of the batch flow's task runner;
#: the default of CLEARANCE_REVIEW_CONCURRENCY, which the dispatchers pass)
REVIEW_CONCURRENCY = ReviewSettings().concurrency

#: failures worth another attempt: the database was busy or could not be reached
TRANSIENT = (OperationalError, ConnectionError, TimeoutError)


def threads(workers: int) -> TaskRunner[PrefectFuture[Any]]:
    """A thread-pool task runner, typed as Prefect's decorators expect."""
    return cast("TaskRunner[PrefectFuture[Any]]", ThreadPoolTaskRunner(max_workers=workers))


def _transient(task_: object, task_run: object, state: object) -> bool:
    """``retry_condition_fn``: retry only transient I/O failures, never a refusal."""
    try:
        state.result()  # type: ignore[attr-defined]
    except ClearanceError:
        return False
    except TRANSIENT:
        return True
    except Exception:
        return False
    return False


@functools.lru_cache(maxsize=1)
def runtime() -> Runtime:
    """One runtime per worker process, from the CLEARANCE_* environment."""
    return Runtime.open(load_settings())


def warm_up(rt: Runtime) -> None:
    """Load the policy and build the screening automaton before the first item arrives."""
    from clearance.screening import screen_text

    screen_text("khởi động", rt.policy.screening)


@dataclass(frozen=True, slots=True)
class ReviewResult:
    item_id: str
    revision: int
    state: str
    verdict: str
    level: str | None
    stages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ItemFailure:
    """An item whose review raised: it stays ``submitted`` and is offered again later."""

    item_id: str
    error: str


@dataclass(frozen=True, slots=True)
class BatchResult:
    reviewed: tuple[ReviewResult, ...]
    failed: tuple[ItemFailure, ...]

    @property
    def done(self) -> tuple[str, ...]:
        return tuple(r.item_id for r in self.reviewed)


@dataclass(frozen=True, slots=True)
class ChannelResult:
    channel: str
    location: str | None
    matches: bool | None
    already: bool


@dataclass(frozen=True, slots=True)
class PublishResult:
    item_id: str
    channels: tuple[ChannelResult, ...]


@dataclass(frozen=True, slots=True)
class PublishBatchResult:
    published: tuple[PublishResult, ...]
    failed: tuple[ItemFailure, ...]

    @property
    def done(self) -> tuple[str, ...]:
        return tuple(r.item_id for r in self.published)


@task(
    name="review",
    task_run_name="review-{item_id}",
    cache_policy=NO_CACHE,
    retries=3,
    retry_delay_seconds=exponential_backoff(backoff_factor=0.5),
    retry_condition_fn=_transient,
    persist_result=False,
)
def review_task(item_id: str) -> ReviewResult:
    """Screen, classify, record and notify (idempotent in the core)."""
    outcome = review_revision(runtime(), item_id)
    return ReviewResult(
        outcome.item_id,
        outcome.revision,
        outcome.state.value,
        outcome.verdict,
        outcome.level,
        outcome.stages,
    )


#: the review task as the batch flow runs it
review_item_task = review_task


@task(
    name="publish", task_run_name="publish-{item_id}", cache_policy=NO_CACHE, persist_result=False
)
def publish_task(item_id: str) -> PublishResult:
    """Publish (or finish the recall of) one item, exactly once per release and channel; the
    release point re-verifies everything from the database and the audit log."""
    outcomes = drive(runtime(), item_id)
    return PublishResult(
        item_id,
        tuple(ChannelResult(o.channel, o.location, o.matches, o.already) for o in outcomes),
    )


publish_item_task = publish_task


@task(
    cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=exponential_backoff(backoff_factor=1),
    retry_condition_fn=_transient,
    persist_result=False,
)
def deadlines_task() -> int:
    return len(check_deadlines(runtime()))


@task(cache_policy=NO_CACHE, persist_result=False)
def statistics_task() -> tuple[str, ...]:
    """The planner's statistics of the tables that changed (SQLite; autovacuum on PostgreSQL)."""
    return statistics.refresh(runtime().engine).analysed


@task(cache_policy=NO_CACHE, persist_result=False)
def reports_task() -> tuple[str, ...]:
    """The stored report summary brought to the log's end and its month reports recomputed where
    missing or out of date (after an upgrade or a bulk import), so no report page does it."""
    from clearance.errors import ConfigurationError
    from clearance.reports.stored import refresh_stored

    try:
        return tuple(refresh_stored(runtime()))
    except ConfigurationError as exc:  # a worker's home without the web's secret key
        get_run_logger().info("report summary not refreshed here: %s", exc)
        return ()


@dataclass(frozen=True)
class MonitorResult:
    checked: int
    drifted: tuple[str, ...]  # "item/channel" whose live bytes differ from the approval
    unreadable: tuple[str, ...]


@task(cache_policy=NO_CACHE, persist_result=False)
def monitor_task() -> MonitorResult:
    """Read every live publication back from its channel (never retried: the next run repeats)."""
    checks = check_live(runtime())
    return MonitorResult(
        checked=len(checks),
        drifted=tuple(f"{c.item_id}/{c.channel}" for c in checks if c.state is LiveState.DRIFTED),
        unreadable=tuple(
            f"{c.item_id}/{c.channel}" for c in checks if c.state is LiveState.UNREADABLE
        ),
    )


@task(cache_policy=NO_CACHE, persist_result=False)
def previews_task(limit: int) -> int:
    """Draw the missing page images of the sanitised derivatives (never retried: the next run
    carries on where this one stopped)."""
    from clearance.services.previews import backfill_pages

    result = backfill_pages(runtime(), limit=limit)
    return result.drawn


def _batch_run_name() -> str:
    from prefect.runtime import flow_run

    ids = list(flow_run.parameters.get("item_ids") or ())
    first = f"{ids[0]}+{len(ids) - 1}" if ids else "none"
    return f"{flow_run.flow_name}-{first}"


@flow(
    name="review-batch",
    flow_run_name=_batch_run_name,
    task_runner=threads(REVIEW_CONCURRENCY),
    persist_result=False,
    log_prints=False,
)
def review_batch(item_ids: list[str]) -> BatchResult:
    """Review each item in its own task run; a failing item does not stop the others.

    Every item goes through the core service in its own transaction with its own audit
    entries; one flow run per batch only saves Prefect the per-item flow run and hand-off.
    """
    return _collect(item_ids, [review_item_task.submit(item_id) for item_id in item_ids])


def _collect(
    item_ids: Sequence[str], futures: Sequence[PrefectFuture[ReviewResult]]
) -> BatchResult:
    reviewed: list[ReviewResult] = []
    failed: list[ItemFailure] = []
    for item_id, future in zip(item_ids, futures, strict=True):
        try:
            reviewed.append(future.result())
        except Exception as exc:  # recorded per item; the batch goes on
            failed.append(ItemFailure(item_id, f"{type(exc).__name__}: {exc}"))
    logger = get_run_logger()
    logger.info("reviewed %d item(s), %d failed", len(reviewed), len(failed))
    for failure in failed:
        logger.warning("item %s was not reviewed: %s", failure.item_id, failure.error)
    return BatchResult(tuple(reviewed), tuple(failed))


@flow(
    name="publish-batch",
    flow_run_name=_batch_run_name,
    task_runner=threads(REVIEW_CONCURRENCY),
    persist_result=False,
    log_prints=False,
)
def publish_batch(item_ids: list[str]) -> PublishBatchResult:
    """Publish each waiting item in its own task run; a failing item does not stop the others
    (it keeps waiting in the core's database)."""
    futures = [publish_item_task.submit(item_id) for item_id in item_ids]
    published: list[PublishResult] = []
    failed: list[ItemFailure] = []
    for item_id, future in zip(item_ids, futures, strict=True):
        try:
            published.append(future.result())
        except Exception as exc:  # recorded per item; the batch goes on
            failed.append(ItemFailure(item_id, f"{type(exc).__name__}: {exc}"))
    logger = get_run_logger()
    for result in published:
        for r in result.channels:
            logger.info(
                "item %s on %s: %s (read back matches: %s)",
                result.item_id,
                r.channel,
                "already published" if r.already else r.location,
                r.matches,
            )
    for failure in failed:
        logger.warning("item %s was not published: %s", failure.item_id, failure.error)
    return PublishBatchResult(tuple(published), tuple(failed))


@flow(name="deadlines", flow_run_name="deadlines", persist_result=False)
def deadlines() -> int:
    """Reminders and escalations, then the table statistics (the schedule both need: the
    planner's statistics must follow the tables as they grow, not one migration's snapshot),
    then the stored month reports (recomputed here, in the background, not on a page)."""
    die_with_runner()
    sent = deadlines_task()
    analysed = statistics_task()
    if analysed:
        get_run_logger().info("table statistics refreshed: %s", ", ".join(analysed))
    months = reports_task()
    if months:
        get_run_logger().info("month reports recomputed: %s", ", ".join(months))
    return sent


@flow(name="previews-backfill", flow_run_name="previews-backfill", persist_result=False)
def previews_backfill(limit: int = 50) -> int:
    """The scheduled backfill of page images (items reviewed before page images existed): drawn
    in the background into the blob store, never in a web request."""
    die_with_runner()
    return previews_task(limit)


@flow(name="monitor-channels", flow_run_name="monitor-channels", persist_result=False)
def monitor_channels() -> MonitorResult:
    """The scheduled channel monitor: drift is logged and notified by the core."""
    die_with_runner()
    result = monitor_task()
    logger = get_run_logger()
    for where in result.drifted:
        logger.warning("live publication %s differs from its approved release", where)
    return result
