"""Large texts screened in two halves on two processes give the findings of one pass."""

from __future__ import annotations

import random
import sys
from multiprocessing import shared_memory
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearance.screening import ScreeningRules
from clearance.screening.detectors import scan
from clearance.screening.detectors.lines import after_newlines

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from screening_text import generate

TRICKS = [
    "MẬT", "TỐI MẶT", "GIẢI MẬT", "Theo Quyết định số 12/QĐ-UBND", "Độ mật: Tối mật",
    "Liên hệ 0905 123 456", "CCCD 001090012345", "Tọa độ 16.0544, 108.2022", "M Ậ T",
    "M\u200bẬT", "kế hoạch tác chiến", "biển số 43A-123.45", "y y y", "mật ong",
]  # fmt: skip


def _text(seed: int) -> str:
    rng = random.Random(seed)
    lines = generate(1, rng).split("\n")
    middle = len(lines) // 2
    for offset in range(-40, 40, 3):  # crowd the cut with context-sensitive findings
        lines.insert(middle + offset, rng.choice(TRICKS))
    for _ in range(60):  # more than MAX_PER_RULE of some rules, on both sides
        lines.insert(rng.randrange(len(lines)), rng.choice(TRICKS))
    return "\n".join(lines)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_two_halves_equal_one_pass(
    rules: ScreeningRules, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = _text(seed)
    monkeypatch.setattr(scan, "_workers", lambda: 0)
    one_pass = scan.scan_text(text, rules, part="t")
    monkeypatch.setattr(scan, "_workers", lambda: 1)
    monkeypatch.setattr(scan, "PARALLEL_MIN_CHARS", 1000)
    halves = scan.scan_text(text, rules, part="t")
    assert halves == one_pass
    assert len(one_pass) > 40


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab\n", max_size=300), st.integers(0, 20000), st.integers(0, 400))
def test_after_newlines_finds_the_start_of_a_line(text: str, count: int, start: int) -> None:
    """From the text's start or any index, also across the 64K blocks it counts by (the text
    repeated 500 times is longer), and past the last newline (the end of the last line): the
    one helper of the scanner's halves and of the realigner's lines (mends D6)."""
    for sample in (text, text * 500):
        begin = min(start, len(sample))
        rest = sample[begin:]
        lines = rest.count("\n")
        expected = begin + (len(rest) - len(rest.split("\n", min(count, lines))[-1]))
        assert after_newlines(sample, count, begin) == expected


@pytest.mark.slow
def test_without_shared_memory_one_pass_screens_it_all(
    rules: ScreeningRules, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = _text(4)
    monkeypatch.setattr(scan, "_workers", lambda: 0)
    one_pass = scan.scan_text(text, rules, part="t")

    def unavailable(*_args: object, **_kwargs: object) -> None:
        raise OSError("no /dev/shm")

    monkeypatch.setattr(shared_memory, "SharedMemory", unavailable)
    monkeypatch.setattr(scan, "_workers", lambda: 1)
    monkeypatch.setattr(scan, "PARALLEL_MIN_CHARS", 1000)
    assert scan.scan_text(text, rules, part="t") == one_pass
    assert len(one_pass) > 40
