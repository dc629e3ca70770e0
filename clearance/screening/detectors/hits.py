"""The internal form of a finding while a text is scanned: offsets instead of line numbers."""

from __future__ import annotations

from dataclasses import dataclass

from clearance.screening.types import Severity


@dataclass(frozen=True, slots=True)
class Hit:
    rule: str
    severity: Severity
    message: str
    start: int
    end: int
    explanation: str = ""
    reference: str = ""
    level: str | None = None
    value: str = ""  # what the allowlist compares against
    personal: bool = False  # the matched text is personal data: mask it in excerpts
