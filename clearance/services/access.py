"""Who may read an item, in one place: the web views, the approver queue and any other adapter
ask these functions (``webapp/access.py`` only translates to 404).

- author: the items they authored, originals included;
- approver: an item routed to *their* scope as the policy says: they decided on one of its
  revisions, or, while it is in or past sign-off, a stage of its level's chain has a slot that
  admits them (their sign-off role *and* the slot's unit rule: ``units`` or ``same_unit`` with
  the drafting unit); they read what will be published, never the originals; a security
  officer (the sign-off role) also reads an item blocked at a state-secret level, which they
  are notified of;
- auditor: every item, originals included, changing nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from clearance.approval.chain import Chain, Stage
from clearance.approval.rules import Eligibility, Signer
from clearance.errors import ClearanceError
from clearance.notifications.models import SECURITY_OFFICER
from clearance.policy import Policy

BLOCKED = "blocked"
#: states in which an item is (or was) in front of approvers
ROUTED_STATES = frozenset({"awaiting_signoff", "approved", "published", "rejected"})
#: capacities that may download the bytes the author uploaded (not only the sanitized ones)
READS_ORIGINALS = frozenset({"author", "auditor"})


@dataclass(frozen=True, slots=True)
class Reader:
    """Who is asking: product roles, sign-off roles and unit."""

    id: int
    roles: frozenset[str]
    signoff_roles: frozenset[str]
    unit: str | None


def _chain(policy: Policy, level: str | None) -> Chain | None:
    if level is None:
        return None
    try:
        return policy.chain_for(level)
    except ClearanceError:  # an unknown level has no chain
        return None


def _slots(stage: Stage) -> Iterator[Eligibility]:
    for alternative in stage.rule.alternatives():
        yield from alternative


def stage_admits(stage: Stage, reader: Reader, drafting_unit: str | None) -> bool:
    """A slot of ``stage`` admits ``reader`` (role and unit rule both)."""
    signer = Signer(reader.id, reader.signoff_roles, reader.unit)
    return any(slot.admits(signer, drafting_unit) for slot in _slots(stage))


def in_scope(policy: Policy, level: str | None, reader: Reader, drafting_unit: str | None) -> bool:
    """Some stage of ``level``'s chain would admit ``reader`` for an item of ``drafting_unit``."""
    chain = _chain(policy, level)
    if chain is None or not reader.signoff_roles:
        return False
    return any(stage_admits(stage, reader, drafting_unit) for stage in chain.stages)


def open_stage_admits(
    policy: Policy, level: str | None, stage_id: str, reader: Reader, drafting_unit: str | None
) -> bool:
    """The queue's rule: the request's stage (by id) of ``level``'s chain admits ``reader``."""
    chain = _chain(policy, level)
    if chain is None:
        return False
    stage = next((s for s in chain.stages if s.id == stage_id), None)
    return stage is not None and stage_admits(stage, reader, drafting_unit)


def approver_reads(
    policy: Policy,
    reader: Reader,
    *,
    state: str,
    level: str | None,
    drafting_unit: str | None,
    decided: bool,
) -> bool:
    """The item is in front of ``reader`` as an approver."""
    if "approver" not in reader.roles:
        return False
    if decided:
        return True
    if state == BLOCKED and SECURITY_OFFICER in reader.signoff_roles:
        return _state_secret(policy, level)
    return state in ROUTED_STATES and in_scope(policy, level, reader, drafting_unit)


@dataclass(frozen=True, slots=True)
class ApproverScope:
    """``approver_reads`` evaluated for one reader over every state an approver can see, every
    level of the policy and every drafting unit that exists, so that a query can select the
    visible items itself (a sparse scope then costs one index walk, not a read of every
    candidate): an item is visible when the reader decided on it, or when its
    ``(state, level)`` is in ``visible`` with its drafting unit among the units it maps to."""

    #: ((state, level), drafting units) pairs, sorted (a hashable value: a query's cache key)
    visible: tuple[tuple[tuple[str, str], frozenset[str | None]], ...]


#: scopes by (policy content, reader, units): the rule's answer never changes for the same
#: three, and every page of the all-items view asks it
_SCOPES: dict[tuple[str, Reader, frozenset[str | None]], ApproverScope] = {}


def approver_scope(policy: Policy, reader: Reader, units: frozenset[str | None]) -> ApproverScope:
    """Which (state, level, drafting unit) ``approver_reads`` admits for ``reader`` without a
    decision of theirs, asked of the rule itself for each combination (``units``: the units of
    the users who draft)."""
    key = (policy.content_hash, reader, units)
    found = _SCOPES.get(key)
    if found is None:
        found = _evaluate_scope(policy, reader, units)
        if len(_SCOPES) > 1024:
            _SCOPES.clear()
        _SCOPES[key] = found
    return found


def _evaluate_scope(policy: Policy, reader: Reader, units: frozenset[str | None]) -> ApproverScope:
    visible: dict[tuple[str, str], frozenset[str | None]] = {}
    for state in sorted(ROUTED_STATES | {BLOCKED}):
        for lv in policy.levels:
            admitted = frozenset(
                unit
                for unit in units
                if approver_reads(
                    policy, reader, state=state, level=lv.name, drafting_unit=unit, decided=False
                )
            )
            if admitted:
                visible[(state, lv.name)] = admitted
    return ApproverScope(tuple(sorted(visible.items())))


def _state_secret(policy: Policy, level: str | None) -> bool:
    if level is None:
        return False
    try:
        return policy.level(level).state_secret
    except ClearanceError:  # an unknown level is not known to be one
        return False


def reads_originals(capacity: str) -> bool:
    return capacity in READS_ORIGINALS
