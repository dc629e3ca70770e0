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


def _obfuscate(draw: st.DrawFn, phrase: str) -> str:
    """``phrase`` with decomposed letters, look-alikes and inserts between its characters."""
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
    return "".join(out)


@st.composite
def obfuscated(draw: st.DrawFn) -> tuple[str, str]:
    """(obfuscated stamp line, the rule that must fire)."""
    phrase = draw(st.sampled_from(sorted(STAMPS)))
    line = _obfuscate(draw, phrase)
    if draw(st.booleans()):
        line = draw(st.sampled_from(["*** ", "[", "— ", "  "])) + line
        line += draw(st.sampled_from([" ***", "]", " —", "  "]))
    return line, STAMPS[phrase]


@contextmanager
def _path(fast: bool, rules: ScreeningRules) -> Iterator[None]:
    if fast:  # compiled now, else a short text takes the portable path too
        scan.prepare_matchers(rules)
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
    with _path(fast, rules):
        result = screen_text(before + line + BODY, rules)
    assert result.verdict is Verdict.BLOCKED, (line, result.findings)
    assert any(finding.rule == rule for finding in result.findings), (line, result.findings)


NEAR_MISSES = [
    "mật ong", "MẬT ONG", "mặt", "MẶT", "mắt", "mát", "mat", "Mat", "tối mặt", "TỐI MẶT", "m ặ t",
    "M Ắ T", "bí mật của thành công", "mật độ", "T Ố I M Ặ T", "m.á.t", "tốimặt",
]  # fmt: skip


@pytest.mark.parametrize("fast", [True, False], ids=["hyperscan", "portable"])
@pytest.mark.parametrize("line", NEAR_MISSES)
def test_near_misses_are_never_blocked(rules: ScreeningRules, fast: bool, line: str) -> None:
    with _path(fast, rules):
        result = screen_text(line + BODY, rules)
    assert result.verdict is not Verdict.BLOCKED, result.findings


@pytest.mark.parametrize("fast", [True, False], ids=["hyperscan", "portable"])
@settings(max_examples=200, deadline=None)
@given(stamp=obfuscated(), label=st.sampled_from(["Độ mật: ", "ĐỘ MẬT: ", "Độ mật | ", "Độ mật "]))
def test_obfuscated_level_in_a_field_is_blocked(
    rules: ScreeningRules, fast: bool, stamp: tuple[str, str], label: str
) -> None:
    value, _rule = stamp
    with _path(fast, rules):
        result = screen_text("Số: 12/BC\n" + label + value.strip(" *[]—") + BODY, rules)
    assert result.verdict is Verdict.BLOCKED, (value, result.findings)
    assert any(f.rule == "marking.do_mat_field" for f in result.findings), result.findings


@st.composite
def _obfuscations(draw: st.DrawFn, phrase: str) -> str:
    return _obfuscate(draw, phrase)


def _verdict(rules: ScreeningRules, fast: bool, text: str) -> tuple[Verdict, set[str]]:
    with _path(fast, rules):
        result = screen_text(text, rules)
    return result.verdict, {f.rule for f in result.findings if f.severity.value == "block"}


# What may follow a stamp opening a top line: a separator makes it a stamp ("MẬT - Số 12"), a
# single space then a word makes it a mention ("TỐI MẬT Số: 45"), as for the plain phrase.
STAMP_TAILS = [" - Số 12/UBND", "  Số: 45", " Số: 45", ": bản sao", " (kèm theo)", " – Hồ sơ"]


@pytest.mark.parametrize("fast", [True, False], ids=["hyperscan", "portable"])
@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    phrase=st.sampled_from(sorted(STAMPS)),
    tail=st.sampled_from(STAMP_TAILS),
    before=st.sampled_from(["", "UBND TỈNH X\n", "Số: 12/BC\n\n", "*** "]),
)
def test_obfuscated_stamp_opening_a_line_gets_the_plain_verdict(
    rules: ScreeningRules, fast: bool, data: st.DataObject, phrase: str, tail: str, before: str
) -> None:
    obfuscated_line = data.draw(_obfuscations(phrase))
    plain = _verdict(rules, fast, before + phrase + tail + BODY)
    seen = _verdict(rules, fast, before + obfuscated_line + tail + BODY)
    assert seen == plain, (obfuscated_line + tail, plain, seen)


LABELS = ["Độ mật", "ĐỘ MẬT", "độ mật"]
VALUES = ["Mật", "MẬT", "Tối mật", "TỐI MẬT", "tuyệt mật"]


@pytest.mark.parametrize("fast", [True, False], ids=["hyperscan", "portable"])
@settings(max_examples=300, deadline=None)
@given(
    label=st.sampled_from(LABELS).flatmap(_obfuscations),
    between=st.sampled_from([": ", ":", " | ", " ", "  :  "]),
    value=st.sampled_from(VALUES).flatmap(lambda v: st.one_of(st.just(v), _obfuscations(v))),
    before=st.sampled_from(["", "Số: 12/BC\n", "Tài liệu có "]),
)
def test_obfuscated_field_label_is_blocked(
    rules: ScreeningRules, fast: bool, label: str, between: str, value: str, before: str
) -> None:
    verdict, fired = _verdict(rules, fast, before + label + between + value + BODY)
    assert verdict is Verdict.BLOCKED, (label + between + value, fired)
    assert "marking.do_mat_field" in fired, (label + between + value, fired)


# (plain form, obfuscated form): the same verdict, with the same blocking rules.
PAIRS = [
    ("MẬT - Số 12/UBND", "MẬ T - Số 12/UBND"),
    ("MẬT - Số 12/UBND", "M Ậ T - Số 12/UBND"),
    ("TỐI MẬT  Số: 45", "T Ố I  M Ậ T  Số: 45"),
    ("TỐI MẬT  Số: 45", "TỐ I MẬT  Số: 45"),
    ("TỐI MẬT Số: 45", "T Ố I M Ậ T Số: 45"),
    ("TỐI MẬT Số: 45", "TỐ I MẬT Số: 45"),
    ("Mật - Số 12", "Mậ t - Số 12"),
    ("MẬT ONG - Số 12", "MẬ T ONG - Số 12"),
    ("GIẢI MẬT - Số 3", "GIẢ I MẬT - Số 3"),
    ("/ MẬT - Số 12", "/ MẬ T - Số 12"),
    ("x\n" * 13 + "MẬT - Số 12", "x\n" * 13 + "MẬ T - Số 12"),
    ("Độ mật: Mật", "Đ ộ  m ậ t: Mật"),
    ("Độ mật: Tối mật", "Đ.ộ m.ậ.t: Tối mật"),
    ("Độ mật: Mật", "độ mậ t: Mật"),
    ("Độ mật Mật", "Đ ộ m ậ t M ậ t"),
    ("Độ mật | Mật", "Độ м ậ t | М ậт"),
    ("Độ mật | Tối mật", "Độ m ậ t | T ối mật"),
    ("Độ mật:\nMật", "Đ ộ  mậ t:\nMật"),
    ("Độ mật ong: Mật", "Đ ộ m ậ t ong: Mật"),
    ("Độ mặt: Mật", "Đ ộ  m ặ t: Mật"),
]


@pytest.mark.parametrize("fast", [True, False], ids=["hyperscan", "portable"])
@pytest.mark.parametrize(("plain", "obfuscated_form"), PAIRS)
def test_obfuscated_form_gets_the_plain_verdict(
    rules: ScreeningRules, fast: bool, plain: str, obfuscated_form: str
) -> None:
    assert _verdict(rules, fast, obfuscated_form + BODY) == _verdict(rules, fast, plain + BODY)


PREFIX_AND_FIELD_NEAR_MISSES = [
    "mật ong - Số 12", "Mậ t ong ngon", "MẶ T - Số 12", "M Ắ T - Số 12", "mắ t - Số 12",
    "MÁ T - Số 12", "T Ố I M Ặ T - Số 12", "T Ố I M Ặ T  Số: 45", "TỐ I MẶT - Số 12",
    "tố i mặt - Số 12", "Đ ộ  m ặ t: Mật", "Đ ộ m ắ t: Mật", "Độ mặt: Mật", "Đ.ộ m.á.t: Mật",
    "Đ ộ  m ậ t: mát", "Đ ộ m ậ t của tài liệu", "Đ ộ m ậ t ong: Mật", "C Ộ N G  H Ò A - Số 12",
    "T H Ô N G  B Á O - Số 12", "B Á O  C Á O  Số: 45", "K Ế T  L U Ậ N: Mật ong",
]  # fmt: skip


@pytest.mark.parametrize("fast", [True, False], ids=["hyperscan", "portable"])
@pytest.mark.parametrize("line", PREFIX_AND_FIELD_NEAR_MISSES)
def test_prefix_and_field_near_misses_are_never_blocked(
    rules: ScreeningRules, fast: bool, line: str
) -> None:
    verdict, fired = _verdict(rules, fast, line + BODY)
    assert verdict is not Verdict.BLOCKED, (line, fired)
