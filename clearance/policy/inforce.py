"""The one loader of the policy in force, and its cache.

The rule: the policy in force is the latest version recorded in the database. ``clearance init``
seeds the database from the policy file (``Settings.policy_path``); afterwards a change takes
effect only when recorded (the web UI requires a second administrator to confirm it), so an
edited file on disk never silently becomes the rules. While the database holds no version yet
(a fresh installation being seeded), the file is read, once per process. A process trusts the
version it holds for ``recheck_seconds`` (default ``RECHECK_SECONDS``), then asks the database
for the latest version's hash and loads that version when it differs: every process sees a
newly confirmed policy within that time. ``expire`` makes the next read ask at once. A caller
that holds a read snapshot of its own (a web page) passes it as ``readers`` so the check reads
there rather than in a transaction of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from clearance.policy.loader import load_policy
from clearance.policy.models import PolicyVersion
from clearance.policy.store import stored_policy
from clearance.policy.values import Policy

#: how long a process trusts its cached policy before checking for a newer recorded one
RECHECK_SECONDS = 2.0


class PolicyInForce:
    """The policy in force for one process: read through ``readers`` (sessions for reads),
    cached, re-checked per the rule above; ``pin`` fixes it (tests, checks)."""

    def __init__(
        self,
        readers: Callable[[], AbstractContextManager[Session]],
        policy_path: Path,
        *,
        recheck_seconds: float = RECHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._readers = readers
        self._policy_path = policy_path
        self._recheck_seconds = recheck_seconds
        self._clock = clock
        self._policy: Policy | None = None
        self._pinned: Policy | None = None
        self._checked: float | None = None

    def current(
        self, readers: Callable[[], AbstractContextManager[Session]] | None = None
    ) -> Policy:
        """The policy in force (the pinned one, if any); a due re-check reads through
        ``readers`` when given (the caller's snapshot), else through the process's own."""
        if self._pinned is not None:
            return self._pinned
        now = self._clock()
        if (
            self._policy is not None
            and self._checked is not None
            and now - self._checked < self._recheck_seconds
        ):
            return self._policy
        readers = readers or self._readers
        policy = self._policy
        latest = self._latest_hash(readers)
        if latest is not None and (policy is None or policy.content_hash != latest):
            with readers() as session:
                policy = stored_policy(session, latest)
        if policy is None:  # nothing recorded yet: the file `clearance init` seeds from
            policy = load_policy(self._policy_path)
        self._policy, self._checked = policy, now
        return policy

    def _latest_hash(self, readers: Callable[[], AbstractContextManager[Session]]) -> str | None:
        """The content hash of the latest recorded version; None when none is recorded or the
        schema is not there yet (``clearance init`` is seeding it)."""
        try:
            with readers() as session:
                return session.scalar(
                    select(PolicyVersion.content_hash).order_by(PolicyVersion.id.desc()).limit(1)
                )
        except (OperationalError, ProgrammingError):
            return None

    def expire(self) -> None:
        """Make the next ``current`` ask the database at once (after recording a version here)."""
        self._checked = None

    def pin(self, policy: Policy | None) -> None:
        """Fix the policy to ``policy``; ``None`` returns to the policy in force."""
        self._pinned = policy
