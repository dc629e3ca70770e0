"""What an extractor returns: text parts, metadata observations, embedded files.

Extractors never decide severities: they report text (scanned by the detectors) and
observations (mapped to the policy's metadata rules by the engine). They raise
:class:`~clearance.screening.limits.Held` when something cannot be inspected completely, and
:class:`~clearance.screening.limits.Refused` for content that is never publishable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import overload

from clearance.screening.rules import MetadataKind
from clearance.screening.types import Coverage


class LazyLabels(Sequence[str]):
    """Where each line of a part came from, built on demand from compact arrays (a spreadsheet
    has millions of cells): subclasses give ``__len__`` and ``label(index)``."""

    def label(self, index: int) -> str:
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):
            return [self.label(i) for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        return self.label(index % len(self))


@dataclass(frozen=True, slots=True)
class TextPart:
    """Text read from part ``name``. ``locations`` (optional) places each line: a finding on
    line N is located at ``locations[N - 1]`` (OCR gives the page and the box of each line, a
    table the cell: a lazy sequence there, so a large sheet does not hold a string per cell)."""

    name: str
    text: str
    locations: Sequence[str] = ()
    metadata: bool = False  # metadata, custom XML, comments: a marking here holds for review
    #: the text before it was converted from the legacy encoding ``legacy`` (``text`` is
    #: ``legacy_vn.convert(source, legacy)``): findings are placed in ``source``
    source: str | None = None
    legacy: str | None = None


@dataclass(frozen=True, slots=True)
class Observation:
    kind: MetadataKind
    part: str
    message: str


@dataclass(frozen=True, slots=True)
class Embedded:
    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Unread:
    """A part the extractor found but did not read, and why: it holds the file for a human."""

    part: str
    reason: str


@dataclass(slots=True)
class Extraction:
    """What an extractor found. Every part of the file ends in exactly one of two places:
    ``coverage`` (read: :meth:`text` records it, :meth:`covered` records a part read without text)
    or ``unread`` (:meth:`uninspected`, which becomes a ``screening.uninspected`` finding)."""

    parts: list[TextPart] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    embedded: list[Embedded] = field(default_factory=list)
    coverage: list[Coverage] = field(default_factory=list)
    unread: list[Unread] = field(default_factory=list)

    def text(
        self,
        name: str,
        text: str,
        *,
        method: str = "text",
        pixels: int = 0,
        locations: Sequence[str] = (),
        metadata: bool = False,
        source: str | None = None,
        legacy: str | None = None,
    ) -> None:
        """Record ``text`` read from part ``name`` (empty text still counts as read). OCR text
        is kept in the coverage too: the approver cannot see it in the file's bytes.
        ``metadata``: a part a reader does not see (see :mod:`clearance.screening.metadata`).
        ``source``: the text as stored, which ``text`` was converted from with ``legacy``."""
        kept = text if method == "ocr" else ""
        self.coverage.append(Coverage(name, method, len(text), pixels, kept))
        if text.strip():
            self.parts.append(TextPart(name, text, locations, metadata, source, legacy))

    def covered(self, part: str, method: str, *, chars: int = 0, pixels: int = 0) -> None:
        """Record a part read without text of its own (structure, a raster with no text)."""
        self.coverage.append(Coverage(part, method, chars, pixels))

    def uninspected(self, part: str, reason: str) -> None:
        """Record a part that was not read: the file is held for review, never ``clear``."""
        self.unread.append(Unread(part, reason))

    def observe(self, kind: MetadataKind, part: str, message: str) -> None:
        self.observations.append(Observation(kind, part, message))
