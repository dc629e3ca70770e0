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
from clearance.policy import Decision as RuleDecision
from clearance.policy import DecisionKind, Policy, SignoffState, signoff_status
from clearance.runtime import Runtime
from clearance.screening.types import Verdict
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
    """The sign-off engine's view of the item's current revision, or None before review.

    What ``clearance.services.signoff.revision_signoff_state`` evaluates, from what the page
    has already read this request (the item snapshot, its sign-off requests and decisions)
    instead of a query per fact; ``tests/webapp/test_signoff_view.py`` holds the two equal.
    """
    from webapp.access import item_head, signoff_requests
    from webapp.itemview import decision_records, snapshot

    head = item_head(item_id)
    if head is None or head.revision_id is None:
        return None
    shot = snapshot(item_id, since=head.current_revision, history=False)
    revision = shot.detail.revisions[-1]
    facts = shot.facts[revision.number]
    if revision.level is None or revision.release_manifest_hash is None:
        return None
    requests = signoff_requests(facts.revision_id)
    stage_names: dict[int, str] = {}
    for request in requests:
        stage_names.setdefault(request.stage, request.stage_name)
    decisions = [
        RuleDecision(
            approver_id=d.approver_id,
            roles=frozenset({d.role}),
            unit=d.unit,
            kind=DecisionKind(d.decision),
            manifest_hash=d.manifest_hash,
            stage=stage_names.get(d.stage, f"#{d.stage}"),
            at=d.at,
        )
        for d in decision_records(item_id)
        if d.revision_id == facts.revision_id
    ]
    try:
        return signoff_status(
            item_policy(shot.policy_hash),
            level=revision.level,
            manifest_hash=revision.release_manifest_hash,
            decisions=decisions,
            author_id=shot.author_id,
            uploader_ids=facts.uploaded_by,
            editor_ids=[facts.created_by],
            drafting_unit=shot.author_unit,
            held_for_review=revision.screening_verdict == Verdict.REVIEW.value,
            submitted_at=min((r.created_at for r in requests), default=None),
        )
    except ClearanceError:
        return None


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
