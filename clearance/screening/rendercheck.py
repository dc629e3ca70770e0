"""Render and compare: the text a viewer shows of an office document (fields' results, list
numbering, headers pulled in by styles, anything laid out only when the document is drawn) is
screened page by page with the same detectors. A finding on a rendered page that the extracted
text did not give (same rule, same level) is added with its page; a marking there blocks.

Where the document cannot be rendered (LibreOffice missing, a timeout, a crash), the rendered
view is ``uninspected``: the file is held, never cleared on the extracted text alone.

One exception, by the nature of the format: a workbook (XLSX or ODS) whose parts hold more XML than
:data:`SHEET_RENDER_BYTES` (a statistics table of hundreds of MB: thousands of pages no renderer
lays out within the time cap) is not rendered. A sheet shows its cells, and every cell is text in
the XML, read in full by the streaming sheet reader, together with what a viewer adds to a cell:
number formats' literal text (``"TỐI MẬT "0``), print headers and footers, drawings, charts,
comments, names (an ODS sheet's cells, number styles' literal text, headers and footers of its
master pages, annotations, frames, read by :mod:`.extract.odf`). That reading stands in for the
render, and the coverage says so (:data:`STAND_IN`).
"""

from __future__ import annotations

import io
import time
import zipfile

from clearance.screening import filetype
from clearance.screening.detectors.scan import scan_text
from clearance.screening.limits import Budget
from clearance.screening.render import RenderFailed, RenderUnavailable, render_pages
from clearance.screening.rules import ScreeningRules
from clearance.screening.types import Coverage, Finding, Severity

RENDERED_PART = "rendered view"
#: XML (uncompressed bytes of the package's parts, as its directory declares) past which a
#: workbook is read as text instead of rendered.
SHEET_RENDER_BYTES = 32 * 1024 * 1024
STAND_IN = "cells read as text (stands in for the render: too large to render)"


def _workbook_too_large(data: bytes, detected: str) -> bool:
    if detected not in (filetype.XLSX, filetype.ODS):
        return False
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return sum(entry.file_size for entry in package.infolist()) > SHEET_RENDER_BYTES


def compare_rendered(
    data: bytes,
    detected: str,
    rules: ScreeningRules,
    extracted: list[Finding],
    budget: Budget,
) -> tuple[list[Finding], list[Coverage], list[tuple[str, str]]]:
    """The findings only the rendered pages give, the pages' coverage, and what was not read
    (part, reason) when the document could not be rendered."""
    if _workbook_too_large(data, detected):
        return [], [Coverage(RENDERED_PART, STAND_IN, 0)], []
    seconds = budget.deadline - time.monotonic()
    try:
        rendering = render_pages(data, detected, seconds=seconds, pngs=False)
    except RenderUnavailable as missing:
        return [], [], [(RENDERED_PART, f"the document could not be rendered: {missing}")]
    except RenderFailed as failed:
        return [], [], [(RENDERED_PART, failed.reason)]
    known = {(f.rule, f.level) for f in extracted}
    added: list[Finding] = []
    coverage: list[Coverage] = []
    for number, text in enumerate(rendering.page_texts, start=1):
        budget.check()
        page = f"{RENDERED_PART} page {number}"
        coverage.append(Coverage(page, "render", len(text)))
        for finding in scan_text(text, rules, part=page, budget=budget):
            key = (finding.rule, finding.level)
            if finding.severity not in (Severity.BLOCK, Severity.REVIEW) or key in known:
                continue
            known.add(key)
            added.append(
                Finding(
                    finding.rule,
                    finding.severity,
                    f"Shown when the document is rendered, absent from its extracted text: "
                    f"{finding.message}",
                    part=RENDERED_PART,
                    location=f"page {number}"
                    + (f", {finding.location}" if finding.location else ""),
                    excerpt=finding.excerpt,
                    explanation=finding.explanation,
                    reference=finding.reference,
                    level=finding.level,
                )
            )
    return added, coverage, []
