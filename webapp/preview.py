"""Previews of what will be published: the text of a PDF page by page and a DOCX paragraph by
paragraph, read from the sanitized bytes with the screening extractors' public functions.

A preview is plain text in sections; the template escapes every string (no markup from the file
ever reaches the page). Extraction runs under a tight screening budget (a few seconds, the page
cap) and its result is cached by the bytes' SHA-256, since blobs are content-addressed. Anything
that cannot be previewed says why, and the download link stays.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace

from clearance.screening.extract.base import Extraction
from clearance.screening.extract.ooxml import extract_docx
from clearance.screening.extract.pdf import extract_pdf
from clearance.screening.limits import Budget, Held, Refused
from clearance.screening.rules import Limits

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PREVIEWABLE = frozenset({PDF, DOCX})

#: larger files are offered as downloads only
MAX_PREVIEW_BYTES = 20 * 1024 * 1024
#: characters shown in all; the rest is cut with a notice
MAX_PREVIEW_CHARS = 400_000
LIMITS = Limits(max_seconds=5, max_pages=500, max_decompressed_bytes=100 * 1024 * 1024)
CACHE_SIZE = 64

_PDF_PAGE = re.compile(r"^page (\d+)$")
_DOCX_AREAS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^word/document\.xml$"), "document"),
    (re.compile(r"^word/header\d*\.xml$"), "header"),
    (re.compile(r"^word/footer\d*\.xml$"), "footer"),
    (re.compile(r"^word/footnotes\.xml$"), "footnotes"),
    (re.compile(r"^word/endnotes\.xml$"), "endnotes"),
    (re.compile(r"^word/comments\w*\.xml$"), "comments"),
    (re.compile(r"^docProps/"), "properties"),
)


@dataclass(frozen=True, slots=True)
class Section:
    """One page (PDF) or one area of a document (DOCX body, header, ...)."""

    kind: str  # page | document | header | footer | footnotes | endnotes | comments | properties | other
    number: int | None  # the page number for pages
    name: str  # the part's name inside the file (shown for ``other``)
    paragraphs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Preview:
    format: str  # pdf | docx
    sections: tuple[Section, ...] = ()
    truncated: bool = False
    problem: str | None = None  # why there is no preview (the download remains)


def _paragraphs(text: str) -> tuple[str, ...]:
    return tuple(line.rstrip() for line in text.split("\n") if line.strip())


def _docx_kind(name: str) -> str:
    for pattern, kind in _DOCX_AREAS:
        if pattern.match(name):
            return kind
    return "other"


def _sections(fmt: str, extraction: Extraction) -> tuple[Section, ...]:
    sections: list[Section] = []
    for part in extraction.parts:
        if fmt == "pdf":
            page = _PDF_PAGE.match(part.name)
            if page:
                # a PDF page keeps its lines as laid out; a page read twice (its text layer,
                # then OCR of the rendered page) is one section, OCR adding only what is new
                number = int(page.group(1))
                earlier = next((s for s in sections if s.number == number), None)
                if earlier is None:
                    sections.append(Section("page", number, part.name, (part.text,)))
                elif " ".join(part.text.split()) not in " ".join(
                    " ".join(earlier.paragraphs).split()
                ):
                    index = sections.index(earlier)
                    sections[index] = replace(earlier, paragraphs=(*earlier.paragraphs, part.text))
            else:
                sections.append(Section("other", None, part.name, _paragraphs(part.text)))
        else:
            kind = _docx_kind(part.name)
            sections.append(Section(kind, None, part.name, _paragraphs(part.text)))
    # the main text first (pages in order, the DOCX body), then the other areas
    return tuple(
        sorted(sections, key=lambda s: (s.kind not in ("page", "document"), s.number or 0))
    )


def _cut(sections: tuple[Section, ...], budget: int) -> tuple[tuple[Section, ...], bool]:
    kept: list[Section] = []
    left = budget
    for section in sections:
        paragraphs: list[str] = []
        for paragraph in section.paragraphs:
            if left <= 0:
                break
            paragraphs.append(paragraph[:left])
            left -= len(paragraph)
        if paragraphs:
            kept.append(replace(section, paragraphs=tuple(paragraphs)))
        if left <= 0:
            return tuple(kept), True
    return tuple(kept), False


def build_preview(mime: str, data: bytes) -> Preview | None:
    """The preview of ``data`` (a sanitized PDF or DOCX), or None for other types."""
    if mime not in PREVIEWABLE:
        return None
    fmt = "pdf" if mime == PDF else "docx"
    if len(data) > MAX_PREVIEW_BYTES:
        return Preview(fmt, problem="too_large")
    try:
        extract = extract_pdf if fmt == "pdf" else extract_docx
        extraction = extract(data, Budget(LIMITS))
    except (Held, Refused) as exc:
        return Preview(fmt, problem=exc.reason)
    except Exception:  # a file the extractor cannot read: the download remains
        return Preview(fmt, problem="unreadable")
    sections, truncated = _cut(_sections(fmt, extraction), MAX_PREVIEW_CHARS)
    if not sections:
        return Preview(fmt, problem="no_text")
    return Preview(fmt, sections, truncated)


class PreviewCache:
    """Previews by (digest, mime): the bytes behind a digest never change."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[str, str], Preview | None] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: str, mime: str, read: Callable[[], bytes]) -> Preview | None:
        if mime not in PREVIEWABLE:
            return None
        key = (digest, mime)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        preview = build_preview(mime, read())
        with self._lock:
            self._entries[key] = preview
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return preview


CACHE = PreviewCache()
