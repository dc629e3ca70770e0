"""Recording policies and finding the policy an item is evaluated under."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearance.canonical import canonical_json
from clearance.errors import NotFound, VerificationError
from clearance.events import Event
from clearance.policy.loader import policy_from_document
from clearance.policy.models import PolicyVersion
from clearance.policy.values import Policy
from clearance.policy.versioning import is_stricter, policy_event_body
from clearance.storage.uow import UnitOfWork


class PolicyHost(Protocol):
    """What recording a policy needs of the runtime (``clearance.runtime.Runtime`` is one): the
    policy in force and a unit of work. The policy package does not import the runtime, which
    sits above it."""

    @property
    def policy(self) -> Policy: ...

    def uow(self) -> UnitOfWork: ...


POLICY_LOADED = "policy.loaded"


def record_policy_if_new(
    rt: PolicyHost, *, actor: str, now: datetime | None = None, policy: Policy | None = None
) -> bool:
    """Store ``policy`` (default: the runtime's) and log ``policy.loaded`` unless already stored.

    Recording puts it in force (``Runtime.policy`` reads the latest recorded version). Returns
    True when it was new. Row and audit event share one transaction.
    """
    policy = rt.policy if policy is None else policy
    with rt.uow() as uow:
        if _row(uow.session, policy.content_hash) is not None:
            return False
        moment = now or datetime.now(UTC)
        uow.session.add(
            PolicyVersion(
                content_hash=policy.content_hash,
                version=policy.version,
                effective_date=policy.effective_date,
                content=canonical_json(policy.document).decode("utf-8"),
                source=policy.source,
                loaded_by=actor,
                loaded_at=moment,
            )
        )
        uow.record(
            Event(
                POLICY_LOADED,
                actor=actor,
                policy_hash=policy.content_hash,
                body=policy_event_body(policy),
            )
        )
        uow.commit(now=moment)
    return True


def stored_policy(session: Session, content_hash: str) -> Policy:
    """Rebuild the stored policy with ``content_hash``; the recomputed hash must match."""
    row = _row(session, content_hash)
    if row is None:
        raise NotFound(f"no policy with hash {content_hash} was ever loaded; check the hash")
    policy = policy_from_document(json.loads(row.content), source=f"policy_versions:{row.id}")
    if policy.content_hash != content_hash:
        raise VerificationError(
            f"the stored policy {content_hash} now hashes to {policy.content_hash}; "
            "the policy_versions table may have been modified",
            code="policy.stored_hash",
            params={"hash": content_hash, "now": policy.content_hash},
        )
    return policy


def policy_for_item(session: Session, current: Policy, started_hash: str | None) -> Policy:
    """The policy an item in review is evaluated under: the one it started with, unless the
    policy in force is stricter (``clearance.policy.versioning``)."""
    if started_hash is None or started_hash == current.content_hash:
        return current
    started = stored_policy(session, started_hash)
    return current if is_stricter(current, started) else started


def _row(session: Session, content_hash: str) -> PolicyVersion | None:
    return session.scalars(
        select(PolicyVersion).where(PolicyVersion.content_hash == content_hash)
    ).one_or_none()
