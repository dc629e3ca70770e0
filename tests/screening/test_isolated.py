"""The hard guard: screening in a child process with a timeout and a memory limit."""

from __future__ import annotations

import time

import pytest

from clearance.screening import ScreeningRules, Verdict, screen_file, screen_file_isolated
from tests.screening import corpus as c

# html.parser re-scans an unclosed start tag on every feed: quadratic, minutes for 80 kB.
PATHOLOGICAL_HTML = b"<html><body>" + b"<p x" * 20000


@pytest.mark.slow
def test_pathological_input_is_held_at_the_timeout(rules: ScreeningRules) -> None:
    start = time.monotonic()
    result = screen_file_isolated(PATHOLOGICAL_HTML, "slow.html", rules, timeout=3)
    assert time.monotonic() - start < 20
    assert result.verdict is Verdict.REVIEW
    assert "did not finish within 3 s" in (result.held_reason or "")


@pytest.mark.slow
def test_memory_limit_turns_into_a_held_result(rules: ScreeningRules) -> None:
    data = c.docx([c.para(c.run("Du lịch"))])
    result = screen_file_isolated(data, "a.docx", rules, memory_bytes=64 * 1024 * 1024)
    assert result.verdict is Verdict.REVIEW
    assert result.held_reason


@pytest.mark.slow
def test_isolated_result_equals_in_process_result(rules: ScreeningRules) -> None:
    data = c.docx([c.para(c.run("MẬT")), c.para(c.run("Báo cáo"))], comment="ĐT 0905 123 456")
    inside = screen_file(data, "b.docx", rules)
    isolated = screen_file_isolated(data, "b.docx", rules)
    assert isolated.to_json() == inside.to_json()
    clear = c.docx([c.para(c.run("Lễ hội du lịch biển"))])
    derivative = screen_file_isolated(clear, "c.docx", rules)
    assert derivative.verdict is Verdict.CLEAR
    assert derivative.sanitized == screen_file(clear, "c.docx", rules).sanitized
