"""The decision words: what an approver can decide, as signed statements, the log and the
database spell it (the one definition; every other module imports it)."""

from __future__ import annotations

from enum import StrEnum


class DecisionKind(StrEnum):
    APPROVE = "approve"
    #: an approval whose recommendations (in the comment) the approver signs as such
    APPROVE_WITH_RECOMMENDATIONS = "approve_with_recommendations"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"

    @property
    def approves(self) -> bool:
        return self in (DecisionKind.APPROVE, DecisionKind.APPROVE_WITH_RECOMMENDATIONS)
