"""Text in TCVN3 or VNI found by character statistics (no font name says so) is converted before
it is screened, and the conversion is not length preserving (a VNI letter with its tone is two
bytes; a Windows-1258 tone is a byte of its own). A finding's offsets are in the text as stored:
the file's bytes for a plain-text file, the part's text as extracted for a document, so the
place the approver is shown is the marked word, not a place a few characters off."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearance.screening import ScreeningRules, Verdict, screen_file
from clearance.screening import legacy_vn as L
from clearance.screening.extract.ooxml import extract_docx
from clearance.screening.limits import Budget
from clearance.screening.rules import Limits
from tests.screening.corpus import docx

# accented words before the stamp, so that in VNI (two bytes a letter) the stamp's place in the
# bytes is well after its place in the converted text
LEAD = (
    "Ủy ban nhân dân tỉnh Quảng Ngãi báo cáo tình hình kinh tế xã hội quý ba",
    "Nghiêm cấm sao chụp, tài liệu này chỉ người có tên mới được đọc",
)
STAMP = "TỐI MẬT"
LETTER = "\n".join([*LEAD, STAMP, "BÁO CÁO", "Khuyến khích người dân giữ gìn vệ sinh"])
NEAR = LETTER.replace(STAMP, "mật ong rừng")


def _marking(result_findings: tuple[object, ...]) -> list[object]:
    return [f for f in result_findings if getattr(f, "rule", "").startswith("marking.")]


@pytest.mark.parametrize("encoding", [L.TCVN3, L.VNI, L.CP1258])
def test_a_stamp_in_a_legacy_text_file_is_placed_on_its_bytes(
    rules: ScreeningRules, encoding: str
) -> None:
    data = L.encode(LETTER, encoding)
    result = screen_file(data, "bao-cao.txt", rules)
    assert result.verdict is Verdict.BLOCKED, result.findings
    found = [f for f in result.findings if f.rule == "marking.toi_mat"]
    assert found, result.findings
    finding = found[0]
    assert finding.start is not None and finding.end is not None, finding
    assert data[finding.start : finding.end] == L.encode(STAMP, encoding), (
        data[finding.start : finding.end],
        finding,
    )
    near = screen_file(L.encode(NEAR, encoding), "du-lich.txt", rules)
    assert near.verdict is Verdict.CLEAR, near.findings


def _run(text: str) -> str:
    return f'<w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


@pytest.mark.parametrize("encoding", [L.TCVN3, L.VNI])
def test_a_stamp_in_a_docx_typed_in_a_legacy_font_without_its_name_is_placed_in_the_part(
    rules: ScreeningRules, encoding: str
) -> None:
    stored = [L.encode(line, encoding).decode("cp1252") for line in LETTER.split("\n")]
    data = docx([_run(line) for line in stored])
    result = screen_file(data, "a.docx", rules)
    assert result.verdict is Verdict.BLOCKED, result.findings
    found = [f for f in result.findings if f.rule == "marking.toi_mat"]
    assert found, result.findings
    finding = found[0]
    assert finding.part == f"word/document.xml ({encoding})", finding
    # the part's text as the extractor gives it (what the preview shows), not the converted one
    part = next(
        p for p in extract_docx(data, Budget(Limits())).parts if p.name == "word/document.xml"
    )
    assert finding.start is not None and finding.end is not None, finding
    stamp = L.encode(STAMP, encoding).decode("cp1252")
    assert part.text[finding.start : finding.end] == stamp, (
        part.text[finding.start : finding.end],
        finding,
    )
    near = [L.encode(line, encoding).decode("cp1252") for line in NEAR.split("\n")]
    clear = screen_file(docx([_run(line) for line in near]), "b.docx", rules)
    assert clear.verdict is Verdict.CLEAR, clear.findings


_WORDS = st.sampled_from(
    [
        "một",
        "hai",
        "bốn",
        "năm",
        "người",
        "được",
        "Quảng",
        "Ngãi",
        "Ủy",
        "ban",
        "tỉnh",
        "ĐỘ",
        "MẬT",
        "TỐI",
        "mật",
        "khẩn",
        "thường",
        "nghiêm",
        "cấm",
        "chụp",
        "tài",
        "liệu,",
        "đọc.",
        "khuyến",
        "khích",
        "giữ",
        "gìn",
        "vệ",
        "sinh",
        "2025",
        "(số)",
        "ngày",
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(_WORDS, min_size=1, max_size=12), min_size=1, max_size=5),
    st.sampled_from([L.TCVN3, L.TCVN3_CAPITALS, L.VNI, L.CP1258]),
    st.data(),
)
def test_the_offset_map_gives_back_what_each_span_was_converted_from(
    lines: list[list[str]], encoding: str, data: st.DataObject
) -> None:
    text = "\n".join(" ".join(words) for words in lines)
    if encoding == L.TCVN3_CAPITALS:
        text = text.lower()
    source = L.encode(text, encoding).decode("latin-1")
    converted = L.convert(source, encoding)
    expected = text.upper() if encoding == L.TCVN3_CAPITALS else unicodedata.normalize("NFC", text)
    assert converted == expected
    spans = L.SourceSpans(source, converted, encoding)
    traced = L.convert_traced(source.split("\n")[0], encoding)
    assert traced is not None and traced[0] == converted.split("\n")[0]
    # every span of a line (a word, a few words, a letter) maps to the source it came from
    for _ in range(5):
        line = data.draw(st.integers(0, len(lines) - 1))
        begin = sum(len(x) + 1 for x in converted.split("\n")[:line])
        length = len(converted.split("\n")[line])
        start = begin + data.draw(st.integers(0, length - 1))
        end = data.draw(st.integers(start + 1, begin + length))
        span = spans.span(start, end)
        assert span is not None, (start, end)
        assert L.convert(source[span[0] : span[1]], encoding) == converted[start:end]
