"""A sign-off chain as frozen values: ordered stages, each with its rule and condition."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from clearance.approval.rules import Rule


class StageCondition(StrEnum):
    """When a stage is part of the chain."""

    ALWAYS = "always"
    #: only when screening held the revision for review (verdict "review")
    HELD_FOR_REVIEW = "held_for_review"


@dataclass(frozen=True, slots=True)
class Stage:
    id: str
    label_vi: str
    rule: Rule
    deadline_hours: int
    when: StageCondition = StageCondition.ALWAYS
    reference: str | None = None

    def applies(self, *, held_for_review: bool) -> bool:
        return self.when is StageCondition.ALWAYS or held_for_review


@dataclass(frozen=True, slots=True)
class Chain:
    name: str
    stages: tuple[Stage, ...]
    label_vi: str = ""  # the chain's name for people (the policy's ``label_vi``)

    def __post_init__(self) -> None:
        if not self.stages:
            raise ValueError(
                f"chain {self.name} has no stages; an empty chain would approve anything"
            )
