"""Classification: the level of a revision is the highest of the author's declared level, the
levels screening findings imply and the floors of the target channels. Pure: same inputs, same
answer, with the reasons (which rule, where) that decided it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from clearance.domain.blocking import BlockReason, coded
from clearance.policy.values import Policy


class LevelHint(Protocol):
    """What classification reads from a screening finding (``clearance.screening.types.Finding``
    has these fields): the rule id, the level it implies (None: none) and where it was found."""

    @property
    def rule(self) -> str: ...

    @property
    def level(self) -> str | None: ...

    @property
    def part(self) -> str: ...

    @property
    def location(self) -> str: ...


class ReasonKind(StrEnum):
    DECLARED = "declared"
    SCREENING = "screening"
    CHANNEL = "channel"


@dataclass(frozen=True, slots=True)
class Reason:
    """One input to the level: its kind, the level it asks for, the rule, and where."""

    kind: ReasonKind
    level: str
    rule: str
    where: str

    def to_json(self) -> dict[str, str]:
        return {"kind": str(self.kind), "level": self.level, "rule": self.rule, "where": self.where}


@dataclass(frozen=True, slots=True)
class Classification:
    """The level, every reason that raised a level (highest first), and what that means."""

    level: str
    policy_hash: str
    reasons: tuple[Reason, ...]
    publishable: bool
    chain: str | None
    #: why the revision cannot go where its author asked (empty when it can)
    refusals: tuple[BlockReason, ...]

    @property
    def decisive(self) -> tuple[Reason, ...]:
        """The reasons that ask for the final level."""
        return tuple(reason for reason in self.reasons if reason.level == self.level)

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "policy_hash": self.policy_hash,
            "publishable": self.publishable,
            "chain": self.chain,
            "reasons": [reason.to_json() for reason in self.reasons],
            "refusals": [str(r) for r in self.refusals],
        }


def classify(
    policy: Policy,
    *,
    declared_level: str,
    channels: Iterable[str],
    findings: Iterable[LevelHint] = (),
) -> Classification:
    """Classify a revision under ``policy``.

    ``declared_level`` and every channel must exist in the policy (``BadInput`` otherwise). A
    finding naming a level the policy does not define is classified at the highest level (fail
    closed). Findings with no level do not affect the level.
    """
    declared = policy.level(declared_level)
    targets = [policy.channel(name) for name in dict.fromkeys(channels)]
    reasons = [Reason(ReasonKind.DECLARED, declared.name, "declared_level", "author's declaration")]
    for finding in findings:
        if finding.level is None:
            continue
        where = ", ".join(bit for bit in (finding.part, finding.location) if bit) or "revision"
        if policy.has_level(finding.level):
            reasons.append(Reason(ReasonKind.SCREENING, finding.level, finding.rule, where))
        else:
            top = policy.highest_level().name
            where += f" (unknown level {finding.level!r}, treated as {top})"
            reasons.append(Reason(ReasonKind.SCREENING, top, finding.rule, where))
    for channel in targets:
        if channel.implies_level is not None:
            reasons.append(
                Reason(
                    ReasonKind.CHANNEL,
                    channel.implies_level,
                    f"channels.{channel.name}.implies_level",
                    f"channel {channel.name}",
                )
            )
    rank = {level.name: level.rank for level in policy.levels}
    ordered = sorted(reasons, key=lambda reason: -rank[reason.level])
    final = policy.level(ordered[0].level)
    refusals: list[BlockReason] = []
    if not final.publishable:
        text = f"level {final.name} ({final.label_vi}) can never be published"
        refusals.append(coded("blocked.level_unpublishable", text, level=final.name))
    else:
        for channel in targets:
            if final.name not in channel.levels:
                allowed = ", ".join(sorted(channel.levels))
                text = (
                    f"channel {channel.name} does not accept level {final.name} (accepts {allowed})"
                )
                refusals.append(
                    coded("blocked.channel_level", text, channel=channel.name, level=final.name)
                )
    if not targets:
        refusals.append(coded("blocked.no_channel", "no target channel was given"))
    return Classification(
        level=final.name,
        policy_hash=policy.content_hash,
        reasons=tuple(ordered),
        publishable=final.publishable,
        chain=final.chain,
        refusals=tuple(refusals),
    )
