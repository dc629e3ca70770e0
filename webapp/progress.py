"""Moving items along after a web action, and reading sign-off progress.

After a submission or a decision the app calls ``trigger(item_id, step)``. The hook is
``app.config["CLEARANCE_TRIGGER"]`` (tests may replace it); the default is the pipeline's
``flows.trigger``, which starts a Prefect run when ``PREFECT_API_URL`` is set (``clearance serve``
sets it for the embedded server) and otherwise runs the idempotent core steps inline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import cast

from flask import current_app

from clearance.errors import ClearanceError
from clearance.policy import SignoffState
from clearance.runtime import Runtime
from clearance.storage.models import Item
from webapp.context import reader, runtime

log = logging.getLogger("webapp.progress")

Trigger = Callable[[Runtime, str, str], None]
SUBMITTED, APPROVED = "submitted", "approved"


def pipeline_trigger(rt: Runtime, item_id: str, step: str) -> None:
    """The pipeline's trigger: a Prefect run when an API is configured, else the core inline."""
    from flows import trigger as flows_trigger

    if step == SUBMITTED:
        flows_trigger.after_submit(rt, item_id)
    elif step == APPROVED:
        flows_trigger.after_signoff(rt, item_id)


def trigger(item_id: str, step: str = SUBMITTED) -> None:
    hook = cast(Trigger, current_app.config.get("CLEARANCE_TRIGGER") or pipeline_trigger)
    try:
        hook(runtime(), item_id, step)
    except ClearanceError as exc:
        # the item is stored and its state says where it stands; the page shows that
        log.warning("step %s of item %s did not complete: %s", step, item_id, exc.message)


def signoff(item_id: str) -> SignoffState | None:
    """The sign-off engine's view of the item's current revision, or None before review."""
    from clearance.policy.store import policy_for_item
    from clearance.services.items import current_revision
    from clearance.services.signoff import revision_signoff_state

    session = reader()
    item = session.get(Item, item_id)
    if item is None:
        return None
    revision = current_revision(session, item)
    if revision.level is None or revision.release_manifest_hash is None:
        return None
    try:
        policy = policy_for_item(session, runtime().policy, item.policy_hash)
        return revision_signoff_state(session, policy, item, revision)
    except ClearanceError:
        return None
