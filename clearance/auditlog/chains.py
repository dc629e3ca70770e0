"""Sign-off chains as the ``policy.loaded`` entry records them, evaluated offline (pure, stdlib).

This is the verifier's own reading of the JSON that ``clearance.policy.policy_event_body`` writes,
so the verifier does not import the policy package (YAML, screening). The semantics are those of
``clearance.policy.signoff_status`` (a test cross-checks the two on random decision sequences):

- a rule is ``{"quorum": {"count": n, "eligible": {"roles", "units", "same_unit"}}}``,
  ``{"all_of": [rule, ...]}`` or ``{"any_of": [rule, ...]}``; it flattens into alternatives, each a
  tuple of slots, met when every slot gets its own signer (bipartite matching);
- stages run in order; a stage with ``when: held_for_review`` applies only when screening held the
  revision for review; an approval counts only for the stage it names, once that stage is open,
  from someone who is not the author (or an uploader or editor), counted once per revision, and
  only if it fills a missing slot;
- decisions on another manifest are never counted; a rejection vetoes; a request for changes
  sends the revision back.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from clearance.canonical import canonical_hash
from clearance.errors import BadInput

MAX_ALTERNATIVES = 256
APPROVE, REJECT, REQUEST_CHANGES = "approve", "reject", "request_changes"
#: the signed decisions that count as approvals (recommendations travel in the comment)
APPROVALS = frozenset({APPROVE, "approve_with_recommendations"})
HELD_FOR_REVIEW, ALWAYS = "held_for_review", "always"


@dataclass(frozen=True, slots=True)
class Slot:
    """Who may fill one place in a rule."""

    roles: frozenset[str]
    units: frozenset[str] | None = None
    same_unit: bool = False

    def admits(self, signer: Signer, drafting_unit: str | None) -> bool:
        if not (self.roles & signer.roles):
            return False
        if self.units is not None and signer.unit not in self.units:
            return False
        return not self.same_unit or (drafting_unit is not None and signer.unit == drafting_unit)


Alternative = tuple[Slot, ...]


@dataclass(frozen=True, slots=True)
class Signer:
    who: str
    roles: frozenset[str]
    unit: str | None


@dataclass(frozen=True, slots=True)
class Stage:
    id: str
    when: str
    alternatives: tuple[Alternative, ...]


@dataclass(frozen=True, slots=True)
class Chain:
    name: str
    stages: tuple[Stage, ...]


@dataclass(frozen=True, slots=True)
class Decision:
    """A sign-off as the log records it; ``order`` sorts decisions like the online engine."""

    who: str
    role: str
    unit: str | None
    decision: str
    manifest: str
    stage: str
    time: str


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # approved | rejected | changes_requested | waiting
    missing: tuple[str, ...]


def _strings(value: Any, what: str) -> frozenset[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise BadInput(f"{what} must be a non-empty list of strings")
    return frozenset(value)


def parse_rule(rule: Any, where: str) -> tuple[Alternative, ...]:
    """Flatten a JSON rule into its alternatives; refuse anything malformed or trivially true."""
    if not isinstance(rule, dict) or len(rule) != 1:
        raise BadInput(f"{where}: a rule is one of quorum, all_of, any_of")
    ((kind, value),) = rule.items()
    if kind == "quorum":
        if not isinstance(value, dict):
            raise BadInput(f"{where}: quorum must be an object")
        count, eligible = value.get("count"), value.get("eligible")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise BadInput(f"{where}: quorum count must be an integer >= 1")
        if not isinstance(eligible, dict):
            raise BadInput(f"{where}: quorum needs an eligible object")
        units = eligible.get("units")
        same_unit = eligible.get("same_unit", False)
        if not isinstance(same_unit, bool):
            raise BadInput(f"{where}: same_unit must be true or false")
        slot = Slot(
            _strings(eligible.get("roles"), f"{where}: eligible roles"),
            None if units is None else _strings(units, f"{where}: eligible units"),
            same_unit,
        )
        return ((slot,) * count,)
    if kind not in ("all_of", "any_of"):
        raise BadInput(f"{where}: unknown rule {kind!r}; expected quorum, all_of or any_of")
    if not isinstance(value, list) or not value:
        raise BadInput(f"{where}: {kind} needs a non-empty list of rules")
    parts = [parse_rule(part, f"{where}.{kind}[{i}]") for i, part in enumerate(value)]
    found: list[Alternative] = []
    if kind == "any_of":
        found = [alt for part in parts for alt in part]
    else:
        for combo in itertools.product(*parts):
            found.append(tuple(slot for alt in combo for slot in alt))
            if len(found) > MAX_ALTERNATIVES:
                break
    if len(found) > MAX_ALTERNATIVES:
        raise BadInput(f"{where}: the rule has more than {MAX_ALTERNATIVES} alternatives")
    return tuple(found)


def parse_policy(body: Mapping[str, Any]) -> tuple[str, dict[str, Chain]]:
    """Read a ``policy.loaded`` body: its hash (checked against ``document``) and the chain per
    publishable level. Raise BadInput naming what is wrong."""
    policy_hash = body.get("policy_hash")
    if not isinstance(policy_hash, str):
        raise BadInput("policy.loaded body needs a policy_hash string")
    if "document" not in body:
        raise BadInput("policy.loaded body needs the resolved policy document")
    try:
        actual = canonical_hash(body["document"])
    except BadInput as exc:
        raise BadInput(f"the policy document is not canonical JSON: {exc}") from None
    if actual != policy_hash:
        raise BadInput(
            f"the policy document hashes to {actual[:16]}…, not the recorded policy_hash "
            f"{policy_hash[:16]}…"
        )
    raw = body.get("signoff_chains")
    if not isinstance(raw, dict):
        raise BadInput("policy.loaded body needs a signoff_chains object")
    chains: dict[str, Chain] = {}
    for level, chain in raw.items():
        where = f"signoff_chains.{level}"
        if not isinstance(chain, dict) or not isinstance(chain.get("stages"), list):
            raise BadInput(f"{where} needs a chain name and a list of stages")
        stages: list[Stage] = []
        for i, stage in enumerate(chain["stages"]):
            at = f"{where}.stages[{i}]"
            if not isinstance(stage, dict) or not isinstance(stage.get("id"), str):
                raise BadInput(f"{at} needs an id")
            when = stage.get("when", ALWAYS)
            if when not in (ALWAYS, HELD_FOR_REVIEW):
                raise BadInput(f"{at}: unknown condition when={when!r}")
            stages.append(Stage(stage["id"], when, parse_rule(stage.get("rule"), f"{at}.rule")))
        if not stages:
            raise BadInput(f"{where} has no stages; an empty chain would approve anything")
        chains[str(level)] = Chain(str(chain.get("chain", level)), tuple(stages))
    return policy_hash, chains


def _match(slots: Alternative, signers: Sequence[Signer], unit: str | None) -> dict[int, int]:
    """Maximum matching slot -> signer index, by augmenting paths in slot and signer order."""
    owner: dict[int, int] = {}  # signer index -> slot

    def augment(slot: int, seen: set[int]) -> bool:
        for index, signer in enumerate(signers):
            if index in seen or not slots[slot].admits(signer, unit):
                continue
            seen.add(index)
            if index not in owner or augment(owner[index], seen):
                owner[index] = slot
                return True
        return False

    for slot in range(len(slots)):
        augment(slot, set())
    return {slot: index for index, slot in owner.items()}


def evaluate(
    alternatives: Sequence[Alternative], signers: Sequence[Signer], unit: str | None
) -> tuple[bool, tuple[str, ...], int]:
    """(satisfied, who was counted, how many slots are missing) for the best alternative."""
    best: tuple[bool, tuple[str, ...], int] | None = None
    for slots in alternatives:
        matched = _match(slots, signers, unit)
        missing = len(slots) - len(matched)
        counted = tuple(signers[matched[i]].who for i in sorted(matched))
        if not missing:
            return True, counted, 0
        if best is None or missing < best[2]:
            best = (False, counted, missing)
    assert best is not None  # parse_rule never yields an empty rule
    return best


Evaluation = tuple[bool, tuple[str, ...], int]
#: ``evaluate`` results by its arguments, shared by the ``chain_status`` calls of one log
Memo = dict[tuple[tuple[Alternative, ...], tuple[Signer, ...], str | None], Evaluation]


def _memoised(
    memo: Memo,
) -> Callable[[Sequence[Alternative], Sequence[Signer], str | None], Evaluation]:
    """``evaluate`` remembering its results in ``memo`` (it is a pure function of its arguments,
    and the same stage meets the same approvers again and again in a log)."""

    def evaluate_once(
        alternatives: Sequence[Alternative], signers: Sequence[Signer], unit: str | None
    ) -> Evaluation:
        key = (tuple(alternatives), tuple(signers), unit)
        found = memo.get(key)
        if found is None:
            found = memo[key] = evaluate(alternatives, signers, unit)
        return found

    return evaluate_once


def chain_status(
    chain: Chain,
    *,
    manifest: str,
    decisions: Iterable[Decision],
    excluded: Iterable[str],
    drafting_unit: str | None,
    held_for_review: bool,
    memo: Memo | None = None,
) -> Outcome:
    """The status of ``chain`` for the revision whose released manifest is ``manifest``.
    Pass the same ``memo`` to calls on one log to evaluate each stage and set of approvers once."""
    evaluate_ = evaluate if memo is None else _memoised(memo)
    ordered = sorted(decisions, key=lambda d: (d.time, d.who, d.stage, d.decision))
    current = [d for d in ordered if d.manifest == manifest]
    if any(d.decision == REJECT for d in current):
        return Outcome("rejected", ())
    if any(d.decision == REQUEST_CHANGES for d in current):
        return Outcome("changes_requested", ())
    approvals = [d for d in current if d.decision in APPROVALS]
    out = frozenset(excluded)
    counted: set[str] = set()
    missing: list[str] = []
    previous_complete = True
    opened_at: str | None = None
    for stage in chain.stages:
        if stage.when == HELD_FOR_REVIEW and not held_for_review:
            continue
        if not previous_complete:
            missing.append(f"{stage.id}: not open yet")
            continue
        signers: tuple[Signer, ...] = ()
        completed_at: str | None = None
        # ``state`` is always evaluate(stage.alternatives, signers, drafting_unit).
        state = evaluate_(stage.alternatives, signers, drafting_unit)
        for d in approvals:
            if d.stage != stage.id or d.who in out or d.who in counted:
                continue
            if any(s.who == d.who for s in signers) or completed_at is not None:
                continue
            if opened_at is not None and d.time < opened_at:
                continue
            signer = Signer(d.who, frozenset({d.role}), d.unit)
            trial = evaluate_(stage.alternatives, (*signers, signer), drafting_unit)
            # Counted only if it completes the stage or fills a missing slot; never once it is met.
            if state[0] or not (trial[0] or trial[2] < state[2]):
                continue
            signers, state = (*signers, signer), trial
            if trial[0]:
                completed_at = d.time
        done, who, short = state
        if done:
            counted.update(who)
            opened_at = completed_at
        else:
            missing.append(f"{stage.id}: {short} more")
        previous_complete = done
    return Outcome("waiting" if missing else "approved", tuple(missing))
