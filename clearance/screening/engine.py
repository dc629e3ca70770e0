"""The screening pipeline for one file: limits -> type -> extraction -> detectors -> verdict ->
sanitised derivative. Fail closed: any exception inside an extractor or a sanitiser becomes a held
verdict with the reason; nothing escapes, nothing is skipped silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from clearance.screening import filetype, legacy_vn
from clearance.screening.detectors.scan import scan_text
from clearance.screening.extract.archive import extract_zip
from clearance.screening.extract.base import Embedded, Extraction
from clearance.screening.extract.delimited import extract_delimited
from clearance.screening.extract.image import extract_image
from clearance.screening.extract.mail import extract_eml
from clearance.screening.extract.markup import extract_html, extract_svg
from clearance.screening.extract.odf import extract_flat_odf, extract_odf
from clearance.screening.extract.ole import OLE_TYPE, is_ole_embedding, judge_ole
from clearance.screening.extract.ooxml import extract_docx, extract_pptx, extract_xlsx
from clearance.screening.extract.pdf import extract_pdf
from clearance.screening.extract.rtf import extract_rtf
from clearance.screening.extract.text import extract_text
from clearance.screening.legacy_vn import SourceSpans
from clearance.screening.limits import Budget, Held, Refused
from clearance.screening.metadata import at_least_review, is_metadata_part, metadata_markings
from clearance.screening.render import is_rendered
from clearance.screening.rendercheck import compare_rendered
from clearance.screening.rules import Limits, ScreeningRules
from clearance.screening.sanitise.archive import rebuild_zip
from clearance.screening.sanitise.flat_odf import sanitise_flat_odf
from clearance.screening.sanitise.image import sanitise_image
from clearance.screening.sanitise.mail import rebuild_eml
from clearance.screening.sanitise.markup import sanitise_html, sanitise_svg
from clearance.screening.sanitise.members import Member
from clearance.screening.sanitise.odf import sanitise_odf_report
from clearance.screening.sanitise.ooxml import rebuild_ooxml
from clearance.screening.sanitise.pdf import sanitise_pdf_report
from clearance.screening.types import (
    HELD_RULE,
    REFUSED_RULE,
    Coverage,
    FileResult,
    Finding,
    Severity,
    Verdict,
    verdict_for,
)

Extractor = Callable[[bytes, Budget], Extraction]

_EXTRACTORS: dict[str, Extractor] = {
    filetype.TEXT: lambda data, _budget: extract_text(data),
    filetype.HTML: extract_html,
    filetype.SVG: lambda data, _budget: extract_svg(data),
    filetype.DOCX: extract_docx,
    filetype.XLSX: extract_xlsx,
    filetype.PPTX: extract_pptx,
    filetype.CSV: lambda data, budget: extract_delimited(data, budget, tab=False),
    filetype.TSV: lambda data, budget: extract_delimited(data, budget, tab=True),
    filetype.PDF: extract_pdf,
    **dict.fromkeys(filetype.IMAGES, extract_image),
    **dict.fromkeys(filetype.ODF, extract_odf),
    **dict.fromkeys(filetype.FLAT_ODF, extract_flat_odf),
    filetype.EML: extract_eml,
    filetype.RTF: extract_rtf,
    filetype.ZIP: extract_zip,
}


@dataclass(slots=True)
class _Inspected:
    """What :func:`_inspect` found, and for a container whose derivative is built, the
    derivative of each embedded file (``members``) and the parts it did not read."""

    findings: list[Finding]
    members: list[Member] = field(default_factory=list)
    unread: dict[str, str] = field(default_factory=dict)
    children: list[str] = field(default_factory=list)  # every embedded file screened


#: Types whose original bytes are their derivative (plain text needs no change).
_AS_IS = frozenset({filetype.TEXT, filetype.CSV, filetype.TSV})
#: Containers whose derivative is rebuilt from their members' derivatives.
_CONTAINERS = frozenset({filetype.ZIP, filetype.EML})


def _member(child: Embedded, result: FileResult) -> Member:
    """An embedded file as it goes into its container's derivative."""
    if result.held_reason is not None:
        return Member(child.name, None, reason=f"not read in full: {result.held_reason}")
    if result.sanitized is not None:
        return Member(child.name, result.sanitized, result.sanitized_type)
    if result.detected_type in _AS_IS and result.verdict is not Verdict.BLOCKED:
        return Member(child.name, child.data, result.detected_type)
    return Member(
        child.name, None, reason=f"no sanitised derivative is made for {result.detected_type}"
    )


def _sanitise(
    detected: str, data: bytes, findings: list[Finding], limits: Limits, inspected: _Inspected
) -> tuple[bytes | None, str | None]:
    """The derivative and its type; what it leaves out is appended to ``findings``: what it
    removes on purpose as info, every embedded file or member it could not keep as a review
    finding (:func:`_lost_finding`), so a derivative that lost anything is never ``clear``."""
    if detected in _CONTAINERS:
        if detected == filetype.ZIP:
            unread = [Member(name, None, reason=f"not read: {why}")
                      for name, why in inspected.unread.items()]  # fmt: skip
            rebuilt = rebuild_zip(data, [*inspected.members, *unread])
        else:
            rebuilt = rebuild_eml(data, inspected.members)
        findings.extend(_dropped_finding(what) for what in rebuilt.dropped)
        findings.extend(_lost_finding(what) for what in rebuilt.lost)
        return rebuilt.data, detected
    if detected == filetype.PDF:
        sanitized, dropped = sanitise_pdf_report(data)
        findings.extend(_dropped_finding(what) for what in dropped)
        # the derivative keeps no embedded file (sanitise.pdf): every one screened is lost
        findings.extend(_lost_finding(f"the embedded file {name}") for name in inspected.children)
        return sanitized, detected
    if detected in filetype.IMAGES:
        image = sanitise_image(data, max_frames=limits.max_pages)
        findings.extend(_dropped_finding(what) for what in image.dropped)
        return image.data, image.mime
    if detected in filetype.OOXML:
        derivative = rebuild_ooxml(data)
        findings.extend(_dropped_finding(part) for part in derivative.dropped)
        findings.extend(_lost_finding(what) for what in derivative.lost)
        return derivative.data, detected
    if detected == filetype.HTML:
        return sanitise_html(data), detected
    if detected == filetype.SVG:
        return sanitise_svg(data), detected
    if detected in filetype.ODF:
        document, lost = sanitise_odf_report(data, detected)
        findings.extend(_lost_finding(what) for what in lost)
        return document, detected
    if detected in filetype.FLAT_ODF:
        return sanitise_flat_odf(data), detected  # written as a stream, any size
    return None, None


NO_DERIVATIVE_RULE = "screening.no_derivative"

#: Formats read in full but never rebuilt, with what their original bytes carry besides the text
#: that was screened. Publishing them would publish those bytes unchanged, which the rule forbids
#: ("the sanitiser publishes only parts it has read and rebuilt"), so such a file is held.
_NOT_REBUILT: dict[str, tuple[str, str]] = {
    filetype.RTF: ("an RTF document", "its control words, font table, \\info block and "
                   "embedded objects as they are"),
}  # fmt: skip


def _not_rebuilt(detected: str) -> Finding:
    kind, carried = _NOT_REBUILT[detected]
    return Finding(
        NO_DERIVATIVE_RULE,
        Severity.REVIEW,
        f"No sanitised derivative is made for {kind}: published, the original bytes would carry "
        f"{carried}. Submit the content as PDF, DOCX or ODT instead (an archive's files one by "
        "one), or have the security officer accept the original bytes.",
        part="derivative",
        explanation="Only what was read and rebuilt is published; this file was read but cannot "
        "be rebuilt, so it is held for a human.",
    )


def _lost_finding(what: str) -> Finding:
    """A member or embedded file that was read but is not in the derivative (it has no
    derivative of its own, or was not read in full): what would be published is not what was
    submitted, so the file is held, never ``clear``."""
    return Finding(
        NO_DERIVATIVE_RULE,
        Severity.REVIEW,
        f"Left out of the sanitised derivative: {what}. Published, the file would not hold "
        "everything that was submitted. Submit that content on its own, in a format that is "
        "rebuilt (PDF, DOCX, ODT, an image), or have the security officer accept the derivative.",
        part="derivative",
        explanation="Only what was read and rebuilt is published; a part that cannot be rebuilt "
        "is left out, and the file is held for a human rather than published without it.",
    )


def _verdict(findings: list[Finding]) -> Verdict:
    worst = Verdict.CLEAR
    for finding in findings:
        verdict = verdict_for(finding.severity)
        if verdict.rank > worst.rank:
            worst = verdict
    return worst


def _level(rules: ScreeningRules, findings: list[Finding]) -> str | None:
    best: str | None = None
    for finding in findings:
        counts = finding.severity in (Severity.BLOCK, Severity.REVIEW)
        if counts and rules.level_rank(finding.level) > rules.level_rank(best):
            best = finding.level
    return best


def _stopped(
    detected: str,
    reason: str,
    *,
    refused: bool,
    findings: list[Finding],
    coverage: list[Coverage] | None = None,
) -> FileResult:
    rule = REFUSED_RULE if refused else HELD_RULE
    severity = Severity.BLOCK if refused else Severity.REVIEW
    stop = Finding(rule, severity, reason, part="file", explanation="Anything not fully inspected "
                   "is held for a human; anything never publishable is refused.")  # fmt: skip
    return FileResult(
        verdict=Verdict.BLOCKED if refused else Verdict.REVIEW,
        detected_type=detected,
        level=None,
        findings=(*findings, stop),
        held_reason=reason,
        coverage=tuple(coverage or ()),
    )


UNINSPECTED_RULE = "screening.uninspected"
SANITISED_RULE = "screening.sanitised"
#: the rule ids the engine itself gives (the policy's are ``ScreeningRules.rule_ids()``)
ENGINE_RULES = (REFUSED_RULE, HELD_RULE, NO_DERIVATIVE_RULE, UNINSPECTED_RULE, SANITISED_RULE)


def _dropped_finding(what: str) -> Finding:
    return Finding(
        SANITISED_RULE,
        Severity.INFO,
        f"Left out of the sanitised derivative: {what}.",
        part="derivative",
        explanation="The derivative keeps only what was read and rebuilt; this was not.",
    )


def _unread_finding(part: str, reason: str) -> Finding:
    return Finding(
        UNINSPECTED_RULE,
        Severity.REVIEW,
        f"This part was not read: {reason}.",
        part=part,
        explanation="Clear means everything a reader can see was read; a part that was not read "
        "holds the file for a human and is left out of the sanitised derivative.",
    )


def _in_source(findings: list[Finding], spans: SourceSpans) -> list[Finding]:
    """Findings in text converted from a legacy encoding, their offsets moved to the text as
    stored (the conversion changes the length: a VNI letter is two bytes); a span that cannot
    be traced gives no offsets rather than wrong ones."""
    placed: list[Finding] = []
    for finding in findings:
        if finding.start is None or finding.end is None:
            placed.append(finding)
            continue
        span = spans.span(finding.start, finding.end)
        start, end = span if span is not None else (None, None)
        placed.append(replace(finding, start=start, end=end))
    return placed


def _placed(findings: list[Finding], locations: Sequence[str]) -> list[Finding]:
    """Findings located by line moved to the place the part gives that line (page and box)."""
    placed: list[Finding] = []
    for finding in findings:
        number = finding.location.removeprefix("line ")
        if number.isdigit() and 0 < int(number) <= len(locations):
            placed.append(replace(finding, location=locations[int(number) - 1]))
        else:
            placed.append(finding)
    return placed


def _inspect(
    data: bytes,
    filename: str,
    rules: ScreeningRules,
    detected: str,
    budget: Budget,
    depth: int,
    coverage: list[Coverage],
    derive: bool,
) -> _Inspected:
    """Extract and scan ``data``; append what was read to ``coverage``; return the findings
    (and, when ``derive`` and ``data`` is a container, its members' derivatives)."""
    extraction = _EXTRACTORS[detected](data, budget)
    derive_members = derive and detected in _CONTAINERS
    inspected = _Inspected([])
    if derive_members:
        inspected.unread = {u.part: u.reason for u in extraction.unread}
    coverage.extend(extraction.coverage)
    findings: list[Finding] = [_unread_finding(u.part, u.reason) for u in extraction.unread]
    for part in extraction.parts:
        budget.check()
        found = scan_text(part.text, rules, part=part.name, budget=budget)
        if part.source is not None and part.legacy is not None:  # converted by the extractor
            found = _in_source(found, SourceSpans(part.source, part.text, part.legacy))
        repaired, legacy = legacy_vn.repair(part.text)
        if legacy is not None:  # legacy-font text with no font name: read it converted too
            converted = scan_text(repaired, rules, part=f"{part.name} ({legacy})", budget=budget)
            found.extend(_in_source(converted, SourceSpans(part.text, repaired, legacy)))
        if part.metadata or is_metadata_part(part.name):
            found = [at_least_review(finding) for finding in found]
            if not any(f.rule.startswith("marking.") for f in found):
                found.extend(metadata_markings(repaired, rules, part.name))
        findings.extend(_placed(found, part.locations) if part.locations else found)
    reported: set[tuple[str, str]] = set()
    for observation in extraction.observations:
        rule = rules.metadata_rule(observation.kind)
        if rule is None or (rule.id, observation.message) in reported:
            continue
        reported.add((rule.id, observation.message))
        findings.append(
            Finding(
                rule.id,
                rule.severity,
                f"{observation.message} ({observation.kind}).",
                part=observation.part,
                explanation="Removed from the sanitised derivative where possible.",
                reference=rule.reference,
            )
        )
    for child in extraction.embedded:
        if depth + 1 > rules.limits.max_depth:
            raise Held(f"embedded objects nest deeper than {rules.limits.max_depth} levels")
        result = _screen(child.data, child.name, rules, None, budget, depth + 1, derive_members)
        inspected.children.append(child.name)
        if derive_members:
            inspected.members.append(_member(child, result))
        coverage.extend(
            Coverage(f"{child.name} > {c.part}", c.method, c.chars, c.pixels, c.text)
            for c in result.coverage
        )
        for finding in result.findings:
            findings.append(
                Finding(
                    finding.rule,
                    finding.severity,
                    finding.message,
                    part=f"{child.name} > {finding.part}",
                    location=finding.location,
                    excerpt=finding.excerpt,
                    explanation=finding.explanation,
                    reference=finding.reference,
                    level=finding.level,
                )
            )
    inspected.findings = findings
    return inspected


def _rendered(
    data: bytes,
    detected: str,
    rules: ScreeningRules,
    findings: list[Finding],
    budget: Budget,
    coverage: list[Coverage],
) -> list[Finding]:
    """Render and compare (:mod:`.rendercheck`): what only the rendered pages show."""
    added, pages, unread = compare_rendered(data, detected, rules, findings, budget)
    coverage.extend(pages)
    return [*added, *(_unread_finding(part, reason) for part, reason in unread)]


def _screen(
    data: bytes,
    filename: str,
    rules: ScreeningRules,
    allowed_types: frozenset[str] | None,
    budget: Budget,
    depth: int,
    derive: bool,
) -> FileResult:
    """Screen one file; ``derive``: build its sanitised derivative (the submitted file, and the
    members of a container whose own derivative is built from theirs)."""
    detected = "unknown"
    findings: list[Finding] = []
    coverage: list[Coverage] = []
    try:
        if len(data) > rules.limits.max_file_bytes:
            raise Held(f"the file has {len(data)} bytes, more than {rules.limits.max_file_bytes}")
        if depth > 0 and is_ole_embedding(data, filename):
            detected = OLE_TYPE
            judge_ole(data, filename)
        detected = filetype.detect(data, filename, allowed_types)
        inspected = _inspect(data, filename, rules, detected, budget, depth, coverage, derive)
        findings = inspected.findings
        if depth == 0 and is_rendered(detected) and _verdict(findings) is not Verdict.BLOCKED:
            findings.extend(_rendered(data, detected, rules, findings, budget, coverage))
        verdict = _verdict(findings)
        sanitized: bytes | None = None
        sanitized_type: str | None = None
        if verdict is not Verdict.BLOCKED and derive:
            sanitized, sanitized_type = _sanitise(detected, data, findings, rules.limits, inspected)
            if detected in _NOT_REBUILT and depth == 0:
                findings.append(_not_rebuilt(detected))
            verdict = _verdict(findings)  # what the derivative lost holds the file
    except Refused as stop:
        return _stopped(detected, stop.reason, refused=True, findings=findings, coverage=coverage)
    except Held as stop:
        return _stopped(detected, stop.reason, refused=False, findings=findings, coverage=coverage)
    except Exception as exc:
        reason = f"the file could not be inspected ({type(exc).__name__}: {str(exc)[:200]})"
        return _stopped(detected, reason, refused=False, findings=findings, coverage=coverage)
    return FileResult(
        verdict=verdict,
        detected_type=detected,
        level=_level(rules, findings),
        findings=tuple(findings),
        sanitized=sanitized,
        sanitized_type=sanitized_type,
        coverage=tuple(coverage),
    )


def screen_file(
    data: bytes,
    filename: str,
    rules: ScreeningRules,
    *,
    allowed_types: frozenset[str] | None = None,
) -> FileResult:
    """Screen one file's bytes. Never raises for bad content: it returns a held or blocked result."""
    return _screen(data, filename, rules, allowed_types, Budget(rules.limits), 0, True)


def screen_text(text: str, rules: ScreeningRules, *, part: str = "text") -> FileResult:
    """Screen a piece of text (an item's title or body)."""
    budget = Budget(rules.limits)
    try:
        findings = scan_text(text, rules, part=part, budget=budget)
    except Held as stop:
        return _stopped("text/plain", stop.reason, refused=False, findings=[])
    except Exception as exc:
        reason = f"the text could not be inspected ({type(exc).__name__})"
        return _stopped("text/plain", reason, refused=False, findings=[])
    return FileResult(
        verdict=_verdict(findings),
        detected_type="text/plain",
        level=_level(rules, findings),
        findings=tuple(findings),
        coverage=(Coverage(part, "text", len(text)),),
    )
