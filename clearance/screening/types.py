"""Values that screening produces: severities, verdicts, findings and per-file results.

Everything here is a frozen dataclass or a StrEnum so results can be stored, compared and hashed.
``to_json()`` returns plain JSON-ready values (no floats, so canonical JSON accepts them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How much a finding weighs. ``block`` and ``review`` change the verdict; the others inform."""

    BLOCK = "block"
    REVIEW = "review"
    WARN = "warn"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARN: 1, Severity.REVIEW: 2, Severity.BLOCK: 3}


class Verdict(StrEnum):
    """The outcome of screening one file or a whole revision."""

    CLEAR = "clear"
    REVIEW = "review"
    BLOCKED = "blocked"

    @property
    def rank(self) -> int:
        return _VERDICT_RANK[self]


_VERDICT_RANK = {Verdict.CLEAR: 0, Verdict.REVIEW: 1, Verdict.BLOCKED: 2}


def verdict_for(severity: Severity) -> Verdict:
    """The verdict a single finding of ``severity`` forces."""
    if severity is Severity.BLOCK:
        return Verdict.BLOCKED
    if severity is Severity.REVIEW:
        return Verdict.REVIEW
    return Verdict.CLEAR


REFUSED_RULE = "screening.refused"  # a file never publishable
HELD_RULE = "screening.held"  # a file not fully inspected: a human decides


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the screener noticed, with enough context for a human to judge it.

    ``part`` names where in the file (``word/document.xml``, ``page 3``, ``exif``), ``location``
    where inside the part (``line 12``), ``excerpt`` the surrounding text with personal data masked.
    ``rule`` is the policy rule id, ``reference`` its legal basis. ``start``/``end`` are the
    hit's character offsets in the part's text as given to the scanner (mapped back from the
    normalised text where normalising changed its length), when known: the approver's page
    marks the finding at its place with them. Text converted from a legacy encoding (TCVN3,
    VNI, Windows-1258) is placed in the text as stored: the file's bytes for a plain-text file,
    the part's text as extracted for a document (the part is then named with the encoding,
    ``word/document.xml (vni)``).
    """

    rule: str
    severity: Severity
    message: str
    part: str = ""
    location: str = ""
    excerpt: str = ""
    explanation: str = ""
    reference: str = ""
    level: str | None = None
    start: int | None = None
    end: int | None = None

    def to_json(self) -> dict[str, Any]:
        span = {} if self.start is None else {"start": self.start, "end": self.end}
        return {
            **span,
            "rule": self.rule,
            "severity": str(self.severity),
            "message": self.message,
            "part": self.part,
            "location": self.location,
            "excerpt": self.excerpt,
            "explanation": self.explanation,
            "reference": self.reference,
            "level": self.level,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Finding:
        """The finding :meth:`to_json` wrote (the isolated child's answer), offsets included."""
        start, end = raw.get("start"), raw.get("end")
        span = (int(start), int(end)) if start is not None and end is not None else (None, None)
        return cls(
            rule=str(raw["rule"]),
            severity=Severity(raw["severity"]),
            message=str(raw["message"]),
            part=str(raw.get("part", "")),
            location=str(raw.get("location", "")),
            excerpt=str(raw.get("excerpt", "")),
            explanation=str(raw.get("explanation", "")),
            reference=str(raw.get("reference", "")),
            level=None if raw.get("level") is None else str(raw["level"]),
            start=span[0],
            end=span[1],
        )


@dataclass(frozen=True, slots=True)
class Coverage:
    """One part of a file and how it was read: the account that makes ``clear`` mean "read".

    ``part`` names the part as findings do (``word/header7.xml``, ``page 2``, ``frame 3``,
    ``attachment.docx > word/document.xml``); ``method`` says how it was read (``xml``, ``text``,
    ``ocr``, ``render``, ``metadata``, ``structure``...); ``chars`` counts the characters of text it
    gave and ``pixels`` the pixels OCR looked at; ``text`` keeps what OCR read (shown to the
    approver: it is nowhere in the file as text; empty for other methods). A part that was *not* read has no coverage entry:
    it is an ``uninspected`` finding instead (see :meth:`Extraction.uninspected`).
    """

    part: str
    method: str
    chars: int = 0
    pixels: int = 0
    text: str = field(default="", repr=False)

    def to_json(self) -> dict[str, Any]:
        raw: dict[str, Any] = {
            "part": self.part,
            "method": self.method,
            "chars": self.chars,
            "pixels": self.pixels,
        }
        if self.text:
            raw["text"] = self.text
        return raw

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Coverage:
        return cls(
            str(raw["part"]),
            str(raw["method"]),
            int(raw["chars"]),
            int(raw["pixels"]),
            str(raw.get("text", "")),
        )


@dataclass(frozen=True, slots=True)
class FileResult:
    """Screening outcome of one file (or one text).

    ``coverage`` lists every part that was read and how; a part that was not read is a finding
    (``screening.uninspected``), so a result is ``clear`` only when everything was read.
    ``sanitized`` is the derivative that gets approved and published (metadata, comments, tracked
    changes and GPS removed), or ``None`` when none is produced (blocked files, plain text that
    needs no change: then the original bytes are the derivative).
    """

    verdict: Verdict
    detected_type: str
    level: str | None
    findings: tuple[Finding, ...] = ()
    sanitized: bytes | None = field(default=None, repr=False)
    sanitized_type: str | None = None
    held_reason: str | None = None
    coverage: tuple[Coverage, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": str(self.verdict),
            "detected_type": self.detected_type,
            "level": self.level,
            "held_reason": self.held_reason,
            "sanitized_type": self.sanitized_type,
            "findings": [f.to_json() for f in self.findings],
            "coverage": [c.to_json() for c in self.coverage],
        }


def combine(results: Iterable[FileResult]) -> Verdict:
    """The verdict of a whole revision: the worst of its files (no files is clear)."""
    worst = Verdict.CLEAR
    for result in results:
        if result.verdict.rank > worst.rank:
            worst = result.verdict
    return worst
