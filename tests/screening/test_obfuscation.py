"""An obfuscated secrecy stamp is never let through: decomposed letters (NFD), invisible
characters, separators and look-alike letters from other scripts, inserted anywhere, in any
mix, are undone or seen through, on the Hyperscan path and on the portable path alike."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearance.screening import ScreeningRules, Verdict, screen_text
from clearance.screening.detectors import scan

STAMPS = {
    "mật": "marking.mat",
    "MẬT": "marking.mat",
    "Mật": "marking.mat",
    "tối mật": "marking.toi_mat",
    "TỐI MẬT": "marking.toi_mat",
    "tuyệt mật": "marking.tuyet_mat",
    "TUYỆT MẬT": "marking.tuyet_mat",
}
# Letters of other scripts (and full-width forms) that look like the Latin letters of the stamps.
HOMOGLYPHS = {
    "M": "МΜＭ", "m": "мｍ", "T": "ТΤＴ", "t": "тｔ", "I": "ІΙＩ", "i": "іιｉ", "U": "Ｕ",
    "u": "υｕ", "Y": "УΥＹ", "y": "уｙ", "A": "АΑ", "a": "а", "O": "ОΟ", "o": "оο", "E": "ЕΕ",
    "e": "е",
}  # fmt: skip
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u034f", "\u180e"]
SEPARATORS = [" ", "  ", ".", "-", "·", "_", "*", "/", "|", "\t", "\u00a0", "\u3000"]
INSERTS = INVISIBLE + SEPARATORS
BODY = "\nBáo cáo tình hình phát triển kinh tế của tỉnh trong năm.\n"


@st.composite
def obfuscated(draw: st.DrawFn) -> tuple[str, str]:
    """(obfuscated stamp line, the rule that must fire)."""
    phrase = draw(st.sampled_from(sorted(STAMPS)))
    characters = list(phrase)
    if draw(st.booleans()):  # decomposed letters, a whole-phrase or a per-letter choice
        characters = [
            unicodedata.normalize("NFD", ch) if draw(st.booleans()) else ch for ch in characters
        ]
        characters = list("".join(characters))
    out: list[str] = []
    for index, ch in enumerate(characters):
        swap = ch in HOMOGLYPHS and draw(st.integers(0, 3)) == 0
        out.append(draw(st.sampled_from(HOMOGLYPHS[ch])) if swap else ch)
        if index < len(characters) - 1:
            out.extend(draw(st.lists(st.sampled_from(INSERTS), max_size=2)))
    line = "".join(out)
    if draw(st.booleans()):
        line = draw(st.sampled_from(["*** ", "[", "— ", "  "])) + line
        line += draw(st.sampled_from([" ***", "]", " —", "  "]))
    return line, STAMPS[phrase]


@contextmanager
def _path(fast: bool) -> Iterator[None]:
    scan._USE_FAST = fast
    try:
        yield
    finally:
        scan._USE_FAST = True


@pytest.mark.parametrize("fast", [True, False], ids=["hyperscan", "portable"])
@settings(max_examples=400, deadline=None)
@given(stamp=obfuscated(), before=st.sampled_from(["", "UBND TỈNH X\n", "Số: 12/BC\n\n"]))
def test_obfuscated_stamp_is_blocked(
    rules: ScreeningRules, fast: bool, stamp: tuple[str, str], before: str
) -> None:
    line, rule = stamp
    with _path(fast):
        result = screen_text(before + line + BODY, rules)
    assert result.verdict is Verdict.BLOCKED, (line, result.findings)
    assert any(finding.rule == rule for finding in result.findings), (line, result.findings)


NEAR_MISSES = [
    "mật ong", "MẬT ONG", "mặt", "MẶT", "mắt", "mát", "MAT", "tối mặt", "TỐI MẶT", "m ặ t",
    "M Ắ T", "bí mật của thành công", "mật độ", "T Ố I M Ặ T", "m.á.t", "tốimặt",
]  # fmt: skip


@pytest.mark.parametrize("fast", [True, False], ids=["hyperscan", "portable"])
@pytest.mark.parametrize("line", NEAR_MISSES)
def test_near_misses_are_never_blocked(rules: ScreeningRules, fast: bool, line: str) -> None:
    with _path(fast):
        result = screen_text(line + BODY, rules)
    assert result.verdict is not Verdict.BLOCKED, result.findings


@pytest.mark.parametrize("fast", [True, False], ids=["hyperscan", "portable"])
@settings(max_examples=200, deadline=None)
@given(stamp=obfuscated(), label=st.sampled_from(["Độ mật: ", "ĐỘ MẬT: ", "Độ mật | ", "Độ mật "]))
def test_obfuscated_level_in_a_field_is_blocked(
    rules: ScreeningRules, fast: bool, stamp: tuple[str, str], label: str
) -> None:
    value, _rule = stamp
    with _path(fast):
        result = screen_text("Số: 12/BC\n" + label + value.strip(" *[]—") + BODY, rules)
    assert result.verdict is Verdict.BLOCKED, (value, result.findings)
    assert any(f.rule == "marking.do_mat_field" for f in result.findings), result.findings
