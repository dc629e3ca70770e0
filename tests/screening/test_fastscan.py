"""The Hyperscan path finds exactly what the portable pyahocorasick path finds."""

from __future__ import annotations

import dataclasses
import random
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearance.screening import ScreeningRules
from clearance.screening.detectors import fastscan, scan
from clearance.screening.types import Finding, Severity

pytestmark = pytest.mark.skipif(not fastscan.available(), reason="Hyperscan is not installed here")

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from screening_text import generate  # noqa: E402

PIECES = [
    "MẬT", "mật", "Tối mật", "TỐI MẬT", "TUYỆT MẬT", "Độ mật:", "mật ong", "TỐI MẶT", "GIẢI MẬT",
    "kế hoạch tác chiến", "biển số", "43A-123.45", "16°03'15.8\"N", "16.0544, 108.2022",
    "0905 123 456", "+84 905 123 456", "001090012345", "123.456.789 đồng", "M Ậ T", "M.Ậ.T",
    "T-Ố-I M-Ậ-T", "M·Ậ·T", "y y y", "\u200b", "\u00ad", "МẬТ", "ＭẬＴ", "A\u0323\u0302", " ", " ",
    "\n", "\n", ".", ",", "-", "(", ")", "+", "1", "09", "x", "Đà Nẵng", "du lịch", "—", "“",
    "/", "°", "\t", "_", "|", "y", "a", "0905123456", "mậ t", "TỐ I", "T Ố I", "A \u0323\u0302",
    "*** ", "SECRET", "S E C", "😀",
]  # fmt: skip


def _both(text: str, rules: ScreeningRules) -> tuple[list[Finding], list[Finding]]:
    scan.prepare_matchers(rules)  # else a short text takes the portable path too
    assert scan.fast_matcher_for(rules, build=False) is not None
    fast = scan.scan_text(text, rules, part="t")
    scan._USE_FAST = False
    try:
        portable = scan.scan_text(text, rules, part="t")
    finally:
        scan._USE_FAST = True
    return fast, portable


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_same_findings_on_tricky_text(rules: ScreeningRules, pieces: list[str]) -> None:
    fast, portable = _both("".join(pieces), rules)
    assert fast == portable


def _texts() -> Iterator[str]:
    rng = random.Random(7)
    yield generate(1, rng, ("kế hoạch tác chiến", "biển số xe"))
    yield "MẬT\n" + "Liên hệ 0905 123 456 hoặc 0236 3822 123.\n" * 200


@pytest.mark.parametrize("text", list(_texts()), ids=["generated", "numbers"])
def test_same_findings_on_long_text(rules: ScreeningRules, text: str) -> None:
    fast, portable = _both(text, rules)
    assert fast == portable
    assert fast  # the texts hold findings: the comparison is not vacuous


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60), st.integers(1, 40))
def test_same_findings_when_prescanned_in_small_chunks(
    rules: ScreeningRules, pieces: list[str], chunk: int
) -> None:
    """Lower-casing and prescanning chunk by chunk (cut after a newline) changes nothing."""
    text = "".join(pieces)
    whole = scan.scan_text(text, rules, part="t")
    saved = fastscan.CHUNK
    fastscan.CHUNK = chunk
    try:
        chunked = scan.scan_text(text, rules, part="t")
    finally:
        fastscan.CHUNK = saved
    assert chunked == whole


def test_chunked_lower_equals_lower(rules: ScreeningRules) -> None:
    matcher = scan.fast_matcher_for(rules)
    assert matcher is not None
    text = "ΣΑΣ\nΟΔΟΣ\nİstanbul\nĐÀ NẴNG ΣΑΣ\n" * 50 + "MẬT"
    saved = fastscan.CHUNK
    fastscan.CHUNK = 3
    try:
        _text, lower, _found = matcher.lower_and_prescan(text, stop_on_alarm=False)
    finally:
        fastscan.CHUNK = saved
    assert lower == text.lower()


def test_small_texts_do_not_compile_hyperscan_and_a_large_one_does(
    rules: ScreeningRules,
) -> None:
    """An OCR'd page or a letter is scanned by the automaton (built in milliseconds) instead of
    paying for the Hyperscan compile; a text past FAST_FROM_CHARS compiles it, and from then on
    every text of those rules takes the fast path, with the same findings."""
    fresh = dataclasses.replace(rules)  # matchers are kept per rules object
    small = "CÔNG VĂN\nTỐI MẬT\nLiên hệ 0905 123 456.\n"
    findings = scan.scan_text(small, fresh, part="t")
    assert scan.fast_matcher_for(fresh, build=False) is None
    assert any(f.severity is Severity.BLOCK for f in findings), findings
    large = generate(1, random.Random(3)) + "\n" + small
    large += "\n" + "x" * (scan.FAST_FROM_CHARS - len(large))
    scan.scan_text(large, fresh, part="t")
    assert scan.fast_matcher_for(fresh, build=False) is not None
    assert scan.scan_text(small, fresh, part="t") == findings


# Policy phrases that overlap, repeat inside one another, share ends and hold a character beyond
# the BMP: where each is found in the UTF-8 of a chunk, then located in the text by str.find.
_OVERLAPPING = ("mật mật", "mật", "ật m", "a a", "a", "😀 kế", "kế hoạch", "hoạch", "°n")
_PHRASE_PIECES = [*PIECES, "mật mật mật", "a a a a", "😀 kế hoạch", "\U0001f600", "\ud800"]


#: (the rules, those rules with the phrases) by (id of the rules, phrases); the rules are kept
#: so that their id is never reused while the entry lives
_PHRASE_RULES: dict[tuple[int, tuple[str, ...]], tuple[ScreeningRules, ScreeningRules]] = {}


def _phrase_rules(rules: ScreeningRules, phrases: tuple[str, ...]) -> ScreeningRules:
    """``rules`` with a keyword list of ``phrases``: one object per pair, so the matchers
    built for it (``scan.fast_matcher_for``) are built once, not once per example."""
    key = (id(rules), phrases)
    if key not in _PHRASE_RULES:
        _PHRASE_RULES[key] = (rules, _with_phrases(rules, phrases))
    return _PHRASE_RULES[key][1]


def _with_phrases(rules: ScreeningRules, phrases: tuple[str, ...]) -> ScreeningRules:
    from clearance.screening.rules import KeywordList

    extra = KeywordList("t.phrases", "t", Severity.REVIEW, None, phrases, "t", False)
    return dataclasses.replace(rules, keyword_lists=(*rules.keyword_lists, extra))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PHRASE_PIECES), max_size=60), st.integers(1, 50))
def test_phrases_found_in_chunks_are_those_of_one_pass_over_the_text(
    rules: ScreeningRules, pieces: list[str], chunk: int
) -> None:
    """The one pass over each chunk's UTF-8 finds every phrase where the former pass over the
    whole text's UTF-16 (or UTF-8 beyond the BMP: ``keyword_hits``, kept as the oracle) found
    it: same end, same payloads, same order; the spaced letters, number runs and loose lines
    give the portable path's findings (compared through ``scan_text``)."""
    phrase_rules = _phrase_rules(rules, _OVERLAPPING)
    matcher = scan.fast_matcher_for(phrase_rules)
    assert matcher is not None
    text = "".join(pieces)
    saved = fastscan.CHUNK
    fastscan.CHUNK = chunk
    try:
        _text, lower, found = matcher.lower_and_prescan(text, stop_on_alarm=False, rejoin=False)
    finally:
        fastscan.CHUNK = saved
    assert found.keywords == matcher.keyword_hits(lower)
    fast, portable = _both(text, phrase_rules)
    assert fast == portable


def test_phrases_on_a_long_text_are_those_of_one_pass(rules: ScreeningRules) -> None:
    phrase_rules = _phrase_rules(rules, ("du lịch", "kinh tế", "y tế", "mật độ", "tế"))
    matcher = scan.fast_matcher_for(phrase_rules)
    assert matcher is not None
    text = generate(2, random.Random(11), ("du lịch biển đảo",))
    _text, lower, found = matcher.lower_and_prescan(text)
    assert not found.alarm
    assert len(found.keywords) > 1000  # every chunk holds hits: the comparison is not vacuous
    assert found.keywords == matcher.keyword_hits(lower)


def test_a_phrase_holding_a_newline_is_found_across_chunks(rules: ScreeningRules) -> None:
    """A key with a line break could straddle two chunks: such rules look for the phrases in
    the whole text, and find what the portable path finds."""
    phrase_rules = _phrase_rules(rules, ("hoạch\nmật",))
    text = ("kế hoạch\nmật ong\n" * 3000) + "x"
    saved = fastscan.CHUNK
    fastscan.CHUNK = 7
    try:
        fast, portable = _both(text, phrase_rules)
    finally:
        fastscan.CHUNK = saved
    assert fast == portable
    assert any(f.rule == "t.phrases" for f in fast)
