"""The tree reader of OpenDocument XML parts reads what the event loop read (kept as the
reference in ``tests/screening/odf_oracle.py``): a speed change, so equivalence tests."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearance.screening import ScreeningRules, load_screening_rules, screen_file
from clearance.screening.extract import odf, xmltext
from clearance.screening.limits import Budget, Held
from tests.screening import corpus_formats as C
from tests.screening.conftest import POLICY
from tests.screening.odf_oracle import stream_reads as oracle_reads

EXTRA_NS = (
    'xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0" '
    'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0"'
)
LIMITS = load_screening_rules(POLICY).limits
WORDS = ["", " ", "\n  ", "Xã 12", "TỐI MẬT", "mật độ", "Tμi liÖu", "&", "a<b", "  x  ", "1.234,5"]
STYLES = ["", "L1", "P2", "P3", "ce1"]

_text = st.sampled_from(WORDS)


def _attrs(draw: st.DrawFn, names: list[str]) -> str:
    out = []
    for name in names:
        if draw(st.booleans()):
            value = draw(st.sampled_from([*WORDS, *STYLES, "2", "http://x.vn/a", "#b"]))
            out.append(f" {name}={quoteattr(value)}")
    return "".join(out)


@st.composite
def _inline(draw: st.DrawFn, depth: int) -> str:
    """Paragraph content: text, spans in styles, spaces, tabs, breaks, links, annotations."""
    pieces = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 8 if depth < 3 else 2))
        if kind <= 2:
            pieces.append(escape(draw(_text)))
        elif kind == 3:
            pieces.append(f'<text:s text:c="{draw(st.integers(0, 3))}"/>')
        elif kind == 4:
            pieces.append(draw(st.sampled_from(["<text:tab/>", "<text:line-break/>"])))
        elif kind == 5:
            style = _attrs(draw, ["text:style-name"])
            pieces.append(f"<text:span{style}>{draw(_inline(depth + 1))}</text:span>")
        elif kind == 6:
            link = _attrs(draw, ["xlink:href", "office:title"])
            pieces.append(f"<text:a{link}>{draw(_inline(depth + 1))}</text:a>")
        elif kind == 7:
            pieces.append(
                f"<office:annotation><dc:creator>{escape(draw(_text))}</dc:creator>"
                f"<text:p>{draw(_inline(depth + 1))}</text:p></office:annotation>"
            )
        else:
            pieces.append(f"<text:hidden-text{_attrs(draw, ['text:string-value'])}/>")
        pieces.append(escape(draw(_text)))
    return "".join(pieces)


@st.composite
def _cell(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 5)) == 0:
        return f"<table:covered-table-cell{_attrs(draw, ['table:number-columns-repeated'])}/>"
    attrs = _attrs(
        draw,
        ["table:style-name", "office:value-type", "office:value", "office:string-value",
         "table:formula", "table:number-columns-repeated", "table:number-columns-spanned"],
    )  # fmt: skip
    paragraphs = "".join(
        f"<text:p{_attrs(draw, ['text:style-name'])}>{draw(_inline(0))}</text:p>"
        for _ in range(draw(st.integers(0, 2)))
    )
    frame = ""
    if draw(st.integers(0, 8)) == 0:
        frame = (
            "<draw:frame><draw:image><office:binary-data>iVBORw0KGgo=</office:binary-data>"
            "</draw:image></draw:frame>"
        )
    return f"<table:table-cell{attrs}>{escape(draw(_text))}{paragraphs}{frame}</table:table-cell>"


@st.composite
def _row(draw: st.DrawFn) -> str:
    attrs = _attrs(draw, ["table:number-rows-repeated", "table:style-name"])
    cells = "".join(draw(_cell()) for _ in range(draw(st.integers(0, 4))))
    return f"<table:table-row{attrs}>{cells}</table:table-row>"


@st.composite
def content(draw: st.DrawFn) -> str:
    """A content.xml: styles (one in a legacy font), tables of rows (some in header rows and
    row groups), paragraphs, scripts and text between elements."""
    tables = []
    for _ in range(draw(st.integers(0, 3))):
        rows = []
        for _ in range(draw(st.integers(0, 6))):
            kind = draw(st.integers(0, 6))
            if kind == 0:
                rows.append(f"<table:table-header-rows>{draw(_row())}</table:table-header-rows>")
            elif kind == 1:
                rows.append(f"<table:table-row-group>{draw(_row())}</table:table-row-group>")
            else:
                rows.append(draw(_row()))
            rows.append(escape(draw(_text)))
        name = _attrs(draw, ["table:name"])
        tables.append(f"<table:table{name}><table:table-column/>{''.join(rows)}</table:table>")
    paragraphs = "".join(
        f"<text:p{_attrs(draw, ['text:style-name'])}>{draw(_inline(0))}</text:p>"
        for _ in range(draw(st.integers(0, 3)))
    )
    scripts = ""
    if draw(st.booleans()):
        scripts = '<office:scripts><script:event-listener script:language="x"/></office:scripts>'
    between = escape(draw(_text))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {C.NS} {EXTRA_NS}>'
        f"{scripts}{between}<office:automatic-styles>"
        '<style:style style:name="L1" style:family="text"><style:text-properties '
        'style:font-name=".VnTime"/></style:style>'
        '<style:style style:name="P3" style:parent-style-name="L1"/>'
        "</office:automatic-styles><office:meta><dc:title>Báo cáo</dc:title></office:meta>"
        f"<office:body>{between}<office:spreadsheet>{''.join(tables)}</office:spreadsheet>"
        f"{paragraphs}</office:body></office:document-content>"
    )


def _fonts(default: bool | None) -> odf._Fonts:
    """The part's fonts: one style in a legacy font (and the default font too when
    ``default``), or no legacy font at all (None: rows are then read inline)."""
    fonts = odf._Fonts()
    if default is None:
        return fonts
    fonts.faces[".VnTime"] = ".VnTime"
    fonts.style_font.update({"L1": ".VnTime", "P2": "Arial"})
    fonts.parents["P3"] = "L1"
    fonts.default = ".VnTime" if default else None
    return fonts


def _summary(reads: list[tuple[str, odf._Read]]) -> list[tuple[object, ...]]:
    return [
        (
            label,
            read.text(),
            {key: ["".join(chunk) for chunk in chunks] for key, chunks in read.sections.items()},
            read.attribute_text(),
            read.legacy,
            read.hidden,
            read.code,
            read.external,
            read.tags,
            read.gps,
        )
        for label, read in reads
    ]


def _both(data: bytes, default: bool | None, sections: bool) -> tuple[object, object]:
    out = []
    for reader in (odf._stream_reads, oracle_reads):
        pictures: list[str] = []
        reads = reader(
            io.BytesIO(data), "content.xml", _fonts(default), Budget(LIMITS),
            sections=sections, pictures=pictures,
        )  # fmt: skip
        out.append((_summary(reads), pictures))
    return out[0], out[1]


@settings(max_examples=150, deadline=None)
@given(
    xml=content(),
    default=st.sampled_from([None, False, True]),
    sections=st.booleans(),
    feed=st.integers(1, 400),
)
def test_the_tree_reader_reads_what_the_event_loop_read(
    xml: str, default: bool | None, sections: bool, feed: int
) -> None:
    """150 generated parts (cells repeated, spanned and covered, annotations and pictures in
    cells, spans in legacy fonts, links, hidden text, scripts, rows in groups), fed to the
    parser in pieces of 1 to 400 bytes: the same text, sections, attributes and observations,
    part by part (``sections``: a flat document's) and the same pictures."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(xmltext, "_FEED", feed)
        new, old = _both(xml.encode(), default, sections)
    assert new == old


def test_a_large_spreadsheet_reads_what_the_event_loop_read(rules: ScreeningRules) -> None:
    """Rows across the 256 KB chunks the parser is fed, a stamp in an annotation of the last
    row: the same reads, and the same findings through ``screen_file``."""
    rows = "".join(
        f'<table:table-row><table:table-cell office:value-type="float" office:value="{n}">'
        f"<text:p>{n}</text:p></table:table-cell><table:table-cell><text:p>Xã {n} mật độ"
        "</text:p></table:table-cell></table:table-row>"
        for n in range(20000)
    )
    stamp = (
        "<table:table-row><table:table-cell><office:annotation><text:p>TỐI MẬT</text:p>"
        "</office:annotation><text:p>ghi chú</text:p></table:table-cell></table:table-row>"
    )
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {C.NS}><office:body>'
        f'<office:spreadsheet><table:table table:name="Bảng 1">{rows}{stamp}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    assert len(xml) > 3 * (1 << 18)
    for default in (None, False):  # rows read inline, and element by element
        new, old = _both(xml.encode(), default, False)
        assert new == old
    result = screen_file(C.odf_package(C.ODS, {"content.xml": xml}), "a.ods", rules)
    assert any(f.part == "content.xml annotations" for f in result.findings), result.findings


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_a_dtd_in_an_odf_part_is_never_parsed(encoding: str) -> None:
    xml = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "TỐI MẬT">]>'
        f"<office:document-content {C.NS}><text:p>&e;</text:p></office:document-content>"
    )
    with pytest.raises(Held, match="DTD or entities"):
        odf._stream_reads(io.BytesIO(xml.encode(encoding)), "content.xml", _fonts(False),
                          Budget(LIMITS))  # fmt: skip


def test_an_odf_part_that_is_not_well_formed_is_held() -> None:
    xml = f"<office:document-content {C.NS}><text:p>x</text:span></office:document-content>"
    with pytest.raises(Held, match="not well-formed"):
        odf._stream_reads(io.BytesIO(xml.encode()), "content.xml", _fonts(False),
                          Budget(LIMITS))  # fmt: skip
