"""What an extractor returns: text parts, metadata observations, embedded files.

Extractors never decide severities: they report text (scanned by the detectors) and
observations (mapped to the policy's metadata rules by the engine). They raise
:class:`~clearance.screening.limits.Held` when something cannot be inspected completely, and
:class:`~clearance.screening.limits.Refused` for content that is never publishable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from clearance.screening.rules import MetadataKind


@dataclass(frozen=True, slots=True)
class TextPart:
    name: str
    text: str


@dataclass(frozen=True, slots=True)
class Observation:
    kind: MetadataKind
    part: str
    message: str


@dataclass(frozen=True, slots=True)
class Embedded:
    name: str
    data: bytes


@dataclass(slots=True)
class Extraction:
    parts: list[TextPart] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    embedded: list[Embedded] = field(default_factory=list)

    def text(self, name: str, text: str) -> None:
        if text.strip():
            self.parts.append(TextPart(name, text))

    def observe(self, kind: MetadataKind, part: str, message: str) -> None:
        self.observations.append(Observation(kind, part, message))
