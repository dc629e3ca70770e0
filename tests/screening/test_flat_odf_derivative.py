"""The flat OpenDocument derivative is written as a stream, whatever the file's size: for any
document it is byte for byte what the tree-building sanitiser gave (kept as the reference in
``flat_odf_oracle.py``), and a 40 MB statistics sheet, which had no derivative before (held with
``screening.no_derivative``), gets one in the isolated child, within its memory cap."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearance.screening import ScreeningRules, Verdict, screen_file
from clearance.screening.engine import NO_DERIVATIVE_RULE
from clearance.screening.isolated import DEFAULT_MEMORY_BYTES, screen_file_isolated
from clearance.screening.sanitise.flat_odf import sanitise_flat_odf
from tests.screening import corpus_formats as C
from tests.screening.corpus import png
from tests.screening.flat_odf_oracle import sanitise_flat_odf_in_memory
from tests.screening.test_flat_odf import FONTS, fods

ROOT = Path(__file__).resolve().parents[2]


def _sheet(rows: int) -> bytes:
    """A benign flat statistics sheet of ``rows`` numbered rows and two closing rows."""
    return fods(rows, "Hết.").replace(
        "Nguyễn Văn A, CCCD 001085012345".encode(), "Phòng Thống kê huyện".encode()
    )


PNG = base64.b64encode(png()).decode("ascii")
PNG_WRAPPED = "\n".join(PNG[i : i + 60] for i in range(0, len(PNG), 60))


def _document(inner: str, *, root_attributes: str = "", extra_ns: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document {C.NS}{extra_ns} '
        f'office:mimetype="{C.ODT}"{root_attributes}>{inner}</office:document>'
    ).encode()


CASES = {
    "plain": _document(f"{FONTS}<office:body><office:text>{C.p('Thông cáo')}</office:text>"
                       "</office:body>"),
    "sections dropped with their tails": _document(
        "\n <office:meta><dc:title>Tin</dc:title></office:meta>\n <office:settings/>\n "
        f"{FONTS}\n <office:body><office:text>{C.p('A')}</office:text></office:body>\n"
    ),
    "annotations first, between and last, tails kept": _document(
        "<office:body><office:text><text:p><office:annotation><text:p>x</text:p>"
        "</office:annotation>đầu <text:span>giữa</text:span><office:annotation>"
        "<text:p>y</text:p></office:annotation> sau<office:annotation-end/> cuối"
        "<office:annotation/></text:p></office:text></office:body>"
    ),
    "only dropped children: an empty element": _document(
        "<office:body><office:text><text:p><office:annotation><text:p>x</text:p>"
        "</office:annotation></text:p><text:p/></office:text></office:body>"
    ),
    "tracked changes and hidden text": _document(
        "<office:body><office:text><text:tracked-changes><text:changed-region><text:deletion>"
        "<text:p>MẬT</text:p></text:deletion></text:changed-region></text:tracked-changes>"
        "<text:p>a<text:change text:change-id='c1'/>b<text:change-start/>c<text:change-end/>d"
        "<text:hidden-text text:string-value='MẬT'/>e</text:p>"
        "<text:hidden-paragraph/><text:p>f</text:p></office:text></office:body>"
    ),
    "escaping in text and attributes": _document(
        "<office:body><office:text><text:p text:style-name='a&amp;b &quot;c&quot; &lt;d&gt;"
        "&#10;e&#9;f&#13;g'>1 &lt; 2 &amp;&amp; 3 &gt; 2 \"q\" 'a'</text:p></office:text>"
        "</office:body>"
    ),
    "comments and instructions dropped": _document(
        "<!-- ghi chú --><office:body><?app data?><office:text><text:p>a<!-- c -->b</text:p>"
        "</office:text></office:body>"
    ),
    "foreign, default and unused namespaces": _document(
        "<office:body><office:text><x:thing x:a='1' y:b='2'>t</x:thing>"
        "<plain xmlns='urn:example:default' attr='v'><inner>i</inner></plain>"
        "<ns7:odd xmlns:ns7='urn:example:odd'>o</ns7:odd></office:text></office:body>",
        extra_ns=" xmlns:x='urn:example:x' xmlns:y='urn:example:y' xmlns:z='urn:example:unused'",
        root_attributes=" x:root='r'",
    ),
    "a namespace used only in a dropped element is not declared": _document(
        "<office:body><office:text><text:p>a<office:annotation><q:x xmlns:q='urn:example:q'/>"
        "</office:annotation></text:p><r:y xmlns:r='urn:example:r'/></office:text></office:body>"
    ),
    "pictures: kept re-encoded, broken ones dropped with their tails": _document(
        "<office:body><office:text><text:p><draw:frame><draw:image>"
        f"<office:binary-data>{PNG_WRAPPED}</office:binary-data>tail kept"
        "</draw:image></draw:frame><draw:frame><draw:image><office:binary-data>!!not base64"
        "</office:binary-data> tail lost<office:annotation/> joined to it, lost too"
        "</draw:image></draw:frame><draw:frame><draw:image>"
        "<office:binary-data>aGVsbG8=</office:binary-data> not an image: lost"
        "</draw:image></draw:frame></text:p></office:text></office:body>"
    ),
    "a picture inside an annotation goes with it": _document(
        "<office:body><office:text><text:p><office:annotation><draw:frame><draw:image>"
        f"<office:binary-data>{PNG}</office:binary-data></draw:image></draw:frame>"
        "</office:annotation>sau</text:p></office:text></office:body>"
    ),
    "a spreadsheet": _sheet(50),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_streamed_derivative_is_the_tree_builders_byte_for_byte(name: str) -> None:
    data = CASES[name]
    expected = sanitise_flat_odf_in_memory(data)
    assert sanitise_flat_odf(data) == expected
    ET.fromstring(expected)


_TAGS = ("text:p", "text:span", "text:h", "office:annotation", "office:annotation-end",
         "text:tracked-changes", "text:change", "text:hidden-text", "text:hidden-paragraph",
         "draw:frame", "office:binary-data", "x:foreign", "plain", "office:meta",
         "office:settings")  # fmt: skip
_TEXT = st.text(alphabet="aĐậ &<>\"'\n\t", max_size=6)


@st.composite
def _trees(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(_TAGS))
    attributes = draw(st.sampled_from(("", " text:style-name='s&amp;&#10;'", " x:k='v'")))
    if tag == "office:binary-data":
        body = draw(st.sampled_from((PNG, PNG_WRAPPED, "!!", "aGVsbG8=", "")))
        return f"<{tag}{attributes}>{body}</{tag}>" + _escape(draw(_TEXT))
    children = (
        draw(st.lists(_trees(depth + 1), max_size=4)) if depth < 3 else []  # type: ignore[call-arg]
    )
    inner = _escape(draw(_TEXT)) + "".join(children)
    if draw(st.booleans()) and not inner:
        return f"<{tag}{attributes}/>" + _escape(draw(_TEXT))
    return f"<{tag}{attributes}>{inner}</{tag}>" + _escape(draw(_TEXT))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@settings(max_examples=200, deadline=None)
@given(st.lists(_trees(), max_size=6), _TEXT)  # type: ignore[call-arg]
def test_any_document_is_streamed_as_the_tree_builder_wrote_it(parts: list[str], lead: str) -> None:
    data = _document(_escape(lead) + "".join(parts), extra_ns=" xmlns:x='urn:example:x'")
    assert sanitise_flat_odf(data) == sanitise_flat_odf_in_memory(data)


def _expected_for_rows(rows: int) -> bytes:
    """What the tree builder gives for ``_sheet(rows)``, made from what it gives for one row (the
    rows differ only in their number: the derivative is a head, each row's bytes, a tail), so
    a 40 MB sheet is checked byte for byte without building its tree."""
    one = sanitise_flat_odf_in_memory(_sheet(1))
    start = one.index(b"<table:table-row>")
    end = one.index(b"</table:table-row>", start) + len(b"</table:table-row>")
    row = one[start:end]
    assert row.count(b"0") == 3 and "Xã 0".encode() in row, row  # the row's number, thrice
    body = b"".join(row.replace(b"0", str(n).encode()) for n in range(rows))
    return one[:start] + body + one[end:]


_CHILD = """
import dataclasses, hashlib, json, sys
from clearance.screening import load_screening_rules, screen_file
rules = load_screening_rules(sys.argv[2])
rules = dataclasses.replace(rules, limits=dataclasses.replace(rules.limits, max_seconds=600))
data = open(sys.argv[1], "rb").read()
result = screen_file(data, "thong-ke.fods", rules)
peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
derivative = result.sanitized or b""
print(json.dumps({"peak_kb": int(peak.split()[1]), "verdict": str(result.verdict),
                  "derivative": len(derivative)}))
"""


def _peak_in_child(data: bytes, tmp_path: Path, name: str) -> dict[str, int | str]:
    path = tmp_path / name
    path.write_bytes(data)
    policy = ROOT / "clearance" / "policies_default" / "screening.yaml"
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), str(policy)],
        capture_output=True, text=True, check=True, cwd=ROOT, timeout=900,
    )  # fmt: skip
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_row_arithmetic_of_the_big_test_holds_for_a_small_sheet() -> None:
    for rows in (2, 37):
        assert _expected_for_rows(rows) == sanitise_flat_odf_in_memory(_sheet(rows))
        assert sanitise_flat_odf(_sheet(rows)) == _expected_for_rows(rows)


@pytest.mark.slow
def test_a_40_mb_fods_gets_its_derivative_in_the_child_within_its_memory_cap(
    rules: ScreeningRules, tmp_path: Path
) -> None:
    rows = 40 * 1024 * 1024 // 228  # some 40 MB of XML
    big = _sheet(rows)
    assert len(big) > 38 * 1024 * 1024
    result = screen_file_isolated(big, "thong-ke.fods", rules, timeout=900)
    assert result.held_reason is None, result.held_reason
    assert not any(f.rule == NO_DERIVATIVE_RULE for f in result.findings), result.findings
    assert result.verdict is Verdict.CLEAR, result.findings
    assert result.sanitized == _expected_for_rows(rows)
    # the memory: a child building the derivative of a sheet four times as large grows by a
    # few times the file (the file, its text, the derivative and its copy), nowhere near the
    # child's cap nor the nine times the file that the tree took
    small = _peak_in_child(_sheet(rows // 4), tmp_path, "small.fods")
    large = _peak_in_child(big, tmp_path, "big.fods")
    assert small["verdict"] == large["verdict"] == "clear", (small, large)
    assert int(large["derivative"]) > 0
    growth = (int(large["peak_kb"]) - int(small["peak_kb"])) * 1024
    extra_bytes = len(big) - len(_sheet(rows // 4))
    print(f"peak {small['peak_kb']} kB -> {large['peak_kb']} kB for {extra_bytes} more bytes")
    assert growth < 5 * extra_bytes, (small, large, extra_bytes)
    assert int(large["peak_kb"]) * 1024 < DEFAULT_MEMORY_BYTES // 2, large


def test_a_small_fods_derivative_reads_back(rules: ScreeningRules) -> None:
    result = screen_file(_sheet(20), "thong-ke.fods", rules)
    assert result.verdict is Verdict.CLEAR, result.findings
    assert result.sanitized is not None
    again = screen_file(result.sanitized, "thong-ke.fods", rules)
    assert again.verdict is Verdict.CLEAR, again.findings
    assert io.BytesIO(result.sanitized).read(5) == b"<?xml"
