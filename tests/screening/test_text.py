"""Normalisation, markings, keywords and identifiers through ``screen_text``."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearance.screening import ScreeningRules, Verdict, screen_text
from clearance.screening.detectors import markings
from clearance.screening.normalise import normalise

BLOCKED = {
    "stamp alone": "MẬT\nBáo cáo tình hình",
    "decorated stamp": "*** TỐI MẬT ***\nNội dung",
    "top short line": "TUYỆT MẬT - Số 12/BC-UBND\nNội dung",
    "field": "Độ mật: Tối mật",
    "spaced": "M Ậ T\nNội dung",
    "dotted": "M.Ậ.T\nNội dung",
    "zero width": "M\u200bẬ\u200dT\nNội dung",
    "cyrillic": "МẬТ\nNội dung",
    "full width": "ＭẬＴ\nNội dung",
    "decomposed": "MA\u0323\u0302T\nx",
    "handling stamp": "Phong bì: CHỈ NGƯỜI CÓ TÊN MỚI ĐƯỢC BÓC BÌ",
    "recall stamp": "TÀI LIỆU THU HỒI",
    "english banner": "TOP SECRET\nReport",
}

CLEAR = {
    "honey": "Đặc sản mật ong rừng U Minh được du khách ưa chuộng.",
    "honey title": "MẬT ONG RỪNG U MINH\nBài viết du lịch",
    "density": "Mật độ dân số của tỉnh tăng nhẹ.",
    "success": "Bí mật của thành công là sự kiên trì.",
    "face": "Công nhân làm việc tối mặt để kịp tiến độ.",
    "password": "Vui lòng nhập mật khẩu để đăng nhập.",
    "law news": "Luật Bảo vệ bí mật nhà nước quy định ba cấp độ: TUYỆT MẬT, TỐI MẬT và MẬT.",
    "english word": "The secret of a good trip is planning.",
    "spokesperson": "Liên hệ người phát ngôn: 0236 3822 123",
    "money": "Tổng kinh phí 123.456.789 đồng.",
}


@pytest.mark.parametrize("text", BLOCKED.values(), ids=BLOCKED.keys())
def test_markings_block(rules: ScreeningRules, text: str) -> None:
    result = screen_text(text, rules)
    assert result.verdict is Verdict.BLOCKED, result.findings


@pytest.mark.parametrize("text", CLEAR.values(), ids=CLEAR.keys())
def test_near_misses_stay_clear(rules: ScreeningRules, text: str) -> None:
    result = screen_text(text, rules)
    assert result.verdict is Verdict.CLEAR, result.findings


def test_level_is_the_highest_marking(rules: ScreeningRules) -> None:
    result = screen_text("MẬT\n\nphụ lục\nTUYỆT MẬT\n", rules)
    assert result.level == "tuyet_mat"


def test_accent_folded_stamp_is_only_a_hint(rules: ScreeningRules) -> None:
    result = screen_text("TỐI MẶT\nNội dung", rules)
    assert result.verdict is Verdict.CLEAR
    assert [f.rule for f in result.findings] == ["marking.toi_mat.folded"]


def test_declassified_needs_a_decision(rules: ScreeningRules) -> None:
    assert screen_text("GIẢI MẬT\nNội dung", rules).verdict is Verdict.REVIEW
    with_decision = screen_text("GIẢI MẬT\nTheo Quyết định số 12/QĐ-UBND", rules)
    assert with_decision.verdict is Verdict.CLEAR


def test_identifiers_are_masked(rules: ScreeningRules) -> None:
    result = screen_text("Số CCCD: 001090012345, điện thoại 0905 123 456", rules)
    assert result.verdict is Verdict.REVIEW
    rules_found = {f.rule for f in result.findings}
    assert rules_found == {"pii.cccd", "pii.phone"}
    for finding in result.findings:
        assert "001090012345" not in finding.excerpt
        assert "0905 123" not in finding.excerpt


def test_cccd_needs_a_real_province_code(rules: ScreeningRules) -> None:
    assert screen_text("CCCD: 003090012345", rules).verdict is Verdict.CLEAR  # 003 is no province


def test_coordinates(rules: ScreeningRules) -> None:
    decimal = screen_text("Tọa độ 16.0544, 108.2022", rules)
    dms = screen_text("vị trí 16°03'15.8\"N 108°12'07.9\"E", rules)
    assert {f.rule for f in decimal.findings} == {"geo.coordinates"}
    assert {f.rule for f in dms.findings} == {"geo.coordinates"}


def test_keywords_respect_word_boundaries(rules: ScreeningRules) -> None:
    assert screen_text("kế hoạch tác chiến năm 2024", rules).verdict is Verdict.REVIEW
    assert screen_text("mật mãnh liệt", rules).verdict is Verdict.CLEAR


def test_findings_serialise(rules: ScreeningRules) -> None:
    result = screen_text("MẬT", rules)
    data = result.to_json()
    assert data["verdict"] == "blocked"
    assert data["findings"][0]["rule"] == "marking.mat"
    assert set(data["findings"][0]) >= {"rule", "severity", "message", "part", "location"}


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from([" ", "*", "-", "—", "|", "x", "mật", "\n", "[", "]", "·", "1"]), max_size=8
    ),
    st.lists(
        st.sampled_from([" ", "*", "-", "—", "|", "x", "mật", "\n", "[", "]", "·", "1"]), max_size=8
    ),
)
def test_alone_is_strip_equals_phrase(before: list[str], after: list[str]) -> None:
    """The cheap test for a stamp standing alone agrees with stripping the line."""
    prefix = "".join(before)
    lower = prefix + "mật" + "".join(after)
    start, end = len(prefix), len(prefix) + len("mật")
    line_start = lower.rfind("\n", 0, start) + 1
    line_end = lower.find("\n", end)
    line = lower[line_start : len(lower) if line_end < 0 else line_end]
    assert markings.alone(lower, start, end) == (line.strip(markings.DECORATION) == "mật")


def test_findings_carry_their_offsets_in_the_text_as_given(rules: ScreeningRules) -> None:
    text = "Thông cáo về lễ hội.\nLiên hệ: 0905 123 456.\n\nTỌA ĐỘ 16.0544, 108.2022 ở đây."
    findings = [f for f in screen_text(text, rules).findings if f.start is not None]
    spans = {f.rule: text[f.start : f.end] for f in findings if f.end is not None}
    assert spans["pii.phone"] == "0905 123 456"
    assert "16.0544, 108.2022" in spans["geo.coordinates"]
    assert all(f.to_json()["start"] == f.start for f in findings)


def test_offsets_fit_the_text_as_given_when_normalising_changes_its_length(
    rules: ScreeningRules,
) -> None:
    # a zero-width space inside the number is dropped before scanning; decomposed letters are
    # composed; the offsets still point into the text as given
    text = "Liên hệ: 0905\u200b 123 456.\nMA\u0323\u0302T\nBa\u0300i vie\u0302\u0301t"
    findings = {f.rule: f for f in screen_text(text, rules).findings}
    phone = findings["pii.phone"]
    assert phone.start is not None and phone.end is not None
    assert text[phone.start : phone.end] == "0905\u200b 123 456"
    marking = findings["marking.mat"]
    assert marking.start is not None and marking.end is not None
    assert text[marking.start : marking.end] == "MA\u0323\u0302T"


def test_offsets_of_a_zero_width_obfuscated_stamp(rules: ScreeningRules) -> None:
    text = "Thông cáo\nM\u200bẬ\u200bT\nNội dung"
    marking = next(f for f in screen_text(text, rules).findings if f.rule == "marking.mat")
    assert marking.start is not None and marking.end is not None
    assert text[marking.start : marking.end] == "M\u200bẬ\u200bT"


#: what each rule matches in the words below, normalised and lower-cased
_MATCHED = {"marking.mat": "mật", "pii.phone": "0905 123 456", "pii.cccd": "001203004567"}
_NOISE = st.sampled_from(["\u200b", "\u200d", "\u00ad", "\u0301", "\u0323", "\ufeff"])
_WORDS = st.sampled_from(
    ["Liên hệ", "0905 123 456", "MẬT", "Nội dung", "báo cáo", "CCCD 001203004567", "tỉnh", "\n"]
)


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(_WORDS, st.lists(st.tuples(st.integers(0, 30), _NOISE), max_size=4)),
                min_size=1, max_size=12))  # fmt: skip
def test_the_slice_at_a_findings_offsets_normalises_to_what_was_found(
    rules: ScreeningRules, pieces: list[tuple[str, list[tuple[int, str]]]]
) -> None:
    words = []
    for word, noise in pieces:
        chars = list(word)
        for at, mark in noise:
            chars.insert(min(at, len(chars)), mark)
        words.append("".join(chars))
    text = " ".join(words)
    for finding in screen_text(text, rules).findings:
        if finding.rule not in _MATCHED:
            continue
        assert finding.start is not None and finding.end is not None, finding
        assert 0 <= finding.start < finding.end <= len(text)
        found = normalise(text[finding.start : finding.end]).lower()
        assert found == _MATCHED[finding.rule], (finding.rule, text[finding.start : finding.end])
