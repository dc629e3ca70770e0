"""An ODS spreadsheet gets what an XLSX workbook gets: the literal text of its number styles is
read as the text a cell shows, and one too large to render (more XML than
``rendercheck.SHEET_RENDER_BYTES``) is read in full as text, which stands in for the render, with
the coverage saying so; a small one is still rendered and compared (generated corpus)."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from xml.sax.saxutils import escape

import pytest

from clearance.screening import ScreeningRules, Verdict, screen_file
from clearance.screening.rendercheck import RENDERED_PART, SHEET_RENDER_BYTES, STAND_IN
from tests.screening import corpus_formats as C

NUMBER = 'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0"'


def _sheet(literal: str, rows: int = 3) -> bytes:
    """A statistics sheet whose population column uses a number style showing ``literal``
    after the number (the way LibreOffice writes a custom format such as '0" người/km2"')."""
    body = "".join(
        f'<table:table-row><table:table-cell office:value-type="string"><text:p>Xã {n}</text:p>'
        f'</table:table-cell><table:table-cell table:style-name="ce1" office:value-type="float" '
        f'office:value="{1000 + n}"><text:p>{1000 + n}</text:p></table:table-cell>'
        "</table:table-row>"
        for n in range(rows)
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {C.NS} {NUMBER}>'
        '<office:automatic-styles><number:number-style style:name="N1"><number:number '
        f'number:decimal-places="0"/><number:text>{escape(literal)}</number:text>'
        '</number:number-style><style:style style:name="ce1" style:family="table-cell" '
        'style:data-style-name="N1"/></office:automatic-styles><office:body><office:spreadsheet>'
        '<table:table table:name="Dan so"><table:table-row><table:table-cell '
        'office:value-type="string"><text:p>Niên giám thống kê</text:p></table:table-cell>'
        f"</table:table-row>{body}</table:table></office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    return C.odf_package(C.ODS, {"content.xml": content})


def test_a_marking_shown_only_by_a_number_style_blocks(rules: ScreeningRules) -> None:
    result = screen_file(_sheet(" TỐI MẬT"), "thong-ke.ods", rules)
    assert result.verdict is Verdict.BLOCKED, result.findings
    assert any(f.rule.startswith("marking.") and f.part == "content.xml" for f in result.findings)


@pytest.mark.slow
def test_a_sheet_too_large_to_render_is_read_as_text_in_full(rules: ScreeningRules) -> None:
    rows = SHEET_RENDER_BYTES // 200  # each generated row is about 230 bytes of XML
    rules = dataclasses.replace(rules, limits=dataclasses.replace(rules.limits, max_seconds=300))
    benign = screen_file(_sheet(" người/km2", rows), "nien-giam.ods", rules)
    assert benign.verdict is Verdict.CLEAR, (benign.held_reason, benign.findings)
    methods = {c.part: c.method for c in benign.coverage}
    assert methods[RENDERED_PART] == STAND_IN  # not rendered: the reading stands in
    content = next(c for c in benign.coverage if c.part == "content.xml")
    assert content.chars > rows * 10  # every cell was read
    marked = screen_file(_sheet(" TỐI MẬT", rows), "nien-giam-2.ods", rules)
    assert marked.verdict is Verdict.BLOCKED, (marked.held_reason, marked.findings)


@pytest.mark.slow
def test_a_small_sheet_is_still_rendered(rules: ScreeningRules) -> None:
    result = screen_file(_sheet(" người/km2"), "nho.ods", rules)
    assert all(c.method != STAND_IN for c in result.coverage)
    assert any(c.part.startswith(f"{RENDERED_PART} page") for c in result.coverage), result.coverage


def _deep_sheet(rows: int, marked: str) -> bytes:
    """A statistics sheet of ``rows`` rows with a marking and a CCCD number in its last rows."""
    body = "".join(
        f'<table:table-row><table:table-cell office:value-type="string"><text:p>Xã {n}</text:p>'
        f'</table:table-cell><table:table-cell office:value-type="float" office:value="{n}">'
        f"<text:p>{n}</text:p></table:table-cell></table:table-row>"
        for n in range(rows)
    )
    tail = (
        '<table:table-row><table:table-cell office:value-type="string"><text:p>Người lập: '
        "Nguyễn Văn A, CCCD 001085012345</text:p></table:table-cell></table:table-row>"
        f'<table:table-row><table:table-cell office:value-type="string"><text:p>{escape(marked)}'
        "</text:p></table:table-cell></table:table-row>"
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {C.NS}><office:body>'
        f'<office:spreadsheet><table:table table:name="Dan so">{body}{tail}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    return C.odf_package(C.ODS, {"content.xml": content})


@pytest.mark.slow
def test_a_big_sheet_is_streamed_and_read_to_its_last_row(rules: ScreeningRules) -> None:
    # more content.xml than the memory allowance: held whole it was held for its size;
    # streamed, it is read to the end, where the marking and the CCCD number are
    rows = (SHEET_RENDER_BYTES + (4 << 20)) // 190
    limits = dataclasses.replace(
        rules.limits, max_seconds=300, max_decompressed_bytes=SHEET_RENDER_BYTES // 2
    )
    data = _deep_sheet(rows, "TỐI MẬT")
    result = screen_file(data, "nien-giam.ods", dataclasses.replace(rules, limits=limits))
    assert result.held_reason is None, result.held_reason
    assert result.verdict is Verdict.BLOCKED
    found = {f.rule.split(".")[0] for f in result.findings if f.part == "content.xml"}
    assert {"marking", "pii"} <= found, result.findings
    content = next(c for c in result.coverage if c.part == "content.xml")
    assert content.chars > rows * 8


def test_a_part_opened_more_than_once_gives_its_time_once(rules: ScreeningRules) -> None:
    # the fonts, the head and the text of content.xml are three reads of one part
    from clearance.screening.extract.odf import extract_odf
    from clearance.screening.limits import Budget

    data = _sheet(" người/km2", rows=50)
    budget = Budget(rules.limits)
    extract_odf(data, budget)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        xml = sum(i.file_size for i in zf.infolist() if i.filename.endswith(".xml"))
    assert budget.stream_declared == xml
