"""Malformed input never escapes as an exception: every failure is a held or blocked verdict."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearance.screening import ScreeningRules, Verdict, screen_file, screen_text
from tests.screening import corpus as c

SEEDS = {
    "a.docx": c.docx([c.para(c.run("Tin du lịch"))]),
    "b.xlsx": c.xlsx([("S", "visible", [["x"]])]),
    "c.pdf": c.pdf(["Report"]),
    "d.jpg": c.jpeg_with_gps(),
    "e.png": c.png("x"),
    "f.html": b"<html><body><p>x</p></body></html>",
    "g.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><text>x</text></svg>',
}
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(
    name=st.sampled_from(sorted(SEEDS)),
    cut=st.integers(min_value=0, max_value=4000),
    flips=st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 255)), max_size=8),
)
def test_mutated_files_never_raise(
    rules: ScreeningRules, name: str, cut: int, flips: list[tuple[int, int]]
) -> None:
    data = bytearray(SEEDS[name])
    for position, value in flips:
        if data:
            data[position % len(data)] = value
    mutated = bytes(data[: max(1, len(data) - cut)]) if cut % 3 == 0 else bytes(data)
    result = screen_file(mutated, name, rules)
    assert result.verdict in set(Verdict)
    if result.held_reason is not None:
        assert result.verdict is not Verdict.CLEAR


@FUZZ
@given(data=st.binary(max_size=2000), name=st.sampled_from([*sorted(SEEDS), "h.txt"]))
def test_random_bytes_never_raise(rules: ScreeningRules, data: bytes, name: str) -> None:
    assert screen_file(data, name, rules).verdict in set(Verdict)


@FUZZ
@given(text=st.text(max_size=500))
def test_any_text_is_screened(rules: ScreeningRules, text: str) -> None:
    assert screen_text(text, rules).verdict in set(Verdict)
