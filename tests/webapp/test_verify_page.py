"""The auditor's verify report reads in the user's language: every finding code the verifier
can emit has a Vietnamese sentence (its English detail stays for the offline CLI)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import Flask, session

from clearance.auditlog.findings import CODES, Finding, Note
from webapp.verifyview import FINDING_MESSAGES, finding_text, note_text

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


def _params_names(node: ast.expr | None, dicts: dict[str, ast.Dict]) -> set[str] | None:
    """The param names of a literal dict (``**name`` and a bare name resolved through
    ``dicts``, the dict literals assigned to a name in the same file); None when unknown."""
    if isinstance(node, ast.Name) and node.id in dicts:
        node = dicts[node.id]
    if not isinstance(node, ast.Dict):
        return None
    names: set[str] = set()
    for key, value in zip(node.keys, node.values, strict=True):
        if isinstance(key, ast.Constant):
            names.add(str(key.value))
        elif key is None:  # **spread
            inner = _params_names(value, dicts)
            if inner is None:
                return None
            names |= inner
    return names


def finding_params() -> list[tuple[str, set[str], str]]:
    """(code, params names, where) for every finding the verifier builds with a literal code
    and params (``Finding(code, index, message, {...})``, ``self._find(...)``)."""
    found = []
    for path in sorted((ROOT / "clearance" / "auditlog").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        dicts = {
            target.id: node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.AnnAssign | ast.Assign) and isinstance(node.value, ast.Dict)
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or len(node.args) < 4:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            first = node.args[0]
            if name not in ("Finding", "_find") or not isinstance(first, ast.Constant):
                continue
            names = _params_names(node.args[3], dicts)
            assert names is not None, f"{path.relative_to(ROOT)}:{node.lineno}"
            found.append((str(first.value), names, f"{path.relative_to(ROOT)}:{node.lineno}"))
    return found


def test_every_finding_s_params_are_said_in_vietnamese(app: Flask) -> None:
    """Each finding the verifier builds with params reads as its detailed sentence, in
    Vietnamese, naming every param it carries (not the code's generic sentence)."""
    walked = finding_params()
    assert len(walked) > 20  # the walk is not vacuous
    assert {"entry-chain", "signoff-mismatch", "self-approval", "witness-ahead"} <= {
        code for code, _names, _where in walked
    }
    problems = []
    for code, names, where in walked:
        params: dict[str, str | int] = {n: (7 if n in NUMBERS else f"P{n}P") for n in names}
        finding = Finding(code, 3, "detail", params)
        said: dict[str, str] = {}
        for lang in ("vi", "en"):
            with app.test_request_context():  # the locale is chosen once per request
                session["lang"] = lang
                said[lang] = str(finding_text(finding))
                said[f"{lang}-generic"] = str(finding_text(Finding(code, 3, "detail")))
        vi, en, generic = said["vi"], said["en"], said["vi-generic"]
        if vi == generic:
            problems.append(f"{where}: {code} with {sorted(names)} reads as the generic sentence")
        elif vi == en:
            problems.append(f"{where}: {code} has no Vietnamese detailed sentence")
        shown = [n for n in names if n not in NUMBERS and n not in LABELLED]
        problems += [f"{where}: {code} does not name {n}" for n in shown if f"P{n}P" not in vi]
    assert not problems, problems


#: params shown as numbers, and those shown by their policy label or a word (not as given)
NUMBERS = {"index", "next", "seq", "size", "entries", "first", "last", "held", "valid", "quorum",
           "age", "max_age", "revision", "status"}  # fmt: skip
LABELLED = {"stage", "role", "level", "field"}


def test_a_witness_note_reads_in_vietnamese(app: Flask) -> None:
    """What could not be checked (a witness not reached) is said in Vietnamese; the English
    sentence stays the note itself (the CLI prints it, ``--json`` lists it under ``notes``)."""
    note = Note(
        "witness-unreachable",
        "witness w1 could not be asked for its checkpoint (connection refused)",
        {"witness": "w1", "reason": "connection refused"},
    )
    assert "could not be asked" in note and str(note).startswith("witness w1")
    with app.test_request_context():
        session["lang"] = "vi"
        text = str(note_text(note))
    assert text == "Không hỏi được bên chứng thực <code>w1</code> về điểm kiểm tra của nó.", text
    with pytest.raises(ValueError, match="unknown note code"):
        Note("witness-made-up", "made up")
