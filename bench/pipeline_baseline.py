"""The benchmark's baseline flow, kept out of the shipped code: ``empty-batch`` has as many task
runs as ``review-batch`` and does no work, so ``pipeline_burst`` can report the ratio of the
review's throughput to Prefect's own on the same server. Nothing in production serves it."""

from __future__ import annotations

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.pipeline import REVIEW_CONCURRENCY, _batch_run_name, threads


@task(name="noop", task_run_name="noop-{item_id}", cache_policy=NO_CACHE, persist_result=False)
def noop_task(item_id: str) -> str:
    """The baseline task: the review task's parameters, no work."""
    return item_id


@flow(
    name="empty-batch",
    flow_run_name=_batch_run_name,
    task_runner=threads(REVIEW_CONCURRENCY),
    persist_result=False,
    log_prints=False,
)
def empty_batch(item_ids: list[str]) -> int:
    """``review_batch`` with the same number of task runs doing nothing."""
    futures = [noop_task.submit(item_id) for item_id in item_ids]
    return sum(1 for future in futures if future.result() is not None)
