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
from sqlalchemy.orm import Session

from clearance.errors import ClearanceError
from clearance.policy import Policy, SignoffState
from clearance.runtime import Runtime
from clearance.services.signoff import current_signoff_state
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
    except OSError as exc:  # a channel that could not be reached: recorded, shown on the page
        log.warning("step %s of item %s did not complete: %s", step, item_id, exc)


def signoff(item_id: str) -> SignoffState | None:
    """The core's sign-off state of the item's current revision, or None before review
    (``clearance.services.signoff.current_signoff_state``, with the started policy remembered)."""
    return current_signoff_state(reader(), runtime().policy, item_id, resolve=_cached_policy)


def _cached_policy(session: Session, current: Policy, started_hash: str | None) -> Policy:
    return item_policy(started_hash)


#: policies items started under, by (policy in force, started) hash: both are content
#: addressed and verified when loaded, so the answer never changes
_STARTED: dict[tuple[str, str], Policy] = {}


def item_policy(started_hash: str | None) -> Policy:
    """``clearance.policy.store.policy_for_item`` for this request, remembered per process."""
    from clearance.policy.store import policy_for_item

    current = runtime().policy
    if started_hash is None or started_hash == current.content_hash:
        return current
    key = (current.content_hash, started_hash)
    found = _STARTED.get(key)
    if found is None:
        found = policy_for_item(reader(), current, started_hash)
        if len(_STARTED) > 64:
            _STARTED.clear()
        _STARTED[key] = found
    return found
