"""Sign-off chains as the ``policy.loaded`` entry records them, read strictly for the offline
verifier (stdlib only: the verifier does not import the policy package, YAML or screening).

This module only parses: the JSON that ``clearance.policy.policy_event_body`` writes becomes the
engine's own values (``clearance.approval``: rules, stages, chains), which the verifier walks
with the same ``walk_chain`` as the online path. A rule is
``{"quorum": {"count": n, "eligible": {"roles", "units", "same_unit"}}}``,
``{"all_of": [rule, ...]}`` or ``{"any_of": [rule, ...]}``; anything else, an empty composite or
a rule with more alternatives than the engine allows is refused with ``BadInput``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clearance.approval import AllOf, AnyOf, Chain, Eligibility, Quorum, Rule, Stage, StageCondition
from clearance.approval.rules import MAX_ALTERNATIVES
from clearance.canonical import canonical_hash
from clearance.errors import BadInput

_RULE_KEYS = {"quorum", "all_of", "any_of"}
_ELIGIBLE_KEYS = {"roles", "units", "same_unit"}


def _strings(value: Any, what: str) -> frozenset[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise BadInput(f"{what} must be a non-empty list of strings")
    return frozenset(value)


def parse_rule(rule: Any, where: str) -> Rule:
    """A JSON rule as the engine's rule; refuse anything malformed or trivially true."""
    if not isinstance(rule, dict) or len(rule) != 1 or not _RULE_KEYS.issuperset(rule):
        raise BadInput(f"{where}: a rule is one of quorum, all_of, any_of")
    ((kind, value),) = rule.items()
    if kind == "quorum":
        if not isinstance(value, dict) or set(value) != {"count", "eligible"}:
            raise BadInput(f"{where}: quorum must be an object with count and eligible")
        count, eligible = value["count"], value["eligible"]
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise BadInput(f"{where}: quorum count must be an integer >= 1")
        if not isinstance(eligible, dict) or not _ELIGIBLE_KEYS.issuperset(eligible):
            raise BadInput(f"{where}: quorum needs an eligible object of roles, units, same_unit")
        units = eligible.get("units")
        same_unit = eligible.get("same_unit", False)
        if not isinstance(same_unit, bool):
            raise BadInput(f"{where}: same_unit must be true or false")
        slot = Eligibility(
            _strings(eligible.get("roles"), f"{where}: eligible roles"),
            None if units is None else _strings(units, f"{where}: eligible units"),
            same_unit,
        )
        return Quorum(count, slot)
    if not isinstance(value, list) or not value:
        raise BadInput(f"{where}: {kind} needs a non-empty list of rules")
    parts = tuple(parse_rule(part, f"{where}.{kind}[{i}]") for i, part in enumerate(value))
    composite: Rule = AllOf(parts) if kind == "all_of" else AnyOf(parts)
    try:
        composite.alternatives()
    except ValueError:
        raise BadInput(f"{where}: the rule has more than {MAX_ALTERNATIVES} alternatives") from None
    return composite


def _stage(raw: Any, at: str) -> Stage:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
        raise BadInput(f"{at} needs an id")
    when = raw.get("when", StageCondition.ALWAYS.value)
    if when not in {c.value for c in StageCondition}:
        raise BadInput(f"{at}: unknown condition when={when!r}")
    hours = raw.get("deadline_hours", 0)
    if isinstance(hours, bool) or not isinstance(hours, int) or hours < 0:
        raise BadInput(f"{at}: deadline_hours must be a whole number of hours")
    return Stage(
        id=raw["id"],
        label_vi=raw["id"],
        rule=parse_rule(raw.get("rule"), f"{at}.rule"),
        deadline_hours=hours,
        when=StageCondition(when),
    )


def parse_policy(body: Mapping[str, Any]) -> tuple[str, dict[str, Chain]]:
    """Read a ``policy.loaded`` body: its hash (checked against ``document``) and the chain per
    publishable level. Raise BadInput naming what is wrong."""
    policy_hash = body.get("policy_hash")
    if not isinstance(policy_hash, str):
        raise BadInput(
            "policy.loaded body needs a policy_hash string", params={"reason": "no-hash"}
        )
    if "document" not in body:
        raise BadInput(
            "policy.loaded body needs the resolved policy document",
            params={"reason": "no-document"},
        )
    try:
        actual = canonical_hash(body["document"])
    except BadInput as exc:
        raise BadInput(
            f"the policy document is not canonical JSON: {exc}",
            params={"reason": "not-canonical"},
        ) from None
    if actual != policy_hash:
        raise BadInput(
            f"the policy document hashes to {actual[:16]}…, not the recorded policy_hash "
            f"{policy_hash[:16]}…",
            params={"reason": "hash-mismatch"},
        )
    raw = body.get("signoff_chains")
    if not isinstance(raw, dict):
        raise BadInput(
            "policy.loaded body needs a signoff_chains object", params={"reason": "no-chains"}
        )
    chains: dict[str, Chain] = {}
    for level, chain in raw.items():
        try:
            chains[str(level)] = _chain(f"signoff_chains.{level}", level, chain)
        except BadInput as exc:
            raise BadInput(str(exc), params={"reason": "bad-chain", "level": str(level)}) from None
    return policy_hash, chains


def _chain(where: str, level: str, chain: object) -> Chain:
    """One level's chain of a ``policy.loaded`` body; raise BadInput naming what is wrong."""
    if not isinstance(chain, dict) or not isinstance(chain.get("stages"), list):
        raise BadInput(f"{where} needs a chain name and a list of stages")
    name = chain.get("chain", level)
    if not isinstance(name, str):
        raise BadInput(f"{where}: the chain name must be a string")
    stages = tuple(_stage(stage, f"{where}.stages[{i}]") for i, stage in enumerate(chain["stages"]))
    if not stages:
        raise BadInput(f"{where} has no stages; an empty chain would approve anything")
    if all(stage.when is not StageCondition.ALWAYS for stage in stages):
        raise BadInput(f"{where} has only conditional stages; one must always apply")
    ids = [stage.id for stage in stages]
    if len(set(ids)) != len(ids):
        raise BadInput(f"{where} names a stage twice ({', '.join(ids)})")
    return Chain(name, stages)
