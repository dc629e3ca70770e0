"""Start the pipeline after a submission and after the last sign-off.

With a Prefect API configured (``PREFECT_API_URL``; ``clearance serve`` sets it for the embedded
server) the review is left to the review dispatcher (``flows.dispatch``, in the warm
``flows.task_worker`` process): the submission is already committed as ``submitted``, and the
dispatcher reviews the waiting items in ``review-batch`` flow runs, so ``after_submit`` only
returns. ``CLEARANCE_REVIEW_VIA`` (read by the trigger and by the worker; set it for the whole
installation) chooses another hand-off: ``task`` sends one ``review_task.delay(item_id)`` per
submission to the task worker, ``deployment`` starts the served ``review`` deployment (with
``run_deployment(..., timeout=0, idempotency_key=...)``). The publication has one hand-off: the
approval is committed as ``approved`` and the publication dispatcher sweeps the approved items
from the core's database, so ``after_signoff`` only returns. Without one (scripts, tests, ``CLEARANCE_PIPELINE=inline``) the core
service runs inline in the caller. Either way the outcome is recorded only by the core.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from clearance.errors import ConfigurationError
from clearance.runtime import Runtime
from clearance.services.items import load_item


class Mode(StrEnum):
    PREFECT = "prefect"
    INLINE = "inline"


@dataclass(frozen=True, slots=True)
class Triggered:
    mode: Mode
    flow_run_id: str | None = None


class ReviewVia(StrEnum):
    BATCH = "batch"
    TASK = "task"
    DEPLOYMENT = "deployment"


def review_via() -> ReviewVia:
    """How submissions reach the review (``CLEARANCE_REVIEW_VIA``, default ``batch``)."""
    value = os.environ.get("CLEARANCE_REVIEW_VIA", "").strip().lower() or ReviewVia.BATCH.value
    try:
        return ReviewVia(value)
    except ValueError:
        raise ConfigurationError(
            f"CLEARANCE_REVIEW_VIA={value!r} is not one of batch, task, deployment; "
            "unset it for the default (batch)"
        ) from None


def mode() -> Mode:
    forced = os.environ.get("CLEARANCE_PIPELINE", "").strip().lower()
    if forced == Mode.INLINE.value:
        return Mode.INLINE
    return Mode.PREFECT if os.environ.get("PREFECT_API_URL") else Mode.INLINE


def prefect_settings() -> AbstractContextManager[object]:
    """Prefect reads its settings once, at import; the API URL and the shared result storage
    can change afterwards (``pipeline_running`` sets them), so each call uses the current ones."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_RESULTS_LOCAL_STORAGE_PATH,
        temporary_settings,
    )

    updates: dict[Any, Any] = {PREFECT_API_URL: os.environ["PREFECT_API_URL"]}
    storage = os.environ.get("PREFECT_RESULTS_LOCAL_STORAGE_PATH")
    if storage:
        updates[PREFECT_RESULTS_LOCAL_STORAGE_PATH] = storage
    return temporary_settings(updates=updates)


def _run(deployment: str, item_id: str, key: str) -> str:
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment

    with prefect_settings():
        run = run_deployment(
            deployment,
            parameters={"item_id": item_id},
            timeout=0,
            idempotency_key=key,
            as_subflow=False,
        )
    assert isinstance(run, FlowRun)
    return str(run.id)


def after_submit(rt: Runtime, item_id: str) -> Triggered:
    """Review the current revision of ``item_id`` (one run per revision)."""
    if mode() is Mode.INLINE:
        from clearance.services.review import review_revision

        review_revision(rt, item_id)
        return Triggered(Mode.INLINE)
    via = review_via()
    if via is ReviewVia.BATCH:
        return Triggered(Mode.PREFECT)  # committed as submitted: the dispatcher takes it
    if via is ReviewVia.TASK:
        from flows.pipeline import review_task

        with prefect_settings():
            future = review_task.delay(item_id)
        return Triggered(Mode.PREFECT, str(future.task_run_id))
    with rt.sessions() as session:
        number = load_item(session, item_id).current_revision
    return Triggered(Mode.PREFECT, _run("review/review", item_id, f"review:{item_id}:{number}"))


def after_signoff(rt: Runtime, item_id: str) -> Triggered:
    """Publish the approved release of ``item_id``.

    With Prefect there is nothing to send: the item is committed as ``approved`` and the
    publication dispatcher (in ``flows.task_worker``) sweeps the approved items, so a flow run
    that died never strands one. Inline, the core service publishes it now."""
    if mode() is Mode.INLINE:
        from clearance.publishing import publish_all

        publish_all(rt, item_id)
        return Triggered(Mode.INLINE)
    return Triggered(Mode.PREFECT)  # committed as approved: the publication dispatcher takes it
