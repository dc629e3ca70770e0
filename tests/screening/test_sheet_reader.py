"""The worksheet reader that reads whole rows from a tree fed in chunks gives what one loop over
``iterparse`` end events gave (``sheet_oracle.event_sheet_text``, the reader it replaced): the same
text, the same map from lines to cells, so the same findings at the same cells with the same
excerpts. Generated sheets put markings, CCCD numbers and phone numbers in varied cells (values,
formulas, inline rich text, shared-string indexes, cells without references, line breaks), rows
across the parser's chunks, and text outside the cells (print headers, validations, hyperlinks,
elements before ``sheetData`` and inside rows and cells)."""

from __future__ import annotations

import dataclasses
import io
import random
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearance.screening import ScreeningRules, screen_file
from clearance.screening.extract import ooxml
from clearance.screening.extract.xmltext import MalformedPart, sheet_text
from clearance.screening.limits import Budget, Held
from clearance.screening.rules import Limits
from tests.screening import corpus_ooxml as C
from tests.screening.sheet_oracle import event_sheet_text

WORDS = ["TỐI MẬT", "MẬT", "Mật độ dân số", "mật ong", "CCCD 001085012345", "0905123456",
         "Xã Hòa Bình", "12,5", "=SUM(B2:B9)", "Tuyệt mật", "Đơn vị\nngười/km2", "a\r\nb", "",
         "&amp; ", "Độ mật: Thường"]  # fmt: skip


def _text(draw: st.DrawFn) -> str:
    return escape(draw(st.sampled_from(WORDS)).replace("&amp; ", "& "))


@st.composite
def cells(draw: st.DrawFn, row: int, column: int) -> str:
    ref = "" if draw(st.integers(0, 9)) == 0 else f' r="{C_LETTERS[column]}{row}"'
    kind = draw(st.sampled_from(["v", "v", "v", "shared", "formula", "inline", "rich", "odd"]))
    text = _text(draw)
    if kind == "v":
        return f"<c{ref}><v>{text}</v></c>"
    if kind == "shared":
        return f'<c{ref} t="s"><v>{draw(st.integers(0, 10**13))}</v></c>'
    if kind == "formula":
        return f"<c{ref}><f>{text}</f><v>{_text(draw)}</v></c>"
    if kind == "inline":
        return f'<c{ref} t="inlineStr"><is><t>{text}</t></is></c>'
    if kind == "rich":
        return (
            f'<c{ref} t="inlineStr"><is><r><rPr><b/><rFont val="Arial"/></rPr><t>{text}</t></r>'
            f'<r><t xml:space="preserve"> {_text(draw)}</t></r><rPh sb="0" eb="1"><t>ph</t></rPh>'
            "</is></c>"
        )
    # a cell with something else inside: an extension, a value with an attribute
    return f'<c{ref}><extLst><ext uri="x" name={quoteattr(text)}/></extLst><v>{text}</v></c>'


C_LETTERS = [""] + [chr(65 + n) for n in range(26)]


@st.composite
def worksheets(draw: st.DrawFn) -> str:
    rows = []
    for number in range(1, draw(st.integers(0, 12)) + 1):
        inner = "".join(draw(cells(number, column)) for column in range(1, draw(st.integers(0, 6))))
        ref = f' r="{number}"' if draw(st.booleans()) else ""
        if draw(st.integers(0, 7)) == 0:
            inner += f'<extLst><ext uri="y" tooltip={quoteattr(_text(draw))}/></extLst>'
        rows.append(f"<row{ref}>{inner}</row>")
    before = draw(st.sampled_from(["", '<sheetPr><tabColor rgb="FF0000"/></sheetPr>'
                                   '<dimension ref="A1:F12"/><cols><col min="1" max="2"/></cols>']))  # fmt: skip
    after = draw(st.sampled_from([
        "",
        f"<headerFooter><oddHeader>&amp;C{_text(draw)}&amp;R&amp;P</oddHeader></headerFooter>",
        f'<dataValidations><dataValidation prompt={quoteattr(_text(draw))}/></dataValidations>'
        f'<hyperlinks><hyperlink ref="A1" display={quoteattr(_text(draw))}/></hyperlinks>',
    ]))  # fmt: skip
    return (
        f'{C.XML_HEAD}<worksheet xmlns="{C.S}">{before}<sheetData>{"".join(rows)}</sheetData>'
        f"{after}</worksheet>"
    )


def _limits() -> Limits:
    return dataclasses.replace(Limits(), max_seconds=600, max_decompressed_bytes=1 << 31)


def _read(reader: object, xml: bytes) -> tuple[str, list[int], list[int], list[int], list[str]]:
    text, where = reader(io.BytesIO(xml), Budget(_limits()), "xl/worksheets/sheet1.xml")  # type: ignore[operator]
    labels = [where[i] for i in range(len(where))]
    return text, list(where.columns), list(where.row_starts), list(where.row_numbers), labels


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worksheets())
def test_the_row_reader_reads_what_the_event_loop_read(xml: str) -> None:
    assert _read(sheet_text, xml.encode()) == _read(event_sheet_text, xml.encode())


def _big_sheet(rng: random.Random, rows: int) -> str:
    """More rows than one chunk the parser is fed (256 KB), markings and numbers here and there."""
    body = []
    for row in range(1, rows + 1):
        cells_xml = []
        for column in "ABCDEFG":
            pick = rng.random()
            if pick < 0.01:
                text = rng.choice(WORDS)
                cells_xml.append(f'<c r="{column}{row}" t="inlineStr"><is><t>{escape(text)}</t>'
                                 "</is></c>")  # fmt: skip
            elif pick < 0.02:
                cells_xml.append(f'<c r="{column}{row}" t="s"><v>{rng.randint(0, 99)}</v></c>')
            else:
                cells_xml.append(f'<c r="{column}{row}" s="3"><v>{rng.randint(0, 10**6) / 100}</v></c>')  # fmt: skip
        body.append(f'<row r="{row}">{"".join(cells_xml)}</row>\n')
    return (
        f'{C.XML_HEAD}<worksheet xmlns="{C.S}"><sheetData>{"".join(body)}</sheetData>'
        "<headerFooter><oddHeader>&amp;CTỐI MẬT</oddHeader></headerFooter></worksheet>"
    )


def test_rows_across_the_chunks_the_parser_is_fed_are_read_whole() -> None:
    xml = _big_sheet(random.Random(3), 12_000).encode()
    assert len(xml) > 4 * (1 << 18)
    assert _read(sheet_text, xml) == _read(event_sheet_text, xml)


def test_a_utf16_sheet_is_read_like_its_utf8_twin() -> None:
    xml = _big_sheet(random.Random(4), 300)
    wide = xml.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert _read(sheet_text, wide) == _read(sheet_text, xml.encode("utf-8"))
    assert _read(sheet_text, wide) == _read(event_sheet_text, wide)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_a_dtd_anywhere_in_a_sheet_is_never_parsed(encoding: str) -> None:
    xml = _big_sheet(random.Random(5), 3000)
    xml = xml.replace('<row r="2000">', '<!DOCTYPE x [<!ENTITY a "b">]><row r="2000">')
    xml = xml.replace('encoding="UTF-8"', f'encoding="{encoding.upper()}"')
    with pytest.raises(Held, match="declares a DTD"):
        _read(sheet_text, xml.encode(encoding))


def test_a_sheet_that_is_not_well_formed_is_malformed() -> None:
    with pytest.raises(MalformedPart):
        _read(sheet_text, f'<worksheet xmlns="{C.S}"><sheetData><row><c><v>1</row>'.encode())


def test_a_workbook_gives_the_findings_the_event_loop_gave(
    rules: ScreeningRules, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through ``screen_file``: rule, part, cell and excerpt of every finding are those the
    replaced reader gave."""
    rng = random.Random(7)
    pkg = C.Package()
    C.core(pkg)
    sheets = "".join(f'<sheet name="Bảng {n}" sheetId="{n}" r:id="rId{n}"/>' for n in (1, 2))
    pkg.add("xl/workbook.xml", f"{C.SML}.sheet.main+xml",
            f'<workbook xmlns="{C.S}" xmlns:r="{C.R}"><sheets>{sheets}</sheets></workbook>',
            rel=f"{C.RT}/officeDocument")  # fmt: skip
    for n in (1, 2):
        pkg.add(f"xl/worksheets/sheet{n}.xml", f"{C.SML}.worksheet+xml",
                _big_sheet(rng, 4000), source="xl/workbook.xml", rel=f"{C.RT}/worksheet",
                rid=f"rId{n}")  # fmt: skip
    data = pkg.build()
    new = screen_file(data, "thong-ke.xlsx", rules)
    monkeypatch.setattr(ooxml, "sheet_text", event_sheet_text)
    old = screen_file(data, "thong-ke.xlsx", rules)
    assert new.verdict is old.verdict
    places = [(f.rule, f.part, f.location, f.excerpt, f.start, f.end) for f in new.findings]
    assert places == [(f.rule, f.part, f.location, f.excerpt, f.start, f.end) for f in old.findings]
    cells_found = [f for f in new.findings if f.part.startswith("xl/worksheets/")]
    assert any(
        f.rule.startswith("marking.") and f.location.startswith("cell ") for f in cells_found
    )
    assert any(f.rule.startswith("pii.") for f in cells_found), cells_found
    assert new.sanitized == old.sanitized  # the derivative is untouched, byte for byte
