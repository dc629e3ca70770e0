"""The sign-off engine: rules, chains, the stage walk, the decision words and the statement
layout. Standard library only and imports nothing else of Clearance, so the online path
(``clearance.policy``, ``clearance.services.signoff``), the web's progress display and the
offline verifier (``clearance.auditlog``, which needs only ``cryptography``) share one rule.
"""

from __future__ import annotations

from clearance.approval.chain import Chain, Stage, StageCondition
from clearance.approval.decision import DecisionKind
from clearance.approval.rules import (
    AllOf,
    AnyOf,
    Eligibility,
    Evaluation,
    Quorum,
    Rule,
    Signer,
    UserId,
    at_least_as_strict,
    evaluate,
)
from clearance.approval.walk import (
    Decision,
    ReviewedDecision,
    SignoffState,
    SignoffStatus,
    StageProgress,
    Standing,
    walk_chain,
)

__all__ = [
    "AllOf",
    "AnyOf",
    "Chain",
    "Decision",
    "DecisionKind",
    "Eligibility",
    "Evaluation",
    "Quorum",
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
    "at_least_as_strict",
    "evaluate",
    "walk_chain",
]
