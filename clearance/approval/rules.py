"""Sign-off rules as small policy objects: ``Quorum``, ``AllOf``, ``AnyOf`` (stdlib only).

A rule is satisfied by a set of *distinct* signers. Every rule flattens into alternatives; each
alternative is a tuple of slots (one :class:`Eligibility` per signer needed), and an alternative is
met when every slot can be given its own signer (a bipartite matching), so one person never fills
two slots. ``AllOf`` concatenates the slots of its parts, ``AnyOf`` offers each part's alternatives.
Empty composites and a quorum below one are refused: they would be trivially true.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

#: A user id as the product stores it (integers in the database, strings in tests and logs).
UserId = int | str

#: More alternatives than this means the policy combines ``any_of`` too freely to be reviewed.
MAX_ALTERNATIVES = 256


@dataclass(frozen=True, slots=True)
class Signer:
    """Someone who signed (or might sign): id, sign-off roles and unit."""

    user_id: UserId
    roles: frozenset[str]
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Who may fill one slot: one of ``roles``; in one of ``units`` when given; in the drafting
    unit when ``same_unit`` is set (nobody qualifies if the drafting unit is unknown)."""

    roles: frozenset[str]
    units: frozenset[str] | None = None
    same_unit: bool = False

    def __post_init__(self) -> None:
        if not self.roles:
            raise ValueError("an eligibility needs at least one role")
        if self.units is not None and not self.units:
            raise ValueError("an eligibility with a unit list needs at least one unit")

    def admits(self, signer: Signer, drafting_unit: str | None) -> bool:
        if not (self.roles & signer.roles):
            return False
        if self.units is not None and signer.unit not in self.units:
            return False
        return not self.same_unit or (drafting_unit is not None and signer.unit == drafting_unit)

    def narrower_or_equal(self, other: Eligibility) -> bool:
        """True when everyone this admits is also admitted by ``other``."""
        if not self.roles <= other.roles:
            return False
        if other.units is not None and (self.units is None or not self.units <= other.units):
            return False
        return self.same_unit or not other.same_unit

    def describe(self) -> str:
        text = " or ".join(sorted(self.roles))
        if self.units is not None:
            text += " of unit " + " or ".join(sorted(self.units))
        if self.same_unit:
            text += " of the drafting unit"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "roles": sorted(self.roles),
            "units": None if self.units is None else sorted(self.units),
            "same_unit": self.same_unit,
        }


Alternative = tuple[Eligibility, ...]


class Rule(Protocol):
    """A sign-off requirement: the alternatives that would satisfy it (a frozen, hashable value)."""

    def __hash__(self) -> int: ...

    def alternatives(self) -> tuple[Alternative, ...]: ...

    def describe(self) -> str: ...

    def to_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Quorum:
    """``count`` distinct signers, each admitted by ``eligible``."""

    count: int
    eligible: Eligibility

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"a quorum needs at least one signer, got {self.count}")

    def alternatives(self) -> tuple[Alternative, ...]:
        return ((self.eligible,) * self.count,)

    def describe(self) -> str:
        return f"{self.count} x {self.eligible.describe()}"

    def to_json(self) -> dict[str, Any]:
        return {"quorum": {"count": self.count, "eligible": self.eligible.to_json()}}


@dataclass(frozen=True, slots=True)
class AllOf:
    """Every part, each by its own signers."""

    rules: tuple[Rule, ...]

    def __post_init__(self) -> None:
        if not self.rules:
            raise ValueError("an empty AllOf would approve anything; give it at least one rule")

    def alternatives(self) -> tuple[Alternative, ...]:
        combined: list[Alternative] = []
        for parts in itertools.product(*(rule.alternatives() for rule in self.rules)):
            combined.append(tuple(slot for part in parts for slot in part))
            if len(combined) > MAX_ALTERNATIVES:
                raise ValueError(f"the rule has more than {MAX_ALTERNATIVES} alternatives")
        return tuple(combined)

    def describe(self) -> str:
        return "all of (" + "; ".join(rule.describe() for rule in self.rules) + ")"

    def to_json(self) -> dict[str, Any]:
        return {"all_of": [rule.to_json() for rule in self.rules]}


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Any one part."""

    rules: tuple[Rule, ...]

    def __post_init__(self) -> None:
        if not self.rules:
            raise ValueError("an empty AnyOf can never be met; give it at least one rule")

    def alternatives(self) -> tuple[Alternative, ...]:
        found = tuple(alt for rule in self.rules for alt in rule.alternatives())
        if len(found) > MAX_ALTERNATIVES:
            raise ValueError(f"the rule has more than {MAX_ALTERNATIVES} alternatives")
        return found

    def describe(self) -> str:
        return "any of (" + "; ".join(rule.describe() for rule in self.rules) + ")"

    def to_json(self) -> dict[str, Any]:
        return {"any_of": [rule.to_json() for rule in self.rules]}


@dataclass(frozen=True, slots=True)
class Evaluation:
    """How far a rule is met: ``counted`` signers filled slots, ``missing`` slots are open."""

    satisfied: bool
    counted: tuple[UserId, ...]
    missing: tuple[Eligibility, ...]


def _match(
    slots: Alternative, signers: Sequence[Signer], drafting_unit: str | None
) -> dict[int, int]:
    """Maximum matching slot index -> signer index (augmenting paths; sizes are tiny)."""
    owner: dict[int, int] = {}  # signer index -> slot index

    def augment(slot: int, seen: set[int]) -> bool:
        for index, signer in enumerate(signers):
            if index in seen or not slots[slot].admits(signer, drafting_unit):
                continue
            seen.add(index)
            if index not in owner or augment(owner[index], seen):
                owner[index] = slot
                return True
        return False

    for slot in range(len(slots)):
        augment(slot, set())
    return {slot: index for index, slot in owner.items()}


def evaluate(rule: Rule, signers: Sequence[Signer], drafting_unit: str | None) -> Evaluation:
    """Evaluate ``rule`` against distinct ``signers`` (deduplicate by user id before calling)."""
    ids = [signer.user_id for signer in signers]
    if len(set(ids)) != len(ids):
        raise ValueError("evaluate() needs distinct signers; one person counts once")
    return _evaluate(rule, tuple(signers), drafting_unit)


@functools.lru_cache(maxsize=1024)
def _alternatives(rule: Rule) -> tuple[Alternative, ...]:
    return rule.alternatives()


@functools.lru_cache(maxsize=8192)
def _evaluate(rule: Rule, signers: tuple[Signer, ...], drafting_unit: str | None) -> Evaluation:
    """The best alternative of ``rule`` for ``signers``: a pure function of frozen values,
    remembered because a log meets the same stage and approvers again and again."""
    best: Evaluation | None = None
    for slots in _alternatives(rule):
        matched = _match(slots, signers, drafting_unit)
        missing = tuple(slot for i, slot in enumerate(slots) if i not in matched)
        counted = tuple(signers[matched[i]].user_id for i in sorted(matched))
        candidate = Evaluation(not missing, counted, missing)
        if candidate.satisfied:
            return candidate
        if best is None or len(candidate.missing) < len(best.missing):
            best = candidate
    assert best is not None  # composites are never empty, so there is an alternative
    return best


def at_least_as_strict(new: Rule, old: Rule) -> bool:
    """True when every set of signers meeting ``new`` also meets ``old``.

    Sufficient test: each alternative of ``new`` embeds some alternative of ``old``, i.e. the old
    slots can be matched injectively onto new slots that are narrower or equal. The signers of
    those new slots are then distinct and admitted by the old slots.
    """
    for new_alt in new.alternatives():
        if not any(_embeds(old_alt, new_alt) for old_alt in old.alternatives()):
            return False
    return True


def _embeds(old_alt: Alternative, new_alt: Alternative) -> bool:
    owner: dict[int, int] = {}  # new slot index -> old slot index

    def augment(old_slot: int, seen: set[int]) -> bool:
        for index, new_slot in enumerate(new_alt):
            if index in seen or not new_slot.narrower_or_equal(old_alt[old_slot]):
                continue
            seen.add(index)
            if index not in owner or augment(owner[index], seen):
                owner[index] = old_slot
                return True
        return False

    return all(augment(slot, set()) for slot in range(len(old_alt)))
