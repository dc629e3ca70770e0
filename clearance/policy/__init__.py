"""Policy as code: load and validate ``policies/*.yaml``, classify revisions, run sign-off rules.

Public API (everything else in this package is internal):

- ``load_policy(path: str | Path, *, today: date | None = None) -> Policy``
  read, resolve ``screening: {include: FILE}``, validate (``PolicyInvalid`` lists every problem
  with file, line, field, expected and found) and hash the policy.
- ``policy_from_document(document: Mapping[str, Any], *, source: str = ...) -> Policy``
  rebuild a policy from its stored resolved document (``policy_versions.content``).
- ``Policy``: ``.content_hash``, ``.version``, ``.effective_date``, ``.levels`` (lowest first),
  ``.channels`` (name -> Channel), ``.chains``, ``.screening`` (ScreeningRules),
  ``.level(name) -> Level``, ``.channel(name) -> Channel``, ``.chain_for(level) -> Chain | None``.
- ``classify(policy, *, declared_level: str, channels: Iterable[str],
  findings: Iterable[LevelHint] = ()) -> Classification`` (level, reasons, refusals).
- ``signoff_status(policy, *, level: str, manifest_hash: str, decisions: Iterable[Decision],
  author_id, uploader_ids=(), editor_ids=(), drafting_unit: str | None = None,
  held_for_review: bool = False, submitted_at: datetime | None = None) -> SignoffState``
  (status, open_stage, missing, decisions with their standing, ``may_sign(user_id, roles, unit)``).
- ``is_stricter(new: Policy, old: Policy) -> bool`` and ``compare(new, old) -> Comparison``: the
  rule for items in review (see ``clearance.policy.versioning``).
- ``policy_event_body(policy: Policy) -> dict[str, Any]``: body of the ``policy.loaded`` event.
- ``POLICY_LOADED = "policy.loaded"``: that event's type.
- ``record_policy_if_new(rt: Runtime, *, actor: str, now: datetime | None = None) -> bool``:
  store ``rt.policy`` in ``policy_versions`` and log ``policy.loaded`` in one transaction.
- ``stored_policy(session, content_hash: str) -> Policy`` and
  ``policy_for_item(session, current: Policy, started_hash: str | None) -> Policy``: the policy
  an item in review is evaluated under.

Sign-off roles (unit_head, provincial_leader, spokesperson, security_officer, agency_head) are
named by the policy; an approver's sign-off roles are assigned by administrators.
"""

from __future__ import annotations

from clearance.approval import (
    AllOf,
    AnyOf,
    Chain,
    Decision,
    DecisionKind,
    Eligibility,
    Quorum,
    ReviewedDecision,
    Rule,
    Signer,
    SignoffState,
    SignoffStatus,
    Stage,
    StageCondition,
    StageProgress,
    Standing,
    UserId,
)
from clearance.policy.classify import Classification, LevelHint, Reason, ReasonKind, classify
from clearance.policy.loader import load_policy, policy_from_document
from clearance.policy.signoff import signoff_status
from clearance.policy.store import (
    POLICY_LOADED,
    policy_for_item,
    record_policy_if_new,
    stored_policy,
)
from clearance.policy.values import (
    STATE_SECRET_LEVELS,
    Channel,
    Level,
    Metadata,
    Policy,
    Publisher,
    Reference,
)
from clearance.policy.versioning import Comparison, compare, is_stricter, policy_event_body

__all__ = [
    "POLICY_LOADED",
    "STATE_SECRET_LEVELS",
    "AllOf",
    "AnyOf",
    "Chain",
    "Channel",
    "Classification",
    "Comparison",
    "Decision",
    "DecisionKind",
    "Eligibility",
    "Level",
    "LevelHint",
    "Metadata",
    "Policy",
    "Publisher",
    "Quorum",
    "Reason",
    "ReasonKind",
    "Reference",
    "ReviewedDecision",
    "Rule",
    "Signer",
    "SignoffState",
    "SignoffStatus",
    "Stage",
    "StageCondition",
    "StageProgress",
    "Standing",
    "UserId",
    "classify",
    "compare",
    "is_stricter",
    "load_policy",
    "policy_event_body",
    "policy_for_item",
    "policy_from_document",
    "record_policy_if_new",
    "signoff_status",
    "stored_policy",
]
