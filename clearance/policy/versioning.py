"""Policy versions: the ``policy.loaded`` audit event body and the "stricter" rule.

Rule for items already in review: an item keeps the policy it started under, unless the policy
now in force is *stricter* than it, in which case the item moves to the new one. ``new`` is
stricter than ``old`` when the two differ (content hash) and ``new`` is at least as strict in
every respect below; a policy that tightens one thing and loosens another is not stricter.

1. Levels: every level of ``old`` exists in ``new``, the old levels keep their relative order,
   no level that ``old`` never publishes becomes publishable, and no state-secret level stops
   being one.
2. Chains: for every level publishable under ``new``, each stage of the old chain has a stage with
   the same id in the new chain, in the same relative order, with the same or a broader
   condition (``always`` covers ``held_for_review``), and whose rule is at least as strict: every
   way of meeting the new rule also meets the old one (each alternative of the new rule embeds
   an alternative of the old rule, old slots matched onto distinct narrower-or-equal new slots:
   fewer roles, fewer units, or the drafting unit added). New stages may be added anywhere.
   Deadlines do not make a policy stricter or looser.
3. Channels: no channel is added; for each channel kept, the allowed levels and file types are
   subsets of the old ones and its level floor (``implies_level``) is the same or higher.
   Publisher adapter and settings are not compared.
4. Screening: the screening section is identical. The policy cannot rank screening changes (a
   new keyword tightens, a new allowlist entry loosens), so any screening change means "not
   stricter" and items finish under the rules they were screened with.
5. Metadata and references are not compared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from clearance.approval import Chain, StageCondition
from clearance.approval.rules import at_least_as_strict
from clearance.canonical import canonical_hash, canonical_json
from clearance.policy.values import Policy

#: Separation-of-duties rules the engine enforces, stated in the event for the offline verifier.
SEPARATION_OF_DUTIES: dict[str, Any] = {
    "never_approve": ["author", "uploaders", "editors"],
    "one_person_counts_once_per_revision": True,
    "any_rejection_vetoes": True,
    "decisions_on_other_manifest_hashes_count": False,
    "stages_in_order": True,
}


@dataclass(frozen=True, slots=True)
class Comparison:
    """``looser`` lists every respect in which ``new`` is not at least as strict as ``old``."""

    same: bool
    looser: tuple[str, ...]

    @property
    def stricter(self) -> bool:
        return not self.same and not self.looser


def compare(new: Policy, old: Policy) -> Comparison:
    """Compare ``new`` with ``old`` by the rule in this module's docstring."""
    if new.content_hash == old.content_hash:
        return Comparison(True, ())
    looser: list[str] = []
    _compare_levels(new, old, looser)
    _compare_chains(new, old, looser)
    _compare_channels(new, old, looser)
    if canonical_hash(new.document.get("screening")) != canonical_hash(
        old.document.get("screening")
    ):
        looser.append("the screening rules changed (screening changes are never ranked)")
    return Comparison(False, tuple(looser))


def is_stricter(new: Policy, old: Policy) -> bool:
    """True when items that started under ``old`` must move to ``new`` (see module docstring)."""
    return compare(new, old).stricter


def _compare_levels(new: Policy, old: Policy, looser: list[str]) -> None:
    new_names = [level.name for level in new.levels]
    kept = [level.name for level in old.levels if level.name in new_names]
    for level in old.levels:
        if level.name not in new_names:
            looser.append(f"level {level.name} was removed")
            continue
        now = new.level(level.name)
        if now.publishable and not level.publishable:
            looser.append(f"level {level.name} became publishable")
        if level.state_secret and not now.state_secret:
            looser.append(f"level {level.name} is no longer a state secret")
    if [name for name in new_names if name in kept] != kept:
        looser.append("the order of the existing levels changed")


def _compare_chains(new: Policy, old: Policy, looser: list[str]) -> None:
    for level in new.levels:
        if not level.publishable or not old.has_level(level.name):
            continue
        new_chain = new.chain_for(level.name)
        old_chain = old.chain_for(level.name)
        if new_chain is None or old_chain is None:
            continue
        looser.extend(f"level {level.name}: {text}" for text in _chain_gaps(new_chain, old_chain))


def _chain_gaps(new: Chain, old: Chain) -> list[str]:
    gaps: list[str] = []
    positions = {stage.id: index for index, stage in enumerate(new.stages)}
    last = -1
    for stage in old.stages:
        if stage.id not in positions:
            gaps.append(f"stage {stage.id} was removed")
            continue
        if positions[stage.id] < last:
            gaps.append(f"stage {stage.id} moved before an earlier stage")
        last = max(last, positions[stage.id])
        now = new.stages[positions[stage.id]]
        if stage.when is StageCondition.ALWAYS and now.when is not StageCondition.ALWAYS:
            gaps.append(f"stage {stage.id} no longer always applies")
        if not at_least_as_strict(now.rule, stage.rule):
            gaps.append(f"stage {stage.id} accepts signers the old rule did not")
    return gaps


def _compare_channels(new: Policy, old: Policy, looser: list[str]) -> None:
    for name, channel in new.channels.items():
        if name not in old.channels:
            looser.append(f"channel {name} was added")
            continue
        before = old.channels[name]
        if not channel.levels <= before.levels:
            looser.append(f"channel {name} accepts more levels")
        if not channel.file_types <= before.file_types:
            looser.append(f"channel {name} accepts more file types")
        if before.implies_level is not None and (
            channel.implies_level is None
            or not new.has_level(before.implies_level)
            or new.level(channel.implies_level).rank < new.level(before.implies_level).rank
        ):
            looser.append(f"channel {name} lowered its level floor")


def policy_event_body(policy: Policy) -> dict[str, Any]:
    """The body of the ``policy.loaded`` audit event: plain JSON (no floats) that lets the
    offline verifier check workflow rules and recompute the hash from ``document``."""
    chains: dict[str, Any] = {}
    for level in policy.levels:
        chain = policy.chain_for(level.name)
        if chain is None:
            continue
        chains[level.name] = {
            "chain": chain.name,
            "stages": [
                {
                    "id": stage.id,
                    "when": str(stage.when),
                    "deadline_hours": stage.deadline_hours,
                    "rule": stage.rule.to_json(),
                }
                for stage in chain.stages
            ],
        }
    return {
        "policy_hash": policy.content_hash,
        "version": policy.version,
        "effective_date": policy.effective_date.isoformat(),
        "title": policy.metadata.title,
        "levels": [
            {
                "name": level.name,
                "rank": level.rank,
                "publishable": level.publishable,
                "state_secret": level.state_secret,
                "chain": level.chain,
            }
            for level in policy.levels
        ],
        "signoff_chains": chains,
        "separation_of_duties": SEPARATION_OF_DUTIES,
        "channels": {
            name: {
                "levels": sorted(channel.levels),
                "file_types": sorted(channel.file_types),
                "implies_level": channel.implies_level,
                "adapter": channel.publisher.adapter,
            }
            for name, channel in sorted(policy.channels.items())
        },
        # a deep copy, so a caller cannot change the policy through the event
        "document": json.loads(canonical_json(policy.document)),
    }
