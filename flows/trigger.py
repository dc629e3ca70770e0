"""Start the pipeline after a submission and after the last sign-off.

With a Prefect API configured (``PREFECT_API_URL``; ``clearance serve`` sets it for the embedded
server) there is nothing to send: the core's database is the queue. A submission is already
committed as ``submitted`` and the review dispatcher (``flows.dispatch``, in the warm
``flows.task_worker`` process) reviews the waiting items in ``review-batch`` flow runs; an
approval is committed as ``approved`` and the publication dispatcher publishes it. So
``after_submit`` and ``after_signoff`` only return. Without one (scripts, tests,
``CLEARANCE_PIPELINE=inline``, ``clearance serve --no-pipeline``) the core service runs inline in
the caller. Either way the outcome is recorded only by the core.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from clearance.runtime import Runtime
from clearance.settings import Pipeline, Settings


class Mode(StrEnum):
    PREFECT = "prefect"
    INLINE = "inline"


@dataclass(frozen=True, slots=True)
class Triggered:
    mode: Mode


def mode(settings: Settings) -> Mode:
    """Inline when ``settings`` say so (``CLEARANCE_PIPELINE=inline``) or no Prefect API is
    configured; through the pipeline otherwise."""
    if settings.pipeline is Pipeline.INLINE:
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


def after_submit(rt: Runtime, item_id: str) -> Triggered:
    """Review the current revision of ``item_id`` (one run per revision)."""
    if mode(rt.settings) is Mode.INLINE:
        from clearance.services.review import review_revision

        review_revision(rt, item_id)
        return Triggered(Mode.INLINE)
    return Triggered(Mode.PREFECT)  # committed as submitted: the review dispatcher takes it


def after_signoff(rt: Runtime, item_id: str) -> Triggered:
    """Publish the approved release of ``item_id``.

    With Prefect there is nothing to send: the item is committed as ``approved`` and the
    publication dispatcher (in ``flows.task_worker``) sweeps the approved items, so a flow run
    that died never strands one. Inline, the core service publishes it now."""
    if mode(rt.settings) is Mode.INLINE:
        from clearance.publishing import publish_all

        publish_all(rt, item_id)
        return Triggered(Mode.INLINE)
    return Triggered(Mode.PREFECT)  # committed as approved: the publication dispatcher takes it
