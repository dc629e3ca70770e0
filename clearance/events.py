"""Events: what a service call records, handed to the audit log in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.orm import Session


class ReleasedRevision(Protocol):
    """What a release carries of its revision (``publishing.Release``)."""

    @property
    def item_id(self) -> str: ...
    @property
    def revision(self) -> int: ...
    @property
    def manifest_hash(self) -> str: ...
    @property
    def policy_hash(self) -> str | None: ...


@runtime_checkable
class StoredRevision(Protocol):
    """A stored revision (``storage.models.Revision``): its release manifest is the one bound."""

    @property
    def item_id(self) -> str: ...
    @property
    def number(self) -> int: ...
    @property
    def release_manifest_hash(self) -> str | None: ...
    @property
    def policy_hash(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened, as the audit log will bind it."""

    event_type: str
    actor: str | None
    item_id: str | None = None
    revision: int | None = None
    manifest_hash: str | None = None
    policy_hash: str | None = None
    body: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def for_revision(
        cls,
        kind: str,
        revision: StoredRevision | ReleasedRevision,
        body: Mapping[str, Any] | None = None,
        *,
        actor: str | None = None,
    ) -> Event:
        """The event ``kind`` bound to a revision's item, number, release manifest and policy
        (a stored revision or a release), in this one place."""
        if isinstance(revision, StoredRevision):
            number, manifest = revision.number, revision.release_manifest_hash
        else:
            number, manifest = revision.revision, revision.manifest_hash
        return cls(
            kind,
            actor=actor,
            item_id=revision.item_id,
            revision=number,
            manifest_hash=manifest,
            policy_hash=revision.policy_hash,
            body=dict(body or {}),
        )


class EventSink(Protocol):
    """Where events go: the audit log appends them inside the caller's transaction."""

    def append(self, session: Session, events: Sequence[Event], *, now: datetime) -> None:
        """Append ``events`` in ``session``'s open transaction; raise to abort the commit."""
        ...
