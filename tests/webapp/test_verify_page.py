"""The auditor's verify report reads in the user's language: every finding code the verifier
can emit has a Vietnamese sentence (its English detail stays for the offline CLI)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import Flask, session

from clearance.auditlog.findings import CODES, Finding
from webapp.verifyview import FINDING_MESSAGES, finding_text

ROOT = Path(__file__).resolve().parents[2]


def literal_finding_codes() -> dict[str, str]:
    """code -> where, for every ``Finding("code", ...)`` and ``self._find("code", ...)``
    written with a literal code in ``clearance/auditlog/`` (the AST, not a copied list)."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "clearance" / "auditlog").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            first = node.args[0]
            if name in ("Finding", "_find") and isinstance(first, ast.Constant):
                found[str(first.value)] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def test_every_literal_finding_code_is_listed() -> None:
    found = literal_finding_codes()
    assert len(found) > 20  # the walk is not vacuous
    assert {code: where for code, where in found.items() if code not in CODES} == {}


def test_an_unlisted_code_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown finding code"):
        Finding("entry-made-up", 3, "made up")


def test_every_finding_code_reads_in_vietnamese(app: Flask) -> None:
    assert set(FINDING_MESSAGES) == set(CODES)
    for code in CODES:
        shown = {}
        for lang in ("vi", "en"):
            with app.test_request_context():
                session["lang"] = lang
                shown[lang] = finding_text(Finding(code, 7, "detail"))
        assert shown["vi"].startswith("Mục 7: ") and shown["vi"] != shown["en"], code
