"""What a sheet shows is text: cells, and the literal text of the number formats they use. A
workbook too large to render (more XML than ``rendercheck.SHEET_RENDER_BYTES``) is read in full by
the streaming sheet reader instead, and the coverage says the reading stands in for the render; a
marking shown only through a number format is found at that size too; near-misses stay clear."""

from __future__ import annotations

import dataclasses
import time
from html import escape

import pytest

from clearance.screening import ScreeningRules, Verdict, screen_file
from clearance.screening.extract.xmltext import number_format_text
from clearance.screening.isolated import screen_file_isolated
from clearance.screening.limits import Budget, Held, stream_seconds
from clearance.screening.rendercheck import RENDERED_PART, SHEET_RENDER_BYTES, STAND_IN
from clearance.screening.rules import Limits
from tests.screening import corpus_ooxml as C


def _styled(literal: str) -> C.XlPlacer:
    """A placer: a styles part whose format 164 shows ``literal`` before the number, used by one
    cell of the first sheet."""

    def place(pkg: C.Package, sheets: list[tuple[str, str, str]], text: str, wb: list[str]) -> None:
        code = escape(literal, quote=True)
        pkg.add(
            "xl/kieu.xml",
            f"{C.SML}.styles+xml",
            f'{C.XML_HEAD}<styleSheet xmlns="{C.S}"><numFmts count="1"><numFmt numFmtId="164" '
            f'formatCode="{code}"/></numFmts><cellXfs count="2"><xf numFmtId="0"/>'
            '<xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>',
            source="xl/workbook.xml",
            rel=f"{C.RT}/styles",
        )
        name, state, xml = sheets[0]
        sheets[0] = (name, state, xml.replace("<c><v>2453</v></c>", '<c s="1"><v>2453</v></c>', 1))

    return place


def _workbook(literal: str | None, rows: int = 0) -> bytes:
    table = C.STATISTICS + [[f"Xã {n}", "12,5", str(1000 + n), str(n % 900)] for n in range(rows)]
    if literal is None:
        return C.xlsx(rows=table)
    C.XLSX_PLACES["number_format"] = _styled(literal)
    try:
        return C.xlsx(place="number_format", rows=table)
    finally:
        del C.XLSX_PLACES["number_format"]


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        ('"TỐI MẬT "0', "TỐI MẬT"),
        ('0" người/km2";[Red]"Âm "0', "người/km2\nÂm"),
        ("\\M\\Ậ\\T #,##0", "MẬT"),
        ("#,##0.00_);(#,##0.00)", ""),
        ("[$-42A]dd/mm/yyyy", ""),
    ],
)
def test_a_number_format_reads_as_the_text_it_shows(code: str, shown: str) -> None:
    assert number_format_text(code) == shown


def test_a_marking_shown_only_by_a_number_format_blocks(rules: ScreeningRules) -> None:
    result = screen_file(_workbook('"TỐI MẬT "0'), "thong-ke.xlsx", rules)
    assert result.verdict is Verdict.BLOCKED, result.findings
    assert any(f.rule.startswith("marking.") and f.part == "xl/kieu.xml" for f in result.findings)


@pytest.mark.slow
def test_a_workbook_too_large_to_render_is_read_as_text_in_full(rules: ScreeningRules) -> None:
    rows = SHEET_RENDER_BYTES // 90  # each generated row is about 100 bytes of XML
    # speed is bench/screening_xlsx.py's business: here the time cap only must not hit on a
    # loaded test machine
    rules = dataclasses.replace(rules, limits=dataclasses.replace(rules.limits, max_seconds=300))
    benign = screen_file(_workbook('0" người/km2"', rows=rows), "nien-giam.xlsx", rules)
    assert benign.verdict is Verdict.CLEAR, (benign.held_reason, benign.findings)
    methods = {c.part: c.method for c in benign.coverage}
    assert methods[RENDERED_PART] == STAND_IN
    assert methods["xl/worksheets/trang1.xml"] == "xml (streamed)"
    sheet = next(c for c in benign.coverage if c.part == "xl/worksheets/trang1.xml")
    assert sheet.chars > rows * 10  # every cell was read
    marked = screen_file(_workbook('"TỐI MẬT "0', rows=rows), "nien-giam-2.xlsx", rules)
    assert marked.verdict is Verdict.BLOCKED, (marked.held_reason, marked.findings)


def test_a_small_workbook_is_still_rendered(rules: ScreeningRules) -> None:
    small = _workbook(None)
    assert len(small) < SHEET_RENDER_BYTES
    result = screen_file(small, "nho.xlsx", rules)
    assert all(c.method != STAND_IN for c in result.coverage)


def test_the_time_cap_grows_with_the_xml_read_as_a_stream() -> None:
    """A file 31 CPU-s into a 30 s cap is out of time, unless a part it reads as a stream
    declares XML: ``stream_seconds_per_gb`` per GB (250: 1 s per 4 MB); the held reason says
    how the cap was made."""
    limits = dataclasses.replace(Limits(), max_seconds=30, stream_seconds_per_gb=250)
    spent = [0.0]
    late = Budget(limits, cpu=lambda: spent[0])
    spent[0] = 31.0
    with pytest.raises(Held) as stopped:
        late.check()
    assert "30 s of CPU time;" in stopped.value.reason
    late.open_stream(8_000_000)  # 2 s more
    late.check()
    assert stream_seconds(limits, 8_000_000) == 2.0
    assert stream_seconds(limits, 10 * limits.max_streamed_bytes) == pytest.approx(
        limits.max_streamed_bytes / 4e6
    )  # never more than the streamed bytes allowed
    spent[0] = 0.0
    later = Budget(limits, cpu=lambda: spent[0])
    spent[0] = 40.0
    later.open_stream(8_000_000)
    with pytest.raises(Held) as stopped:
        later.stream(65_536)
    assert "30 s plus 2 s for the 8 MB of XML read as a stream (250 s per GB)" in (
        stopped.value.reason
    )


@pytest.mark.slow
def test_a_big_workbook_gets_a_verdict_from_its_content_not_the_time_cap(
    rules: ScreeningRules,
) -> None:
    """A statistics workbook that takes longer to read than the fixed cap (1 s here, as the
    244 MB one of bench/screening_xlsx.py takes longer than 30 s) is screened to the end, in
    process and in the isolated child alike: the cap has grown with its XML."""
    rows = SHEET_RENDER_BYTES // 90
    # 10 s per MB: far more than reading takes even on a machine loaded ten times over
    limits = dataclasses.replace(rules.limits, max_seconds=1, stream_seconds_per_gb=10_000)
    rules = dataclasses.replace(rules, limits=limits)
    marked = _workbook('"TỐI MẬT "0', rows=rows)
    started = time.monotonic()
    result = screen_file(marked, "nien-giam.xlsx", rules)
    assert time.monotonic() - started > 1  # longer than the fixed cap
    assert result.verdict is Verdict.BLOCKED, (result.held_reason, result.findings)
    isolated = screen_file_isolated(marked, "nien-giam.xlsx", rules)  # its wall cap grows too
    assert isolated.verdict is Verdict.BLOCKED, (isolated.held_reason, isolated.findings)
