"""The coverage contract: every part read is listed with how it was read; the JSON carries it."""

from __future__ import annotations

from clearance.screening import ScreeningRules, Verdict, screen_file, screen_text
from clearance.screening.isolated import result_from_json
from tests.screening import corpus


def test_docx_coverage_lists_the_parts_read(rules: ScreeningRules) -> None:
    result = screen_file(
        corpus.docx([corpus.para(corpus.run("Thông cáo báo chí"))]), "a.docx", rules
    )
    parts = {c.part for c in result.coverage}
    assert "word/document.xml" in parts
    body = next(c for c in result.coverage if c.part == "word/document.xml")
    assert body.chars >= len("Thông cáo báo chí")
    assert result.to_json()["coverage"] == [c.to_json() for c in result.coverage]


def test_text_coverage_counts_characters(rules: ScreeningRules) -> None:
    result = screen_text("Xin chào tỉnh nhà", rules, part="body")
    assert [c.to_json() for c in result.coverage] == [
        {"part": "body", "method": "text", "chars": 17, "pixels": 0}
    ]


def test_coverage_survives_the_isolated_round_trip(rules: ScreeningRules) -> None:
    result = screen_file(corpus.pdf(["Press release: tourism week"]), "a.pdf", rules)
    assert result.verdict is Verdict.CLEAR
    rebuilt = result_from_json(result.to_json(), result.sanitized)
    assert rebuilt.coverage == result.coverage
    assert rebuilt.coverage
