"""The repeat count of an OpenDocument space (``<text:s text:c="N"/>``): a count that is not a
whole number is a malformed part, held with a finding that names the part and the attribute
(never a crash, never ``clear``); a huge count is capped (a few bytes of XML must not ask for
gigabytes of spaces), and the text around it is still read and screened."""

from __future__ import annotations

import resource
from collections.abc import Callable, Iterator

import pytest

from clearance.screening import ScreeningRules, Verdict, screen_file
from clearance.screening.types import Severity
from tests.screening import corpus_formats as F


def _para(before: str, count: str, after: str) -> str:
    return f'<text:p>{before}<text:s text:c="{count}"/>{after}</text:p>'


def _ods(paragraph: str) -> bytes:
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {F.NS}><office:body>'
        '<office:spreadsheet><table:table table:name="Bang 1"><table:table-row>'
        f"<table:table-cell>{paragraph}</table:table-cell></table:table-row></table:table>"
        "</office:spreadsheet></office:body></office:document-content>"
    )
    return F.odf_package(F.ODS, {"content.xml": content})


BUILDERS: dict[str, Callable[[str], bytes]] = {
    "a.odt": lambda paragraph: F.odt([paragraph]),
    "a.ods": _ods,
    "a.fodt": lambda paragraph: F.fodt([paragraph]),
}
PART = {"a.odt": "content.xml", "a.ods": "content.xml", "a.fodt": "document"}


@pytest.fixture
def memory_cap() -> Iterator[None]:
    """At most 1.5 GB of address space more than now while the test runs: a count obeyed as
    written would ask for gigabytes."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as handle:
        now = int(handle.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (now + 1_500_000_000, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.mark.parametrize("name", sorted(BUILDERS))
@pytest.mark.parametrize("count", ["x", "", "-2", "1e3", "3.5"])
def test_a_count_that_is_not_a_whole_number_holds_the_file_naming_the_part(
    rules: ScreeningRules, name: str, count: str
) -> None:
    data = BUILDERS[name](_para("Lễ hội", count, "mật ong"))
    result = screen_file(data, name, rules)
    assert result.verdict is Verdict.REVIEW, result.findings
    reason = result.held_reason or ""
    assert PART[name] in reason and "text:c" in reason and "malformed" in reason, reason
    assert "invalid literal" not in reason and "could not be inspected" not in reason, reason


@pytest.mark.parametrize("name", sorted(BUILDERS))
@pytest.mark.parametrize("count", ["2000000000", "9" * 40])
def test_a_huge_count_is_capped_and_the_text_is_screened(
    rules: ScreeningRules, name: str, count: str, memory_cap: None
) -> None:
    benign = screen_file(BUILDERS[name](_para("Lễ hội", count, "mật ong")), name, rules)
    # read, not held; LibreOffice may fail to render two billion spaces (then the rendered
    # view, and only it, is uninspected: held for a person, never clear on the text alone)
    assert benign.held_reason is None, benign.held_reason
    unread = [(f.part, f.message) for f in benign.findings if f.severity is not Severity.INFO]
    assert benign.verdict is Verdict.CLEAR or {part for part, _ in unread} == {"rendered view"}
    assert sum(c.chars for c in benign.coverage) < 10_000, benign.coverage
    marked = screen_file(BUILDERS[name]("<text:p>TỐI MẬT</text:p>" + _para("Kế hoạch", count,
                                        "tuần tra")), name, rules)  # fmt: skip
    assert marked.verdict is Verdict.BLOCKED, (marked.held_reason, marked.findings)
    assert any(f.rule == "marking.toi_mat" for f in marked.findings), marked.findings


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_an_ordinary_count_still_reads_as_spaces(rules: ScreeningRules, name: str) -> None:
    result = screen_file(BUILDERS[name](_para("TỐI", "3", "MẬT")), name, rules)
    assert result.verdict is Verdict.BLOCKED, result.findings
