"""One of each mechanism: a single module owns libmagic, policy YAML, canonical JSON and the
decision words; a second copy turns this red (walks the core's own sources)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "clearance"


def _importers(module: str) -> set[str]:
    found: set[str] = set()
    for path in CORE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(name == module or name.startswith(module + ".") for name in names):
                found.add(path.relative_to(CORE.parent).as_posix())
    return found


@pytest.mark.parametrize(
    ("module", "owners"),
    [
        ("magic", {"clearance/filetype.py"}),
        # the policy files' one strict reader; legacy_vn reads its own conversion tables (data)
        ("yaml", {"clearance/yamlsource.py", "clearance/screening/legacy_vn.py"}),
        ("orjson", {"clearance/canonical.py"}),
    ],
)
def test_one_module_wraps_each_library(module: str, owners: set[str]) -> None:
    assert _importers(module) == owners


def test_the_decision_words_are_defined_once() -> None:
    defining = set()
    for path in CORE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if '= "approve_with_recommendations"' in text or "'approve_with_recommendations'" in text:
            defining.add(path.relative_to(CORE.parent).as_posix())
    assert defining == {"clearance/approval/decision.py"}
