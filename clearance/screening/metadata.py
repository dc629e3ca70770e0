"""Where a reader does not look: metadata, custom XML, comments and annotations.

- A secrecy marking found in such a part holds the file at least for review, even where the
  same words in running text would only be a mention (:func:`at_least_review`): a title, keyword
  or comment that says "Tối mật" means someone thought the document was secret.
- GPS positions recorded in XMP (``exif:GPSLatitude``, the IPTC extension's
  ``Iptc4xmpExt:GPSLatitude``, drone makers' ``GpsLatitude``) are reported like EXIF GPS
  (:func:`observe_xmp_gps`), for images and documents alike.

Extractors say a text part is metadata with ``Extraction.text(..., metadata=True)``; parts named
as the package formats name them (``docProps/``, ``customXml/``, comment parts, ``exif``, ``xmp``,
``iptc``...) count too, so a format whose extractor predates the flag is covered.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from functools import cache
from typing import Protocol

from clearance.screening.detectors.markings import DECORATION
from clearance.screening.rules import METADATA_SUFFIX, MetadataKind, ScreeningRules
from clearance.screening.types import Finding, Severity

_METADATA_PART = re.compile(
    r"(?:^|> )(?:docProps/|customXml/|word/(?:comments|people)|xl/(?:comments|threadedComments|"
    r"persons)|ppt/(?:comments|commentAuthors)|meta\.xml|settings\.xml|exif|xmp|iptc|png text|"
    r"comment$|metadata$|info$|annotations$)"
    r"|(?: annotations| tracked changes| comments)$"
)
_XMP_GPS = re.compile(
    r"gps(?:latitude|longitude|position|coordinates)\s*(?:=\s*[\"'][^\"']*\d[^\"']*[\"']"
    r"|>\s*[^<]*\d)",
    re.IGNORECASE,
)


def is_metadata_part(name: str) -> bool:
    """Whether a part named ``name`` is one a reader of the document does not see."""
    return _METADATA_PART.search(name) is not None


def at_least_review(finding: Finding) -> Finding:
    """A marking finding from metadata or comments, raised to ``review`` if it was weaker."""
    if not finding.rule.startswith("marking.") or finding.severity.rank >= Severity.REVIEW.rank:
        return finding
    return dataclasses.replace(
        finding,
        severity=Severity.REVIEW,
        message=f"{finding.message} It stands in metadata or comments, which a reader does not "
        "see: held for review.",
    )


_ITEM_SEPARATORS = re.compile(r"[\n,;|/]")


@cache
def _level_patterns(rules: ScreeningRules) -> tuple[tuple[int, str, re.Pattern[str]], ...]:
    return tuple(
        (index, phrase, re.compile(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)"))
        for index, marking in enumerate(rules.markings)
        if marking.level is not None
        for phrase in marking.phrases
    )


def metadata_markings(text: str, rules: ScreeningRules, part: str) -> list[Finding]:
    """Levels named in metadata or comments: a multi-word level anywhere ("Tài liệu tối mật"),
    a one-word level as a whole value or list item ("mật" among the keywords; "mật ong" and
    "bí mật" are other words). Each holds the file for review."""
    lower = unicodedata.normalize("NFC", text).lower()
    found: list[Finding] = []
    seen: set[int] = set()
    for index, phrase, pattern in _level_patterns(rules):
        if index in seen:
            continue
        for match in pattern.finditer(lower):
            if " " not in phrase and not _whole_item(lower, match.start(), match.end()):
                continue
            marking = rules.markings[index]
            seen.add(index)
            found.append(
                Finding(
                    f"{marking.id}{METADATA_SUFFIX}",
                    Severity.REVIEW,
                    f"'{phrase.upper()}' is named in metadata or comments, which a reader does "
                    "not see: held for review.",
                    part=part,
                    excerpt=text[max(0, match.start() - 40) : match.end() + 40],
                    explanation=marking.explanation,
                    reference=marking.reference,
                    level=marking.level,
                )
            )
            break
    return found


def _whole_item(lower: str, start: int, end: int) -> bool:
    left = max((m.end() for m in _ITEM_SEPARATORS.finditer(lower, 0, start)), default=0)
    right_match = _ITEM_SEPARATORS.search(lower, end)
    right = right_match.start() if right_match else len(lower)
    item = lower[left:right].strip(DECORATION)
    if ":" in item:  # "title: mật" (a label and its value)
        item = item.rsplit(":", 1)[1].strip(DECORATION)
    return item == lower[start:end]


def xmp_has_gps(raw: str) -> bool:
    return _XMP_GPS.search(raw) is not None


class _Observer(Protocol):  # the part of Extraction this module needs (base imports rules)
    def observe(self, kind: MetadataKind, part: str, message: str) -> None: ...


def observe_xmp_gps(out: _Observer, part: str, raw: str) -> None:
    """Report a GPS position recorded in the XMP (or other XML metadata) ``raw``."""
    if xmp_has_gps(raw):
        out.observe(MetadataKind.GPS, part, "GPS position recorded in XMP metadata")
