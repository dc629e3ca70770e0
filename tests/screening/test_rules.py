"""Validation of the screening section: every mistake is reported, none raises early."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from clearance.errors import PolicyInvalid, Problem
from clearance.screening.rules import load_screening_rules, parse_screening_rules
from tests.screening.conftest import POLICY


def parse(data: dict[str, object]) -> list[Problem]:
    problems: list[Problem] = []
    parse_screening_rules(
        data,
        file="p.yaml",
        field_prefix="screening",
        line_of=lambda _field: None,
        problems=problems,
        today=dt.date(2025, 1, 1),
    )
    return problems


def base() -> dict[str, object]:
    return yaml.safe_load(POLICY.read_text(encoding="utf-8"))


def test_default_file_is_valid() -> None:
    assert load_screening_rules(POLICY).markings


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["markings"].append(dict(d["markings"][0])), "screening.markings[10].id"),
        (lambda d: d["markings"][6].update(requires_reference="(["), "requires_reference"),
        (lambda d: d["allowlist"][0].update(expires="2020-01-01"), "allowlist[0].expires"),
        (lambda d: d["allowlist"][0].pop("expires"), "allowlist[0].expires"),
        (lambda d: d["markings"][0].update(severity="fatal"), "markings[0].severity"),
        (lambda d: d["markings"][0].update(level="secret"), "markings[0].level"),
        (lambda d: d["identifiers"][0].update(kind="passport"), "identifiers[0].kind"),
        (lambda d: d["limits"].update(max_pages=0), "limits.max_pages"),
        (lambda d: d.update(colour="red"), "screening.colour"),
    ],
)
def test_each_mistake_is_a_problem(change: object, field: str) -> None:
    data = base()
    change(data)  # type: ignore[operator]
    problems = parse(data)
    assert any(field in p.field for p in problems), problems


def test_stand_alone_loader_reports_lines(tmp_path: Path) -> None:
    text = POLICY.read_text(encoding="utf-8").replace("severity: block", "severity: fatal", 1)
    broken = tmp_path / "s.yaml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyInvalid) as caught:
        load_screening_rules(broken)
    problem = caught.value.problems[0]
    assert problem.field == "screening.markings[0].severity"
    assert problem.line is not None


@pytest.mark.parametrize(
    ("edit", "expected", "received"),
    [
        (lambda t: t.replace("severity: block", "severity: block\n    severity: block", 1),
         "each key once", "a duplicate key"),
        (lambda t: t.replace("severity: block", "severity: &s block", 1) + "\nextra: *s\n",
         "no YAML anchors or aliases", "*alias"),
        (lambda t: t.replace("top_lines: 12", "top_lines: 12.5", 1) if "top_lines: 12" in t
         else t + "\ntop_lines: 12.5\n", "text, an integer, a boolean or a date", "a float"),
    ],
)  # fmt: skip
def test_stand_alone_file_is_read_as_strictly_as_the_policy(
    tmp_path: Path, edit: Any, expected: str, received: str
) -> None:
    """The screening file on its own goes through the policy's strict YAML reader
    (``clearance.yamlsource``): duplicate keys, aliases and floats are problems with a line."""
    broken = tmp_path / "s.yaml"
    broken.write_text(edit(POLICY.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(PolicyInvalid) as caught:
        load_screening_rules(broken)
    found = [p for p in caught.value.problems if p.expected == expected]
    assert found, caught.value.problems
    assert found[0].found == received and found[0].line is not None and found[0].line > 1
