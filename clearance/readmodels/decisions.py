"""The decisions recorded on an item, every revision, oldest first: what the item pages and the
evidence show (the sign-off engine reads its own in ``clearance.services.signoff``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select

from clearance.storage.models import Decision, Revision, User


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """A recorded decision on any revision of an item, as the pages and the sign-off need it."""

    revision_id: int
    revision: int
    approver_id: int
    approver: str
    unit: str | None
    stage: int
    role: str
    decision: str
    comment: str | None
    manifest_hash: str
    at: Any


_DECISIONS = (
    select(
        Decision.revision_id,
        Revision.number,
        Decision.approver_id,
        User.username,
        User.unit,
        Decision.stage,
        Decision.role,
        Decision.decision,
        Decision.comment,
        Decision.manifest_hash,
        Decision.created_at,
    )
    .join(Revision, Revision.id == Decision.revision_id)
    .join(User, User.id == Decision.approver_id)
    .where(Revision.item_id == bindparam("item_id"))
    .order_by(Decision.created_at, Decision.id)
)


def item_decisions(connection: Connection, item_id: str) -> tuple[DecisionRecord, ...]:
    """Every decision on every revision of ``item_id``, oldest first (one query)."""
    rows = connection.execute(_DECISIONS, {"item_id": item_id})
    return tuple(DecisionRecord(*row) for row in rows)
