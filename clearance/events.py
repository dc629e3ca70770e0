"""Events: what a service call records, handed to the audit log in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session


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


class EventSink(Protocol):
    """Where events go: the audit log appends them inside the caller's transaction."""

    def append(self, session: Session, events: Sequence[Event], *, now: datetime) -> None:
        """Append ``events`` in ``session``'s open transaction; raise to abort the commit."""
        ...
